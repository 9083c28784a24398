namespace Coffer.Storage;

/// <summary>
/// Immutable blobs named by random ids (no user-supplied string ever becomes part of a path or
/// a remote key). A blob is written through an <see cref="IBlobWriter"/> and becomes visible,
/// whole, when <see cref="IBlobWriter.CommitAsync"/> returns; readers fetch byte ranges of it.
/// The shape suits a local folder (<see cref="FileSystemBlobStore"/>) and a remote
/// S3-compatible store (<see cref="S3.S3BlobStore"/>) alike.
/// </summary>
/// <remarks>
/// Every method may throw <see cref="BlobStoreUnavailableException"/> when the backend cannot
/// be reached or keeps failing after the store's own retries; callers answer 503 then.
/// </remarks>
public interface IBlobStore
{
    /// <summary>Starts a new blob with a fresh random id. Nothing is visible until the writer commits.</summary>
    IBlobWriter CreateWriter();

    /// <summary>
    /// Reads bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>)
    /// of a committed blob as a forward-only stream: to the end of the blob when
    /// <paramref name="length"/> is null, fewer bytes when the blob ends sooner, none when
    /// <paramref name="offset"/> is at or past its end.
    /// </summary>
    /// <exception cref="FileNotFoundException">No committed blob has this id.</exception>
    /// <exception cref="ArgumentException"><paramref name="blobId"/> is not a blob id.</exception>
    ValueTask<Stream> OpenReadAsync(string blobId, long offset = 0, long? length = null, CancellationToken ct = default);

    /// <summary>Whether a committed blob has this id.</summary>
    ValueTask<bool> ExistsAsync(string blobId, CancellationToken ct = default);

    /// <summary>Removes a committed blob; no error when it is already gone.</summary>
    ValueTask DeleteAsync(string blobId, CancellationToken ct = default);

    /// <summary>Every committed blob, in no particular order, with its size and when it was committed.</summary>
    IAsyncEnumerable<BlobInfo> ListAsync(CancellationToken ct = default);
}

/// <summary>A committed blob as a listing sees it.</summary>
/// <param name="BlobId">The blob's id.</param>
/// <param name="Size">Its length in bytes.</param>
/// <param name="LastModified">When it was committed (by the backend's clock), so a sweep can leave young blobs alone.</param>
public sealed record BlobInfo(string BlobId, long Size, DateTimeOffset LastModified);

/// <summary>
/// A blob being written. Write the whole blob (through <see cref="WriteAsync"/> or
/// <see cref="Stream"/>), then <see cref="CommitAsync"/>. Disposing without a commit aborts:
/// a cancelled or failed request leaves nothing behind (no temporary file, no unfinished
/// multipart upload).
/// </summary>
public interface IBlobWriter : IAsyncDisposable
{
    /// <summary>The id the blob will have once committed.</summary>
    string BlobId { get; }

    /// <summary>
    /// A write-only view of the blob. Flushing it does not commit; disposing it neither commits
    /// nor aborts (only <see cref="CommitAsync"/> and disposing the writer do).
    /// </summary>
    Stream Stream { get; }

    /// <summary>Appends bytes to the blob.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default);

    /// <summary>Makes the blob durable and visible under <see cref="BlobId"/>. At most once.</summary>
    /// <exception cref="InvalidOperationException">The blob is already committed.</exception>
    Task CommitAsync(CancellationToken ct = default);
}
