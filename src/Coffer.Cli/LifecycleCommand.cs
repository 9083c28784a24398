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

    private static Argument<string> BucketArgument() => new("bucket") { Description = "The bucket (cos://BUCKET)." };

    private static RemotePath Target(Invocation run, string text)
    {
        var path = RemotePath.Parse(text);
        if (path.Key.Length > 0)
            throw new UsageException($"'{text}' names an object; lifecycle rules belong to a bucket (cos://{path.Bucket}).");
        run.Target = path;
        return path;
    }

    private static Command Set()
    {
        var bucket = BucketArgument();
        var file = new Argument<string>("file") { Description = "The configuration: an XML or JSON file ('-' reads standard input)." };
        var json = Output.JsonOption();
        var command = new Command("set", """
            Replace the lifecycle configuration of a bucket with the one in FILE (XML or JSON).

            Examples:
              coffer lifecycle set cos://logs rules.xml
              coffer lifecycle set cos://logs rules.json
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
            CosLifecycleConfiguration configuration;
            try
            {
                configuration = CosLifecycleConfiguration.Parse(text);
            }
            catch (FormatException e)
            {
                throw new UsageException($"'{name}': {e.Message}");
            }
            await run.Connection.Client.PutBucketLifecycleAsync(target.Bucket, configuration, ct);
            if (run.Json)
                Output.WriteJson(new { bucket = target.Bucket, rules = configuration.Rules.Count });
            else
                Console.WriteLine($"lifecycle: cos://{target.Bucket} has {configuration.Rules.Count} rule(s) now");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Get()
    {
        var bucket = BucketArgument();
        var json = Output.JsonOption();
        var command = new Command("get", """
            Show the lifecycle configuration of a bucket as XML, which `lifecycle set` takes back (none: exit code 3).

            Examples:
              coffer lifecycle get cos://logs > rules.xml
              coffer lifecycle get cos://logs --json
            """) { bucket, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(bucket)!);
            var configuration = (await run.Connection.Client.GetBucketLifecycleAsync(target.Bucket, ct)).Configuration;
            if (run.Json)
            {
                Output.WriteJson(new
                {
                    bucket = target.Bucket,
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
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Remove()
    {
        var bucket = BucketArgument();
        var json = Output.JsonOption();
        var command = new Command("rm", """
            Remove the lifecycle configuration of a bucket: its rules stop.

            Example:
              coffer lifecycle rm cos://logs
            """) { bucket, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(bucket)!);
            await run.Connection.Client.DeleteBucketLifecycleAsync(target.Bucket, ct);
            if (run.Json)
                Output.WriteJson(new { bucket = target.Bucket, deleted = true });
            else
                Console.WriteLine($"lifecycle: cos://{target.Bucket} has no lifecycle rules now");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
