using System.CommandLine;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary><c>coffer lifecycle set|get|rm</c>: the lifecycle configuration of a bucket (cos://BUCKET).</summary>
internal static class LifecycleCommand
{
    public static Command Create() => new("lifecycle", """
        The lifecycle rules of a bucket (cos://BUCKET): expire objects, move them to archive classes, abort
        abandoned multipart uploads, by key prefix, tags and size.

        A configuration is a file in the XML of PUT Bucket lifecycle (<LifecycleConfiguration>) or in JSON, as
        awscli's --lifecycle-configuration writes it ({"Rules": [{"ID": …, "Filter": {"Prefix": …}, "Status":
        "Enabled", "Expiration": {"Days": 30}}]}) or the COS Python SDK's dict ({"Rule": [...]}).

        Examples:
          coffer lifecycle set cos://logs rules.json
          coffer lifecycle get cos://logs
          coffer lifecycle rm cos://logs
        """)
    {
        Set(), Get(), Remove(),
    };

    private const string Setting = "lifecycle rules";

    private static Command Set()
    {
        var file = BucketSetting.FileArgument("The configuration: an XML or JSON file ('-' reads standard input).");
        return BucketSetting.Wire(new Command("set", """
            Replace the lifecycle configuration of a bucket with the one in FILE (XML or JSON).

            Examples:
              coffer lifecycle set cos://logs rules.xml
              coffer lifecycle set cos://logs rules.json
            """) { BucketSetting.BucketArgument(), file, Output.JsonOption() }, Setting, async (run, parse, bucket, ct) =>
        {
            var configuration = (await ConfigurationFile.ReadAsync(parse.GetValue(file)!, ct)).Parse(CosLifecycleConfiguration.Parse);
            await run.Connection.Client.PutBucketLifecycleAsync(bucket, configuration, ct);
            if (run.Json)
                Output.WriteJson(new { bucket, rules = configuration.Rules.Count });
            else
                Console.WriteLine($"lifecycle: cos://{bucket} has {configuration.Rules.Count} rule(s) now");
        });
    }

    private static Command Get() => BucketSetting.Wire(new Command("get", """
        Show the lifecycle configuration of a bucket as XML, which `lifecycle set` takes back (none: exit code 3).

        Examples:
          coffer lifecycle get cos://logs > rules.xml
          coffer lifecycle get cos://logs --json
        """) { BucketSetting.BucketArgument(), Output.JsonOption() }, Setting, async (run, _, bucket, ct) =>
    {
        var configuration = (await run.Connection.Client.GetBucketLifecycleAsync(bucket, ct)).Configuration;
        if (run.Json)
        {
            Output.WriteJson(new
            {
                bucket,
                rules = configuration.Rules.Select(r => new
                {
                    id = r.Id,
                    status = r.Enabled ? "Enabled" : "Disabled",
                    prefix = r.Prefix,
                    tags = r.Tags.Select(t => new { key = t.Key, value = t.Value }),
                    objectSizeGreaterThan = r.ObjectSizeGreaterThan,
                    objectSizeLessThan = r.ObjectSizeLessThan,
                    expirationDays = r.ExpirationDays,
                    expirationDate = r.ExpirationDate,
                    expiredObjectDeleteMarker = r.ExpiredObjectDeleteMarker,
                    transitions = r.Transitions.Select(t => new { days = t.Days, date = t.Date, storageClass = t.StorageClass }),
                    noncurrentExpirationDays = r.NoncurrentExpirationDays,
                    newerNoncurrentVersions = r.NewerNoncurrentVersions,
                    noncurrentTransitions = r.NoncurrentTransitions.Select(t => new { days = t.Days, storageClass = t.StorageClass }),
                    abortIncompleteMultipartUploadDays = r.AbortIncompleteMultipartUploadDays,
                }),
            });
        }
        else
        {
            Console.WriteLine(System.Xml.Linq.XElement.Parse(configuration.ToXml()).ToString());
        }
    });

    private static Command Remove() => BucketSetting.Remove("lifecycle", Setting, """
        Remove the lifecycle configuration of a bucket: its rules stop.

        Example:
          coffer lifecycle rm cos://logs
        """, (run, bucket, ct) => run.Connection.Client.DeleteBucketLifecycleAsync(bucket, ct), "has no lifecycle rules now");
}
