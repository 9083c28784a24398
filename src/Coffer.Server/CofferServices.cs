using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Server.Hosting;
using Coffer.Server.Pipeline;
using Coffer.Storage;
using Microsoft.Extensions.Logging;

namespace Coffer.Server;

/// <summary>The long-lived services a handler calls: metadata, blobs, KMS, keys, settings.</summary>
public sealed class CofferServices : IAsyncDisposable
{
    public required CofferServerOptions Options { get; init; }
    public required DataFolder Folder { get; init; }
    /// <summary>The metadata backend (embedded: SQLite in the data folder); see <see cref="Hosting.Backends"/>.</summary>
    public required IMetadataBackend Store { get; init; }
    public required IBlobStore Blobs { get; init; }
    public required BlobReclaimer Reclaimer { get; init; }
    public required RootKey RootKey { get; init; }
    public required KeyManager Kms { get; init; }
    public required KmsEnvelope Envelope { get; init; }
    public required CredentialStore Credentials { get; init; }
    public required ILogger Log { get; init; }
    /// <summary>The access log (<see cref="Telemetry.AccessLog"/>): one line per request.</summary>
    public ILogger AccessLog { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    /// <summary>This server's instruments (docs/observability.md).</summary>
    public required Telemetry.CofferMetrics Metrics { get; init; }
    /// <summary>The KMS key store the KMS uses (the metadata backend, unless a test wraps it).</summary>
    public required IKmsKeyStore KmsKeys { get; init; }
    /// <summary>The probes behind /_coffer/ready.</summary>
    public required Telemetry.Readiness Readiness { get; init; }
    /// <summary>Answers a scrape with this server's metrics in Prometheus text; null when --metrics is off.</summary>
    public Microsoft.AspNetCore.Http.RequestDelegate? MetricsEndpoint { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>The request bodies being received now, against <see cref="CofferServerOptions.MaxConcurrentUploads"/>.</summary>
    public required UploadLimiter Uploads { get; init; }
    /// <summary>The KMS audit log (docs/kms.md); drops entries unless the host sets one.</summary>
    public Audit.KmsAuditLog Audit { get; init; } = Coffer.Server.Audit.KmsAuditLog.Disabled;
    /// <summary>Parsed bucket policies (docs/caches-and-jobs.md).</summary>
    public Access.PolicyCache Policies { get; } = new();
    /// <summary>The rekey jobs this node runs for the admin API.</summary>
    public Admin.RekeyJobs RekeyJobs { get; } = new();

    /// <summary>
    /// Queues blobs that nothing refers to any more for deletion after the reclaim grace. Called after the
    /// metadata commit that let go of them, so it never fails the request: if the queue cannot be written,
    /// the blobs are orphans that the next start's sweep removes.
    /// </summary>
    public async Task ReclaimAsync(IEnumerable<string> blobIds)
    {
        try
        {
            await Reclaimer.EnqueueAsync(blobIds, CancellationToken.None);
        }
        catch (Exception e)
        {
            Log.LogWarning("Blobs could not be queued for reclaim ({Error}); the next start's sweep will remove them.", e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await RekeyJobs.DisposeAsync();
        await Reclaimer.DisposeAsync();
        await Store.DisposeAsync();
        (Blobs as IDisposable)?.Dispose();
        RootKey.Dispose();
    }
}
