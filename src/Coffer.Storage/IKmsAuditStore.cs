namespace Coffer.Storage;

/// <summary>
/// One KMS audit entry as the metadata database keeps it: the fields a read filters and orders on, and the whole
/// entry as JSON (the server's <c>KmsAuditEntry</c>, which holds key ids and names, never key material or values).
/// </summary>
/// <param name="Id">The row's id, assigned on append; orders entries of one time. 0 before the entry is stored.</param>
/// <param name="Time">When the key use happened (UTC).</param>
/// <param name="KeyId">The key used, if any.</param>
/// <param name="SourceKeyId">ReEncrypt and Rekey: the key the input was under.</param>
/// <param name="Json">The entry, serialized.</param>
public sealed record KmsAuditRecord(long Id, DateTimeOffset Time, string? KeyId, string? SourceKeyId, string Json);

/// <summary>
/// The KMS audit log kept in the metadata database, so every node sharing it writes to, and reads, one log.
/// Optional: <see cref="Postgres.PostgresMetadataStore"/> implements it; the embedded SQLite node keeps its log in
/// files in its data folder instead.
/// </summary>
public interface IKmsAuditStore
{
    /// <summary>Appends <paramref name="entries"/> in one transaction (ids are assigned in order).</summary>
    Task AppendKmsAuditAsync(IReadOnlyList<KmsAuditRecord> entries, CancellationToken ct = default);

    /// <summary>
    /// Entries at or after <paramref name="since"/> (all when null) whose key or source key is
    /// <paramref name="keyId"/> (all when null), oldest first (by time, then id), at most <paramref name="limit"/>.
    /// </summary>
    Task<IReadOnlyList<KmsAuditRecord>> ReadKmsAuditAsync(DateTimeOffset? since, int limit, string? keyId = null, CancellationToken ct = default);
}
