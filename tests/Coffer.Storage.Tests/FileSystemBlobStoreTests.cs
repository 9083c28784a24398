namespace Coffer.Storage.Tests;

/// <summary>What only the filesystem store does (layout, temporary files, sweeping); the shared promises are in <see cref="Coffer.Testing.Contracts.BlobStoreContract"/>.</summary>
public sealed class FileSystemBlobStoreTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly FileSystemBlobStore _store;

    public FileSystemBlobStoreTests() => _store = new FileSystemBlobStore(_root.Path);

    public void Dispose() => _root.Dispose();

    private string TmpDirectory => Path.Combine(_root.Path, "tmp");

    private string BlobsDirectory => Path.Combine(_root.Path, "blobs");

    private static IEnumerable<string> FilesUnder(string directory) => Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories);

    private static async Task<List<string>> IdsAsync(FileSystemBlobStore store)
    {
        var ids = new List<string>();
        await foreach (var blob in store.ListAsync())
            ids.Add(blob.BlobId);
        return ids;
    }

    private async Task<string> WriteBlobAsync(byte[] content)
    {
        await using var writer = _store.CreateWriter();
        await writer.Stream.WriteAsync(content);
        await writer.CommitAsync();
        return writer.BlobId;
    }

    [Fact]
    public async Task A_blob_is_invisible_until_committed_and_then_readable()
    {
        var content = Enumerable.Range(0, 3 * 1024 * 1024 + 17).Select(i => (byte)(i * 31)).ToArray();
        await using var writer = _store.CreateWriter();
        await writer.Stream.WriteAsync(content);

        Assert.False(await _store.ExistsAsync(writer.BlobId));
        Assert.Single(FilesUnder(TmpDirectory));

        await writer.CommitAsync();

        Assert.True(await _store.ExistsAsync(writer.BlobId));
        Assert.Empty(FilesUnder(TmpDirectory));
        await using var read = await _store.OpenReadAsync(writer.BlobId);
        var copy = new MemoryStream();
        await read.CopyToAsync(copy);
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task A_committed_blob_lives_under_blobs_ab_cd()
    {
        var id = await WriteBlobAsync([1, 2, 3]);
        Assert.True(File.Exists(Path.Combine(BlobsDirectory, id[..2], id[2..4], id)));
    }

    [Fact]
    public async Task Disposing_without_commit_leaves_nothing_behind()
    {
        string id;
        await using (var writer = _store.CreateWriter())
        {
            id = writer.BlobId;
            await writer.Stream.WriteAsync(new byte[2 * 1024 * 1024]);
        }

        Assert.Empty(FilesUnder(TmpDirectory));
        Assert.Empty(FilesUnder(BlobsDirectory));
        Assert.False(await _store.ExistsAsync(id));
    }

    [Fact]
    public async Task Disposing_after_the_caller_disposed_the_stream_still_deletes_the_temporary_file()
    {
        await using (var writer = _store.CreateWriter())
        {
            await writer.Stream.WriteAsync(new byte[10]);
            await writer.Stream.DisposeAsync();
        }
        Assert.Empty(FilesUnder(TmpDirectory));
    }

    [Fact]
    public async Task Committing_after_the_caller_disposed_the_stream_keeps_the_data()
    {
        await using var writer = _store.CreateWriter();
        await writer.Stream.WriteAsync(new byte[] { 4, 5, 6 });
        await writer.Stream.DisposeAsync();

        await writer.CommitAsync();

        await using var read = await _store.OpenReadAsync(writer.BlobId);
        Assert.Equal(3, read.Length);
    }

    [Fact]
    public async Task A_blob_being_read_can_be_deleted()
    {
        var id = await WriteBlobAsync(new byte[100_000]);
        await using var read = await _store.OpenReadAsync(id);

        await _store.DeleteAsync(id);

        Assert.False(await _store.ExistsAsync(id));
        var rest = new MemoryStream();
        await read.CopyToAsync(rest);
        Assert.Equal(100_000, rest.Length);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("../../../../etc/passwd")]
    [InlineData("0123456789ABCDEF0123456789abcdef")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    [InlineData("0123456789abcdef0123456789abcdef\n")]
    [InlineData("01/3456789abcdef0123456789abcdef")]
    [InlineData("")]
    [InlineData("０123456789abcdef0123456789abcdef")]
    public void Invalid_ids_are_rejected(string id)
    {
        Assert.False(FileSystemBlobStore.IsValidBlobId(id));
        Assert.Throws<ArgumentException>(() => _store.BlobPath(id));
    }

    [Fact]
    public async Task Enumerating_lists_every_committed_blob_and_ignores_stray_files()
    {
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await WriteBlobAsync([(byte)i]));
        }
        File.WriteAllText(Path.Combine(BlobsDirectory, "README"), "");
        var stray = Path.Combine(BlobsDirectory, "00", "00");
        Directory.CreateDirectory(stray);
        File.WriteAllText(Path.Combine(stray, "not-a-blob"), "");
        File.WriteAllText(Path.Combine(stray, "ffffffffffffffffffffffffffffffff"), ""); // misplaced

        Assert.Equal(ids.Order(), (await IdsAsync(_store)).Order());
    }

    [Fact]
    public async Task Sweeping_removes_temporary_files_only()
    {
        var kept = await WriteBlobAsync([1]);
        var pending = _store.CreateWriter();
        await pending.Stream.FlushAsync();
        File.WriteAllText(Path.Combine(TmpDirectory, "crashed.tmp"), "x");
        Directory.CreateDirectory(Path.Combine(TmpDirectory, "sub"));
        File.WriteAllText(Path.Combine(TmpDirectory, "sub", "deeper.tmp"), "x");
        await pending.DisposeAsync();

        Assert.Equal(2, _store.SweepTemporaryFiles());

        Assert.Empty(Directory.EnumerateFileSystemEntries(TmpDirectory));
        Assert.True(await _store.ExistsAsync(kept));
    }

    [Fact]
    public async Task A_second_store_on_the_same_root_sees_committed_blobs()
    {
        var id = await WriteBlobAsync([9, 9]);
        var again = new FileSystemBlobStore(_root.Path);
        Assert.True(await again.ExistsAsync(id));
        Assert.Equal([id], await IdsAsync(again));
    }

    [Fact]
    public void Directory_fsync_works_on_a_real_directory_and_reports_a_missing_one()
    {
        DirectorySync.Flush(_root.Path);
        if (OperatingSystem.IsLinux())
        {
            Assert.Throws<IOException>(() => DirectorySync.Flush(Path.Combine(_root.Path, "missing")));
        }
    }
}
