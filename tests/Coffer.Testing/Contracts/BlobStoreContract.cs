using System.Security.Cryptography;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// What every <see cref="IBlobStore"/> promises, proven once per backend: a subclass only says
/// how to open and close its store. Ranged reads are checked byte for byte against what was
/// written, at the edges (first byte, last byte, zero length, past the end) and across the
/// store's multipart threshold.
/// </summary>
public abstract class BlobStoreContract : IAsyncLifetime
{
    protected IBlobStore Store { get; private set; } = null!;

    /// <summary>A size above which the backend writes a blob differently (S3: a multipart upload); a large blob test crosses it twice.</summary>
    protected abstract int MultipartThreshold { get; }

    protected abstract Task<IBlobStore> OpenStoreAsync();

    protected abstract Task CloseStoreAsync(IBlobStore store);

    public async Task InitializeAsync() => Store = await OpenStoreAsync();

    public Task DisposeAsync() => CloseStoreAsync(Store);

    [ContractFact]
    public async Task New_writers_get_distinct_ids_of_32_lowercase_hex_characters()
    {
        var ids = new HashSet<string>();
        for (var i = 0; i < 50; i++)
        {
            await using var writer = Store.CreateWriter();
            Assert.Matches("^[0-9a-f]{32}$", writer.BlobId);
            Assert.True(ids.Add(writer.BlobId));
        }
    }

    [ContractFact]
    public async Task A_committed_blob_reads_back_whole()
    {
        var content = RandomNumberGenerator.GetBytes(200_003);
        var id = await WriteAsync(content, chunk: 7_919);

        Assert.Equal(content, await ReadAsync(id));
    }

    [ContractFact]
    public async Task A_blob_is_invisible_until_committed()
    {
        await using var writer = Store.CreateWriter();
        await writer.WriteAsync(new byte[] { 1, 2, 3 });

        Assert.False(await Store.ExistsAsync(writer.BlobId));
        Assert.DoesNotContain(writer.BlobId, await IdsAsync());
        await Assert.ThrowsAsync<FileNotFoundException>(async () => await Store.OpenReadAsync(writer.BlobId));

        await writer.CommitAsync();

        Assert.True(await Store.ExistsAsync(writer.BlobId));
        Assert.Contains(writer.BlobId, await IdsAsync());
        Assert.Equal(new byte[] { 1, 2, 3 }, await ReadAsync(writer.BlobId));
    }

    [ContractFact]
    public async Task Ranges_read_exactly_the_bytes_asked_for()
    {
        const int size = 300_001;
        var content = RandomNumberGenerator.GetBytes(size);
        var id = await WriteAsync(content, chunk: 65_536);
        (long Offset, long? Length)[] ranges =
        [
            (0, 1), (0, null), (0, size), (1, 10), (40, 65_552), (65_576, 131_104),
            (size - 1, 1), (size - 1, null), (size - 10, 100), (size, null), (size, 5), (size + 100, null),
            (1_000, 0), (0, 0), (size, 0),
        ];
        foreach (var (offset, length) in ranges)
        {
            var from = (int)Math.Min(offset, size);
            var to = (int)Math.Min(size, length is { } l ? offset + l : size);
            var expected = content.AsSpan(from, Math.Max(0, to - from)).ToArray();
            var read = await ReadAsync(id, offset, length);
            Assert.True(expected.AsSpan().SequenceEqual(read), $"range {offset}+{length?.ToString() ?? "end"}");
        }
    }

    [ContractFact]
    public async Task An_empty_blob_commits_and_reads_empty()
    {
        var id = await WriteAsync([], chunk: 1);

        Assert.True(await Store.ExistsAsync(id));
        Assert.Empty(await ReadAsync(id));
        Assert.Empty(await ReadAsync(id, 0, 0));
        Assert.Empty(await ReadAsync(id, 0, 10));
        Assert.Contains(await ListAsync(), b => b.BlobId == id && b.Size == 0);
    }

    [ContractFact]
    public async Task Disposing_a_writer_without_commit_leaves_nothing()
    {
        string small, large;
        await using (var writer = Store.CreateWriter())
        {
            small = writer.BlobId;
            await writer.WriteAsync(new byte[1_000]);
        }
        await using (var writer = Store.CreateWriter())
        {
            large = writer.BlobId;
            await writer.Stream.WriteAsync(RandomNumberGenerator.GetBytes(MultipartThreshold + 1_000));
        }

        Assert.False(await Store.ExistsAsync(small));
        Assert.False(await Store.ExistsAsync(large));
        var ids = await IdsAsync();
        Assert.DoesNotContain(small, ids);
        Assert.DoesNotContain(large, ids);
        await Assert.ThrowsAsync<FileNotFoundException>(async () => await Store.OpenReadAsync(large));
    }

    [ContractFact]
    public async Task Deleting_is_idempotent_and_a_deleted_blob_is_gone()
    {
        var id = await WriteAsync([1, 2], chunk: 2);

        await Store.DeleteAsync(id);
        await Store.DeleteAsync(id);
        await Store.DeleteAsync(BlobIds.New());

        Assert.False(await Store.ExistsAsync(id));
        Assert.DoesNotContain(id, await IdsAsync());
        await Assert.ThrowsAsync<FileNotFoundException>(async () => await Store.OpenReadAsync(id));
        await Assert.ThrowsAsync<FileNotFoundException>(async () => await Store.OpenReadAsync(id, 0, 0));
    }

    [ContractFact]
    public async Task Opening_a_blob_that_never_existed_throws_file_not_found()
    {
        await Assert.ThrowsAsync<FileNotFoundException>(async () => await Store.OpenReadAsync(BlobIds.New()));
        await Assert.ThrowsAsync<FileNotFoundException>(async () => await Store.OpenReadAsync(BlobIds.New(), 10, 5));
        Assert.False(await Store.ExistsAsync(BlobIds.New()));
    }

    [ContractFact]
    public async Task Listing_gives_every_committed_blob_with_its_size_and_commit_time()
    {
        var sizes = new Dictionary<string, long>();
        foreach (var size in new[] { 1, 10, 1_000, 70_000 })
            sizes[await WriteAsync(new byte[size], chunk: 4_096)] = size;

        var listed = await ListAsync();

        Assert.Equal(sizes.Keys.Order(), listed.Select(b => b.BlobId).Order());
        foreach (var blob in listed)
        {
            Assert.Equal(sizes[blob.BlobId], blob.Size);
            Assert.InRange(blob.LastModified, DateTimeOffset.UtcNow.AddMinutes(-10), DateTimeOffset.UtcNow.AddMinutes(10));
        }
    }

    [ContractFact]
    public async Task Concurrent_writers_each_commit_their_own_blob()
    {
        var contents = Enumerable.Range(0, 16).Select(i => RandomNumberGenerator.GetBytes(1_000 + (i * 4_099))).ToArray();

        var ids = await Task.WhenAll(contents.Select(c => Task.Run(() => WriteAsync(c, chunk: 1_024))));

        Assert.Equal(ids.Length, ids.Distinct().Count());
        for (var i = 0; i < ids.Length; i++)
            Assert.Equal(contents[i], await ReadAsync(ids[i]));
        Assert.Equal(ids.Order(), (await IdsAsync()).Order());
    }

    [ContractFact]
    public async Task A_large_blob_crossing_the_multipart_threshold_reads_back_whole_and_in_ranges()
    {
        var size = (2 * MultipartThreshold) + 12_345;
        var content = RandomNumberGenerator.GetBytes(size);
        string id;
        await using (var writer = Store.CreateWriter())
        {
            id = writer.BlobId;
            // Odd chunks, through both ways of writing, so part boundaries fall inside writes.
            for (var at = 0; at < size; at += 1_048_579)
            {
                var chunk = content.AsMemory(at, Math.Min(1_048_579, size - at));
                if ((at / 1_048_579) % 2 == 0)
                    await writer.WriteAsync(chunk);
                else
                    await writer.Stream.WriteAsync(chunk);
            }
            await writer.CommitAsync();
        }

        Assert.Equal(content, await ReadAsync(id));
        foreach (var (offset, length) in new (int, int)[] { (MultipartThreshold - 10, 20), (2 * MultipartThreshold - 1, 2), (size - 1, 1), (1, size - 2) })
        {
            var read = await ReadAsync(id, offset, length);
            Assert.True(content.AsSpan(offset, length).SequenceEqual(read), $"range {offset}+{length}");
        }
        Assert.Contains(await ListAsync(), b => b.BlobId == id && b.Size == size);
    }

    [ContractFact]
    public async Task A_writer_commits_once()
    {
        await using var writer = Store.CreateWriter();
        await writer.WriteAsync(new byte[] { 1 });
        await writer.CommitAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.CommitAsync());
        Assert.Equal(new byte[] { 1 }, await ReadAsync(writer.BlobId));
    }

    [ContractFact]
    public async Task Strings_that_are_not_blob_ids_are_refused()
    {
        foreach (var id in new[] { "../x", "0123456789ABCDEF0123456789abcdef", "0123456789abcdef0123456789abcde", "01/3456789abcdef0123456789abcdef", "" })
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.OpenReadAsync(id));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.ExistsAsync(id));
            await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Store.DeleteAsync(id));
        }
    }

    protected async Task<string> WriteAsync(byte[] content, int chunk)
    {
        await using var writer = Store.CreateWriter();
        for (var at = 0; at < content.Length; at += chunk)
            await writer.WriteAsync(content.AsMemory(at, Math.Min(chunk, content.Length - at)));
        await writer.CommitAsync();
        return writer.BlobId;
    }

    protected async Task<byte[]> ReadAsync(string id, long offset = 0, long? length = null)
    {
        await using var stream = await Store.OpenReadAsync(id, offset, length);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    protected async Task<List<BlobInfo>> ListAsync()
    {
        var blobs = new List<BlobInfo>();
        await foreach (var blob in Store.ListAsync())
            blobs.Add(blob);
        return blobs;
    }

    protected async Task<List<string>> IdsAsync() => [.. (await ListAsync()).Select(b => b.BlobId)];
}
