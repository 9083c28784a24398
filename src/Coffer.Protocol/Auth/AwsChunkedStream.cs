using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Coffer.Protocol.Auth;

/// <summary>
/// Decodes an aws-chunked body (<c>Content-Encoding: aws-chunked</c>) [AWS "Transferring Payload
/// in Multiple Chunks"; "Signature calculations for trailing headers"]:
/// <code>
/// hex-size[;chunk-signature=sig]\r\n data \r\n   (repeated)
/// 0[;chunk-signature=sig]\r\n
/// name:value\r\n ...  [x-amz-trailer-signature:sig\r\n]   (trailer, optional)
/// \r\n
/// </code>
/// For <see cref="PayloadKind.StreamingSigned"/> and <see cref="PayloadKind.StreamingSignedTrailer"/>
/// each chunk signature is verified, chained from the request's seed signature, and so is the
/// trailer signature; <see cref="PayloadKind.StreamingUnsignedTrailer"/> has no signatures.
/// </summary>
/// <remarks>
/// Read-only and forward-only. Chunk data is handed out as it arrives, and a chunk's signature is
/// checked when the chunk ends: a consumer must treat any exception as "discard everything read
/// so far". The stream returns 0 (end) only after every signature, the trailer and the decoded
/// length have been checked. Failures are <see cref="CofferException"/>s:
/// <see cref="ErrorCode.SignatureDoesNotMatch"/> for a bad or missing chunk or trailer signature,
/// <see cref="ErrorCode.IncompleteBody"/> when the body ends early or the decoded length differs
/// from the expected one, <see cref="ErrorCode.InvalidRequest"/> for malformed framing. Once
/// failed, every later read throws the same exception. The inner stream is not disposed.
/// </remarks>
public sealed class AwsChunkedStream : Stream
{
    /// <summary>Longest chunk header or trailer line accepted, so that garbage cannot exhaust memory.</summary>
    public const int MaxLineLength = 4096;

    /// <summary>Most bytes of trailer lines accepted.</summary>
    public const int MaxTrailerBytes = 16 * 1024;

    private const int BufferSize = 16 * 1024;
    private const string TrailerSignatureName = "x-amz-trailer-signature";

    private readonly Stream _inner;
    private readonly PayloadKind _mode;
    private readonly ChunkSigningContext? _signing;
    private readonly long _expectedLength;
    private readonly Dictionary<string, string> _trailers = new(StringComparer.Ordinal);
    private readonly List<KeyValuePair<string, string>> _trailerLines = [];
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private IncrementalHash? _chunkHash;
    private State _state = State.ChunkHeader;
    private long _chunkRemaining;
    private string? _chunkSignature;
    private string? _previousSignature;
    private long _decoded;
    private CofferException? _failure;

    private enum State
    {
        ChunkHeader,
        ChunkData,
        ChunkEnd,
        Trailer,
        Done,
    }

    /// <summary>Wraps <paramref name="inner"/>, the raw request body.</summary>
    /// <param name="inner">The raw (still chunk-encoded) request body.</param>
    /// <param name="identity">The caller; its <see cref="AuthenticatedIdentity.Payload"/> must be one of the streaming kinds.</param>
    /// <param name="expectedDecodedLength">x-amz-decoded-content-length, or -1 when unknown.</param>
    public AwsChunkedStream(Stream inner, AuthenticatedIdentity identity, long expectedDecodedLength)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(identity);
        if (identity.Payload is not (PayloadKind.StreamingSigned or PayloadKind.StreamingSignedTrailer or PayloadKind.StreamingUnsignedTrailer))
        {
            throw new ArgumentException($"The request's payload is {identity.Payload}, not an aws-chunked kind.", nameof(identity));
        }

        if (identity.Payload != PayloadKind.StreamingUnsignedTrailer)
        {
            _signing = identity.Chunking ?? throw new ArgumentException("A signed aws-chunked payload needs the identity's chunk signing context.", nameof(identity));
            _previousSignature = _signing.SeedSignature;
            _chunkHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        }

        _inner = inner;
        _mode = identity.Payload;
        _expectedLength = expectedDecodedLength < 0 ? -1 : expectedDecodedLength;
        _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    }

    /// <summary>
    /// The trailer headers (lower-case names, e.g. "x-amz-checksum-crc32" → base64 value), without
    /// x-amz-trailer-signature; complete once the stream has returned 0.
    /// </summary>
    public IReadOnlyDictionary<string, string> Trailers => _trailers;

    /// <summary>Decoded bytes returned so far.</summary>
    public long DecodedLength => _decoded;

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <summary>Decoded bytes returned so far; cannot be set.</summary>
    public override long Position
    {
        get => _decoded;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadCoreAsync(buffer.AsMemory(offset, count), false, default).GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return 0;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length, 1 << 20));
        try
        {
            int n = ReadCoreAsync(rented.AsMemory(0, Math.Min(buffer.Length, rented.Length)), false, default).GetAwaiter().GetResult();
            rented.AsSpan(0, n).CopyTo(buffer);
            return n;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc/>
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 0 ? -1 : one[0];
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadCoreAsync(buffer.AsMemory(offset, count), true, cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ReadCoreAsync(buffer, true, cancellationToken);

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_buffer is { } b)
            {
                _buffer = null;
                ArrayPool<byte>.Shared.Return(b);
            }

            _chunkHash?.Dispose();
            _chunkHash = null;
        }

        base.Dispose(disposing);
    }

    private async ValueTask<int> ReadCoreAsync(Memory<byte> destination, bool isAsync, CancellationToken cancellationToken)
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        ObjectDisposedException.ThrowIf(_buffer is null, this);
        if (destination.IsEmpty)
        {
            return 0;
        }

        try
        {
            while (true)
            {
                switch (_state)
                {
                    case State.Done:
                        return 0;

                    case State.ChunkHeader:
                        {
                            var line = await ReadLineAsync(isAsync, cancellationToken).ConfigureAwait(false)
                                ?? throw Incomplete();
                            ParseChunkHeader(_buffer.AsSpan(line.Start, line.Length));
                            if (_chunkRemaining == 0)
                            {
                                VerifyChunkSignature();
                                _state = State.Trailer;
                            }
                            else
                            {
                                _state = State.ChunkData;
                            }

                            continue;
                        }

                    case State.ChunkData:
                        {
                            int want = (int)Math.Min(destination.Length, _chunkRemaining);
                            int n;
                            if (_end > _start)
                            {
                                n = Math.Min(want, _end - _start);
                                _buffer.AsSpan(_start, n).CopyTo(destination.Span);
                                _start += n;
                            }
                            else
                            {
                                var target = destination[..want];
                                n = isAsync
                                    ? await _inner.ReadAsync(target, cancellationToken).ConfigureAwait(false)
                                    : _inner.Read(target.Span);
                                if (n == 0)
                                {
                                    throw Incomplete();
                                }
                            }

                            _chunkHash?.AppendData(destination.Span[..n]);
                            _chunkRemaining -= n;
                            _decoded += n;
                            if (_chunkRemaining == 0)
                            {
                                _state = State.ChunkEnd;
                            }

                            return n;
                        }

                    case State.ChunkEnd:
                        {
                            if (!await EnsureAsync(2, isAsync, cancellationToken).ConfigureAwait(false))
                            {
                                throw Incomplete();
                            }

                            if (_buffer[_start] != (byte)'\r' || _buffer[_start + 1] != (byte)'\n')
                            {
                                throw Malformed("chunk data is not followed by CRLF (the chunk is longer than its declared size)");
                            }

                            _start += 2;
                            VerifyChunkSignature();
                            _state = State.ChunkHeader;
                            continue;
                        }

                    case State.Trailer:
                        await ReadTrailerAsync(isAsync, cancellationToken).ConfigureAwait(false);
                        _state = State.Done;
                        return 0;
                }
            }
        }
        catch (CofferException e)
        {
            _failure = e;
            throw;
        }
    }

    /// <summary>Parses "hex-size[;name=value]*", setting the chunk size and signature.</summary>
    private void ParseChunkHeader(ReadOnlySpan<byte> line)
    {
        int semi = line.IndexOf((byte)';');
        var sizeText = (semi < 0 ? line : line[..semi]).TrimEnd((byte)' ');
        if (sizeText.IsEmpty || sizeText.Length > 16 ||
            !ulong.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong size))
        {
            throw Malformed("the chunk size is not a hexadecimal number");
        }

        if (size > long.MaxValue - (ulong)_decoded || (_expectedLength >= 0 && (long)size > _expectedLength - _decoded))
        {
            throw new CofferException(ErrorCode.IncompleteBody,
                "The aws-chunked body is longer than x-amz-decoded-content-length.");
        }

        _chunkRemaining = (long)size;
        _chunkSignature = null;
        var rest = semi < 0 ? [] : line[(semi + 1)..];
        while (!rest.IsEmpty)
        {
            int next = rest.IndexOf((byte)';');
            var ext = next < 0 ? rest : rest[..next];
            rest = next < 0 ? [] : rest[(next + 1)..];
            int eq = ext.IndexOf((byte)'=');
            if (eq > 0 && ext[..eq].Trim((byte)' ').SequenceEqual("chunk-signature"u8))
            {
                _chunkSignature = Encoding.ASCII.GetString(ext[(eq + 1)..].Trim((byte)' '));
            }
        }

        if (_signing is not null && _chunkSignature is null)
        {
            throw new CofferException(ErrorCode.SignatureDoesNotMatch, "An aws-chunked chunk has no chunk-signature.");
        }
    }

    private void VerifyChunkSignature()
    {
        if (_signing is null)
        {
            return;
        }

        Span<byte> hash = stackalloc byte[32];
        _chunkHash!.GetHashAndReset(hash);
        string expected = SigV4.Sign(_signing.SigningKey,
            SigV4.ChunkStringToSign(_signing.AmzDate, _signing.Scope, _previousSignature!, Convert.ToHexStringLower(hash)));
        if (!SigV4.SignatureEquals(expected, _chunkSignature!))
        {
            throw new CofferException(ErrorCode.SignatureDoesNotMatch, "An aws-chunked chunk signature does not match.");
        }

        _previousSignature = expected;
    }

    private async ValueTask ReadTrailerAsync(bool isAsync, CancellationToken cancellationToken)
    {
        string? trailerSignature = null;
        int total = 0;
        while (true)
        {
            // The final CRLF may be missing at the very end of the body.
            var line = await ReadLineAsync(isAsync, cancellationToken).ConfigureAwait(false);
            if (line is null || line.Value.Length == 0)
            {
                break;
            }

            total += line.Value.Length;
            if (total > MaxTrailerBytes)
            {
                throw Malformed("the trailer is too large");
            }

            var text = Encoding.UTF8.GetString(_buffer.AsSpan(line.Value.Start, line.Value.Length));
            int colon = text.IndexOf(':');
            if (colon <= 0)
            {
                throw Malformed("a trailer line is not of the form name:value");
            }

            string name = text[..colon].Trim().ToLowerInvariant();
            string value = text[(colon + 1)..].Trim();
            if (name == TrailerSignatureName)
            {
                trailerSignature = value;
                continue;
            }

            if (!_trailers.TryAdd(name, value))
            {
                throw Malformed($"the trailer '{name}' is repeated");
            }

            _trailerLines.Add(new(name, value));
        }

        if (_mode == PayloadKind.StreamingSigned && _trailerLines.Count > 0)
        {
            throw new CofferException(ErrorCode.InvalidRequest,
                "An aws-chunked body signed with STREAMING-AWS4-HMAC-SHA256-PAYLOAD cannot carry trailers.");
        }

        if (_mode == PayloadKind.StreamingSignedTrailer)
        {
            VerifyTrailerSignature(trailerSignature);
        }

        if (_expectedLength >= 0 && _decoded != _expectedLength)
        {
            throw Incomplete();
        }

        // Nothing may follow the body.
        if (_end > _start)
        {
            throw Malformed("data follows the end of the body");
        }

        int extra = isAsync
            ? await _inner.ReadAsync(_buffer.AsMemory(0, 1), cancellationToken).ConfigureAwait(false)
            : _inner.Read(_buffer.AsSpan(0, 1));
        if (extra != 0)
        {
            throw Malformed("data follows the end of the body");
        }
    }

    private void VerifyTrailerSignature(string? provided)
    {
        if (provided is null)
        {
            throw new CofferException(ErrorCode.SignatureDoesNotMatch, "The aws-chunked trailer has no x-amz-trailer-signature.");
        }

        // Canonical trailer: each "name:value\n" in the order sent; also tried sorted by name, and
        // for an empty trailer both "" and "\n", since clients differ there.
        List<string> candidates = [Canonical(_trailerLines)];
        if (_trailerLines.Count > 1)
        {
            candidates.Add(Canonical(_trailerLines.OrderBy(p => p.Key, StringComparer.Ordinal)));
        }
        else if (_trailerLines.Count == 0)
        {
            candidates.Add("\n");
        }

        foreach (string canonical in candidates)
        {
            string expected = SigV4.Sign(_signing!.SigningKey,
                SigV4.TrailerStringToSign(_signing.AmzDate, _signing.Scope, _previousSignature!, canonical));
            if (SigV4.SignatureEquals(expected, provided))
            {
                return;
            }
        }

        throw new CofferException(ErrorCode.SignatureDoesNotMatch, "The aws-chunked trailer signature does not match.");

        static string Canonical(IEnumerable<KeyValuePair<string, string>> lines)
        {
            var sb = new StringBuilder();
            foreach (var (name, value) in lines)
            {
                sb.Append(name).Append(':').Append(value).Append('\n');
            }

            return sb.ToString();
        }
    }

    /// <summary>
    /// Reads one line ending in LF (a preceding CR is dropped) from the buffer, filling it as
    /// needed. Returns its position in the buffer, valid until the next fill; null when the body
    /// ends before the line starts. Throws when the line is too long or cut off.
    /// </summary>
    private async ValueTask<(int Start, int Length)?> ReadLineAsync(bool isAsync, CancellationToken cancellationToken)
    {
        int scanned = 0;
        while (true)
        {
            int lf = _buffer.AsSpan(_start + scanned, _end - _start - scanned).IndexOf((byte)'\n');
            if (lf >= 0)
            {
                int length = scanned + lf;
                int lineStart = _start;
                _start += length + 1;
                if (length > 0 && _buffer![lineStart + length - 1] == (byte)'\r')
                {
                    length--;
                }

                return (lineStart, length);
            }

            scanned = _end - _start;
            if (scanned > MaxLineLength)
            {
                throw Malformed("a chunk header or trailer line is too long");
            }

            if (!await FillAsync(isAsync, cancellationToken).ConfigureAwait(false))
            {
                if (_end == _start)
                {
                    return null;
                }

                throw Incomplete();
            }
        }
    }

    /// <summary>Ensures at least <paramref name="count"/> buffered bytes; false at the end of the body.</summary>
    private async ValueTask<bool> EnsureAsync(int count, bool isAsync, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            if (!await FillAsync(isAsync, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads more of the inner stream behind the buffered bytes; false at its end.</summary>
    private async ValueTask<bool> FillAsync(bool isAsync, CancellationToken cancellationToken)
    {
        byte[] buffer = _buffer!;
        if (_start > 0)
        {
            buffer.AsSpan(_start, _end - _start).CopyTo(buffer);
            _end -= _start;
            _start = 0;
        }

        var free = buffer.AsMemory(_end);
        int n = isAsync
            ? await _inner.ReadAsync(free, cancellationToken).ConfigureAwait(false)
            : _inner.Read(free.Span);
        _end += n;
        return n > 0;
    }

    private static CofferException Incomplete() =>
        new(ErrorCode.IncompleteBody, "The aws-chunked body ended early, or its decoded length is not x-amz-decoded-content-length.");

    private static CofferException Malformed(string what) =>
        new(ErrorCode.InvalidRequest, "Malformed aws-chunked body: " + what + ".");
}
