using System.Security.Cryptography;
using Coffer.Crypto;
using Coffer.Server.Objects;
using Coffer.Storage;

namespace Coffer.Server.Tests;

/// <summary>ObjectReader.Open: an object's streams read back as one plaintext stream, as a rewriting copy reads them.</summary>
public sealed class ObjectReaderTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "coffer-server-tests", Guid.NewGuid().ToString("N"));
    private readonly FileSystemBlobStore _blobs;

    public ObjectReaderTests() => _blobs = new FileSystemBlobStore(_root);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData(true, new[] { 70_000, 1, 0, 131_072 })]
    [InlineData(false, new[] { 5, 65_536 })]
    [InlineData(true, new int[0])]
    public async Task Every_stream_is_read_in_order_through_one_pass(bool encrypted, int[] sizes)
    {
        using var key = encrypted ? ObjectKey.Generate() : null;
        var parts = sizes.Select(n => RandomNumberGenerator.GetBytes(n)).ToArray();
        var streams = new List<ObjectStream>();
        for (var i = 0; i < parts.Length; i++)
        {
            await using var pending = await ObjectWriter.WriteAsync(new MemoryStream(parts[i]), parts[i].Length, long.MaxValue, key, StreamCipher.Aes256Gcm, $"part:{i + 1}", null, _blobs, inlineMax: 0, default);
            await pending.Blob!.CommitAsync();
            streams.Add(pending.ToObjectStream());
        }
        var whole = parts.SelectMany(p => p).ToArray();
        var obj = new ObjectRecord { Bucket = "b", Key = "k", Size = whole.Length, ETag = "x-" + parts.Length, Crc64 = 0, LastModified = DateTimeOffset.UtcNow, Streams = streams };

        await using var plaintext = ObjectReader.Open(obj, key, _blobs);
        key?.Dispose();   // the reader holds its own copy
        using var copy = new MemoryStream();
        var buffer = new byte[777];
        int n;
        while ((n = await plaintext.ReadAsync(buffer)) > 0)
            copy.Write(buffer, 0, n);

        Assert.Equal(whole, copy.ToArray());
        Assert.Equal(whole.Length, plaintext.Position);
        Assert.Equal(0, await plaintext.ReadAsync(buffer));
    }

    [Fact]
    public async Task A_wrong_key_fails_the_integrity_check_instead_of_returning_bytes()
    {
        using var key = ObjectKey.Generate();
        await using var pending = await ObjectWriter.WriteAsync(new MemoryStream(new byte[1000]), 1000, long.MaxValue, key, StreamCipher.Aes256Gcm, "object", null, _blobs, inlineMax: 0, default);
        await pending.Blob!.CommitAsync();
        var obj = new ObjectRecord { Bucket = "b", Key = "k", Size = 1000, ETag = "e", Crc64 = 0, LastModified = DateTimeOffset.UtcNow, Streams = [pending.ToObjectStream()] };
        using var other = ObjectKey.Generate();

        await using var plaintext = ObjectReader.Open(obj, other, _blobs);

        await Assert.ThrowsAsync<SealedStreamException>(async () => await plaintext.ReadExactlyAsync(new byte[100]));
    }

    [Theory]
    [InlineData(0, 10)]
    [InlineData(3 * 65_536 + 5, 100)]
    [InlineData(5 * 65_536 + 1, 65_536)]
    [InlineData(0, 7 * 65_536 + 3)]
    public async Task A_range_asks_the_blob_store_for_the_header_and_exactly_the_frames_it_touches(long offset, long count)
    {
        const int size = (7 * 65_536) + 3;
        var plaintext = RandomNumberGenerator.GetBytes(size);
        using var key = ObjectKey.Generate();
        await using var pending = await ObjectWriter.WriteAsync(new MemoryStream(plaintext), size, long.MaxValue, key, StreamCipher.Aes256Gcm, "object", null, _blobs, inlineMax: 0, default);
        await pending.Blob!.CommitAsync();
        var obj = new ObjectRecord { Bucket = "b", Key = "k", Size = size, ETag = "e", Crc64 = 0, LastModified = DateTimeOffset.UtcNow, Streams = [pending.ToObjectStream()] };
        var recording = new RecordingBlobStore(_blobs);
        using var output = new MemoryStream();

        await ObjectReader.CopyRangeAsync(obj, key, offset, count, output, recording, default);

        Assert.Equal(plaintext.AsSpan((int)offset, (int)count).ToArray(), output.ToArray());
        var (start, length) = SealedStream.StoredRange(size, offset, count);
        var toEnd = start + length == pending.BlobSize;   // the final frame: asked for to the end, so nothing may follow it
        (long, long?) frames = (start, toEnd ? null : length);
        (long, long?)[] expected = start - SealedStream.HeaderSize <= 65_536 + SealedStream.TagSize
            ? [(0, toEnd ? null : start + length)]
            : [frames, (0, SealedStream.HeaderSize)];
        Assert.Equal(expected, recording.Reads);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(4096, true)]
    [InlineData(4096, false)]
    [InlineData(100_000, true)]
    public async Task A_small_stream_stays_in_memory_and_reads_back_from_it_without_any_blob(int size, bool lengthDeclared)
    {
        var plaintext = RandomNumberGenerator.GetBytes(size);
        using var key = ObjectKey.Generate();
        var inlineMax = SealedSizeOf(size);   // exactly fits

        await using var pending = await ObjectWriter.WriteAsync(new MemoryStream(plaintext), lengthDeclared ? size : null, long.MaxValue, key, StreamCipher.Aes256Gcm, "object", null, _blobs, inlineMax, default);

        Assert.Null(pending.Blob);
        var stream = pending.ToObjectStream();
        Assert.True(stream.IsInline);
        Assert.Equal(pending.BlobSize, stream.Inline!.Length);
        Assert.Empty(Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories));
        var obj = new ObjectRecord { Bucket = "b", Key = "k", Size = size, ETag = "e", Crc64 = 0, LastModified = DateTimeOffset.UtcNow, Streams = [stream] };
        using var whole = new MemoryStream();
        await ObjectReader.CopyRangeAsync(obj, key, 0, size, whole, _blobs, default);
        Assert.Equal(plaintext, whole.ToArray());
        if (size > 10)
        {
            using var range = new MemoryStream();
            await ObjectReader.CopyRangeAsync(obj, key, size / 3, size / 2, range, _blobs, default);
            Assert.Equal(plaintext.AsSpan(size / 3, size / 2).ToArray(), range.ToArray());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stream_one_byte_past_the_inline_limit_goes_whole_into_a_blob(bool lengthDeclared)
    {
        const int size = 100_000;
        var plaintext = RandomNumberGenerator.GetBytes(size);
        using var key = ObjectKey.Generate();

        await using var pending = await ObjectWriter.WriteAsync(new MemoryStream(plaintext), lengthDeclared ? size : null, long.MaxValue, key, StreamCipher.Aes256Gcm, "object", null, _blobs,
            inlineMax: SealedSizeOf(size) - 1, default);

        Assert.Null(pending.Inline);
        Assert.NotNull(pending.Blob);
        await pending.Blob!.CommitAsync();
        var stream = pending.ToObjectStream();
        Assert.False(stream.IsInline);
        Assert.Equal(pending.BlobSize, new FileInfo(Directory.EnumerateFiles(_root, stream.BlobId, SearchOption.AllDirectories).Single()).Length);
        var obj = new ObjectRecord { Bucket = "b", Key = "k", Size = size, ETag = "e", Crc64 = 0, LastModified = DateTimeOffset.UtcNow, Streams = [stream] };
        using var whole = new MemoryStream();
        await ObjectReader.CopyRangeAsync(obj, key, 0, size, whole, _blobs, default);
        Assert.Equal(plaintext, whole.ToArray());
    }

    [Fact]
    public async Task A_listing_record_without_its_inline_bytes_is_never_read_as_empty_data()
    {
        var stream = new ObjectStream(ObjectStream.InlineBlobId, 10, "object", 60, "00");
        var obj = new ObjectRecord { Bucket = "b", Key = "k", Size = 10, ETag = "e", Crc64 = 0, LastModified = DateTimeOffset.UtcNow, Streams = [stream] };

        await Assert.ThrowsAsync<InvalidOperationException>(() => ObjectReader.CopyRangeAsync(obj, null, 0, 10, new MemoryStream(), _blobs, default));
    }

    /// <summary>The sealed size of a plaintext of <paramref name="size"/> bytes, measured by sealing one into a blob.</summary>
    private int SealedSizeOf(int size)
    {
        using var key = ObjectKey.Generate();
        var pending = ObjectWriter.WriteAsync(new MemoryStream(new byte[size]), size, long.MaxValue, key, StreamCipher.Aes256Gcm, "object", null, _blobs, inlineMax: 0, default).GetAwaiter().GetResult();
        var sealedSize = (int)pending.BlobSize;
        pending.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return sealedSize;
    }

    /// <summary>The filesystem store, recording every range asked of it.</summary>
    private sealed class RecordingBlobStore(IBlobStore inner) : IBlobStore
    {
        public List<(long Offset, long? Length)> Reads { get; } = [];

        public IBlobWriter CreateWriter() => inner.CreateWriter();

        public ValueTask<Stream> OpenReadAsync(string blobId, long offset = 0, long? length = null, CancellationToken ct = default)
        {
            Reads.Add((offset, length));
            return inner.OpenReadAsync(blobId, offset, length, ct);
        }

        public ValueTask<bool> ExistsAsync(string blobId, CancellationToken ct = default) => inner.ExistsAsync(blobId, ct);
        public ValueTask DeleteAsync(string blobId, CancellationToken ct = default) => inner.DeleteAsync(blobId, ct);
        public IAsyncEnumerable<BlobInfo> ListAsync(CancellationToken ct = default) => inner.ListAsync(ct);
    }
}
