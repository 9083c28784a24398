using System.CommandLine;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary><c>coffer tag set|get|rm</c>: the tags of an object (cos://BUCKET/KEY) or of a bucket (cos://BUCKET).</summary>
internal static class TagCommand
{
    public static Command Create() => new("tag", """
        The tags of an object (cos://BUCKET/KEY) or of a bucket (cos://BUCKET).

        An object has at most 10 tags, a bucket 50; keys have 1 to 128 characters and values up to 256, made of
        letters, digits, spaces and + - = . _ : / (S3 also @).

        Examples:
          coffer tag set cos://photos/cat.jpg project=blue "owner=data team"
          coffer tag get cos://photos/cat.jpg
          coffer tag rm cos://photos
        """)
    {
        Set(), Get(), Remove(),
    };

    private static Argument<string> PathArgument() => new("path") { Description = "The object (cos://BUCKET/KEY) or the bucket (cos://BUCKET)." };

    private static RemotePath Target(Invocation run, string text)
    {
        var path = RemotePath.Parse(text);
        if (path.Key.EndsWith('/'))
            throw new UsageException($"'{text}' names a folder; tags belong to one object (cos://{path.Bucket}/KEY) or to the bucket (cos://{path.Bucket}).");
        run.Target = path;
        return path;
    }

    private static string Describe(RemotePath path) => path.Key.Length == 0 ? $"cos://{path.Bucket}" : path.ToString();

    /// <summary>KEY=VALUE arguments (a bare KEY has an empty value), in order; a key given twice is a usage error.</summary>
    internal static List<CosTag> ParseTags(IEnumerable<string> arguments)
    {
        var tags = new List<CosTag>();
        foreach (var argument in arguments)
        {
            var eq = argument.IndexOf('=');
            var tag = eq < 0 ? new CosTag(argument, "") : new CosTag(argument[..eq], argument[(eq + 1)..]);
            if (tag.Key.Length == 0)
                throw new UsageException($"'{argument}' has no tag key; write KEY=VALUE.");
            if (tags.Any(t => t.Key == tag.Key))
                throw new UsageException($"The tag key '{tag.Key}' is given twice; a tag set has each key once.");
            tags.Add(tag);
        }
        return tags;
    }

    private static Command Set()
    {
        var path = PathArgument();
        var tags = new Argument<string[]>("tags") { Description = "The tags, KEY=VALUE each (quote those with spaces).", Arity = ArgumentArity.OneOrMore };
        var json = Output.JsonOption();
        var command = new Command("set", """
            Replace the tags of an object or a bucket with the ones given.

            Examples:
              coffer tag set cos://photos/cat.jpg project=blue "owner=data team"
              coffer tag set cos://photos cost-center=42
            """) { path, tags, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(path)!);
            var set = ParseTags(parse.GetValue(tags) ?? []);
            if (target.Key.Length == 0)
                await run.Connection.Client.PutBucketTaggingAsync(target.Bucket, set, ct);
            else
                await run.Connection.Client.PutObjectTaggingAsync(target.Bucket, target.Key, set, cancellationToken: ct);
            if (run.Json)
                Output.WriteJson(new { path = Describe(target), tags = set.Select(t => new { key = t.Key, value = t.Value }) });
            else
                Console.WriteLine($"tag: {Describe(target)} has {set.Count} tag(s) now");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Get()
    {
        var path = PathArgument();
        var json = Output.JsonOption();
        var command = new Command("get", """
            Show the tags of an object or a bucket (a bucket without tags: exit code 3).

            Examples:
              coffer tag get cos://photos/cat.jpg
              coffer tag get cos://photos --json
            """) { path, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(path)!);
            var set = target.Key.Length == 0
                ? (await run.Connection.Client.GetBucketTaggingAsync(target.Bucket, ct)).TagSet
                : (await run.Connection.Client.GetObjectTaggingAsync(target.Bucket, target.Key, cancellationToken: ct)).TagSet;
            if (run.Json)
                Output.WriteJson(new { path = Describe(target), tags = set.Select(t => new { key = t.Key, value = t.Value }) });
            else if (set.Count > 0)
                Output.Table(["KEY", "VALUE"], set.Select(t => new[] { t.Key, t.Value }));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Remove()
    {
        var path = PathArgument();
        var json = Output.JsonOption();
        var command = new Command("rm", """
            Remove every tag of an object or a bucket.

            Example:
              coffer tag rm cos://photos/cat.jpg
            """) { path, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(path)!);
            if (target.Key.Length == 0)
                await run.Connection.Client.DeleteBucketTaggingAsync(target.Bucket, ct);
            else
                await run.Connection.Client.DeleteObjectTaggingAsync(target.Bucket, target.Key, cancellationToken: ct);
            if (run.Json)
                Output.WriteJson(new { path = Describe(target), deleted = true });
            else
                Console.WriteLine($"tag: {Describe(target)} has no tags now");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
