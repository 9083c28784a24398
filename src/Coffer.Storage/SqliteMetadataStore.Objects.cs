using Microsoft.Data.Sqlite;

namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore
{
    // The order ReadObject reads them in.
    private const string ObjectColumns = """
        bucket, object_key, size, etag, crc64, last_modified, storage_class,
        content_type, cache_control, content_disposition, content_encoding, expires,
        sse_mode, sse_sealed_key, sse_kms_key_id, sse_kms_context,
        streams, user_metadata, checksums, restore, tags, acl, version_id
        """;

    // Listings leave out the inline data (they never read it); a single object's read and the upsert include it.
    private const string ObjectColumnsWithData = ObjectColumns + ", inline_data";
    private const int InlineDataOrdinal = 23;
    private const int VersionIdOrdinal = 22;

    /// <summary>The object GET path: one primary-key lookup.</summary>
    internal const string SelectObjectSql = $"SELECT {ObjectColumnsWithData} FROM objects WHERE bucket = $bucket AND object_key = $key;";

    /// <inheritdoc />
    public Task<ObjectRecord?> GetObjectAsync(string bucket, string key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        return ReadAsync((s, ct) => SelectObjectAsync(s, bucket, key, ct), ct);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The ids returned are those of the replaced version that no object refers to any more
    /// (a copy onto itself that keeps its blob returns none).
    /// </remarks>
    /// <exception cref="NoSuchBucketException">The bucket does not exist (e.g. it was deleted meanwhile).</exception>
    public Task<IReadOnlyList<string>> PutObjectAsync(ObjectRecord obj, CancellationToken ct = default) =>
        PutObjectAsync(obj, null, ct);

    /// <inheritdoc />
    /// <exception cref="NoSuchBucketException">The bucket does not exist (e.g. it was deleted meanwhile).</exception>
    public Task<IReadOnlyList<string>> PutObjectAsync(ObjectRecord obj, WriteCondition? condition, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return WriteAsync((s, ct) => UpsertObjectAsync(s, obj, condition, ct), ct);
    }

    /// <summary>
    /// The body of <see cref="PutObjectAsync"/> inside a caller's write transaction (also used by
    /// multipart Complete): checks the bucket, replaces the row and its blob references, drops the
    /// new blobs' pending rows (<see cref="IBlobLedger"/>), and returns the replaced version's blobs
    /// that nothing refers to any more. A <paramref name="condition"/> is checked against the row it replaces
    /// (the write transaction holds SQLite's write lock, so no other writer comes between).
    /// </summary>
    private static async Task<IReadOnlyList<string>> UpsertObjectAsync(Session s, ObjectRecord obj, WriteCondition? condition, CancellationToken ct)
    {
        var streamsJson = ObjectJson.WriteStreams(obj.Streams);
        var newBlobIds = ObjectStream.BlobIdsOf(obj.Streams).Distinct(StringComparer.Ordinal).ToList();

        using (var bucketExists = s.Command("SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $bucket);"))
        {
            bucketExists.Parameters.AddWithValue("$bucket", obj.Bucket);
            if ((long)(await bucketExists.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0)
            {
                throw new NoSuchBucketException(obj.Bucket);
            }
        }

        List<string> oldBlobIds;
        bool found;
        string? oldVersionId;
        using (var old = s.Command("SELECT streams, etag, version_id FROM objects WHERE bucket = $bucket AND object_key = $key;"))
        {
            old.Parameters.AddWithValue("$bucket", obj.Bucket);
            old.Parameters.AddWithValue("$key", obj.Key);
            using var reader = await old.ExecuteReaderAsync(ct).ConfigureAwait(false);
            found = reader.Read();
            condition?.Check(found ? reader.GetString(1) : null);
            oldBlobIds = found ? ObjectJson.ReadStreamBlobIds(reader.GetString(0)) : [];
            oldVersionId = found ? ReadNullableString(reader, 2) : null;
        }

        // Versioning: a current version that has an id, or that a new id'd version follows, stays as a noncurrent
        // version (its blobs stay referenced). A new null version replaces the key's null version wherever it sits.
        if (found && (obj.VersionId is not null || oldVersionId is not null))
        {
            await MoveCurrentToVersionsAsync(s, obj.Bucket, obj.Key, ct).ConfigureAwait(false);
            oldBlobIds = [];
        }
        if (obj.VersionId is null && await RemoveNoncurrentVersionAsync(s, obj.Bucket, obj.Key, null, ct).ConfigureAwait(false) is { } replacedNull)
        {
            oldBlobIds = [.. oldBlobIds, .. ObjectStream.BlobIdsOf(replacedNull.Streams)];
        }

        using (var upsert = s.Command($"""
            INSERT OR REPLACE INTO objects ({ObjectColumnsWithData})
            VALUES ($bucket, $key, $size, $etag, $crc64, $last_modified, $storage_class,
                    $content_type, $cache_control, $content_disposition, $content_encoding, $expires,
                    $sse_mode, $sse_sealed_key, $sse_kms_key_id, $sse_kms_context,
                    $streams, $user_metadata, $checksums, $restore, $tags, $acl, $version_id, $inline_data);
            """))
        {
            var p = upsert.Parameters;
            p.AddWithValue("$bucket", obj.Bucket);
            p.AddWithValue("$key", obj.Key);
            p.AddWithValue("$size", obj.Size);
            p.AddWithValue("$etag", obj.ETag);
            p.AddWithValue("$crc64", unchecked((long)obj.Crc64));
            p.AddWithValue("$last_modified", obj.LastModified.UtcTicks);
            p.AddWithValue("$storage_class", obj.StorageClass);
            p.AddWithValue("$content_type", Db(obj.ContentType));
            p.AddWithValue("$cache_control", Db(obj.CacheControl));
            p.AddWithValue("$content_disposition", Db(obj.ContentDisposition));
            p.AddWithValue("$content_encoding", Db(obj.ContentEncoding));
            p.AddWithValue("$expires", Db(obj.Expires));
            p.AddWithValue("$sse_mode", (long)obj.Encryption.StoredMode);
            p.AddWithValue("$sse_sealed_key", obj.Encryption.SealedKey);
            p.AddWithValue("$sse_kms_key_id", Db(obj.Encryption.KmsKeyId));
            p.AddWithValue("$sse_kms_context", Db(obj.Encryption.KmsContext));
            p.AddWithValue("$streams", streamsJson);
            p.AddWithValue("$user_metadata", Db(ObjectJson.WriteMap(obj.UserMetadata)));
            p.AddWithValue("$checksums", Db(ObjectJson.WriteMap(obj.Checksums)));
            p.AddWithValue("$restore", Db(ObjectJson.WriteRestore(obj.Restore)));
            p.AddWithValue("$tags", Db(ObjectJson.WriteTags(obj.Tags)));
            p.AddWithValue("$acl", Db(AclJson.Write(obj.Acl)));
            p.AddWithValue("$version_id", Db(obj.VersionId));
            p.AddWithValue("$inline_data", (object?)ObjectJson.InlineDataOf(obj.Streams) ?? DBNull.Value);
            await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await ReleaseBlobReferencesAsync(s, obj.Bucket, obj.Key, oldBlobIds, ct).ConfigureAwait(false);
        using (var add = s.Command("INSERT OR IGNORE INTO object_blobs (blob_id, bucket, object_key) VALUES ($blob, $bucket, $key);"))
        {
            var blob = add.Parameters.Add("$blob", SqliteType.Text);
            add.Parameters.AddWithValue("$bucket", obj.Bucket);
            add.Parameters.AddWithValue("$key", obj.Key);
            foreach (var id in newBlobIds)
            {
                blob.Value = id;
                await add.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }

        await ClearPendingAsync(s, newBlobIds, ct).ConfigureAwait(false);
        return await UnreferencedAsync(s, oldBlobIds.Except(newBlobIds, StringComparer.Ordinal), ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<ObjectRecord?> DeleteObjectAsync(string bucket, string key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        return WriteAsync(async (s, ct) =>
        {
            var existing = await SelectObjectAsync(s, bucket, key, ct).ConfigureAwait(false);
            if (existing is null)
            {
                return null;
            }
            using (var delete = s.Command("DELETE FROM objects WHERE bucket = $bucket AND object_key = $key;"))
            {
                delete.Parameters.AddWithValue("$bucket", bucket);
                delete.Parameters.AddWithValue("$key", key);
                await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await RemoveBlobReferencesAsync(s, bucket, key, ObjectStream.BlobIdsOf(existing.Streams), ct).ConfigureAwait(false);
            return existing;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlySet<string>> ReferencedBlobIdsAsync(CancellationToken ct = default)
    {
        return ReadSnapshotAsync<IReadOnlySet<string>>(async (s, ct) =>
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (table, column) in SqliteSchema.BlobReferences)
            {
                using var cmd = s.Command($"SELECT {column} FROM {table};");
                using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (reader.Read())
                {
                    ids.Add(reader.GetString(0));
                }
            }
            return ids;
        }, ct);
    }

    /// <inheritdoc />
    public Task<bool> IsBlobReferencedAsync(string blobId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(blobId);
        return ReadAsync(async (s, ct) => (await UnreferencedAsync(s, [blobId], ct).ConfigureAwait(false)).Count == 0, ct);
    }

    private static async Task<ObjectRecord?> SelectObjectAsync(Session s, string bucket, string key, CancellationToken ct)
    {
        using var cmd = s.Command(SelectObjectSql);
        cmd.Parameters.AddWithValue("$bucket", bucket);
        cmd.Parameters.AddWithValue("$key", key);
        using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return reader.Read() ? ReadObject(reader) : null;
    }

    private static async Task RemoveBlobReferencesAsync(Session s, string bucket, string key, IEnumerable<string> blobIds, CancellationToken ct)
    {
        using var cmd = s.Command("DELETE FROM object_blobs WHERE blob_id = $blob AND bucket = $bucket AND object_key = $key;");
        var blob = cmd.Parameters.Add("$blob", SqliteType.Text);
        cmd.Parameters.AddWithValue("$bucket", bucket);
        cmd.Parameters.AddWithValue("$key", key);
        foreach (var id in blobIds)
        {
            blob.Value = id;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Those of <paramref name="blobIds"/> that no table of <see cref="SqliteSchema.BlobReferences"/> names.</summary>
    private static async Task<List<string>> UnreferencedAsync(Session s, IEnumerable<string> blobIds, CancellationToken ct)
    {
        var result = new List<string>();
        var commands = SqliteSchema.BlobReferences
            .Select(r => s.Command($"SELECT EXISTS (SELECT 1 FROM {r.Table} WHERE {r.Column} = $blob);"))
            .ToList();
        try
        {
            foreach (var id in blobIds)
            {
                var referenced = false;
                foreach (var cmd in commands)
                {
                    cmd.Parameters.Clear();
                    cmd.Parameters.AddWithValue("$blob", id);
                    if ((long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! != 0)
                    {
                        referenced = true;
                        break;
                    }
                }
                if (!referenced)
                {
                    result.Add(id);
                }
            }
            return result;
        }
        finally
        {
            foreach (var cmd in commands)
            {
                cmd.Dispose();
            }
        }
    }

    private static ObjectRecord ReadObject(SqliteDataReader r) => new()
    {
        Bucket = r.GetString(0),
        Key = r.GetString(1),
        Size = r.GetInt64(2),
        ETag = r.GetString(3),
        Crc64 = unchecked((ulong)r.GetInt64(4)),
        LastModified = ObjectJson.Instant(r.GetInt64(5)),
        StorageClass = r.GetString(6),
        ContentType = ReadNullableString(r, 7),
        CacheControl = ReadNullableString(r, 8),
        ContentDisposition = ReadNullableString(r, 9),
        ContentEncoding = ReadNullableString(r, 10),
        Expires = ReadNullableString(r, 11),
        Encryption = ReadEncryption(r),
        Streams = ObjectJson.ReadStreams(r.GetString(16), r.FieldCount > InlineDataOrdinal && !r.IsDBNull(InlineDataOrdinal) ? (byte[])r.GetValue(InlineDataOrdinal) : null),
        UserMetadata = ObjectJson.ReadMap(ReadNullableString(r, 17)),
        Checksums = ObjectJson.ReadMap(ReadNullableString(r, 18)),
        Restore = ObjectJson.ReadRestore(ReadNullableString(r, 19)),
        Tags = ObjectJson.ReadTags(ReadNullableString(r, 20)),
        Acl = AclJson.Read(ReadNullableString(r, 21)),
        VersionId = ReadNullableString(r, VersionIdOrdinal),
    };

    private static ObjectEncryption ReadEncryption(SqliteDataReader r)
    {
        var (mode, cipher) = ObjectEncryption.FromStoredMode(r.GetInt64(12));
        var sealedKey = ReadBytes(r, 13);
        var kmsKeyId = ReadNullableString(r, 14);
        var kmsContext = ReadNullableString(r, 15);
        // Hand back the shared instance for plain objects, so `== ObjectEncryption.None` works.
        return mode == SseMode.None && sealedKey.Length == 0 && kmsKeyId is null && kmsContext is null
            ? ObjectEncryption.None
            : new ObjectEncryption(mode, sealedKey, kmsKeyId, kmsContext) { Cipher = cipher };
    }
}
