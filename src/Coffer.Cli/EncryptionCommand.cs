using System.CommandLine;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary><c>coffer encryption get|set|delete</c>: a bucket's default encryption, applied to objects written without SSE flags.</summary>
internal static class EncryptionCommand
{
    public static Command Create() => new("encryption", """
        A bucket's default encryption: what objects written without --sse or --sse-c-key are encrypted with.

        Examples:
          coffer encryption set cos://photos --sse AES256
          coffer encryption get cos://photos
        """)
    {
        Get(), Set(), Delete(),
    };

    private static Argument<string> BucketArgument() => new("bucket") { Description = "The bucket: cos://BUCKET." };

    private static RemotePath Bucket(Invocation run, string text)
    {
        var path = RemotePath.Parse(text);
        if (path.Key.Length > 0)
            throw new UsageException($"'{text}' names an object; default encryption belongs to a bucket: cos://{path.Bucket}");
        run.Target = path;
        return path;
    }

    private static Command Get()
    {
        var bucket = BucketArgument();
        var json = Output.JsonOption();
        var command = new Command("get", """
            Show a bucket's default encryption (exit code 3 when it has none).

            Example:
              coffer encryption get cos://photos --json
            """) { bucket, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var path = Bucket(run, parse.GetValue(bucket)!);
            var rules = (await run.Connection.Client.GetBucketEncryptionAsync(path.Bucket, ct)).Rules;
            if (run.Json)
            {
                Output.WriteJson(new { bucket = path.Bucket, rules = rules.Select(r => new { sseAlgorithm = r.SSEAlgorithm, kmsMasterKeyId = r.KMSMasterKeyID, kmsAlgorithm = r.KMSAlgorithm }) });
                return ExitCodes.Ok;
            }
            foreach (var rule in rules)
                Output.Fields([("Bucket", path.Bucket), ("SSE algorithm", rule.SSEAlgorithm), ("KMS key", rule.KMSMasterKeyID), ("KMS algorithm", rule.KMSAlgorithm)]);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Set()
    {
        var bucket = BucketArgument();
        var sse = new Option<string>("--sse")
        {
            Description = "AES256 or SM4 (SSE-COS with that cipher; SM4 is COS's, for COS-signed connections) or cos/kms (SSE-KMS; aws:kms is accepted).",
            Required = true,
            HelpName = "AES256|SM4|cos/kms",
        }.AcceptOnlyFromAmong("AES256", "SM4", "cos/kms", "aws:kms");
        var keyId = new Option<string?>("--sse-kms-key-id") { Description = "SSE-KMS: the KMS key (id, ARN or alias/NAME); the default KMS key otherwise.", HelpName = "KEY" };
        var kmsAlgorithm = new Option<string?>("--sse-kms-algorithm")
        {
            Description = "SSE-KMS: the cipher of the data, AES256 (the default) or SM4 (COS's KMSAlgorithm; COS-signed connections).",
            HelpName = "AES256|SM4",
        }.AcceptOnlyFromAmong("AES256", "SM4");
        var json = Output.JsonOption();
        var command = new Command("set", """
            Set a bucket's default encryption. Objects already stored keep theirs.

            Examples:
              coffer encryption set cos://photos --sse AES256
              coffer encryption set cos://ledgers --sse SM4
              coffer encryption set cos://backups --sse cos/kms --sse-kms-key-id alias/backups
              coffer encryption set cos://records --sse cos/kms --sse-kms-algorithm SM4
            """) { bucket, sse, keyId, kmsAlgorithm, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var path = Bucket(run, parse.GetValue(bucket)!);
            var algorithm = parse.GetValue(sse)!;
            var key = parse.GetValue(keyId);
            var dataAlgorithm = parse.GetValue(kmsAlgorithm);
            if (algorithm is "AES256" or "SM4" && (key is not null || dataAlgorithm is not null))
                throw new UsageException($"--sse-kms-key-id and --sse-kms-algorithm go with --sse cos/kms, not {algorithm}.");
            run.KmsKey = key;
            await run.Connection.Client.PutBucketEncryptionAsync(path.Bucket, new BucketEncryptionRule(algorithm, key, dataAlgorithm), ct);
            if (run.Json)
                Output.WriteJson(new { bucket = path.Bucket, sseAlgorithm = algorithm, kmsMasterKeyId = key, kmsAlgorithm = dataAlgorithm });
            else
                Console.WriteLine($"encryption: cos://{path.Bucket} now encrypts new objects with {algorithm}{(dataAlgorithm is null ? "" : $" ({dataAlgorithm} data)")}{(key is null ? "" : $" under KMS key {key}")}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Delete()
    {
        var bucket = BucketArgument();
        var json = Output.JsonOption();
        var command = new Command("delete", """
            Remove a bucket's default encryption: objects written without SSE flags are then stored unencrypted.

            Example:
              coffer encryption delete cos://photos
            """) { bucket, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var path = Bucket(run, parse.GetValue(bucket)!);
            await run.Connection.Client.DeleteBucketEncryptionAsync(path.Bucket, ct);
            if (run.Json)
                Output.WriteJson(new { bucket = path.Bucket, deleted = true });
            else
                Console.WriteLine($"encryption: cos://{path.Bucket} has no default encryption now");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
