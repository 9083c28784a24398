using System.Security.Cryptography;

namespace Coffer.Protocol.Auth;

/// <summary>
/// Wraps a body whose SHA-256 was signed (<see cref="PayloadKind.Sha256"/>): hashes what passes
/// through and, when the inner stream ends, compares it with the signed hash, throwing
/// <see cref="CofferException"/>(<see cref="ErrorCode.XAmzContentSHA256Mismatch"/>) instead of
/// returning end-of-stream when they differ. Read-only, forward-only; the inner stream is not
/// disposed.
/// </summary>
public sealed class Sha256VerifyingStream : Stream
{
    private readonly Stream _inner;
    private readonly byte[] _expected;
    private IncrementalHash? _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _position;
    private bool _verified;
    private CofferException? _failure;

    /// <summary>Wraps <paramref name="inner"/>, the request body.</summary>
    /// <param name="inner">The request body.</param>
    /// <param name="expectedHex">The signed hex SHA-256 (x-amz-content-sha256), any case.</param>
    public Sha256VerifyingStream(Stream inner, string expectedHex)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(expectedHex);
        if (!SigV4.IsSha256Hex(expectedHex))
        {
            throw new ArgumentException("The expected SHA-256 must be 64 hexadecimal characters.", nameof(expectedHex));
        }

        _inner = inner;
        _expected = Convert.FromHexString(expectedHex);
    }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <summary>Bytes returned so far; cannot be set.</summary>
    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return Read(buffer.AsSpan(offset, count));
    }

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        if (Finished(buffer.IsEmpty) is { } done)
        {
            return done;
        }

        return After(_inner.Read(buffer), buffer);
    }

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    /// <inheritdoc/>
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Finished(buffer.IsEmpty) is { } done)
        {
            return done;
        }

        int n = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        return After(n, buffer.Span);
    }

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
            _hash?.Dispose();
            _hash = null;
        }

        base.Dispose(disposing);
    }

    private int? Finished(bool emptyBuffer)
    {
        if (_failure is not null)
        {
            throw _failure;
        }

        if (_verified || emptyBuffer)
        {
            return 0;
        }

        ObjectDisposedException.ThrowIf(_hash is null, this);
        return null;
    }

    private int After(int n, ReadOnlySpan<byte> buffer)
    {
        if (n > 0)
        {
            _hash!.AppendData(buffer[..n]);
            _position += n;
            return n;
        }

        Span<byte> actual = stackalloc byte[32];
        _hash!.GetHashAndReset(actual);
        if (!CryptographicOperations.FixedTimeEquals(actual, _expected))
        {
            _failure = new CofferException(ErrorCode.XAmzContentSHA256Mismatch);
            throw _failure;
        }

        _verified = true;
        return 0;
    }
}
