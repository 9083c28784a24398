namespace Coffer.Storage;

/// <summary>What <see cref="OrphanSweeper.SweepAsync"/> did.</summary>
/// <param name="TemporaryFilesDeleted">Half-written blobs (temporary files) removed.</param>
/// <param name="OrphanBlobsDeleted">Committed blobs no metadata referred to, removed.</param>
/// <param name="BlobsKept">Committed blobs that are referenced and stay.</param>
public sealed record OrphanSweepResult(int TemporaryFilesDeleted, int OrphanBlobsDeleted, int BlobsKept);

/// <summary>
/// The startup garbage collection. A crash can leave a temporary file (a PUT that never
/// committed its blob), a committed blob without metadata (a PUT that crashed between the
/// rename and the metadata commit) or a blob of a replaced object still waiting in
/// <see cref="BlobReclaimer"/>'s queue. This removes all three.
/// </summary>
public static class OrphanSweeper
{
    /// <summary>
    /// Deletes every temporary file, then every committed blob that no metadata refers to.
    /// Run it at startup, before serving: a blob committed by a request in flight has no
    /// metadata yet and would be taken for an orphan.
    /// </summary>
    public static async Task<OrphanSweepResult> SweepAsync(IMetadataStore metadata, IBlobStore blobs, CancellationToken ct = default)
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
