using System.Buffers;
using System.Runtime.ExceptionServices;

namespace Coffer.Crypto.Internal;

/// <summary>
/// Read-only, forward-only view of a plaintext range of a sealed stream. Each touched segment is read
/// whole, authenticated (and decrypted) in place — or straight into the caller's buffer when it takes
/// the whole segment — and only then served. Async reads read the next wanted frame ahead into a second
/// pooled buffer while the current one is opened, so decryption overlaps the source's I/O.
/// Sync and async reads share one implementation (<c>useAsync</c>).
/// <para>
/// The source is either one seekable stream (the stored size is checked up front, and the reader seeks
/// to the first wanted frame) or a <see cref="SealedRangeOpener"/> that fetches byte ranges of the
/// stored stream (a blob store): then the reader asks for the 40-byte header and for exactly the frames
/// the range touches — one request when they follow the header closely, else two, started together —
/// and reads the frames forward only. A truncated stream then shows as a short frame; an extended one
/// as a byte after the final frame, which is asked for whenever the range reaches the final frame.
/// </para>
/// </summary>
internal sealed class SealedRangeStream : Stream
{
    private const int S = SealedStream.SegmentSize;
    private const int TagSize = SegmentCipher.TagSize;
    private const int Frame = S + TagSize;

    /// <summary>The largest gap between the header and the first wanted frame read through rather than fetched apart.</summary>
    private const int SkipLimit = Frame;

    private readonly SealedRangeOpener? _open;
    private Stream? _source;
    private readonly bool _leaveOpen;
    private readonly string _identity;
    private readonly bool _encrypted;
    private readonly long _origin;
    private readonly long _plainLength;
    private readonly long _offset;
    private readonly long _count;
    private readonly long _finalIndex;
    private readonly long _lastWanted;
    private ObjectKey? _key;
    private SegmentCipher? _cipher;
    private byte[]? _buffer;
    private byte[]? _ahead;
    private ValueTask<int> _aheadRead;
    private long _aheadIndex = -1;
    private bool _initialized;
    private bool _disposed;
    private int _availStart;
    private int _availEnd;
    private int _skip;
    private long _nextSegment;
    private long _remaining;
    private long _sourcePosition = -1;
    private ExceptionDispatchInfo? _fault;
    private byte[]? _probe;

    public SealedRangeStream(Stream source, ObjectKey? key, string identity, long plainLength, long offset, long count, bool leaveOpen)
    {
        _source = source;
        _leaveOpen = leaveOpen;
        _identity = identity;
        _origin = source.Position;
        _plainLength = plainLength;
        _offset = offset;
        _count = count;
        _remaining = count;
        _finalIndex = SealedStream.SegmentCount(plainLength) - 1;
        _lastWanted = count > 0 ? (offset + count - 1) / S : -1;
        _key = key is null ? null : ObjectKey.FromBytes(key.Bytes);
        _encrypted = key is not null;
    }

    /// <summary>A range read over a source that fetches byte ranges of the stored stream (which starts at its offset 0).</summary>
    public SealedRangeStream(SealedRangeOpener open, ObjectKey? key, string identity, long plainLength, long offset, long count)
    {
        _open = open;
        _leaveOpen = false;
        _identity = identity;
        _origin = 0;
        _plainLength = plainLength;
        _offset = offset;
        _count = count;
        _remaining = count;
        _finalIndex = SealedStream.SegmentCount(plainLength) - 1;
        _lastWanted = count > 0 ? (offset + count - 1) / S : -1;
        _key = key is null ? null : ObjectKey.FromBytes(key.Bytes);
        _encrypted = key is not null;
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    /// <summary>The length of the range.</summary>
    public override long Length => _count;

    public override long Position
    {
        get => _count - _remaining;
        set => throw new NotSupportedException("A sealed range stream is forward-only.");
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    public override int Read(Span<byte> buffer)
    {
        if (WantsWholeSegment(buffer.Length, out int body))
        {
            // The caller's buffer takes the whole next segment: authenticate and decrypt straight into it.
            // (The ValueTasks complete synchronously when useAsync is false.)
            GuardAsync(FetchFrameAsync(_nextSegment, body, useAsync: false, CancellationToken.None)).GetAwaiter().GetResult();
            return OpenInto(buffer[..body], body);
        }

        if (_availStart == _availEnd || _remaining == 0)
        {
            if (!EnsureDataAsync(useAsync: false, CancellationToken.None).GetAwaiter().GetResult())
            {
                return 0;
            }
        }

        return Serve(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (WantsWholeSegment(buffer.Length, out int body))
        {
            // The caller's buffer takes the whole next segment: authenticate and decrypt straight into it.
            await GuardAsync(FetchFrameAsync(_nextSegment, body, useAsync: true, cancellationToken)).ConfigureAwait(false);
            return OpenInto(buffer.Span[..body], body);
        }

        if (_availStart == _availEnd || _remaining == 0)
        {
            if (!await EnsureDataAsync(useAsync: true, cancellationToken).ConfigureAwait(false))
            {
                return 0;
            }
        }

        return Serve(buffer.Span);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A sealed range stream is forward-only.");

    public override void SetLength(long value) => throw new NotSupportedException("A sealed range stream is read-only.");

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A sealed range stream is read-only.");

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            ReleaseCrypto();
            if (!_leaveOpen)
            {
                _source?.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (_aheadIndex >= 0)
            {
                // Let an outstanding read-ahead finish so its buffer can go back to the pool.
                try
                {
                    await _aheadRead.ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
                {
                }

                _aheadIndex = -1;
                _aheadRead = default;
            }

            ReleaseCrypto();
            if (!_leaveOpen && _source is not null)
            {
                await _source.DisposeAsync().ConfigureAwait(false);
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>True when nothing is buffered, the stream is set up and sound, and the whole next segment is
    /// wanted and fits in the caller's buffer (then <paramref name="body"/> is its length).</summary>
    private bool WantsWholeSegment(int destinationLength, out int body)
    {
        body = 0;
        if (!_initialized || _disposed || _fault is not null || _cipher is null || _availStart != _availEnd || _skip != 0 || _remaining == 0)
        {
            return false;
        }

        body = BodyLength(_nextSegment);
        return body > 0 && body <= destinationLength && body <= _remaining;
    }

    /// <summary>Opens the frame in the buffer straight into the caller's memory.</summary>
    private int OpenInto(Span<byte> destination, int body)
    {
        long index = _nextSegment;
        if (!_cipher!.TryOpen(_buffer.AsSpan(0, body), _buffer.AsSpan(body, TagSize), destination, index, index == _finalIndex))
        {
            var e = TagMismatch(index);
            Fail(e);
            throw e;
        }

        _nextSegment = index + 1;
        _remaining -= body;
        if (_remaining == 0)
        {
            ReleaseCrypto();
        }

        return body;
    }

    private int Serve(Span<byte> destination)
    {
        int n = (int)Math.Min(Math.Min(destination.Length, _availEnd - _availStart), _remaining);
        _buffer.AsSpan(_availStart, n).CopyTo(destination);
        _availStart += n;
        _remaining -= n;
        if (_remaining == 0)
        {
            ReleaseCrypto(); // plaintext no longer needed: clear and return the buffers now, not at Dispose
        }

        return n;
    }

    /// <summary>True when authenticated plaintext is buffered; false at the end of the range.</summary>
    private async ValueTask<bool> EnsureDataAsync(bool useAsync, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _fault?.Throw();
        try
        {
            if (!_initialized)
            {
                await InitializeAsync(useAsync, ct).ConfigureAwait(false);
            }

            if (_remaining == 0)
            {
                return false;
            }

            while (_availStart == _availEnd)
            {
                await LoadSegmentAsync(useAsync, ct).ConfigureAwait(false);
            }

            return true;
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            Fail(e);
            throw;
        }
    }

    /// <summary>Records a failure (every later read rethrows it) for an operation outside <see cref="EnsureDataAsync"/>.</summary>
    private async ValueTask GuardAsync(ValueTask operation)
    {
        try
        {
            await operation.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not ObjectDisposedException)
        {
            Fail(e);
            throw;
        }
    }

    private async ValueTask InitializeAsync(bool useAsync, CancellationToken ct)
    {
        _initialized = true;
        _buffer = BufferPool.Shared.Rent(Frame);
        Memory<byte> header = _buffer.AsMemory(0, StreamHeader.Size);
        int got = _open is null
            ? await ReadAtAsync(_origin, header, useAsync, ct).ConfigureAwait(false)
            : await OpenRangesAndReadHeaderAsync(header, useAsync, ct).ConfigureAwait(false);
        if (got < StreamHeader.Size)
        {
            throw new SealedStreamException(SealedStreamError.Truncated, -1, "The sealed stream is shorter than its header.");
        }

        var parsed = new StreamHeader(header.Span);
        parsed.Validate();
        if (parsed.IsEncrypted != _encrypted)
        {
            throw new SealedStreamException(SealedStreamError.WrongCipher, -1, parsed.IsEncrypted
                ? "The sealed stream is encrypted but no key was given."
                : "The sealed stream is not encrypted but a key was given.");
        }

        long expected = SealedStream.SealedLength(_plainLength, _encrypted);
        long actual = _open is null ? _source!.Length - _origin : expected; // ranges: checked as the frames are read
        if (actual < expected)
        {
            long missing = Math.Max(0, (actual - StreamHeader.Size) / Frame);
            throw new SealedStreamException(SealedStreamError.Truncated, Math.Min(missing, _finalIndex),
                $"The sealed stream is {actual} bytes; {expected} are expected for {_plainLength} plaintext bytes (truncated).");
        }

        if (actual > expected)
        {
            throw new SealedStreamException(SealedStreamError.Extended, _finalIndex + 1,
                $"The sealed stream is {actual} bytes; {expected} are expected for {_plainLength} plaintext bytes (data after the final segment).");
        }

        _cipher = SegmentCipher.Create(header.Span, _key, _identity);
        _key?.Dispose();
        _key = null;
        _nextSegment = Math.Min(_offset / S, _finalIndex);
        _skip = (int)(_offset - (_nextSegment * S));
        if (_open is not null && _source is not null && _sourcePosition < FramePosition(_nextSegment))
        {
            // One range holds the header and the first wanted frame: read through the frames between.
            int gap = (int)(FramePosition(_nextSegment) - _sourcePosition);
            int skipped = await ReadSourceAsync(_buffer.AsMemory(0, gap), useAsync, ct).ConfigureAwait(false);
            if (skipped < gap)
            {
                throw new SealedStreamException(SealedStreamError.Truncated, _nextSegment, $"The sealed stream ends before segment {_nextSegment}.");
            }
        }

        if (_count == 0 && _plainLength == 0)
        {
            // An empty object is one empty final segment: authenticate it even though no byte is returned.
            await LoadSegmentAsync(useAsync, ct).ConfigureAwait(false);
        }
    }

    private async ValueTask LoadSegmentAsync(bool useAsync, CancellationToken ct)
    {
        long index = _nextSegment;
        int body = BodyLength(index);
        await FetchFrameAsync(index, body, useAsync, ct).ConfigureAwait(false);
        if (!_cipher!.TryOpen(_buffer.AsSpan(0, body), _buffer.AsSpan(body, TagSize), index, index == _finalIndex))
        {
            throw TagMismatch(index);
        }

        _nextSegment = index + 1;
        _availStart = _skip;
        _availEnd = body;
        _skip = 0;
    }

    /// <summary>
    /// Puts frame <paramref name="index"/> (body ‖ tag, not yet opened) into <c>_buffer</c>, from the
    /// read-ahead when it holds it; then, for async reads, starts reading the next wanted frame ahead.
    /// </summary>
    private async ValueTask FetchFrameAsync(long index, int body, bool useAsync, CancellationToken ct)
    {
        int length = body + TagSize;
        int got;
        if (_aheadIndex == index)
        {
            ValueTask<int> pending = _aheadRead;
            _aheadRead = default;
            _aheadIndex = -1;
            got = useAsync ? await pending.ConfigureAwait(false) : pending.AsTask().GetAwaiter().GetResult();
            (_buffer, _ahead) = (_ahead, _buffer);
        }
        else
        {
            got = await ReadAtAsync(FramePosition(index), _buffer.AsMemory(0, length), useAsync, ct).ConfigureAwait(false);
        }

        if (got < length)
        {
            throw new SealedStreamException(SealedStreamError.Truncated, index, $"The sealed stream ends inside segment {index}.");
        }

        if (_open is not null && index == _finalIndex)
        {
            // The range was asked for to the end of the stored stream: nothing may follow the final frame.
            _probe ??= new byte[1];
            if (await ReadSourceAsync(_probe, useAsync, ct).ConfigureAwait(false) > 0)
            {
                throw new SealedStreamException(SealedStreamError.Extended, _finalIndex + 1,
                    $"The sealed stream has data after its final segment ({SealedStream.SealedLength(_plainLength, _encrypted)} bytes are expected for {_plainLength} plaintext bytes).");
            }
        }

        long next = index + 1;
        if (useAsync && next <= _lastWanted)
        {
            int nextLength = BodyLength(next) + TagSize;
            long position = FramePosition(next);
            Reposition(position);
            _ahead ??= BufferPool.Shared.Rent(Frame);
            _aheadRead = _source!.ReadAtLeastAsync(_ahead.AsMemory(0, nextLength), nextLength, throwOnEndOfStream: false, ct);
            _aheadIndex = next;
            _sourcePosition = position + nextLength;
        }
    }

    private async ValueTask<int> ReadAtAsync(long position, Memory<byte> destination, bool useAsync, CancellationToken ct)
    {
        Reposition(position);
        return await ReadSourceAsync(destination, useAsync, ct).ConfigureAwait(false);
    }

    /// <summary>Reads from where the source is (filling <paramref name="destination"/> unless it ends) and advances <c>_sourcePosition</c>.</summary>
    private async ValueTask<int> ReadSourceAsync(Memory<byte> destination, bool useAsync, CancellationToken ct)
    {
        int got = useAsync
            ? await _source!.ReadAtLeastAsync(destination, destination.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false)
            : _source!.ReadAtLeast(destination.Span, destination.Length, throwOnEndOfStream: false);
        _sourcePosition += got;
        return got;
    }

    /// <summary>Moves a seekable source to <paramref name="position"/>; a ranged source is always read in order already.</summary>
    private void Reposition(long position)
    {
        if (_sourcePosition == position)
        {
            return;
        }

        if (_open is not null)
        {
            throw new InvalidOperationException($"A ranged sealed stream read out of order (at {_sourcePosition}, wanted {position}).");
        }

        _source!.Seek(position, SeekOrigin.Begin);
        _sourcePosition = position;
    }

    /// <summary>
    /// Fetches what the range needs from a ranged source and reads the header into <paramref name="header"/>:
    /// the header alone when no frame is wanted; one range from the header to the last wanted frame when
    /// the first wanted frame is near; else the header and the frames as two ranges, both asked for at once.
    /// Leaves <c>_source</c> positioned after the header (or at the first wanted frame).
    /// </summary>
    private async ValueTask<int> OpenRangesAndReadHeaderAsync(Memory<byte> header, bool useAsync, CancellationToken ct)
    {
        long first = Math.Min(_offset / S, _finalIndex);
        bool framesWanted = _count > 0 || _plainLength == 0;
        long last = _count > 0 ? _lastWanted : first;
        long framesStart = FramePosition(first);
        long? framesEnd = last == _finalIndex ? null : FramePosition(last + 1); // to the end: the extension check reads past the final frame

        if (framesWanted && framesStart - StreamHeader.Size <= SkipLimit)
        {
            _source = await OpenAsync(0, framesEnd, useAsync, ct).ConfigureAwait(false);
            _sourcePosition = 0;
            return await ReadSourceAsync(header, useAsync, ct).ConfigureAwait(false);
        }

        ValueTask<Stream> frames = framesWanted ? _open!(framesStart, framesEnd - framesStart, ct) : default;
        try
        {
            int got;
            var headerStream = await OpenAsync(0, StreamHeader.Size, useAsync, ct).ConfigureAwait(false);
            await using (headerStream.ConfigureAwait(false))
            {
                _source = headerStream;
                _sourcePosition = 0;
                got = await ReadSourceAsync(header, useAsync, ct).ConfigureAwait(false);
                _source = null;
            }

            if (framesWanted)
            {
                var opening = frames;
                frames = default;
                _source = useAsync ? await opening.ConfigureAwait(false) : Wait(opening);
                _sourcePosition = framesStart;
            }

            return got;
        }
        finally
        {
            if (framesWanted && frames != default)
            {
                // The header failed: close the frames' range whenever it opens, and observe its failure.
                _ = frames.AsTask().ContinueWith(static t =>
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        t.Result.Dispose();
                    }
                    else
                    {
                        _ = t.Exception;
                    }
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private ValueTask<Stream> OpenAsync(long offset, long? length, bool useAsync, CancellationToken ct)
    {
        var opening = _open!(offset, length, ct);
        return useAsync || opening.IsCompleted ? opening : ValueTask.FromResult(Wait(opening));
    }

    private static Stream Wait(ValueTask<Stream> opening) =>
        opening.IsCompletedSuccessfully ? opening.Result : opening.AsTask().GetAwaiter().GetResult();

    private int BodyLength(long index) => index < _finalIndex ? S : (int)(_plainLength - (_finalIndex * S));

    private long FramePosition(long index) => _origin + StreamHeader.Size + (index * Frame);

    private static SealedStreamException TagMismatch(long index) => new(SealedStreamError.TagMismatch, index,
        $"Segment {index} of the sealed stream does not authenticate (corrupted, reordered, spliced, or the wrong key or stream identity).");

    private void Fail(Exception e)
    {
        _fault = ExceptionDispatchInfo.Capture(e);
        ReleaseCrypto();
    }

    private void ReleaseCrypto()
    {
        _cipher?.Dispose();
        _cipher = null;
        _key?.Dispose();
        _key = null;
        _availStart = _availEnd = 0;
        if (_buffer is { } buffer)
        {
            _buffer = null;
            BufferPool.Shared.Return(buffer, clearArray: true);
        }

        if (_aheadIndex >= 0)
        {
            // A read-ahead is still running (failure or early dispose): never block here; leave its buffer
            // to the GC instead of the pool (it holds stored bytes only, never decrypted plaintext).
            ValueTask<int> pending = _aheadRead;
            _aheadRead = default;
            _aheadIndex = -1;
            _ahead = null;
            _ = pending.AsTask().ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else if (_ahead is { } ahead)
        {
            _ahead = null;
            BufferPool.Shared.Return(ahead, clearArray: true);
        }
    }
}
