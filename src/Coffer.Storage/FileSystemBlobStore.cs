namespace Coffer.Storage;

/// <summary>
/// Blobs as files on the local filesystem: <c>root/blobs/ab/cd/&lt;id&gt;</c> for a committed blob
/// whose id starts with "abcd", <c>root/tmp/&lt;id&gt;.tmp</c> while it is written. Ids are 32
/// lowercase hex characters (128 random bits); any other string given as an id is rejected, so
/// nothing else can ever become a path.
/// </summary>
/// <remarks>
/// Durability: <see cref="IBlobWriter.CommitAsync"/> fsyncs the file, renames it into place and
/// fsyncs the directory (and any directory it had to create), so a committed blob survives a
/// crash. Temporary files and the <c>ab/cd</c> directories must be on one filesystem with the
/// blobs (they are: both live under the root).
/// Folders it creates are 0700 and files 0600 (<see cref="OwnerOnly"/>).
/// </remarks>
public sealed class FileSystemBlobStore : IBlobStore
{
    /// <summary>Write buffer of a blob writer: few, large writes to the file.</summary>
    internal const int WriteBufferSize = 1 << 20;

    /// <summary>Read buffer: readers take whole 64 KiB segments, so little is gained above this.</summary>
    internal const int ReadBufferSize = 64 * 1024;

    private const string TemporarySuffix = ".tmp";

    private readonly string _blobsDirectory;
    private readonly string _temporaryDirectory;

    /// <summary>Uses (creating if needed) <c>blobs/</c> and <c>tmp/</c> under <paramref name="rootDirectory"/>.</summary>
    public FileSystemBlobStore(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(rootDirectory);
        RootDirectory = Path.GetFullPath(rootDirectory);
        _blobsDirectory = Path.Combine(RootDirectory, "blobs");
        _temporaryDirectory = Path.Combine(RootDirectory, "tmp");
        var created = !Directory.Exists(_blobsDirectory) || !Directory.Exists(_temporaryDirectory);
        OwnerOnly.CreateDirectory(_blobsDirectory);
        OwnerOnly.CreateDirectory(_temporaryDirectory);
        if (created)
        {
            DirectorySync.Flush(RootDirectory);
        }
    }

    /// <summary>The full path of the root directory.</summary>
    public string RootDirectory { get; }

    /// <summary>Whether <paramref name="blobId"/> has the form of a blob id (32 lowercase hex characters).</summary>
    public static bool IsValidBlobId(string? blobId) => BlobIds.IsValid(blobId);

    /// <inheritdoc />
    public IBlobWriter CreateWriter()
    {
        var id = BlobIds.New();
        var temporaryPath = Path.Combine(_temporaryDirectory, id + TemporarySuffix);
        // 0600 from creation; the rename into blobs/ keeps the mode.
        var stream = new FileStream(temporaryPath, OwnerOnly.Apply(new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = WriteBufferSize,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        }));
        return new Writer(this, id, temporaryPath, stream);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Completes synchronously. Reading to the end of the blob returns the file stream itself
    /// (seekable, though callers must not rely on it); a bounded range wraps it.
    /// </remarks>
    public ValueTask<Stream> OpenReadAsync(string blobId, long offset = 0, long? length = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is { } l)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(length));
        }
        var path = BlobPath(blobId);
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                // Delete: the reclaimer may unlink a blob that a slow GET still reads.
                Share = FileShare.Read | FileShare.Delete,
                // A short range (a stream header) is read straight, without filling a 64 KiB buffer.
                BufferSize = length is { } wanted && wanted < ReadBufferSize ? 0 : ReadBufferSize,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
        }
        catch (DirectoryNotFoundException e)
        {
            throw new FileNotFoundException($"Blob '{blobId}' does not exist.", path, e);
        }
        if (offset > 0)
        {
            file.Seek(offset, SeekOrigin.Begin);
        }
        return ValueTask.FromResult(length is { } count ? new RangeReadStream(file, count) : (Stream)file);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="blobId"/> is not a blob id.</exception>
    public ValueTask<bool> ExistsAsync(string blobId, CancellationToken ct = default) => ValueTask.FromResult(File.Exists(BlobPath(blobId)));

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="blobId"/> is not a blob id.</exception>
    public ValueTask DeleteAsync(string blobId, CancellationToken ct = default)
    {
        var path = BlobPath(blobId);
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone, with its directory.
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>Files under <c>blobs/</c> whose name or place is not a blob's are ignored; the time is the file's last write.</remarks>
    public async IAsyncEnumerable<BlobInfo> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var ab in new DirectoryInfo(_blobsDirectory).EnumerateDirectories())
        {
            foreach (var cd in ab.EnumerateDirectories())
            {
                ct.ThrowIfCancellationRequested();
                var expected = ab.Name + cd.Name;
                foreach (var file in cd.EnumerateFiles())
                {
                    if (IsValidBlobId(file.Name) && file.Name.StartsWith(expected, StringComparison.Ordinal))
                    {
                        yield return new BlobInfo(file.Name, file.Length, file.LastWriteTimeUtc);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Deletes the temporary files of blobs that were never committed (left by a crash); returns
    /// how many. Deletes everything under <c>tmp/</c>: run it only when no blob is being written
    /// (at startup). Only the filesystem store has temporary files, so this is not part of <see cref="IBlobStore"/>.
    /// </summary>
    public int SweepTemporaryFiles()
    {
        var count = 0;
        foreach (var file in Directory.EnumerateFiles(_temporaryDirectory, "*", SearchOption.AllDirectories))
        {
            File.Delete(file);
            count++;
        }
        foreach (var directory in Directory.EnumerateDirectories(_temporaryDirectory))
        {
            Directory.Delete(directory, recursive: true);
        }
        return count;
    }

    /// <summary>The path of a committed blob, after checking the id.</summary>
    internal string BlobPath(string blobId)
    {
        BlobIds.Check(blobId);
        return Path.Combine(_blobsDirectory, blobId[..2], blobId[2..4], blobId);
    }

    /// <summary>Creates <c>blobs/ab/cd</c> for the id if needed, durably, and returns it.</summary>
    private string EnsureBlobDirectory(string blobId)
    {
        var ab = Path.Combine(_blobsDirectory, blobId[..2]);
        var cd = Path.Combine(ab, blobId[2..4]);
        if (!Directory.Exists(cd))
        {
            OwnerOnly.CreateDirectory(cd);
            // The new names must be durable before a blob inside them is reported committed.
            DirectorySync.Flush(ab);
            DirectorySync.Flush(_blobsDirectory);
        }
        return cd;
    }

    private sealed class Writer(FileSystemBlobStore store, string blobId, string temporaryPath, FileStream stream) : IBlobWriter
    {
        private bool _committed;
        private bool _disposed;

        public string BlobId { get; } = blobId;

        public Stream Stream => stream;

        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default) => stream.WriteAsync(data, ct);

        public async Task CommitAsync(CancellationToken ct = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_committed)
            {
                throw new InvalidOperationException($"Blob '{BlobId}' is already committed.");
            }

            if (stream.CanWrite)
            {
                await stream.FlushAsync(ct).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                // The caller disposed the stream (which flushed its buffer): fsync through a new handle.
                using var reopened = new FileStream(temporaryPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
                reopened.Flush(flushToDisk: true);
            }

            var directory = store.EnsureBlobDirectory(BlobId);
            File.Move(temporaryPath, Path.Combine(directory, BlobId));
            _committed = true;
            DirectorySync.Flush(directory);
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            if (_committed)
            {
                return;
            }
            try
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Flushing the rest of an abandoned blob failed (disk full?): it is deleted anyway.
            }
            finally
            {
                File.Delete(temporaryPath);
            }
        }
    }
}
