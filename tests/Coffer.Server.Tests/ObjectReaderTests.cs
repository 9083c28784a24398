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
            await using var pending = await ObjectWriter.WriteAsync(new MemoryStream(parts[i]), parts[i].Length, long.MaxValue, key, $"part:{i + 1}", null, _blobs, default);
            await pending.Blob.CommitAsync();
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
        await using var pending = await ObjectWriter.WriteAsync(new MemoryStream(new byte[1000]), 1000, long.MaxValue, key, "object", null, _blobs, default);
        await pending.Blob.CommitAsync();
        var obj = new ObjectRecord { Bucket = "b", Key = "k", Size = 1000, ETag = "e", Crc64 = 0, LastModified = DateTimeOffset.UtcNow, Streams = [pending.ToObjectStream()] };
        using var other = ObjectKey.Generate();

        await using var plaintext = ObjectReader.Open(obj, other, _blobs);

        await Assert.ThrowsAsync<SealedStreamException>(async () => await plaintext.ReadExactlyAsync(new byte[100]));
    }
}
