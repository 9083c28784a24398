using System.Buffers;
using System.IO.Hashing;
using System.Security.Cryptography;
using Coffer.Crypto;
using Coffer.Protocol;
using Coffer.Protocol.Checksums;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>
/// A stream written but not yet committed: commit it after the checks pass, or dispose it to leave nothing
/// behind. A small stream is held in memory (<see cref="Inline"/>) and goes into the object's metadata row;
/// a larger one is in a blob being written (<see cref="Blob"/>).
/// </summary>
public sealed class PendingStream : IAsyncDisposable
{
    public IBlobWriter? Blob { get; init; }
    /// <summary>The sealed stream, when it is kept inline instead of in a blob.</summary>
    public byte[]? Inline { get; init; }
    public required long PlainSize { get; init; }
    public required byte[] Md5 { get; init; }
    public required ulong Crc64 { get; init; }
    public required long BlobSize { get; init; }
    public required string BlobChecksum { get; init; }
    public required string StreamIdentity { get; init; }
    public string? ChecksumBase64 { get; init; }

    public ObjectStream ToObjectStream() =>
        new(Blob?.BlobId ?? ObjectStream.InlineBlobId, PlainSize, StreamIdentity, BlobSize, BlobChecksum) { Inline = Inline };

    /// <summary>Makes the blob durable (recorded as pending in the ledger first); an inline stream needs nothing before its metadata commit.</summary>
    public Task CommitAsync(IBlobLedger ledger, TimeProvider time, CancellationToken ct) =>
        Blob is null ? Task.CompletedTask : ledger.CommitBlobAsync(Blob, time, ct);

    public ValueTask DisposeAsync() => Blob?.DisposeAsync() ?? ValueTask.CompletedTask;
}

/// <summary>
/// Moves a request body into a sealed blob in one pass: each buffer is hashed (MD5 for the
/// ETag and Content-MD5, CRC-64 for COS, the S3 checksum when asked) and handed to the
/// segment sealer, whose output is hashed again (keyless integrity checksum) on its way to disk.
/// </summary>
public static class ObjectWriter
{
    public const int BufferSize = 1024 * 1024;

    /// <summary>
    /// Writes an object's single stream. One whose sealed form stays within <paramref name="inlineMax"/> bytes
    /// is kept in memory for the object's metadata row (<see cref="PendingStream.Inline"/>); past that, it
    /// moves into a blob as it grows.
    /// </summary>
    public static Task<PendingStream> WriteAsync(Stream body, long? expectedLength, long maxLength, ObjectKey? key, StreamCipher cipher, string streamIdentity,
        ChecksumAlgorithm? checksum, IBlobStore blobs, int inlineMax, CancellationToken ct) =>
        WriteAsync(body, expectedLength, maxLength, key, cipher, streamIdentity, null, checksum, blobs, inlineMax, ct);

    /// <summary>
    /// Writes a stream into a new blob, with a stream identity made from the blob's id (multipart parts are
    /// sealed as <c>part:N:&lt;blob id&gt;</c>, so an older upload of the same part number cannot be swapped back in).
    /// </summary>
    public static Task<PendingStream> WriteAsync(Stream body, long? expectedLength, long maxLength, ObjectKey? key, StreamCipher cipher, Func<string, string> streamIdentityOf,
        ChecksumAlgorithm? checksum, IBlobStore blobs, CancellationToken ct) =>
        WriteAsync(body, expectedLength, maxLength, key, cipher, null, streamIdentityOf, checksum, blobs, inlineMax: 0, ct);

    private static async Task<PendingStream> WriteAsync(Stream body, long? expectedLength, long maxLength, ObjectKey? key, StreamCipher cipher, string? streamIdentity,
        Func<string, string>? streamIdentityOf, ChecksumAlgorithm? checksum, IBlobStore blobs, int inlineMax, CancellationToken ct)
    {
        if (expectedLength > maxLength)
            throw new CofferException(ErrorCode.EntityTooLarge, $"The upload is {expectedLength} bytes; at most {maxLength} bytes are allowed in one request (use a multipart upload for more).");

        // A declared length that cannot fit inline (sealing only adds bytes) goes to a blob from the start.
        if (expectedLength > inlineMax)
            inlineMax = 0;
        var target = new InlineOrBlob(blobs, inlineMax);
        streamIdentity ??= streamIdentityOf!(target.Blob!.BlobId);
        try
        {
            // Small bodies get small buffers hashed inline; large ones the worker and 1 MiB buffers.
            var bufferSize = (int)Math.Clamp(expectedLength ?? BufferSize, SmallBufferSize, BufferSize);
            await using var md5 = new ParallelMd5(bufferSize, bufferSize < BufferSize ? 1 : 3);
            var crc = new Crc64Xz();
            var checksumHasher = checksum is { } alg ? ChecksumHasher.Create(alg) : null;
            var sink = new HashingWriteStream(target);
            long total = 0;
            await using (var writer = new SealedStreamWriter(sink, key, streamIdentity, cipher))
            {
                while (true)
                {
                    var buffer = await md5.RentAsync(ct);
                    var read = await FillAsync(body, buffer, bufferSize, md5, ct);
                    if (read == 0)
                    {
                        md5.Return(buffer);
                        break;
                    }
                    total += read;
                    if (total > maxLength)
                        throw new CofferException(ErrorCode.EntityTooLarge, $"The upload exceeds {maxLength} bytes, the most allowed in one request.");
                    if (expectedLength is { } declared && total > declared)
                        throw new CofferException(ErrorCode.IncompleteBody, "The body is longer than the length the request declared.");
                    var chunk = buffer.AsMemory(0, read);
                    md5.Hash(buffer, read);
                    crc.Append(chunk.Span);
                    checksumHasher?.Append(chunk.Span);
                    await writer.WriteAsync(chunk, ct);
                }
                if (expectedLength is { } length && total != length)
                    throw new CofferException(ErrorCode.IncompleteBody, $"The body has {total} bytes but the request declared {length}; send exactly the declared length.");
                await writer.CompleteAsync(ct);
            }
            await target.FlushAsync(ct);

            return new PendingStream
            {
                Blob = target.Blob,
                Inline = target.Blob is null ? target.InlineBytes() : null,
                PlainSize = total,
                Md5 = await md5.FinishAsync(),
                Crc64 = crc.Value,
                BlobSize = sink.Length,
                BlobChecksum = sink.ChecksumHex(),
                StreamIdentity = streamIdentity,
                ChecksumBase64 = checksumHasher?.GetBase64(),
            };
        }
        catch
        {
            if (target.Blob is { } blob)
                await blob.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Reads until the buffer holds at least <see cref="FillTarget"/> bytes or the body ends:
    /// sockets hand out a few KiB per read, and whole segments seal from the caller's memory.
    /// </summary>
    private static async ValueTask<int> FillAsync(Stream body, byte[] buffer, int size, ParallelMd5 md5, CancellationToken ct)
    {
        var filled = 0;
        var target = Math.Min(FillTarget, size);
        while (filled < target)
        {
            var read = await body.ReadAsync(buffer.AsMemory(filled, size - filled), ct);
            if (read == 0)
                break;
            filled += read;
            md5.Written(buffer, filled);   // zeroed on dispose even if the body fails before it is hashed
        }
        return filled;
    }

    private const int FillTarget = 256 * 1024;
    private const int SmallBufferSize = 16 * 1024;

    /// <summary>
    /// Where sealed bytes go: memory while they fit in the inline limit, then a blob of the store, which
    /// gets what memory held so far and everything after (no limit: a blob from the first byte).
    /// </summary>
    private sealed class InlineOrBlob : Stream
    {
        private readonly IBlobStore _blobs;
        private readonly int _inlineMax;
        private MemoryStream? _memory;

        public InlineOrBlob(IBlobStore blobs, int inlineMax)
        {
            _blobs = blobs;
            _inlineMax = inlineMax;
            if (inlineMax > 0)
                _memory = new MemoryStream(Math.Min(inlineMax, SmallBufferSize));
            else
                Blob = blobs.CreateWriter();
        }

        /// <summary>The blob, once the stream has outgrown memory (or from the start without an inline limit).</summary>
        public IBlobWriter? Blob { get; private set; }

        public byte[] InlineBytes() => _memory!.ToArray();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_memory is not null && _memory.Length + buffer.Length <= _inlineMax)
            {
                _memory.Write(buffer.Span);
                return;
            }
            if (Blob is null)
            {
                Blob = _blobs.CreateWriter();
                await Blob.Stream.WriteAsync(_memory!.GetBuffer().AsMemory(0, (int)_memory.Length), cancellationToken);
                _memory = null;
            }
            await Blob.Stream.WriteAsync(buffer, cancellationToken);
        }

        // The sealer writes asynchronously only; a synchronous write would block on a remote blob store.
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Write sealed bytes asynchronously.");

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => Blob?.Stream.FlushAsync(cancellationToken) ?? Task.CompletedTask;
        public override void Flush() => Blob?.Stream.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Write-through stream that hashes what passes (XxHash128) and counts it.</summary>
    private sealed class HashingWriteStream(Stream inner) : Stream
    {
        private readonly XxHash128 _hash = new();

        public override long Length => _length;
        private long _length;

        public string ChecksumHex() => Convert.ToHexStringLower(_hash.GetCurrentHash());

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            _hash.Append(buffer);
            _length += buffer.Length;
            inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.Append(buffer.Span);
            _length += buffer.Length;
            await inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
