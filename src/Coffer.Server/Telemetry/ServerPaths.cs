using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Telemetry;

/// <summary>
/// The server's own paths that are not the admin API (docs/observability.md): <c>/_coffer/health</c> (the process
/// answers), <c>/_coffer/ready</c> (it can serve: the metadata store, the blob backend and the KMS key store answer) and
/// <c>/_coffer/metrics</c> (Prometheus text). They are server paths on path-style requests only: on a virtual-hosted
/// bucket's host, <c>/_coffer/…</c> is an object key like any other.
/// </summary>
public static class ServerPaths
{
    public const string Health = "/_coffer/health";
    public const string Ready = "/_coffer/ready";
    public const string Metrics = "/_coffer/metrics";

    /// <summary>How long each readiness probe may take before its backend counts as failed.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    private static readonly byte[] HealthBody = """{"status":"ok"}"""u8.ToArray();

    /// <summary>200 <c>{"status":"ok"}</c>: the process is up and answering. Touches no backend.</summary>
    public static Task WriteHealthAsync(HttpContext http) => WriteJsonAsync(http, StatusCodes.Status200OK, HealthBody);

    /// <summary>200 when every backend answered its probe, else 503 naming those that did not (never why: that goes to the log).</summary>
    public static async Task WriteReadyAsync(HttpContext http, Readiness readiness)
    {
        var report = await readiness.CheckAsync();
        var checks = new JsonObject();
        var failed = new JsonArray();
        foreach (var (name, ok) in report.Checks)
        {
            checks[name] = ok ? "ok" : "failed";
            if (!ok)
                failed.Add(name);
        }
        var body = new JsonObject { ["status"] = report.Ready ? "ready" : "unavailable", ["checks"] = checks };
        if (!report.Ready)
            body["failed"] = failed;
        await WriteJsonAsync(http, report.Ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, JsonSerializer.SerializeToUtf8Bytes(body));
    }

    private static Task WriteJsonAsync(HttpContext http, int status, byte[] body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(http.Request.Method) ? Task.CompletedTask : http.Response.Body.WriteAsync(body).AsTask();
    }
}

/// <summary>Which backends answered a readiness probe.</summary>
public sealed record ReadyReport(IReadOnlyList<(string Name, bool Ok)> Checks)
{
    public bool Ready => Checks.All(c => c.Ok);
}

/// <summary>
/// Probes the three backends a request may need: the metadata store (a bucket read), the blob backend (an existence
/// check of a blob id nothing has) and the KMS key store (a key read), at once, each within
/// <see cref="ServerPaths.ProbeTimeout"/>. Concurrent callers share the probe in flight, so polling /_coffer/ready
/// hard costs the backends at most one probe at a time.
/// </summary>
public sealed class Readiness(IMetadataStore store, IBlobStore blobs, IKmsKeyStore kmsKeys, ILogger log)
{
    // Names no bucket, blob or key can have ("_" is not allowed in bucket names; blob ids are random hex, and this one is all zeros).
    private const string ProbeBucket = "_coffer";
    private const string ProbeBlobId = "00000000000000000000000000000000";
    private const string ProbeKeyId = "00000000-0000-0000-0000-000000000000";

    private readonly Lock _lock = new();
    private Task<ReadyReport>? _running;

    public Task<ReadyReport> CheckAsync()
    {
        lock (_lock)
        {
            if (_running is null || _running.IsCompleted)
                _running = RunAsync();
            return _running;
        }
    }

    private async Task<ReadyReport> RunAsync()
    {
        await Task.Yield(); // never run the probes under the lock
        var metadata = ProbeAsync("metadata", async ct => await store.GetBucketAsync(ProbeBucket, ct));
        var blob = ProbeAsync("blobs", async ct => await blobs.ExistsAsync(ProbeBlobId, ct));
        var kms = ProbeAsync("kms", async ct => await kmsKeys.GetKeyAsync(ProbeKeyId, ct));
        return new ReadyReport([("metadata", await metadata), ("blobs", await blob), ("kms", await kms)]);
    }

    private async Task<bool> ProbeAsync(string name, Func<CancellationToken, Task> probe)
    {
        using var timeout = new CancellationTokenSource(ServerPaths.ProbeTimeout);
        try
        {
            await probe(timeout.Token).WaitAsync(ServerPaths.ProbeTimeout);
            return true;
        }
        catch (Exception e)
        {
            log.LogWarning("Readiness: the {Backend} backend did not answer its probe ({Error}).", name, e is TimeoutException or OperationCanceledException ? $"no answer within {ServerPaths.ProbeTimeout.TotalSeconds:0} s" : e.Message);
            return false;
        }
    }
}
