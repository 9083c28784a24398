using Coffer.Storage;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>The server's blob store, failing like an unreachable backend when told to.</summary>
internal sealed class OutageBlobStore(IBlobStore inner) : IBlobStore
{
    public volatile bool Down;

    /// <summary>When not 0, committing a blob (its fsync and rename) fails with this errno, as a full or failing disk makes it.</summary>
    public volatile int CommitErrno;

    /// <summary>When set, every read stream fails after this many bytes.</summary>
    public long? FailReadsAfter { get; set; }

    /// <summary>How many blob writers the server began.</summary>
    public int Writers;

    public IBlobWriter CreateWriter()
    {
        Interlocked.Increment(ref Writers);
        return new Writer(this, inner.CreateWriter());
    }

    public async ValueTask<Stream> OpenReadAsync(string blobId, long offset = 0, long? length = null, CancellationToken ct = default)
    {
        Check();
        var stream = await inner.OpenReadAsync(blobId, offset, length, ct);
        return FailReadsAfter is { } limit ? new FailingAfter(stream, limit) : stream;
    }

    public ValueTask<bool> ExistsAsync(string blobId, CancellationToken ct = default)
    {
        Check();
        return inner.ExistsAsync(blobId, ct);
    }

    public ValueTask DeleteAsync(string blobId, CancellationToken ct = default)
    {
        Check();
        return inner.DeleteAsync(blobId, ct);
    }

    public IAsyncEnumerable<BlobInfo> ListAsync(CancellationToken ct = default)
    {
        Check();
        return inner.ListAsync(ct);
    }

    private void Check()
    {
        if (Down)
            throw new BlobStoreUnavailableException("The test backend is down.");
    }

    private sealed class Writer(OutageBlobStore store, IBlobWriter inner) : IBlobWriter
    {
        public string BlobId => inner.BlobId;
        public Stream Stream => inner.Stream;
        public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default) => inner.WriteAsync(data, ct);

        public Task CommitAsync(CancellationToken ct = default)
        {
            store.Check();
            if (store.CommitErrno is var errno and not 0)
                throw new IOException(errno switch { 28 => "No space left on device", 30 => "Read-only file system", _ => "Input/output error" }, errno);
            return inner.CommitAsync(ct);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private sealed class FailingAfter(Stream inner, long limit) : Stream
    {
        private long _read;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_read >= limit)
                throw new BlobStoreUnavailableException("The test backend went away in the middle of a read.");
            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, limit - _read)], cancellationToken);
            _read += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
