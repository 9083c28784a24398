using System.Text;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

/// <summary>
/// A request body: text, bytes, a stream or a file, as the Python SDK's <c>Body</c> takes
/// <c>str</c>, <c>bytes</c> or a file object. Strings, byte arrays and streams convert
/// implicitly, so <c>Body = "123"</c> works. Bodies that can be rewound (text, bytes, files,
/// seekable streams) are resent on a retry; a non-seekable stream is sent once and not retried.
/// </summary>
public sealed class CosBody
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly Stream? _stream;
    private readonly long _streamStart;
    private readonly string? _path;
    private readonly long _fileOffset;
    private int _streamUses;

    private CosBody(ReadOnlyMemory<byte> bytes)
    {
        _bytes = bytes;
        Length = bytes.Length;
        CanReplay = true;
    }

    private CosBody(Stream stream, long? length)
    {
        _stream = stream;
        if (stream.CanSeek)
        {
            _streamStart = stream.Position;
            long remaining = stream.Length - _streamStart;
            Length = length is { } l ? Math.Min(l, remaining) : remaining;
            CanReplay = true;
        }
        else
        {
            Length = length;
        }
    }

    private CosBody(string path, long offset, long length)
    {
        _path = path;
        _fileOffset = offset;
        Length = length;
        CanReplay = true;
    }

    /// <summary>The number of bytes, or null for a stream of unknown length (sent with chunked transfer encoding).</summary>
    public long? Length { get; }

    /// <summary>Whether the body can be sent again on a retry.</summary>
    public bool CanReplay { get; }

    /// <summary>The UTF-8 (or <paramref name="encoding"/>) bytes of <paramref name="text"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="encoding">The encoding; UTF-8 when null.</param>
    public static CosBody FromString(string text, Encoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new((encoding ?? Encoding.UTF8).GetBytes(text));
    }

    /// <summary>These bytes (not copied: do not change them while the request runs).</summary>
    /// <param name="data">The bytes.</param>
    public static CosBody FromBytes(ReadOnlyMemory<byte> data) => new(data);

    /// <summary>
    /// The rest of <paramref name="stream"/> from its current position (at most
    /// <paramref name="length"/> bytes). The stream is not disposed. A seekable stream is
    /// rewound to that position for each retry.
    /// </summary>
    /// <param name="stream">The stream to read.</param>
    /// <param name="length">How many bytes to send; null for all that remain (needed for a non-seekable stream to send a Content-Length).</param>
    public static CosBody FromStream(Stream stream, long? length = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "The body stream cannot be read.");
        }

        if (length < 0)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "The body length cannot be negative.");
        }

        return new(stream, length);
    }

    /// <summary>A local file, or the part of it from <paramref name="offset"/> of <paramref name="length"/> bytes. It is opened for each attempt.</summary>
    /// <param name="path">The file's path.</param>
    /// <param name="offset">Where to start.</param>
    /// <param name="length">How many bytes; null for the rest of the file.</param>
    public static CosBody FromFile(string path, long offset = 0, long? length = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        FileInfo info;
        try
        {
            info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new CosClientException(CosClientErrorKind.Io, $"The file '{path}' does not exist.");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CosClientException(CosClientErrorKind.Io, $"The file '{path}' cannot be read: {e.Message}", e);
        }

        if (offset < 0 || offset > info.Length || length < 0 || offset + (length ?? 0) > info.Length)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"The range {offset}+{length} lies outside the file '{path}' ({info.Length} bytes).");
        }

        return new(path, offset, length ?? info.Length - offset);
    }

    /// <summary>Text as UTF-8.</summary>
    /// <param name="text">The text.</param>
    public static implicit operator CosBody(string text) => FromString(text);

    /// <summary>These bytes.</summary>
    /// <param name="data">The bytes.</param>
    public static implicit operator CosBody(byte[] data) => FromBytes(data);

    /// <summary>The rest of this stream.</summary>
    /// <param name="stream">The stream.</param>
    public static implicit operator CosBody(Stream stream) => FromStream(stream);

    /// <summary>The in-memory bytes, when the body is text or bytes (used to hash small bodies for SigV4).</summary>
    internal ReadOnlyMemory<byte>? Memory => _stream is null && _path is null ? _bytes : (ReadOnlyMemory<byte>?)null;

    /// <summary>Opens the body for one attempt. Throws when a non-replayable body was already used.</summary>
    internal Stream OpenForAttempt()
    {
        if (_path is not null)
        {
            try
            {
                var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
                file.Position = _fileOffset;
                return new BoundedReadStream(file, Length!.Value, ownsInner: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CosClientException(CosClientErrorKind.Io, $"The file '{_path}' cannot be read: {e.Message}", e);
            }
        }

        if (_stream is not null)
        {
            if (_stream.CanSeek)
            {
                _stream.Position = _streamStart;
            }
            else if (Interlocked.Increment(ref _streamUses) > 1)
            {
                throw new CosClientException(CosClientErrorKind.InvalidArgument, "The body stream is not seekable and was already sent; it cannot be sent again.");
            }

            return Length is { } length ? new BoundedReadStream(_stream, length, ownsInner: false) : new BoundedReadStream(_stream, long.MaxValue, ownsInner: false);
        }

        return new ReadOnlyMemoryStream(_bytes);
    }
}
