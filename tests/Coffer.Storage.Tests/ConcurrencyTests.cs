using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;

namespace Coffer.Storage.Tests;

public sealed class ConcurrencyTests : MetadataStoreTests
{
    [Fact]
    public async Task Concurrent_puts_overwrites_and_deletes_with_a_second_store_adding_users_stay_consistent()
    {
        await CreateBucketAsync("b");
        // A second instance on the same file: its own write gate, so its writes meet the first
        // store's only in SQLite's file lock, as another process's would.
        await using var second = await SqliteMetadataStore.OpenAsync(DatabasePath);

        var written = new ConcurrentBag<string>();
        var reclaimed = new ConcurrentBag<string>();
        var keys = Enumerable.Range(0, 16).Select(i => $"k/{i % 4}/{i}").ToArray();
        using var stopReading = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            for (var op = 0; op < 200; op++)
            {
                var key = keys[random.Next(keys.Length)];
                if (random.Next(4) == 0)
                {
                    if (await Store.DeleteObjectAsync("b", key) is { } deleted)
                    {
                        foreach (var id in Sample.BlobIdsOf(deleted))
                        {
                            reclaimed.Add(id);
                        }
                    }
                }
                else
                {
                    var obj = Sample.Object("b", key, Enumerable.Range(0, random.Next(1, 4)).Select(_ => Sample.BlobId()).ToArray());
                    foreach (var id in Sample.BlobIdsOf(obj))
                    {
                        written.Add(id);
                    }
                    foreach (var id in await Store.PutObjectAsync(obj))
                    {
                        reclaimed.Add(id);
                    }
                }
            }
        })).ToList();

        var users = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                Assert.True(await second.AddUserAsync(new UserRecord($"user{i}", $"AK{i:D4}", [1], false, Sample.Instant, UserIds.New())));
            }
        });

        var reader = Task.Run(async () =>
        {
            var reads = 0;
            while (!stopReading.IsCancellationRequested || reads == 0)
            {
                var listing = await second.ListObjectsAsync("b", "k/", "/", null, 1000);
                Assert.True(listing.CommonPrefixes.Count <= 4);
                var got = await Store.GetObjectAsync("b", keys[reads % keys.Length]);
                Assert.True(got is null || got.Streams.Count is >= 1 and <= 3);
                reads++;
            }
        });

        await Task.WhenAll([.. writers, users]);
        await stopReading.CancelAsync();
        await reader;

        // Every blob ever written is now either referenced or was handed back for reclaiming, once.
        var referenced = await Store.ReferencedBlobIdsAsync();
        var current = new List<string>();
        foreach (var key in keys)
        {
            if (await Store.GetObjectAsync("b", key) is { } obj)
            {
                current.AddRange(Sample.BlobIdsOf(obj));
            }
        }
        Assert.Equal(current.ToHashSet(), referenced.ToHashSet());
        Assert.Equal(reclaimed.Count, reclaimed.Distinct().Count());
        Assert.Empty(reclaimed.Intersect(referenced));
        Assert.Equal(written.ToHashSet(), referenced.Concat(reclaimed).ToHashSet());

        var listed = await Store.ListObjectsAsync("b", "", null, null, 1000);
        Assert.Equal(current.Count, listed.Objects.Sum(o => o.Streams.Count));
        Assert.Equal(200, (await Store.ListUsersAsync()).Count);
        Assert.Equal(200, (await second.ListUsersAsync()).Count);
    }

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
    public async Task Two_stores_adding_the_same_user_at_once_let_exactly_one_win()
    {
        await using var second = await SqliteMetadataStore.OpenAsync(DatabasePath);
        var attempts = Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            (i % 2 == 0 ? Store : second).AddUserAsync(new UserRecord("same", $"AK{i}", [1], false, Sample.Instant, UserIds.New())))).ToList();

        var results = await Task.WhenAll(attempts);

        Assert.Single(results, r => r);
        Assert.Single(await Store.ListUsersAsync());
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
