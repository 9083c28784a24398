using Microsoft.Data.Sqlite;

namespace Coffer.Storage.Tests;

public sealed class SqliteMetadataStoreSchemaTests : MetadataStoreTests
{
    [Fact]
    public async Task A_new_database_is_migrated_to_the_latest_version()
    {
        Assert.Equal((long)SqliteSchema.LatestVersion, await Store.ScalarAsync("SELECT max(version) FROM schema_version;"));
        Assert.Equal((long)SqliteSchema.LatestVersion, await Store.ScalarAsync("SELECT count(*) FROM schema_version;"));
    }

    [Fact]
    public async Task Reopening_keeps_the_data_and_applies_no_migration_twice()
    {
        await CreateBucketAsync("kept");
        await Store.DisposeAsync();

        await using var reopened = await SqliteMetadataStore.OpenAsync(DatabasePath);
        Assert.NotNull(await reopened.GetBucketAsync("kept"));
        Assert.Equal((long)SqliteSchema.LatestVersion, await reopened.ScalarAsync("SELECT count(*) FROM schema_version;"));
    }

    [Fact]
    public async Task A_database_from_a_newer_version_is_refused()
    {
        await Store.ScalarAsync($"INSERT INTO schema_version (version, applied) VALUES ({SqliteSchema.LatestVersion + 1}, 0);");
        await Store.DisposeAsync();

        var e = await Assert.ThrowsAsync<NotSupportedException>(() => SqliteMetadataStore.OpenAsync(DatabasePath));
        Assert.Contains("newer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connections_use_wal_full_sync_foreign_keys_and_a_busy_timeout()
    {
        Assert.Equal("wal", await Store.ScalarAsync("PRAGMA journal_mode;"));
        Assert.Equal(2L, await Store.ScalarAsync("PRAGMA synchronous;")); // 2 = FULL
        Assert.Equal(1L, await Store.ScalarAsync("PRAGMA foreign_keys;"));
        Assert.Equal((long)SqliteMetadataStore.BusyTimeout.TotalMilliseconds, await Store.ScalarAsync("PRAGMA busy_timeout;"));
    }

    [Fact]
    public async Task Every_pooled_connection_has_the_settings_though_they_are_applied_once_per_connection()
    {
        // Slow queries at once make the pool open several physical connections; each must report
        // FULL sync, foreign keys on and the busy timeout, the first time and when handed out again.
        const string sql = """
            SELECT (SELECT synchronous FROM pragma_synchronous) * 1000000
                 + (SELECT foreign_keys FROM pragma_foreign_keys) * 100000
                 + (SELECT timeout FROM pragma_busy_timeout)
                 + 0 * (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT count(*) FROM c);
            """;
        var expected = 2L * 1000000 + 1L * 100000 + (long)SqliteMetadataStore.BusyTimeout.TotalMilliseconds;
        for (var round = 0; round < 3; round++)
        {
            var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Store.ScalarAsync(sql))));
            Assert.All(results, r => Assert.Equal(expected, r));
        }
    }

    [Fact]
    public async Task Object_keys_use_binary_collation()
    {
        // BINARY collation orders by UTF-8 bytes: upper case before lower case, "ä" (C3 A4) last.
        await CreateBucketAsync("b");
        foreach (var key in new[] { "B", "a", "ä", "A", "b" })
        {
            await Store.PutObjectAsync(Sample.Object("b", key));
        }
        var listing = await Store.ListObjectsAsync("b", "", null, null, 10);
        Assert.Equal(["A", "B", "a", "b", "ä"], listing.Objects.Select(o => o.Key));
    }

    [Fact]
    public async Task Reading_an_object_is_one_primary_key_lookup()
    {
        var plan = await Store.ExplainAsync(SqliteMetadataStore.SelectObjectSql);
        Assert.Contains("SEARCH objects USING PRIMARY KEY (bucket=? AND object_key=?)", plan, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SqliteMetadataStore.SeekFromSql, "object_key>?")]
    [InlineData(SqliteMetadataStore.SeekAfterSql, "object_key>?")]
    public async Task Listing_seeks_in_the_primary_key(string sql, string range)
    {
        var plan = await Store.ExplainAsync(sql);
        Assert.Contains($"SEARCH objects USING PRIMARY KEY (bucket=? AND {range})", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("TEMP B-TREE", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_blob_reference_check_is_an_index_lookup()
    {
        foreach (var (table, column) in SqliteSchema.BlobReferences)
        {
            var plan = await Store.ExplainAsync($"SELECT EXISTS (SELECT 1 FROM {table} WHERE {column} = $blob);");
            Assert.Contains($"SEARCH {table} USING", plan, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Opening_a_path_in_a_missing_directory_creates_it()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "data", "nested", "metadata.db");
        await using var store = await SqliteMetadataStore.OpenAsync(path);
        Assert.True(File.Exists(path));
        Assert.Equal(path, store.DatabasePath);
    }

    [Fact]
    public async Task A_disposed_store_refuses_operations()
    {
        await Store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Store.GetBucketAsync("x"));
    }

    [Fact]
    public void The_bundled_sqlite_supports_strict_tables()
    {
        // STRICT needs 3.37; the bound-as-blob seek relies on byte-wise BINARY comparison.
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        Assert.True(new Version(connection.ServerVersion) >= new Version(3, 37));
    }
}
