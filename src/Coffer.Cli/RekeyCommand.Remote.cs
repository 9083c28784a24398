using System.CommandLine;
using System.Text.Json;
using Coffer.Sdk;
using Coffer.Server.Sse;

namespace Coffer.Cli;

/// <summary>`coffer admin rekey` over the admin API: starts the job on the server, follows it, and stops it on Ctrl+C.</summary>
internal static partial class RekeyCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private static Task<int> RunRemoteAsync(ParseResult parse, RekeyRequest request, Option<bool> json, Option<string?> endpoint, CancellationToken ct) =>
        Output.RunAsync(parse, json, async (run, _) =>
        {
            run.EndpointOverride = parse.GetValue(endpoint);
            var admin = run.Connection.Admin;
            var status = await admin.StartRekeyJobAsync(new RekeyJobRequest(request.Bucket, request.ToKey, request.Prefix, request.FromKey, request.Limit, request.Restart), ct);
            var resumed = !request.Restart && status.LastKey is not null;
            var progressOut = run.Json ? Console.Error : Console.Out;
            try
            {
                var lastPrint = Environment.TickCount64;
                while (status.Running)
                {
                    await Task.Delay(PollInterval, ct);
                    status = await admin.GetRekeyJobAsync(status.JobId, ct);
                    if (status.Running && Environment.TickCount64 - lastPrint >= 1000)
                    {
                        lastPrint = Environment.TickCount64;
                        progressOut.WriteLine($"progress: {Summary(status)}; last key '{status.LastKey}'");
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await admin.StopRekeyJobAsync(status.JobId, CancellationToken.None);
                Console.Error.WriteLine("coffer admin rekey: interrupted; the job was stopped on the server with its progress saved: run the same command again to continue.");
                return Interrupted;
            }
            if (status.Error is { } error)
            {
                Console.Error.WriteLine($"coffer admin rekey: {error}");
                return 1;
            }
            if (run.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    bucket = status.Bucket,
                    prefix = status.Prefix,
                    fromKeyId = status.FromKeyId,
                    toKeyId = status.ToKeyId,
                    finished = status.Finished,
                    resumed,
                    lastKey = status.LastKey,
                    rekeyed = status.Rekeyed,
                    skipped = status.Skipped,
                    conflicts = status.Conflicts,
                    failed = status.Failed,
                    jobId = status.JobId,
                }));
            }
            else
            {
                Console.WriteLine(status.Finished
                    ? $"Done: {Summary(status)}; every object of s3://{status.Bucket}/{status.Prefix} that matched is now under KMS key {status.ToKeyId}."
                    : $"Stopped after --limit {request.Limit}: {Summary(status)}. Run the same command again to continue after '{status.LastKey}'.");
                if (status.Failed > 0)
                    Console.WriteLine($"{status.Failed} object(s) could not be opened (their KMS key disabled, pending deletion or deleted?); see `coffer kms audit --key {status.ToKeyId}`.");
            }
            return status.Failed > 0 ? SomeFailed : 0;
        }, ct);

    private static string Summary(RekeyJobStatus job) =>
        $"{job.Rekeyed} re-wrapped, {job.Skipped} skipped, {job.Conflicts} changed meanwhile, {job.Failed} failed";
}
