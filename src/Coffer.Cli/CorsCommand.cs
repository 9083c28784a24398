using System.CommandLine;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary><c>coffer cors set|get|rm</c>: the CORS configuration of a bucket (cos://BUCKET).</summary>
internal static class CorsCommand
{
    public static Command Create() => new("cors", """
        The CORS rules of a bucket (cos://BUCKET): which web origins' scripts may call it from a browser.

        A configuration is a file in the XML of PUT Bucket cors (<CORSConfiguration> with 1 to 100 <CORSRule>s:
        AllowedOrigin, AllowedMethod GET|PUT|POST|DELETE|HEAD, AllowedHeader, ExposeHeader, MaxAgeSeconds). A rule
        grants no access by itself: requests still need a signature (or a POST form, `coffer presign --post`).

        Examples:
          coffer cors set cos://photos cors.xml
          coffer cors get cos://photos
          coffer cors rm cos://photos
        """)
    {
        Set(), Get(), Remove(),
    };

    private const string Setting = "CORS rules";

    private static Command Set()
    {
        var file = BucketSetting.FileArgument("The configuration: an XML file ('-' reads standard input).");
        return BucketSetting.Wire(new Command("set", """
            Replace the CORS configuration of a bucket with the one in FILE (XML).

            Example:
              coffer cors set cos://photos cors.xml
            """) { BucketSetting.BucketArgument(), file, Output.JsonOption() }, Setting, async (run, parse, bucket, ct) =>
        {
            var configuration = (await ConfigurationFile.ReadAsync(parse.GetValue(file)!, ct)).Parse(CosCorsConfiguration.Parse);
            await run.Connection.Client.PutBucketCorsAsync(bucket, configuration, ct);
            if (run.Json)
                Output.WriteJson(new { bucket, rules = configuration.Rules.Count });
            else
                Console.WriteLine($"cors: cos://{bucket} has {configuration.Rules.Count} rule(s) now");
        });
    }

    private static Command Get() => BucketSetting.Wire(new Command("get", """
        Show the CORS configuration of a bucket as XML, which `cors set` takes back (none: exit code 3).

        Examples:
          coffer cors get cos://photos > cors.xml
          coffer cors get cos://photos --json
        """) { BucketSetting.BucketArgument(), Output.JsonOption() }, Setting, async (run, _, bucket, ct) =>
    {
        var configuration = (await run.Connection.Client.GetBucketCorsAsync(bucket, ct)).Configuration;
        if (run.Json)
        {
            Output.WriteJson(new
            {
                bucket,
                rules = configuration.Rules.Select(r => new
                {
                    id = r.Id,
                    allowedOrigins = r.AllowedOrigins,
                    allowedMethods = r.AllowedMethods,
                    allowedHeaders = r.AllowedHeaders,
                    exposeHeaders = r.ExposeHeaders,
                    maxAgeSeconds = r.MaxAgeSeconds,
                }),
            });
        }
        else
        {
            Console.WriteLine(System.Xml.Linq.XElement.Parse(configuration.ToXml()).ToString());
        }
    });

    private static Command Remove() => BucketSetting.Remove("cors", Setting, """
        Remove the CORS configuration of a bucket: browsers' preflights to it are refused from then on.

        Example:
          coffer cors rm cos://photos
        """, (run, bucket, ct) => run.Connection.Client.DeleteBucketCorsAsync(bucket, ct), "has no CORS rules now");
}
