namespace Coffer.Storage;

/// <summary>What <see cref="OrphanSweeper.SweepAsync"/> did.</summary>
/// <param name="TemporaryFilesDeleted">Half-written blobs (temporary files) removed.</param>
/// <param name="OrphanBlobsDeleted">Committed blobs no metadata referred to, removed.</param>
/// <param name="BlobsKept">Committed blobs that are referenced, pending or queued for reclaim, and stay.</param>
public sealed record OrphanSweepResult(int TemporaryFilesDeleted, int OrphanBlobsDeleted, int BlobsKept);

/// <summary>
/// The garbage collection of blobs that nothing accounts for. A crash can leave a temporary file (a PUT
/// that never committed its blob) or a committed blob that no object, part or ledger row names (a
/// crash that lost the ledger row, or parts of uploads dropped with their bucket). <see cref="SweepAsync"/>,
/// safe beside writers on this and other nodes, removes the second; <see cref="PrepareAloneAsync"/>, run by the only
/// node of a data folder before it serves, removes the first and hands the blobs of writes that died with the
/// previous process to the reclaimer.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="SweepAsync"/> is safe beside writers: a blob being committed has a pending row in the
/// <see cref="IBlobLedger"/> from before it became visible until the transaction that names it, and a
/// blob waiting for its grace period has a reclaim row; the sweep keeps both. Pending rows whose writer
/// is presumed gone (<see cref="BlobLedger.PendingLifetime"/>) are first handed to the reclaim queue,
/// whose reclaimer deletes those blobs unless an object named them after all.
/// </para>
/// <para>
/// It reads the blob store page by page (<see cref="DefaultPageSize"/> ids) and asks the ledger about each page
/// only, so its memory stays the same with a thousand blobs or a hundred million, and a server runs it in the
/// background after it has started serving (a leased job) instead of before.
/// </para>
/// </remarks>
public static class OrphanSweeper
{
    /// <summary>How many blob ids <see cref="SweepAsync"/> holds and checks at a time.</summary>
    public const int DefaultPageSize = 1000;

    /// <summary>
    /// Deletes every committed blob that is not referenced, pending or queued. Temporary files (blobs
    /// being written) are left alone: on a blob store shared by several nodes they may be another node's
    /// writes in flight, and cleaning them up is the blob store's own business.
    /// </summary>
    /// <param name="ledger">The metadata store's blob ledger (references, pending and queued blobs).</param>
    /// <param name="blobs">The blob store to sweep.</param>
    /// <param name="timeProvider">The clock pending rows expire on (default the system's).</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="pageSize">How many listed blob ids are checked against the ledger at a time.</param>
    public static async Task<OrphanSweepResult> SweepAsync(IBlobLedger ledger, IBlobStore blobs, TimeProvider? timeProvider = null, CancellationToken ct = default,
        int pageSize = DefaultPageSize)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var time = timeProvider ?? TimeProvider.System;

        await ledger.ExpirePendingAsync(time.GetUtcNow(), ct).ConfigureAwait(false);
        // Each page is listed first, then checked in one snapshot: a blob that was listed had its pending row
        // before it became visible, so at the check it is pending, referenced, queued, or dead for good.
        int deleted = 0, kept = 0;
        var page = new List<string>(Math.Min(pageSize, DefaultPageSize));
        await foreach (var blob in blobs.ListAsync(ct).ConfigureAwait(false))
        {
            page.Add(blob.BlobId);
            if (page.Count >= pageSize)
            {
                await SweepPageAsync().ConfigureAwait(false);
            }
        }
        await SweepPageAsync().ConfigureAwait(false);
        return new OrphanSweepResult(0, deleted, kept);

        async Task SweepPageAsync()
        {
            if (page.Count == 0)
                return;
            var live = await ledger.LiveBlobIdsAsync(page, time.GetUtcNow(), ct).ConfigureAwait(false);
            foreach (var blobId in page)
            {
                ct.ThrowIfCancellationRequested();
                if (live.Contains(blobId))
                {
                    kept++;
                }
                else
                {
                    await blobs.DeleteAsync(blobId, ct).ConfigureAwait(false);
                    deleted++;
                }
            }
            page.Clear();
        }
    }

    /// <summary>
    /// What a node that is the only user of its metadata and blobs (the embedded server on its data folder) does at
    /// startup, before it serves, when nothing else can be writing: deletes every temporary file, and hands every
    /// pending blob (its writer died with the previous process) to the reclaim queue, due now. Both are cheap (they
    /// read the temporary files and the pending rows, not the whole store); the blobs no row names at all are left to
    /// <see cref="SweepAsync"/>, which the server runs in the background once it serves.
    /// </summary>
    /// <returns>How many temporary files were deleted.</returns>
    public static async Task<int> PrepareAloneAsync(IBlobLedger ledger, IBlobStore blobs, TimeProvider? timeProvider = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(blobs);
        var time = timeProvider ?? TimeProvider.System;

        // Only the filesystem store has temporary files; a remote store's unfinished uploads are aborted by their writers.
        var temporary = blobs is FileSystemBlobStore files ? files.SweepTemporaryFiles() : 0;
        await ledger.AbandonPendingAsync(time.GetUtcNow(), ct).ConfigureAwait(false);
        return temporary;
    }
}
