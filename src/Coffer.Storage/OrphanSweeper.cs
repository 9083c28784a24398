namespace Coffer.Storage;

/// <summary>What <see cref="OrphanSweeper.SweepAsync"/> did.</summary>
/// <param name="TemporaryFilesDeleted">Half-written blobs (temporary files) removed.</param>
/// <param name="OrphanBlobsDeleted">Committed blobs no metadata referred to, removed.</param>
/// <param name="BlobsKept">Committed blobs that are referenced, pending or queued for reclaim, and stay.</param>
public sealed record OrphanSweepResult(int TemporaryFilesDeleted, int OrphanBlobsDeleted, int BlobsKept);

/// <summary>
/// The garbage collection of blobs that nothing accounts for. A crash can leave a temporary file (a PUT
/// that never committed its blob) or a committed blob that no object, part or ledger row names (a
/// crash that lost the ledger row, or parts of uploads dropped with their bucket). <see cref="SweepAloneAsync"/>
/// removes both; <see cref="SweepAsync"/>, safe beside other nodes, removes the second.
/// </summary>
/// <remarks>
/// <see cref="SweepAsync"/> is safe beside writers on other nodes: a blob being committed has a pending row in the
/// <see cref="IBlobLedger"/> from before it became visible until the transaction that names it, and a
/// blob waiting for its grace period has a reclaim row; the sweep keeps both. Pending rows whose writer
/// is presumed gone (<see cref="BlobLedger.PendingLifetime"/>) are first handed to the reclaim queue,
/// whose reclaimer deletes those blobs unless an object named them after all.
/// </remarks>
public static class OrphanSweeper
{
    /// <summary>
    /// Deletes every committed blob that is not referenced, pending or queued. Temporary files (blobs
    /// being written) are left alone: on a blob store shared by several nodes they may be another node's
    /// writes in flight, and cleaning them up is the blob store's own business.
    /// </summary>
    /// <param name="ledger">The metadata store's blob ledger (references, pending and queued blobs).</param>
    /// <param name="blobs">The blob store to sweep.</param>
    /// <param name="timeProvider">The clock pending rows expire on (default the system's).</param>
    /// <param name="ct">Cancellation.</param>
    public static async Task<OrphanSweepResult> SweepAsync(IBlobLedger ledger, IBlobStore blobs, TimeProvider? timeProvider = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(blobs);
        var time = timeProvider ?? TimeProvider.System;

        await ledger.ExpirePendingAsync(time.GetUtcNow(), ct).ConfigureAwait(false);
        // List first, then read what keeps a blob, in one snapshot: a blob that was listed had its
        // pending row before it became visible, so it is pending, referenced, queued, or dead for good.
        var listed = new List<string>();
        await foreach (var blob in blobs.ListAsync(ct).ConfigureAwait(false))
        {
            listed.Add(blob.BlobId);
        }
        var live = await ledger.LiveBlobIdsAsync(time.GetUtcNow(), ct).ConfigureAwait(false);
        int deleted = 0, kept = 0;
        foreach (var blobId in listed)
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
        return new OrphanSweepResult(0, deleted, kept);
    }

    /// <summary>
    /// The sweep of a node that is the only user of its metadata and blobs (the embedded server on its
    /// data folder), run at startup before serving: nothing else can be writing, and no read is in flight,
    /// so every temporary file and every blob that no object or part refers to goes now, pending or queued
    /// ones included. Their ledger rows are left to the reclaimer, for which a blob already gone is no error.
    /// </summary>
    public static async Task<OrphanSweepResult> SweepAloneAsync(IMetadataStore metadata, IBlobStore blobs, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(blobs);

        // Only the filesystem store has temporary files; a remote store's unfinished uploads are aborted by their writers.
        var temporary = blobs is FileSystemBlobStore files ? files.SweepTemporaryFiles() : 0;
        var referenced = await metadata.ReferencedBlobIdsAsync(ct).ConfigureAwait(false);
        int deleted = 0, kept = 0;
        await foreach (var blob in blobs.ListAsync(ct).ConfigureAwait(false))
        {
            var blobId = blob.BlobId;
            if (referenced.Contains(blobId))
            {
                kept++;
            }
            else
            {
                await blobs.DeleteAsync(blobId, ct).ConfigureAwait(false);
                deleted++;
            }
        }
        return new OrphanSweepResult(temporary, deleted, kept);
    }
}
