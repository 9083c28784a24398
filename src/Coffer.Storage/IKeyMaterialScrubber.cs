namespace Coffer.Storage;

/// <summary>
/// Makes destroyed KMS key material unreachable. A key store that destroys key versions (KMS deletion is
/// crypto-shredding) deletes their rows at once, but the engine underneath may keep copies that Coffer can
/// still reach for a while: old page images in SQLite's write-ahead log, dead tuples in PostgreSQL until a
/// vacuum. A scrub removes those copies; when it cannot finish (a reader holds an old snapshot, say), the
/// store says so through <see cref="MayHoldDestroyedKeyMaterialAsync"/> and the server's KMS job tries again.
/// </summary>
/// <remarks>
/// What each backend keeps and what its scrub does is documented with the backend
/// (SQLite: <see cref="SqliteMetadataStore.TruncateWalAsync"/>, docs/keys.md §4.5; PostgreSQL:
/// <see cref="Postgres.PostgresMetadataStore.ScrubDestroyedKeyMaterialAsync"/>, docs/kms.md §4.1).
/// </remarks>
public interface IKeyMaterialScrubber
{
    /// <summary>
    /// True when key material was destroyed and the store may still hold a copy of it that a scrub would
    /// remove (the scrub that follows every destruction did not finish). False when there is nothing to do.
    /// </summary>
    /// <remarks>
    /// This survives the node that destroyed the material: PostgreSQL reads it from the database (a tombstone
    /// row per destroyed version until a scrub covers it), so whichever node runs the KMS job next, at any
    /// start, finds a scrub that a stopped or killed node left undone. SQLite, whose WAL belongs to the one
    /// database file, also counts a non-empty WAL left by an earlier process (found at open).
    /// </remarks>
    Task<bool> MayHoldDestroyedKeyMaterialAsync(CancellationToken ct = default);

    /// <summary>
    /// Removes every copy of destroyed key material that the store keeps, waiting up to <paramref name="wait"/>
    /// for whatever holds one (null: the store's own default).
    /// </summary>
    /// <returns>true when no copy is left; false when something still held one (try again later).</returns>
    Task<bool> ScrubDestroyedKeyMaterialAsync(TimeSpan? wait = null, CancellationToken ct = default);
}
