namespace Coffer.Storage;

/// <summary>
/// Durable bookkeeping of the blobs that no object refers to yet or any more, kept in the metadata store
/// so that it holds across processes and nodes: blobs <b>pending</b> (committed to the blob store, not yet
/// named by an object or part) and blobs <b>queued for reclaim</b> (replaced or deleted, to be removed
/// once a grace period has passed). With it, <see cref="OrphanSweeper"/> and <see cref="BlobReclaimer"/>
/// are safe while another node commits at the same moment.
/// </summary>
/// <remarks>
/// <para>The life of a blob id (ids are random and never reused):</para>
/// <list type="number">
/// <item><see cref="RecordPendingAsync"/> before the blob becomes visible in the blob store (before
/// <see cref="IBlobWriter.CommitAsync"/>; <see cref="BlobLedger.CommitBlobAsync"/> does both).</item>
/// <item>The transaction that first refers to the blob (<see cref="IMetadataStore.PutObjectAsync"/>,
/// <see cref="IMultipartStore.PutPartAsync"/>) removes its pending row in the same transaction, so at every
/// instant a committed blob is pending or referenced (or both).</item>
/// <item>A blob given up (its metadata commit failed) or no longer referenced goes to the reclaim queue
/// with <see cref="EnqueueReclaimAsync"/>, which also drops any pending row of it.</item>
/// <item><see cref="DueReclaimsAsync"/> hands the reclaimer what is due; it deletes the blobs nothing
/// refers to and then removes each row with <see cref="RemoveReclaimAsync"/>.</item>
/// </list>
/// <para>
/// A blob that is neither referenced, pending nor queued can never be referenced again: new objects name
/// fresh blobs (pending) or share blobs that are still referenced (<see cref="IMetadataStore.PutObjectSharingBlobsAsync"/>
/// refuses others). That is what makes the sweep's and the reclaimer's check-then-delete safe without a lock.
/// </para>
/// <para>
/// Times are wall-clock UTC instants compared across nodes, so node clocks must agree to well within the
/// reclaim grace (30 s by default) and the pending lifetime. The contract is plain tables and
/// single-statement updates; SQLite and PostgreSQL implement it alike (tests: <c>BlobLedgerContract</c>).
/// A crash may lose a pending or queued row written just before it (a backend may write these rows without
/// forcing them to disk, as long as a later durable commit carries them): the blob is then an orphan that
/// the next sweep removes, which is safe because the write it belonged to was never acknowledged.
/// </para>
/// </remarks>
public interface IBlobLedger
{
    /// <summary>
    /// Records that <paramref name="blobId"/> is being committed and will be referenced by
    /// <paramref name="expires"/>: until then the orphan sweep keeps it. Recording it again moves the expiry.
    /// </summary>
    Task RecordPendingAsync(string blobId, DateTimeOffset expires, CancellationToken ct = default);

    /// <summary>
    /// Queues the blobs for deletion once <paramref name="notBefore"/> has passed, and drops their pending rows.
    /// A blob already queued keeps the later of its two times.
    /// </summary>
    Task EnqueueReclaimAsync(IEnumerable<string> blobIds, DateTimeOffset notBefore, CancellationToken ct = default);

    /// <summary>
    /// Up to <paramref name="limit"/> queued blobs whose time is at or before <paramref name="now"/>, oldest
    /// first, each with whether an object or part still refers to it (read in the same snapshot).
    /// Read-only: the rows stay until <see cref="RemoveReclaimAsync"/>.
    /// </summary>
    Task<IReadOnlyList<BlobReclaim>> DueReclaimsAsync(DateTimeOffset now, int limit, CancellationToken ct = default);

    /// <summary>
    /// Removes a queue row once the reclaimer is done with it, only if it is still as
    /// <see cref="DueReclaimsAsync"/> returned it (the same time): a blob queued again meanwhile stays queued.
    /// </summary>
    /// <returns>true when the row was removed.</returns>
    Task<bool> RemoveReclaimAsync(BlobReclaim reclaim, CancellationToken ct = default);

    /// <summary>
    /// Moves the pending rows that expired at or before <paramref name="now"/> to the reclaim queue (due at
    /// <paramref name="now"/>): their writers died or gave up. The reclaimer deletes those blobs unless an
    /// object refers to them after all.
    /// </summary>
    /// <returns>How many rows were moved.</returns>
    Task<int> ExpirePendingAsync(DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// Moves every pending row to the reclaim queue, due at <paramref name="now"/>, whatever its expiry: for a node
    /// that is the only user of its metadata and blobs, at startup, before it serves, when no writer can be alive (its
    /// writers died with the previous process). The reclaimer then deletes those blobs unless an object names them.
    /// </summary>
    /// <returns>How many rows were moved.</returns>
    Task<int> AbandonPendingAsync(DateTimeOffset now, CancellationToken ct = default);

    /// <summary>
    /// Of <paramref name="blobIds"/> (a page of the blob store's listing), in one snapshot, those the orphan sweep
    /// must keep at <paramref name="now"/>: referenced by an object or part, pending and not expired, or queued for
    /// reclaim (the reclaimer deletes those itself). The sweep asks page by page, so its memory does not grow with
    /// the store.
    /// </summary>
    Task<IReadOnlySet<string>> LiveBlobIdsAsync(IReadOnlyCollection<string> blobIds, DateTimeOffset now, CancellationToken ct = default);
}

/// <summary>A row of the reclaim queue.</summary>
/// <param name="BlobId">The blob to delete.</param>
/// <param name="NotBefore">When it may be deleted.</param>
/// <param name="Referenced">Whether an object or part referred to it when the row was read (then it is kept and the row dropped).</param>
public readonly record struct BlobReclaim(string BlobId, DateTimeOffset NotBefore, bool Referenced);

/// <summary>How blob writers use an <see cref="IBlobLedger"/>.</summary>
public static class BlobLedger
{
    /// <summary>
    /// How long a pending row protects a committed blob that no object refers to yet: the longest time
    /// between committing a blob and committing the metadata that names it (normally milliseconds).
    /// </summary>
    public static readonly TimeSpan PendingLifetime = TimeSpan.FromHours(1);

    /// <summary>Records the blob as pending (for <see cref="PendingLifetime"/>), then commits it to the blob store.</summary>
    public static async Task CommitBlobAsync(this IBlobLedger ledger, IBlobWriter blob, TimeProvider time, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(time);
        await ledger.RecordPendingAsync(blob.BlobId, time.GetUtcNow() + PendingLifetime, ct).ConfigureAwait(false);
        await blob.CommitAsync(ct).ConfigureAwait(false);
    }
}
