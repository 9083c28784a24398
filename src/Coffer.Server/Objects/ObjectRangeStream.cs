using Coffer.Crypto;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>
/// A plaintext range of a stored object as a readable stream, crossing its sealed streams (a
/// multipart object's parts) in order and decrypting only the segments the range touches. At
/// most one blob is open at a time. Used as the body of UploadPartCopy.
/// </summary>
public sealed class ObjectRangeStream : Stream
{
    private readonly ObjectRecord _obj;
    private readonly ObjectKey? _key;
    private readonly IBlobStore _blobs;
    private readonly long _end;
    private long _position;
    private int _nextStream;
    private long _nextStreamStart;
    private Stream? _plain;

    /// <summary>Reads plaintext bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="count"/>) of <paramref name="obj"/>.</summary>
    public ObjectRangeStream(ObjectRecord obj, ObjectKey? key, long offset, long count, IBlobStore blobs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset + count, obj.Size);
        (_obj, _key, _blobs, _position, _end) = (obj, key, blobs, offset, offset + count);
    }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_position < _end && buffer.Length > 0)
        {
            if (_plain is null && !OpenNext())
                break;
            var n = await _plain!.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _end - _position)], cancellationToken);
            if (n > 0)
            {
                _position += n;
                return n;
            }
            await CloseCurrentAsync();
        }
        return 0;
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>Opens the next stream that holds <see cref="_position"/>; false when none is left.</summary>
    private bool OpenNext()
    {
        while (_nextStream < _obj.Streams.Count)
        {
            var stream = _obj.Streams[_nextStream++];
            var start = _nextStreamStart;
            _nextStreamStart += stream.PlainSize;
            if (_position >= _nextStreamStart)
                continue;
            var from = _position - start;
            var length = Math.Min(_end, _nextStreamStart) - _position;
            _plain = SealedStreamReader.OpenRange(ObjectReader.Ranges(_blobs, stream), _key, stream.StreamIdentity, stream.PlainSize, from, length);
            return true;
        }
        return false;
    }

    private async ValueTask CloseCurrentAsync()
    {
        if (_plain is not null)
            await _plain.DisposeAsync();
        _plain = null;
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await CloseCurrentAsync();
        await base.DisposeAsync();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _plain?.Dispose();
            _plain = null;
        }
        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override bool CanRead => true;
    /// <inheritdoc />
    public override bool CanSeek => false;
    /// <inheritdoc />
    public override bool CanWrite => false;
    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();
    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    /// <inheritdoc />
    public override void Flush() { }
    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();
    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
