using Coffer.Crypto;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>Streams a plaintext range of an object out of its sealed streams, decrypting only the segments the range touches.</summary>
public static class ObjectReader
{
    public static async Task CopyRangeAsync(ObjectRecord obj, ObjectKey? key, long offset, long count, Stream output, IBlobStore blobs, CancellationToken ct)
    {
        var size = (int)Math.Clamp(count, 4096, ObjectWriter.BufferSize);
        byte[][] buffers = [BufferPool.Shared.Rent(size), BufferPool.Shared.Rent(size)];
        var write = new Task[] { Task.CompletedTask };
        try
        {
            await CopyRangeAsync(obj, key, offset, count, output, blobs, buffers, size, write, ct);
            await write[0];
        }
        finally
        {
            // A buffer goes back to the pool only once the response is done with it, whatever happened.
            await write[0].ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            foreach (var buffer in buffers)
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(buffer);   // it held plaintext
                BufferPool.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// Two buffers in turn: while one goes out to the client, the next is read and decrypted, so
    /// the cipher's time hides behind the socket's. Batches whole buffers because every write to
    /// the response is a flush. <paramref name="write"/>[0] is the write in flight.
    /// </summary>
    private static async Task CopyRangeAsync(ObjectRecord obj, ObjectKey? key, long offset, long count, Stream output, IBlobStore blobs,
        byte[][] buffers, int size, Task[] write, CancellationToken ct)
    {
        var turn = 0;
        long streamStart = 0;
        foreach (var stream in obj.Streams)
        {
            var streamEnd = streamStart + stream.PlainSize;
            if (count > 0 && offset < streamEnd && offset + count > streamStart)
            {
                var from = Math.Max(offset, streamStart) - streamStart;
                var to = Math.Min(offset + count, streamEnd) - streamStart;
                await using var plain = SealedStreamReader.OpenRange(Ranges(blobs, stream), key, stream.StreamIdentity, stream.PlainSize, from, to - from);
                while (true)
                {
                    var buffer = buffers[turn];
                    var filled = 0;
                    int n;
                    while (filled < size && (n = await plain.ReadAsync(buffer.AsMemory(filled, size - filled), ct)) > 0)
                        filled += n;
                    if (filled == 0)
                        break;
                    await write[0];
                    write[0] = output.WriteAsync(buffer.AsMemory(0, filled), ct).AsTask();
                    turn ^= 1;
                    if (filled < size)
                        break;
                }
            }
            streamStart = streamEnd;
        }
    }

    /// <summary>
    /// The whole plaintext of an object as one forward-only stream, its sealed streams opened one
    /// after the other as reading reaches them (a copy that rewrites the data reads it through
    /// this into <see cref="ObjectWriter"/>, in one pass). Holds its own copy of <paramref name="key"/>.
    /// </summary>
    public static Stream Open(ObjectRecord obj, ObjectKey? key, IBlobStore blobs) => new PlaintextStream(obj, key, blobs);

    /// <summary>
    /// The byte ranges of one stored stream, as the sealed-stream reader asks for them: the header and exactly
    /// the frames a range touches, so a remote store sends no byte more than needed. An inline stream is
    /// read from the bytes its object's row carried.
    /// </summary>
    public static SealedRangeOpener Ranges(IBlobStore blobs, ObjectStream stream)
    {
        if (!stream.IsInline)
            return (offset, length, ct) => blobs.OpenReadAsync(stream.BlobId, offset, length, ct);
        var data = stream.Inline
            ?? throw new InvalidOperationException("The object's inline data was not loaded (a listing's record was used to read data).");
        return (offset, length, ct) =>
        {
            var from = (int)Math.Min(offset, data.Length);
            var count = (int)Math.Min(length ?? long.MaxValue, data.Length - from);
            return ValueTask.FromResult<Stream>(new MemoryStream(data, from, count, writable: false));
        };
    }

    private sealed class PlaintextStream(ObjectRecord obj, ObjectKey? key, IBlobStore blobs) : Stream
    {
        private readonly ObjectKey? _key = key is null ? null : ObjectKey.FromBytes(key.Bytes);
        private int _next;
        private Stream? _current;
        private long _position;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (buffer.Length > 0 && NextStream() is { } current)
            {
                var n = await current.ReadAsync(buffer, cancellationToken);
                if (n > 0)
                {
                    _position += n;
                    return n;
                }
                await current.DisposeAsync();
                _current = null;
            }
            return 0;
        }

        public override int Read(Span<byte> buffer)
        {
            while (buffer.Length > 0 && NextStream() is { } current)
            {
                var n = current.Read(buffer);
                if (n > 0)
                {
                    _position += n;
                    return n;
                }
                current.Dispose();
                _current = null;
            }
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        /// <summary>The stream being read, opening the next one when the last ended; null at the end of the object.</summary>
        private Stream? NextStream()
        {
            if (_current is not null || _next >= obj.Streams.Count)
                return _current;
            var stream = obj.Streams[_next++];
            _current = SealedStreamReader.OpenRange(Ranges(blobs, stream), _key, stream.StreamIdentity, stream.PlainSize, 0, stream.PlainSize);
            return _current;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _current?.Dispose();
                _current = null;
                _key?.Dispose();
            }
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => obj.Size;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
