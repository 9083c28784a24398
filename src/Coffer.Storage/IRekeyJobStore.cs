namespace Coffer.Storage;

/// <summary>
/// The progress of rekey jobs (<c>coffer admin rekey</c>) and the compare-and-set that re-wraps one object's key.
/// Every method is one transaction.
/// </summary>
public interface IRekeyJobStore
{
    /// <summary>
    /// Replaces an object's encryption metadata (sealed key, KMS key id, context) only if its sealed key is
    /// still <paramref name="expectedSealedKey"/>: a compare-and-set on the object's current state. Every
    /// write of an object seals a fresh key with a fresh salt, so an overwrite (or a delete, or a copy onto
    /// itself) made since the caller read the object makes this return false instead of clobbering it.
    /// The data, ETag, dates and everything else are left as they are.
    /// </summary>
    /// <param name="bucket">The object's bucket.</param>
    /// <param name="key">The object's key.</param>
    /// <param name="expectedSealedKey">The sealed key the caller read and re-wrapped.</param>
    /// <param name="replacement">The new encryption metadata (the same object key, sealed anew).</param>
    /// <param name="progress">Rekey progress to save in the same transaction when the swap happens, or null.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>true when swapped; false when the object changed or is gone.</returns>
    Task<bool> TryReplaceObjectEncryptionAsync(string bucket, string key, byte[] expectedSealedKey, ObjectEncryption replacement,
        RekeyJobRecord? progress = null, CancellationToken ct = default);

    /// <summary>The saved progress of a rekey job, or null.</summary>
    Task<RekeyJobRecord?> GetRekeyJobAsync(string jobId, CancellationToken ct = default);

    /// <summary>Creates or replaces the saved progress of a rekey job.</summary>
    Task SaveRekeyJobAsync(RekeyJobRecord job, CancellationToken ct = default);
}

/// <summary>
/// Progress of one rekey job (<c>coffer admin rekey</c>): which objects of a bucket and prefix have had
/// their object keys re-wrapped from one KMS key to another. Named by its parameters, so running the
/// same command again continues after <see cref="LastKey"/>.
/// </summary>
public sealed record RekeyJobRecord
{
    /// <summary>Identifies the job; derived from its parameters by the caller.</summary>
    public required string JobId { get; init; }

    /// <summary>The bucket whose objects are re-wrapped.</summary>
    public required string Bucket { get; init; }

    /// <summary>Only keys that start with this ("" for all).</summary>
    public required string Prefix { get; init; }

    /// <summary>Only objects under this KMS key id; null for every SSE-KMS object not already under <see cref="ToKeyId"/>.</summary>
    public string? FromKeyId { get; init; }

    /// <summary>The KMS key id the objects are re-wrapped under.</summary>
    public required string ToKeyId { get; init; }

    /// <summary>The last object key handled (re-wrapped or skipped); null before the first.</summary>
    public string? LastKey { get; init; }

    /// <summary>Objects re-wrapped so far.</summary>
    public long Rekeyed { get; init; }

    /// <summary>Objects looked at and left alone (another mode or key, or already under the target).</summary>
    public long Skipped { get; init; }

    /// <summary>Objects that changed while being re-wrapped (overwritten or deleted) and were retried or left as written.</summary>
    public long Conflicts { get; init; }

    /// <summary>Objects whose key could not be opened or re-wrapped (e.g. their KMS key is disabled), left as they were.</summary>
    public long Failed { get; init; }

    /// <summary>When the current run started.</summary>
    public required DateTimeOffset Started { get; init; }

    /// <summary>When progress was last saved.</summary>
    public required DateTimeOffset Updated { get; init; }

    /// <summary>When the job finished; null while it runs or after an interruption.</summary>
    public DateTimeOffset? Completed { get; init; }
}
