namespace Coffer.Storage;

/// <summary>
/// Immutable blobs named by random ids. A blob is written to a temporary file, made durable
/// (fsync), then published under its id by <see cref="IBlobWriter.CommitAsync"/>. No
/// user-supplied string ever becomes part of a path.
/// </summary>
public interface IBlobStore
{
    /// <summary>Starts a new blob with a fresh random id.</summary>
    IBlobWriter Create();
    /// <summary>Opens a committed blob for reading (seekable). Throws <see cref="FileNotFoundException"/> when missing.</summary>
    Stream OpenRead(string blobId);
    bool Exists(string blobId);
    /// <summary>Removes a committed blob; no error when it is already gone.</summary>
    void Delete(string blobId);
    /// <summary>Every committed blob id.</summary>
    IEnumerable<string> EnumerateBlobIds();
    /// <summary>Deletes temporary files left by a crash; returns how many.</summary>
    int SweepTemporaryFiles();
}

/// <summary>
/// A blob being written. Dispose without commit deletes the temporary file (a cancelled or
/// failed request leaves nothing behind).
/// </summary>
public interface IBlobWriter : IAsyncDisposable
{
    string BlobId { get; }
    /// <summary>The temporary file's stream; write the whole blob here.</summary>
    Stream Stream { get; }
    /// <summary>Flushes, fsyncs, renames into place and fsyncs the directory.</summary>
    Task CommitAsync(CancellationToken ct = default);
}
