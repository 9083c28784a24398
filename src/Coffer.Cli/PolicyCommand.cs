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

    private const string Setting = "a policy";

    private static Command Set()
    {
        var file = BucketSetting.FileArgument("The policy: a JSON file ('-' reads standard input).");
        return BucketSetting.Wire(new Command("set", """
            Replace the policy of a bucket with the one in FILE. A policy the server refuses (MalformedPolicy: it says
            which statement and field) leaves the old one in place.

            Example:
              coffer policy set cos://reports policy.json
            """) { BucketSetting.BucketArgument(), file, Output.JsonOption() }, Setting, async (run, parse, bucket, ct) =>
        {
            var policy = await ConfigurationFile.ReadAsync(parse.GetValue(file)!, ct);
            await run.Connection.Client.PutBucketPolicyAsync(bucket, policy.Text, ct);
            if (run.Json)
                Output.WriteJson(new { bucket, policy = true });
            else
                Console.WriteLine($"policy: cos://{bucket} has the policy of {policy.Name} now");
        });
    }

    private static Command Get() => BucketSetting.Wire(new Command("get", """
        Show the policy of a bucket, as it was set (none: exit code 3).

        Example:
          coffer policy get cos://reports > policy.json
        """) { BucketSetting.BucketArgument(), Output.JsonOption() }, Setting, async (run, _, bucket, ct) =>
    {
        var policy = (await run.Connection.Client.GetBucketPolicyAsync(bucket, ct)).Policy;
        if (run.Json)
            Output.WriteJson(new { bucket, policy });
        else
            Console.WriteLine(policy);
    });

    private static Command Remove() => BucketSetting.Remove("policy", Setting, """
        Remove the policy of a bucket: only its owner may reach it again.

        Example:
          coffer policy rm cos://reports
        """, (run, bucket, ct) => run.Connection.Client.DeleteBucketPolicyAsync(bucket, ct), "has no policy now");

    private static Command Status() => BucketSetting.Wire(new Command("status", """
        Say whether the policy of a bucket makes it public: an Allow to everyone (anonymous callers included)
        that no condition pins to fixed callers (none: exit code 3).

        Example:
          coffer policy status cos://reports
        """) { BucketSetting.BucketArgument(), Output.JsonOption() }, Setting, async (run, _, bucket, ct) =>
    {
        var isPublic = (await run.Connection.Client.GetBucketPolicyStatusAsync(bucket, ct)).IsPublic;
        if (run.Json)
            Output.WriteJson(new { bucket, isPublic });
        else
            Console.WriteLine($"policy: cos://{bucket} is {(isPublic ? "public" : "not public")}");
    });
}
