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

    private static Argument<string> BucketArgument() => new("bucket") { Description = "The bucket (cos://BUCKET)." };

    private static RemotePath Target(Invocation run, string text)
    {
        var path = RemotePath.Parse(text);
        if (path.Key.Length > 0)
            throw new UsageException($"'{text}' names an object; CORS rules belong to a bucket (cos://{path.Bucket}).");
        run.Target = path;
        return path;
    }

    private static Command Set()
    {
        var bucket = BucketArgument();
        var file = new Argument<string>("file") { Description = "The configuration: an XML file ('-' reads standard input)." };
        var json = Output.JsonOption();
        var command = new Command("set", """
            Replace the CORS configuration of a bucket with the one in FILE (XML).

            Example:
              coffer cors set cos://photos cors.xml
            """) { bucket, file, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(bucket)!);
            var name = parse.GetValue(file)!;
            string text;
            try
            {
                text = name == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(name, ct);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"Cannot read the configuration file '{name}': {e.Message}");
            }
            CosCorsConfiguration configuration;
            try
            {
                configuration = CosCorsConfiguration.Parse(text);
            }
            catch (FormatException e)
            {
                throw new UsageException($"'{name}': {e.Message}");
            }
            await run.Connection.Client.PutBucketCorsAsync(target.Bucket, configuration, ct);
            if (run.Json)
                Output.WriteJson(new { bucket = target.Bucket, rules = configuration.Rules.Count });
            else
                Console.WriteLine($"cors: cos://{target.Bucket} has {configuration.Rules.Count} rule(s) now");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Get()
    {
        var bucket = BucketArgument();
        var json = Output.JsonOption();
        var command = new Command("get", """
            Show the CORS configuration of a bucket as XML, which `cors set` takes back (none: exit code 3).

            Examples:
              coffer cors get cos://photos > cors.xml
              coffer cors get cos://photos --json
            """) { bucket, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(bucket)!);
            var configuration = (await run.Connection.Client.GetBucketCorsAsync(target.Bucket, ct)).Configuration;
            if (run.Json)
            {
                Output.WriteJson(new
                {
                    bucket = target.Bucket,
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
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Remove()
    {
        var bucket = BucketArgument();
        var json = Output.JsonOption();
        var command = new Command("rm", """
            Remove the CORS configuration of a bucket: browsers' preflights to it are refused from then on.

            Example:
              coffer cors rm cos://photos
            """) { bucket, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(bucket)!);
            await run.Connection.Client.DeleteBucketCorsAsync(target.Bucket, ct);
            if (run.Json)
                Output.WriteJson(new { bucket = target.Bucket, deleted = true });
            else
                Console.WriteLine($"cors: cos://{target.Bucket} has no CORS rules now");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
