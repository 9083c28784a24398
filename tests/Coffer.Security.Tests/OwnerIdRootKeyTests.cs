using Coffer.Crypto;
using Coffer.Server.Hosting;
using Coffer.Storage;

namespace Coffer.Security.Tests;

/// <summary>
/// Root's keys are replaced (COFFER_ACCESS_KEY / COFFER_SECRET_KEY changed) by removing and adding the root user
/// again: it must keep its id, or root would lose its own buckets and KMS keys.
/// </summary>
public sealed class OwnerIdRootKeyTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "coffer-rootid-" + Guid.NewGuid().ToString("N"));
    private SqliteMetadataStore _store = null!;
    private RootKey _rootKey = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteMetadataStore.OpenAsync(Path.Combine(_directory, "meta.db"));
        _rootKey = RootKey.Generate(out var bytes);
        Array.Clear(bytes);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _rootKey.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Replacing_roots_keys_keeps_its_id_and_so_its_buckets()
    {
        await Credentials.EnsureRootAsync(_store, _rootKey, "AKIDROOTONE0000000000000000000000000", "first-secret-0123456789abcdefghijklmnop", default);
        var before = (await _store.ListUsersAsync()).Single(u => u.IsRoot);
        Assert.True(await _store.CreateBucketAsync(new BucketRecord("roots", before.Id, "r", DateTimeOffset.UtcNow)));

        await Credentials.EnsureRootAsync(_store, _rootKey, "AKIDROOTTWO0000000000000000000000000", "second-secret-0123456789abcdefghijklmno", default);
        var after = (await _store.ListUsersAsync()).Single(u => u.IsRoot);
        Assert.Equal("AKIDROOTTWO0000000000000000000000000", after.AccessKeyId);
        Assert.Equal(before.Id, after.Id);
        Assert.Equal(["roots"], (await _store.ListBucketsAsync(after.Id)).Select(b => b.Name));
    }

    [Fact]
    public async Task Users_added_under_a_removed_name_get_a_new_id()
    {
        Assert.NotNull(await Credentials.AddUserAsync(_store, _rootKey, "erin"));
        var first = (await _store.ListUsersAsync()).Single(u => u.Name == "erin").Id;
        Assert.True(await _store.RemoveUserAsync("erin"));
        Assert.NotNull(await Credentials.AddUserAsync(_store, _rootKey, "erin"));
        Assert.NotEqual(first, (await _store.ListUsersAsync()).Single(u => u.Name == "erin").Id);
    }
}
