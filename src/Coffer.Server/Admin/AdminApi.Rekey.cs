using System.Text.Json.Nodes;
using Coffer.Server.Sse;
using Coffer.Storage;

namespace Coffer.Server.Admin;

/// <summary>Rekey jobs: start one on this node, read its progress (from any node), stop it.</summary>
public static partial class AdminApi
{
    private static Rekeyer RekeyerOf(CofferServices s) =>
        new(s.Store, s.Kms, s.Envelope, s.Audit, s.Time) { Principal = "admin API (root)" };

    private static async Task<(int, JsonObject?)> StartRekeyAsync(CofferServices s, JsonObject input, CancellationToken ct)
    {
        var limit = OptionalInteger(input, "limit");
        if (limit is <= 0)
            throw new AdminApiException(400, "InvalidRequest", $"limit must be at least 1; got {limit}.");
        var request = new RekeyRequest(RequiredString(input, "bucket"), RequiredString(input, "toKey"), OptionalString(input, "prefix") ?? "",
            OptionalString(input, "fromKey"), limit, OptionalBool(input, "restart"));
        var rekeyer = RekeyerOf(s);
        (string JobId, string? FromKeyId, string ToKeyId) job;
        try
        {
            job = await rekeyer.ValidateAsync(request, ct);
        }
        catch (RekeyException e)
        {
            throw new AdminApiException(e.Message.StartsWith("The bucket", StringComparison.Ordinal) ? 404 : 400,
                e.Message.StartsWith("The bucket", StringComparison.Ordinal) ? "NoSuchBucket" : "InvalidRequest",
                e.Message.Replace("--to-key", "toKey", StringComparison.Ordinal).Replace("--from-key", "fromKey", StringComparison.Ordinal));
        }
        var info = new RekeyJobs.JobInfo(job.JobId, request.Bucket, request.Prefix, job.FromKeyId, job.ToKeyId, s.Time.GetUtcNow());
        if (!s.RekeyJobs.TryStart(info, rekeyer, request, s.Log))
            throw new AdminApiException(409, "RekeyJobRunning", $"The rekey job {job.JobId} already runs on this node; follow it with GET {Prefix}rekey-jobs/{job.JobId}.");
        return (202, await RekeyJsonAsync(s, job.JobId, ct) ?? throw new InvalidOperationException("a started job has a status"));
    }

    private static async Task<(int, JsonObject?)> RekeyStatusAsync(CofferServices s, string jobId, CancellationToken ct) =>
        (200, await RekeyJsonAsync(s, jobId, ct) ?? throw NoSuchJob(jobId));

    private static async Task<(int, JsonObject?)> StopRekeyAsync(CofferServices s, string jobId, CancellationToken ct)
    {
        await s.RekeyJobs.StopAsync(jobId);
        return (200, await RekeyJsonAsync(s, jobId, ct) ?? throw NoSuchJob(jobId));
    }

    private static AdminApiException NoSuchJob(string jobId) =>
        new(404, "NoSuchRekeyJob", $"There is no rekey job '{Printable(jobId)}'; start one with POST {Prefix}rekey-jobs.");

    /// <summary>The job's saved progress and whether it runs on this node; null when there is no such job.</summary>
    private static async Task<JsonObject?> RekeyJsonAsync(CofferServices s, string jobId, CancellationToken ct)
    {
        var running = s.RekeyJobs.RunningJob(jobId);
        var saved = jobId.Length == 32 && jobId.All(char.IsAsciiHexDigitLower) ? await s.Store.GetRekeyJobAsync(jobId, ct) : null;
        if (saved is null && running is null)
            return null;
        var job = saved ?? new RekeyJobRecord
        {
            JobId = jobId,
            Bucket = running!.Bucket,
            Prefix = running.Prefix,
            FromKeyId = running.FromKeyId,
            ToKeyId = running.ToKeyId,
            Started = running.Started,
            Updated = running.Started,
        };
        var body = new JsonObject
        {
            ["jobId"] = job.JobId,
            ["bucket"] = job.Bucket,
            ["prefix"] = job.Prefix,
            ["fromKeyId"] = job.FromKeyId,
            ["toKeyId"] = job.ToKeyId,
            ["running"] = running is not null,
            ["finished"] = running is null && job.Completed is not null,
            ["lastKey"] = job.LastKey,
            ["rekeyed"] = job.Rekeyed,
            ["skipped"] = job.Skipped,
            ["conflicts"] = job.Conflicts,
            ["failed"] = job.Failed,
            ["started"] = job.Started,
            ["updated"] = job.Updated,
            ["completed"] = job.Completed,
        };
        if (running is null && s.RekeyJobs.LastError(jobId) is { } error)
            body["error"] = error;
        return body;
    }
}
