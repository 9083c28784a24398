using System.Text;
using Microsoft.Data.Sqlite;

namespace Coffer.Storage.Tests;

/// <summary>
/// Migration 9 adds the tag columns: a database written by version 8 opens with its buckets, objects and uploads
/// intact and untagged, and they take tags afterwards.
/// </summary>
public sealed class TagsMigrationTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Upgrading_a_version_8_database_keeps_every_row_untagged_and_taggable()
    {
        var path = _directory.File("meta.db");
        var uploadId = MultipartUploadIds.New(Sample.Instant);
        await CreateVersion8Async(path, uploadId);

        await using var store = await SqliteMetadataStore.OpenAsync(path);
        Assert.Equal((long)SqliteSchema.LatestVersion, await store.ScalarAsync("SELECT max(version) FROM schema_version;"));

        var bucket = await store.GetBucketAsync("b");
        Assert.Null(bucket!.Tags);
        var obj = await store.GetObjectAsync("b", "k");
        Assert.Equal(5, obj!.Size);
        Assert.Empty(obj.Tags);
        Assert.Empty((await store.GetUploadAsync("b", "mp", uploadId))!.Tags);

        Assert.True(await store.SetObjectTagsAsync("b", "k", [new Tag("after", "upgrade")]));
        Assert.True(await store.SetBucketTagsAsync("b", [new Tag("team", "x")]));
        Assert.Equal([new Tag("after", "upgrade")], (await store.GetObjectAsync("b", "k"))!.Tags);
        Assert.Equal([new Tag("team", "x")], (await store.GetBucketAsync("b"))!.Tags);
    }

    /// <summary>A database as version 8 left it: a bucket, an object and an upload in progress.</summary>
    private static async Task CreateVersion8Async(string path, string uploadId)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync();
        var sql = new StringBuilder("PRAGMA journal_mode = WAL; CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied INTEGER NOT NULL) STRICT;");
        for (var i = 0; i < 8; i++)
            sql.Append(SqliteSchema.Migrations[i]).Append($"\nINSERT INTO schema_version VALUES ({i + 1}, 0);\n");
        sql.Append($"""
            INSERT INTO buckets (name, owner, region, created) VALUES ('b', 'alice', 'r', 0);
            INSERT INTO objects (bucket, object_key, size, etag, crc64, last_modified, storage_class, sse_mode, streams)
                VALUES ('b', 'k', 5, 'e', 1, 0, 'STANDARD', 0, '[{"{"}"blob":"x","plain":5,"identity":"object","size":45,"checksum":"c"{"}"}]');
            INSERT INTO object_blobs (blob_id, bucket, object_key) VALUES ('x', 'b', 'k');
            INSERT INTO multipart_uploads (upload_id, bucket, object_key, initiated, owner, storage_class, sse_mode)
                VALUES ('{uploadId}', 'b', 'mp', 0, 'alice', 'STANDARD', 0);
            """);
        await using var command = connection.CreateCommand();
        command.CommandText = sql.ToString();
        await command.ExecuteNonQueryAsync();
    }
}
