using System.Text;
using Coffer.Testing.Contracts;
using Microsoft.Data.Sqlite;

namespace Coffer.Storage.Tests;

/// <summary>
/// Migration 12 adds the bucket lifecycle column: a database written by version 10 opens with its buckets and their
/// settings intact and without a lifecycle, and they take one afterwards.
/// </summary>
public sealed class LifecycleMigrationTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Upgrading_a_version_10_database_keeps_every_bucket_without_a_lifecycle()
    {
        var path = _directory.File("meta.db");
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            var sql = new StringBuilder("PRAGMA journal_mode = WAL; CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied INTEGER NOT NULL) STRICT;");
            for (var i = 0; i < 10; i++)
                sql.Append(SqliteSchema.Migrations[i]).Append($"\nINSERT INTO schema_version VALUES ({i + 1}, 0);\n");
            sql.Append("""
                INSERT INTO buckets (name, owner, region, created, sse_algorithm, tags) VALUES ('b', 'alice', 'r', 0, 'AES256', '[{"k":"team","v":"x"}]');
                """);
            await using var command = connection.CreateCommand();
            command.CommandText = sql.ToString();
            await command.ExecuteNonQueryAsync();
        }

        await using var store = await SqliteMetadataStore.OpenAsync(path);
        Assert.Equal((long)SqliteSchema.LatestVersion, await store.ScalarAsync("SELECT max(version) FROM schema_version;"));
        var bucket = await store.GetBucketAsync("b");
        Assert.Null(bucket!.Lifecycle);
        Assert.Equal(("AES256", "team"), (bucket.Encryption!.Algorithm, bucket.Tags!.Single().Key));
        Assert.Empty(await store.ListBucketsWithLifecycleAsync(null, 10));

        Assert.True(await store.SetBucketLifecycleAsync("b", LifecycleContract<SqliteMetadataStore>.Full));
        Assert.Equal(LifecycleContract<SqliteMetadataStore>.Full, (await store.GetBucketAsync("b"))!.Lifecycle);
        Assert.Equal(["b"], (await store.ListBucketsWithLifecycleAsync(null, 10)).Select(x => x.Name));
    }
}
