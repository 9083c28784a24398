namespace Coffer.Storage;

/// <summary>
/// The first <c>length</c> bytes of a stream from its current position, forward-only; disposing
/// it disposes the inner stream. What <see cref="FileSystemBlobStore.OpenReadAsync"/> returns
/// for a bounded range.
/// </summary>
internal sealed class RangeReadStream(Stream inner, long length) : Stream
{
    private long _remaining = length;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_remaining <= 0 || buffer.IsEmpty)
        {
            return 0;
        }
        var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
        _remaining -= n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_remaining <= 0 || buffer.IsEmpty)
        {
            return 0;
        }
        var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
        _remaining -= n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException("A blob range is forward-only.");
    public override long Position { get => throw new NotSupportedException("A blob range is forward-only."); set => throw new NotSupportedException("A blob range is forward-only."); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A blob range is forward-only.");
    public override void SetLength(long value) => throw new NotSupportedException("A blob range is read-only.");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A blob range is read-only.");
}
