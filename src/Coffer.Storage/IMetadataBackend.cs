using Coffer.Crypto.Kms;

namespace Coffer.Storage;

/// <summary>
/// Everything a Coffer node keeps in its metadata database, as one backend: buckets, objects and users,
/// multipart uploads, the KMS key store, rekey jobs, the scrub of destroyed key material and the blob
/// ledger, and the leases on background jobs. The server's composition root (<c>Coffer.Server.Hosting.Backends</c>) opens one; everything
/// else takes the narrowest of the interfaces it needs.
/// </summary>
/// <remarks>Implemented by <see cref="SqliteMetadataStore"/> (the embedded default) and <see cref="Postgres.PostgresMetadataStore"/> (several nodes on one database).</remarks>
public interface IMetadataBackend : IMetadataStore, IMultipartStore, IKmsKeyStore, IRekeyJobStore, IKeyMaterialScrubber, IBlobLedger, IJobLeases, IAsyncDisposable
{
    /// <summary>Told of every call the backend runs (its timing and outcome); null (the default) when nobody watches.</summary>
    IMetadataCallObserver? CallObserver { get; set; }
}
