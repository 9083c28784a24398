using System.Buffers;
using System.Security.Cryptography;
using Coffer.Crypto.Internal;

namespace Coffer.Crypto;

/// <summary>
/// Writes a sealed stream (docs/format.md): the 40-byte header (format version, cipher, random
/// per-stream salt), then one frame per segment (body ‖ 16-byte tag). With a key, segments are
/// AES-256-GCM (or SM4-GCM, <see cref="StreamCipher"/>) under a stream key HKDF'd from the object key, the salt, the header and
/// <c>streamIdentity</c>; with <c>key == null</c> the same framing carries plaintext and an XXH3-128 check.
/// <para>
/// A full segment is sealed only when more data arrives, so the last segment written by
/// <see cref="CompleteAsync"/> is the final one (possibly empty, possibly full). Each frame is written to
/// <c>destination</c> with one write; the first carries the header as well. Plaintext is encrypted in
/// place in two pooled frame buffers: while one frame is being written, the next is sealed in the other,
/// so encryption overlaps the destination's I/O (at most one write is outstanding; a write's failure is
/// reported by the next call). No allocation per segment. The writer does not own <c>destination</c>.
/// </para>
/// <para>
/// Disposing without <see cref="CompleteAsync"/> leaves a stream without its final segment, which
/// every reader rejects as truncated: an interrupted upload can never pass for a complete one.
/// If a write to the destination fails, the writer is faulted and refuses further calls.
/// </para>
/// </summary>
public sealed class SealedStreamWriter : IAsyncDisposable
{
    private const int S = SealedStream.SegmentSize;
    private const int BodyOffset = StreamHeader.Size;
    private const int TagSize = SegmentCipher.TagSize;
    private const int BufferSize = BodyOffset + S + TagSize;

    private readonly Stream _destination;
    private readonly bool _encrypted;
    private SegmentCipher? _cipher;
    private byte[]? _buffer; // the frame being filled and sealed
    private byte[]? _spare;  // the other frame buffer: its write may still be in flight
    private ValueTask _inFlight;
    private bool _hasInFlight;
    private int _filled;
    private bool _headerPending = true;
    private long _nextIndex;
    private State _state;

    /// <summary>Starts a sealed stream. Nothing is written until the first segment is complete.</summary>
    /// <param name="destination">Where the sealed bytes go (not disposed by the writer).</param>
    /// <param name="key">The object key, or null for plain framing. It may be disposed once the constructor returns.</param>
    /// <param name="streamIdentity">Which stream of the object this is ("object", "part:3"): part of the key
    /// derivation and the AAD, so a reader must name the same identity. Must not be empty.</param>
    public SealedStreamWriter(Stream destination, ObjectKey? key, string streamIdentity)
        : this(destination, key, streamIdentity, StreamCipher.Aes256Gcm, default)
    {
    }

    /// <summary>Starts a sealed stream whose segments (when <paramref name="key"/> is given) are sealed with
    /// <paramref name="cipher"/>; the header records it, so readers need not be told.</summary>
    /// <param name="destination">Where the sealed bytes go (not disposed by the writer).</param>
    /// <param name="key">The object key, or null for plain framing (<paramref name="cipher"/> is then ignored).</param>
    /// <param name="streamIdentity">Which stream of the object this is; see the other constructor.</param>
    /// <param name="cipher">AES-256-GCM or SM4-GCM.</param>
    public SealedStreamWriter(Stream destination, ObjectKey? key, string streamIdentity, StreamCipher cipher)
        : this(destination, key, streamIdentity, cipher, default)
    {
    }

    /// <summary>Test hook: a fixed salt for golden vectors. Never reuse a salt in production.</summary>
    internal SealedStreamWriter(Stream destination, ObjectKey? key, string streamIdentity, ReadOnlySpan<byte> testSalt)
        : this(destination, key, streamIdentity, StreamCipher.Aes256Gcm, testSalt)
    {
    }

    /// <summary>Test hook: a fixed salt for golden vectors. Never reuse a salt in production.</summary>
    internal SealedStreamWriter(Stream destination, ObjectKey? key, string streamIdentity, StreamCipher cipher, ReadOnlySpan<byte> testSalt)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentException.ThrowIfNullOrEmpty(streamIdentity);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream is not writable.", nameof(destination));
        }

        _destination = destination;
        _encrypted = key is not null;
        Span<byte> salt = stackalloc byte[StreamHeader.SaltSize];
        if (testSalt.IsEmpty)
        {
            RandomNumberGenerator.Fill(salt);
        }
        else
        {
            testSalt.CopyTo(salt);
        }

        byte[] buffer = BufferPool.Shared.Rent(BufferSize);
        Span<byte> header = buffer.AsSpan(0, StreamHeader.Size);
        StreamHeader.Write(header, key is null ? StreamHeader.CipherNone : StreamHeader.CipherOf(cipher), salt);
        _cipher = SegmentCipher.Create(header, key, streamIdentity);
        _buffer = buffer;
        _spare = BufferPool.Shared.Rent(BufferSize);
    }

    private enum State { Open, Completed, Faulted, Disposed }

    /// <summary>Plaintext bytes accepted so far (after <see cref="CompleteAsync"/>: the stream's plaintext length).</summary>
    public long PlainLength { get; private set; }

    /// <summary>Bytes written to the destination so far; after <see cref="CompleteAsync"/> it equals
    /// <see cref="SealedStream.SealedLength"/>(<see cref="PlainLength"/>, encrypted).</summary>
    public long SealedLength { get; private set; }

    /// <summary>Appends plaintext; whole segments are sealed and written as they fill.</summary>
    /// <exception cref="InvalidOperationException">The writer is completed, faulted or disposed, or the
    /// stream would exceed <see cref="SealedStream.MaxPlainLength"/>.</exception>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> plaintext, CancellationToken ct = default)
    {
        ThrowIfNotOpen();
        try
        {
            while (!plaintext.IsEmpty)
            {
                if (_filled == S)
                {
                    // More data follows, so the buffered full segment is not the final one.
                    SealBuffered(final: false);
                    await WriteFrameAsync(S, ct).ConfigureAwait(false);
                }

                if (_filled == 0 && plaintext.Length > S && _encrypted)
                {
                    // Fast path: encrypt straight from the caller's memory into the output buffer.
                    SealFrom(plaintext.Span[..S]);
                    PlainLength += S;
                    plaintext = plaintext[S..];
                    await WriteFrameAsync(S, ct).ConfigureAwait(false);
                    continue;
                }

                int n = Math.Min(S - _filled, plaintext.Length);
                plaintext.Span[..n].CopyTo(_buffer.AsSpan(BodyOffset + _filled, n));
                _filled += n;
                PlainLength += n;
                plaintext = plaintext[n..];
            }
        }
        catch
        {
            _state = State.Faulted;
            throw;
        }
    }

    /// <summary>
    /// Seals the final (possibly empty) segment, writes it and flushes the destination (no fsync: durability
    /// is the caller's). Idempotent once it has succeeded.
    /// </summary>
    public async ValueTask CompleteAsync(CancellationToken ct = default)
    {
        if (_state == State.Completed)
        {
            return;
        }

        ThrowIfNotOpen();
        try
        {
            int n = _filled;
            SealBuffered(final: true);
            await WriteFrameAsync(n, ct).ConfigureAwait(false);
            await AwaitInFlightAsync().ConfigureAwait(false);
            await _destination.FlushAsync(ct).ConfigureAwait(false);
            _state = State.Completed;
        }
        catch
        {
            _state = State.Faulted;
            throw;
        }
        finally
        {
            if (_state == State.Completed)
            {
                Release();
            }
        }
    }

    /// <summary>Releases the buffer (cleared) and the cipher. Does not complete the stream and does not
    /// dispose the destination.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_state != State.Completed)
        {
            _state = State.Disposed;
        }

        try
        {
            // A frame buffer must not go back to the pool while the destination may still read it.
            await AwaitInFlightAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or NotSupportedException)
        {
            // The stream is abandoned anyway (incomplete, so readers reject it); the error was or will be seen by the caller's I/O.
        }
        finally
        {
            Release();
        }
    }

    private void SealBuffered(bool final)
    {
        Span<byte> body = _buffer.AsSpan(BodyOffset, _filled);
        _cipher!.Seal(body, body, _buffer.AsSpan(BodyOffset + _filled, TagSize), NextIndex(), final);
    }

    private void SealFrom(ReadOnlySpan<byte> plaintext)
    {
        _cipher!.Seal(plaintext, _buffer.AsSpan(BodyOffset, S), _buffer.AsSpan(BodyOffset + S, TagSize), NextIndex(), final: false);
    }

    private long NextIndex()
    {
        if (_nextIndex >= SealedStream.MaxSegmentCount)
        {
            throw new InvalidOperationException($"A sealed stream holds at most {SealedStream.MaxPlainLength} bytes.");
        }

        return _nextIndex++;
    }

    /// <summary>Starts writing the sealed frame in <c>_buffer</c> and swaps buffers, so the next frame is
    /// sealed while this one is written. Waits first for the previous write, which used the other buffer.</summary>
    private async ValueTask WriteFrameAsync(int bodyLength, CancellationToken ct)
    {
        await AwaitInFlightAsync().ConfigureAwait(false);
        int start = _headerPending ? 0 : BodyOffset;
        int length = BodyOffset - start + bodyLength + TagSize;
        _headerPending = false;
        _filled = 0;
        SealedLength += length;
        ValueTask write = _destination.WriteAsync(_buffer.AsMemory(start, length), ct);
        (_buffer, _spare) = (_spare, _buffer);
        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult(); // consume it (releases pooled ValueTask sources)
        }
        else
        {
            _inFlight = write;
            _hasInFlight = true;
        }
    }

    private ValueTask AwaitInFlightAsync()
    {
        if (!_hasInFlight)
        {
            return ValueTask.CompletedTask;
        }

        _hasInFlight = false;
        ValueTask pending = _inFlight;
        _inFlight = default;
        return pending;
    }

    private void ThrowIfNotOpen()
    {
        switch (_state)
        {
            case State.Open:
                return;
            case State.Completed:
                throw new InvalidOperationException("The sealed stream is already complete.");
            case State.Faulted:
                throw new InvalidOperationException("An earlier write to the sealed stream failed; the stream is incomplete and must be discarded.");
            default:
                throw new ObjectDisposedException(nameof(SealedStreamWriter));
        }
    }

    private void Release()
    {
        _cipher?.Dispose();
        _cipher = null;
        if (_buffer is { } buffer)
        {
            _buffer = null;
            BufferPool.Shared.Return(buffer, clearArray: true);
        }

        if (_spare is { } spare)
        {
            _spare = null;
            BufferPool.Shared.Return(spare, clearArray: true);
        }
    }
}
