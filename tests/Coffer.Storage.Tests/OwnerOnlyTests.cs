using System.Runtime.Versioning;

namespace Coffer.Storage.Tests;

/// <summary>What the storage layer creates in a data folder is the owner's only: folders 0700, files 0600 (Unix).</summary>
public sealed class OwnerOnlyTests : IDisposable
{
    private const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode File600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Open644 = File600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Open755 = Folder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [UnsupportedOSPlatform("windows")]
    private static UnixFileMode ModeOf(string path) => File.GetUnixFileMode(path);

    [Fact]
    public async Task Blob_folders_temporary_files_and_blobs_are_created_owner_only()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix permissions only
        var store = new FileSystemBlobStore(Path.Combine(_root.Path, "data"));
        Assert.Equal(Folder, ModeOf(Path.Combine(_root.Path, "data")));
        Assert.Equal(Folder, ModeOf(Path.Combine(_root.Path, "data", "blobs")));
        Assert.Equal(Folder, ModeOf(Path.Combine(_root.Path, "data", "tmp")));

        await using var writer = store.CreateWriter();
        await writer.Stream.WriteAsync(new byte[] { 1, 2, 3 });
        var temporary = Assert.Single(Directory.GetFiles(Path.Combine(_root.Path, "data", "tmp")));
        Assert.Equal(File600, ModeOf(temporary));
        await writer.CommitAsync();

        var blob = store.BlobPath(writer.BlobId);
        Assert.Equal(File600, ModeOf(blob));
        Assert.Equal(Folder, ModeOf(Path.GetDirectoryName(blob)!));
        Assert.Equal(Folder, ModeOf(Path.GetDirectoryName(Path.GetDirectoryName(blob))!));
    }

    [Fact]
    public async Task The_database_and_its_wal_and_shm_files_are_created_owner_only()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix permissions only
        var path = Path.Combine(_root.Path, "new", "meta.db");
        await using (var store = await SqliteMetadataStore.OpenAsync(path))
        {
            Assert.True(await store.CreateBucketAsync(new BucketRecord("b", "alice", "r", Sample.Instant)));
            Assert.Equal(Folder, ModeOf(Path.GetDirectoryName(path)!));
            Assert.Equal(File600, ModeOf(path));
            Assert.True(File.Exists(path + "-wal"), "the store runs in WAL mode");
            Assert.Equal(File600, ModeOf(path + "-wal"));
            Assert.Equal(File600, ModeOf(path + "-shm"));
        }

        // The empty file made before SQLite opened it became a working database.
        await using var reopened = await SqliteMetadataStore.OpenAsync(path);
        Assert.NotNull(await reopened.GetBucketAsync("b"));
    }

    [Fact]
    public void Tighten_closes_open_folders_and_files_and_counts_only_what_it_changed()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix permissions only
        var root = Path.Combine(_root.Path, "old");
        Directory.CreateDirectory(Path.Combine(root, "blobs", "ab"));
        File.WriteAllText(Path.Combine(root, "meta.db"), "x");
        File.WriteAllText(Path.Combine(root, "blobs", "ab", "blob"), "x");
        File.WriteAllText(Path.Combine(root, "private"), "x");
        SetModes(root);
        File.SetUnixFileMode(Path.Combine(root, "private"), File600);
        // A link to something outside is neither changed nor followed.
        var outside = Path.Combine(_root.Path, "outside");
        File.WriteAllText(outside, "x");
        File.SetUnixFileMode(outside, Open644);
        File.CreateSymbolicLink(Path.Combine(root, "link"), outside);

        Assert.Equal(5, OwnerOnly.Tighten(root)); // root, blobs, blobs/ab, meta.db, blobs/ab/blob

        Assert.Equal(Folder, ModeOf(root));
        Assert.Equal(Folder, ModeOf(Path.Combine(root, "blobs")));
        Assert.Equal(Folder, ModeOf(Path.Combine(root, "blobs", "ab")));
        Assert.Equal(File600, ModeOf(Path.Combine(root, "meta.db")));
        Assert.Equal(File600, ModeOf(Path.Combine(root, "blobs", "ab", "blob")));
        Assert.Equal(File600, ModeOf(Path.Combine(root, "private")));
        Assert.Equal(Open644, ModeOf(outside));
        Assert.Equal(0, OwnerOnly.Tighten(root));
    }

    [Fact]
    public void TightenTop_closes_the_folder_and_its_direct_entries_only_and_the_full_walk_does_the_rest()
    {
        if (OperatingSystem.IsWindows())
            return; // Unix permissions only
        var root = Path.Combine(_root.Path, "old");
        Directory.CreateDirectory(Path.Combine(root, "blobs", "ab"));
        File.WriteAllText(Path.Combine(root, "meta.db"), "x");
        File.WriteAllText(Path.Combine(root, "blobs", "ab", "blob"), "x");
        SetModes(root);
        var outside = Path.Combine(_root.Path, "outside");
        File.WriteAllText(outside, "x");
        File.SetUnixFileMode(outside, Open644);
        File.CreateSymbolicLink(Path.Combine(root, "link"), outside);

        Assert.Equal(3, OwnerOnly.TightenTop(root)); // root, blobs, meta.db

        Assert.Equal(Folder, ModeOf(root));
        Assert.Equal(Folder, ModeOf(Path.Combine(root, "blobs")));
        Assert.Equal(File600, ModeOf(Path.Combine(root, "meta.db")));
        Assert.NotEqual(Folder, ModeOf(Path.Combine(root, "blobs", "ab")));   // left to the walk
        Assert.Equal(Open644, ModeOf(outside));
        Assert.Equal(2, OwnerOnly.Tighten(root)); // blobs/ab, blobs/ab/blob
        Assert.Equal(0, OwnerOnly.TightenTop(root));
    }

    [UnsupportedOSPlatform("windows")]
    private static void SetModes(string root)
    {
        File.SetUnixFileMode(root, Open755);
        foreach (var d in Directory.EnumerateDirectories(root, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(d, Open755);
        foreach (var f in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(f, Open644);
    }
}
