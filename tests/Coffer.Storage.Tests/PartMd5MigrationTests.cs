using System.Text;
using Microsoft.Data.Sqlite;

namespace Coffer.Storage.Tests;

/// <summary>
/// Migration 4 drops <c>multipart_parts.md5</c>, the plaintext MD5 every part (SSE-C and SSE-KMS
/// ones included) kept until Complete: the value is gone from the rows, from freed pages and from
/// the WAL, and the parts keep their ETags, so uploads in progress still complete.
/// </summary>
public sealed class PartMd5MigrationTests : IDisposable
{
    // What an older version stored for an SSE-KMS part: the plaintext MD5 beside the keyed ETag.
    private const string PlainMd5 = "0f343b0931126a20f133d67c2b018a3b";
    private const string KeyedETag = "5e1f0a9c3b7d4e2f8a6b1c0d9e8f7a6b";

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Upgrading_a_version_3_database_scrubs_part_md5s_and_keeps_the_etags()
    {
        var path = _directory.File("meta.db");
        var uploadId = MultipartUploadIds.New(Sample.Instant);
        var blobId = Sample.BlobId();
        await CreateVersion3Async(path, uploadId, blobId);
        Assert.True(FileHolds(path, PlainMd5) || FileHolds(path + "-wal", PlainMd5), "the old database holds the MD5 before the upgrade");

        await using (var store = await SqliteMetadataStore.OpenAsync(path))
        {
            Assert.Equal((long)SqliteSchema.LatestVersion, await store.ScalarAsync("SELECT max(version) FROM schema_version;"));
            Assert.Equal(0L, await store.ScalarAsync("SELECT count(*) FROM pragma_table_info('multipart_parts') WHERE name = 'md5';"));

            var listing = await store.ListPartsAsync("b", "k", uploadId, 0, 10);
            var part = Assert.Single(listing!.Parts);
            Assert.Equal(KeyedETag, part.ETag);
            Assert.Equal(blobId, part.Stream.BlobId);
            Assert.Equal(1234L, part.Size);
            Assert.Equal(77UL, part.Crc64);
        }

        Assert.False(FileHolds(path, PlainMd5), "meta.db still holds the plaintext MD5 (in a row or a freed page)");
        Assert.False(FileHolds(path + "-wal", PlainMd5), "the WAL still holds an old page image with the plaintext MD5");
    }

    private static bool FileHolds(string path, string text)
    {
        if (!File.Exists(path))
            return false;
        var bytes = File.ReadAllBytes(path);
        return bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(text)) >= 0;
    }

    /// <summary>A database as version 3 left it, with one upload and one part whose md5 column is filled.</summary>
    private static async Task CreateVersion3Async(string path, string uploadId, string blobId)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync();
        var sql = new StringBuilder("PRAGMA journal_mode = WAL; CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied INTEGER NOT NULL) STRICT;");
        for (var i = 0; i < 3; i++)
            sql.Append(SqliteSchema.Migrations[i]).Append($"\nINSERT INTO schema_version VALUES ({i + 1}, 0);\n");
        sql.Append($"""
            INSERT INTO buckets (name, owner, region, created) VALUES ('b', 'alice', 'r', 0);
            INSERT INTO multipart_uploads (upload_id, bucket, object_key, initiated, owner, storage_class, sse_mode)
                VALUES ('{uploadId}', 'b', 'k', 0, 'alice', 'STANDARD', 3);
            INSERT INTO multipart_parts (upload_id, part_number, blob_id, plain_size, md5, etag, crc64, blob_size, blob_checksum, stream_identity, last_modified)
                VALUES ('{uploadId}', 1, '{blobId}', 1234, '{PlainMd5}', '{KeyedETag}', 77, 1290, 'c', 'part:1:{blobId}', 0);
            """);
        await using var command = connection.CreateCommand();
        command.CommandText = sql.ToString();
        await command.ExecuteNonQueryAsync();
    }
}
