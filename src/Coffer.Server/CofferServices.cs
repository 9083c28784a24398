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
    public required SqliteMetadataStore Store { get; init; }
    public required IBlobStore Blobs { get; init; }
    public required BlobReclaimer Reclaimer { get; init; }
    public required RootKey RootKey { get; init; }
    public required KeyManager Kms { get; init; }
    public required KmsEnvelope Envelope { get; init; }
    public required CredentialStore Credentials { get; init; }
    public required ILogger Log { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>The request bodies being received now, against <see cref="CofferServerOptions.MaxConcurrentUploads"/>.</summary>
    public required UploadLimiter Uploads { get; init; }
    /// <summary>The KMS audit log (docs/kms.md); drops entries unless the host sets one.</summary>
    public Audit.KmsAuditLog Audit { get; init; } = Coffer.Server.Audit.KmsAuditLog.Disabled;
    /// <summary>The rekey jobs this node runs for the admin API.</summary>
    public Admin.RekeyJobs RekeyJobs { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await RekeyJobs.DisposeAsync();
        await Reclaimer.DisposeAsync();
        await Store.DisposeAsync();
        RootKey.Dispose();
    }
}
