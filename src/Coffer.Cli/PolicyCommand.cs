using System.CommandLine;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary><c>coffer policy set|get|rm|status</c>: the policy of a bucket (cos://BUCKET).</summary>
internal static class PolicyCommand
{
    public static Command Create() => new("policy", """
        The bucket policy of a bucket (cos://BUCKET): who else may do what in it, and what nobody may do
        (docs/protocol/policy.md). A policy is a JSON file in the AWS dialect ("Version": "2012-10-17") or the
        COS one ("version": "2.0"), at most 20 KB; it is stored and shown exactly as given.

        Examples:
          coffer policy set cos://reports policy.json
          coffer policy get cos://reports
          coffer policy status cos://reports
          coffer policy rm cos://reports
        """)
    {
        Set(), Get(), Remove(), Status(),
    };

    private static Argument<string> BucketArgument() => new("bucket") { Description = "The bucket (cos://BUCKET)." };

    private static RemotePath Target(Invocation run, string text)
    {
        var path = RemotePath.Parse(text);
        if (path.Key.Length > 0)
            throw new UsageException($"'{text}' names an object; a policy belongs to a bucket (cos://{path.Bucket}).");
        run.Target = path;
        return path;
    }

    private static Command Set()
    {
        var bucket = BucketArgument();
        var file = new Argument<string>("file") { Description = "The policy: a JSON file ('-' reads standard input)." };
        var json = Output.JsonOption();
        var command = new Command("set", """
            Replace the policy of a bucket with the one in FILE. A policy the server refuses (MalformedPolicy: it says
            which statement and field) leaves the old one in place.

            Example:
              coffer policy set cos://reports policy.json
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
                throw new UsageException($"Cannot read the policy file '{name}': {e.Message}");
            }
            if (string.IsNullOrWhiteSpace(text))
                throw new UsageException($"The policy file '{name}' is empty.");
            await run.Connection.Client.PutBucketPolicyAsync(target.Bucket, text, ct);
            if (run.Json)
                Output.WriteJson(new { bucket = target.Bucket, policy = true });
            else
                Console.WriteLine($"policy: cos://{target.Bucket} has the policy of {name} now");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Get()
    {
        var bucket = BucketArgument();
        var json = Output.JsonOption();
        var command = new Command("get", """
            Show the policy of a bucket, as it was set (none: exit code 3).

            Example:
              coffer policy get cos://reports > policy.json
            """) { bucket, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(bucket)!);
            var policy = (await run.Connection.Client.GetBucketPolicyAsync(target.Bucket, ct)).Policy;
            if (run.Json)
                Output.WriteJson(new { bucket = target.Bucket, policy });
            else
                Console.WriteLine(policy);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Remove()
    {
        var bucket = BucketArgument();
        var json = Output.JsonOption();
        var command = new Command("rm", """
            Remove the policy of a bucket: only its owner may reach it again.

            Example:
              coffer policy rm cos://reports
            """) { bucket, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(bucket)!);
            await run.Connection.Client.DeleteBucketPolicyAsync(target.Bucket, ct);
            if (run.Json)
                Output.WriteJson(new { bucket = target.Bucket, deleted = true });
            else
                Console.WriteLine($"policy: cos://{target.Bucket} has no policy now");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Status()
    {
        var bucket = BucketArgument();
        var json = Output.JsonOption();
        var command = new Command("status", """
            Say whether the policy of a bucket makes it public: an Allow to everyone (anonymous callers included)
            that no condition pins to fixed callers (none: exit code 3).

            Example:
              coffer policy status cos://reports
            """) { bucket, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var target = Target(run, parse.GetValue(bucket)!);
            var isPublic = (await run.Connection.Client.GetBucketPolicyStatusAsync(target.Bucket, ct)).IsPublic;
            if (run.Json)
                Output.WriteJson(new { bucket = target.Bucket, isPublic });
            else
                Console.WriteLine($"policy: cos://{target.Bucket} is {(isPublic ? "public" : "not public")}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
