using Microsoft.Data.Sqlite;

namespace Coffer.Storage.Tests;

/// <summary>SQLite's locking between processes (what every engine promises under concurrency is <see cref="Coffer.Testing.Contracts.ConcurrencyContract{TStore}"/>).</summary>
public sealed class SqliteConcurrencyTests : MetadataStoreTests
{
    [Fact]
    public async Task A_write_waits_for_another_connection_holding_the_write_lock_and_reads_go_on()
    {
        await CreateBucketAsync("b");
        // Another "process": its own unpooled connection, holding SQLite's write lock.
        await using var other = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        other.Open();
        var tx = other.BeginTransaction(deferred: false);
        using (var insert = other.CreateCommand())
        {
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO users VALUES ('AKOTHER', 'other', x'00', 0, 0, 'other-id');";
            insert.ExecuteNonQuery();
        }

        // Microsoft.Data.Sqlite's async calls run synchronously: start the write on another thread.
        var blockedWrite = Task.Run(() => Store.AddUserAsync(new UserRecord("mine", "AKMINE", [1], false, Sample.Instant, UserIds.New())));
        Assert.NotNull(await Store.GetBucketAsync("b"));        // WAL: readers are not blocked
        Assert.Empty(await Store.ListUsersAsync());             // and see only committed data
        await Task.Delay(300);
        Assert.False(blockedWrite.IsCompleted);

        tx.Commit();
        Assert.True(await blockedWrite);
        Assert.Equal(["mine", "other"], (await Store.ListUsersAsync()).Select(u => u.Name));
    }

    [Fact]
    public async Task Stores_opened_at_once_on_a_new_file_migrate_once()
    {
        using var dir = new TempDirectory();
        var path = dir.File("fresh.db");

        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => SqliteMetadataStore.OpenAsync(path))));
        try
        {
            Assert.Equal((long)SqliteSchema.LatestVersion, await stores[0].ScalarAsync("SELECT count(*) FROM schema_version;"));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }
}
