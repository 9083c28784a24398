namespace Coffer.Storage.Tests;

public sealed class FileSystemBlobStoreTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly FileSystemBlobStore _store;

    public FileSystemBlobStoreTests() => _store = new FileSystemBlobStore(_root.Path);

    public void Dispose() => _root.Dispose();

    private string TmpDirectory => Path.Combine(_root.Path, "tmp");

    private string BlobsDirectory => Path.Combine(_root.Path, "blobs");

    private static IEnumerable<string> FilesUnder(string directory) => Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories);

    private async Task<string> WriteBlobAsync(byte[] content)
    {
        await using var writer = _store.Create();
        await writer.Stream.WriteAsync(content);
        await writer.CommitAsync();
        return writer.BlobId;
    }

    [Fact]
    public void New_ids_are_32_lowercase_hex_characters_and_unique()
    {
        var ids = new HashSet<string>();
        for (var i = 0; i < 100; i++)
        {
            var writer = _store.Create();
            Assert.Matches("^[0-9a-f]{32}$", writer.BlobId);
            Assert.True(ids.Add(writer.BlobId));
            writer.DisposeAsync().AsTask().Wait();
        }
    }

    [Fact]
    public async Task A_blob_is_invisible_until_committed_and_then_readable()
    {
        var content = Enumerable.Range(0, 3 * 1024 * 1024 + 17).Select(i => (byte)(i * 31)).ToArray();
        await using var writer = _store.Create();
        await writer.Stream.WriteAsync(content);

        Assert.False(_store.Exists(writer.BlobId));
        Assert.DoesNotContain(writer.BlobId, _store.EnumerateBlobIds());
        Assert.Single(FilesUnder(TmpDirectory));

        await writer.CommitAsync();

        Assert.True(_store.Exists(writer.BlobId));
        Assert.Contains(writer.BlobId, _store.EnumerateBlobIds());
        Assert.Empty(FilesUnder(TmpDirectory));
        await using var read = _store.OpenRead(writer.BlobId);
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
        await using (var writer = _store.Create())
        {
            id = writer.BlobId;
            await writer.Stream.WriteAsync(new byte[2 * 1024 * 1024]);
        }

        Assert.Empty(FilesUnder(TmpDirectory));
        Assert.Empty(FilesUnder(BlobsDirectory));
        Assert.False(_store.Exists(id));
    }

    [Fact]
    public async Task Disposing_after_the_caller_disposed_the_stream_still_deletes_the_temporary_file()
    {
        await using (var writer = _store.Create())
        {
            await writer.Stream.WriteAsync(new byte[10]);
            await writer.Stream.DisposeAsync();
        }
        Assert.Empty(FilesUnder(TmpDirectory));
    }

    [Fact]
    public async Task Committing_after_the_caller_disposed_the_stream_keeps_the_data()
    {
        await using var writer = _store.Create();
        await writer.Stream.WriteAsync(new byte[] { 4, 5, 6 });
        await writer.Stream.DisposeAsync();

        await writer.CommitAsync();

        await using var read = _store.OpenRead(writer.BlobId);
        Assert.Equal(3, read.Length);
    }

    [Fact]
    public async Task Committing_twice_throws()
    {
        await using var writer = _store.Create();
        await writer.CommitAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => writer.CommitAsync());
    }

    [Fact]
    public async Task Disposing_a_committed_writer_keeps_the_blob()
    {
        var id = await WriteBlobAsync([7]);
        Assert.True(_store.Exists(id));
    }

    [Fact]
    public async Task An_empty_blob_commits()
    {
        var id = await WriteBlobAsync([]);
        await using var read = _store.OpenRead(id);
        Assert.Equal(0, read.Length);
    }

    [Fact]
    public async Task Reads_are_seekable()
    {
        var id = await WriteBlobAsync(Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray());
        await using var read = _store.OpenRead(id);

        Assert.True(read.CanSeek);
        read.Seek(150_000, SeekOrigin.Begin);
        var buffer = new byte[4];
        await read.ReadExactlyAsync(buffer);
        Assert.Equal(Enumerable.Range(150_000, 4).Select(i => (byte)i), buffer);
    }

    [Fact]
    public async Task A_blob_being_read_can_be_deleted()
    {
        var id = await WriteBlobAsync(new byte[100_000]);
        await using var read = _store.OpenRead(id);

        _store.Delete(id);

        Assert.False(_store.Exists(id));
        var rest = new MemoryStream();
        await read.CopyToAsync(rest);
        Assert.Equal(100_000, rest.Length);
    }

    [Fact]
    public void Opening_a_missing_blob_throws_file_not_found()
    {
        Assert.Throws<FileNotFoundException>(() => _store.OpenRead(Sample.BlobId()));
    }

    [Fact]
    public async Task Deleting_is_idempotent()
    {
        var id = await WriteBlobAsync([1]);
        _store.Delete(id);
        _store.Delete(id);
        _store.Delete(Sample.BlobId());
        Assert.False(_store.Exists(id));
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
        Assert.Throws<ArgumentException>(() => _store.OpenRead(id));
        Assert.Throws<ArgumentException>(() => _store.Exists(id));
        Assert.Throws<ArgumentException>(() => _store.Delete(id));
    }

    [Fact]
    public void A_null_id_is_rejected()
    {
        Assert.ThrowsAny<ArgumentException>(() => _store.OpenRead(null!));
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

        Assert.Equal(ids.Order(), _store.EnumerateBlobIds().Order());
    }

    [Fact]
    public async Task Sweeping_removes_temporary_files_only()
    {
        var kept = await WriteBlobAsync([1]);
        var pending = _store.Create();
        await pending.Stream.FlushAsync();
        File.WriteAllText(Path.Combine(TmpDirectory, "crashed.tmp"), "x");
        Directory.CreateDirectory(Path.Combine(TmpDirectory, "sub"));
        File.WriteAllText(Path.Combine(TmpDirectory, "sub", "deeper.tmp"), "x");
        await pending.DisposeAsync();

        Assert.Equal(2, _store.SweepTemporaryFiles());

        Assert.Empty(Directory.EnumerateFileSystemEntries(TmpDirectory));
        Assert.True(_store.Exists(kept));
    }

    [Fact]
    public async Task A_second_store_on_the_same_root_sees_committed_blobs()
    {
        var id = await WriteBlobAsync([9, 9]);
        var again = new FileSystemBlobStore(_root.Path);
        Assert.True(again.Exists(id));
        Assert.Equal([id], again.EnumerateBlobIds());
    }

    [Fact]
    public async Task Concurrent_writers_commit_into_shared_directories()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(() => WriteBlobAsync([(byte)i]))));
        Assert.Equal(ids.Order(), _store.EnumerateBlobIds().Order());
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
