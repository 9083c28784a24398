using Npgsql;

namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore
{
    // The order ReadObject reads them in.
    private const string ObjectColumns = """
        bucket, object_key, size, etag, crc64, last_modified, storage_class,
        content_type, cache_control, content_disposition, content_encoding, expires,
        sse_mode, sse_sealed_key, sse_kms_key_id, sse_kms_context,
        streams, user_metadata, checksums, restore, tags, acl, version_id
        """;

    // Listings leave out the inline data (they never read it); a single object's read and the writes include it.
    private const string ObjectColumnsWithData = ObjectColumns + ", inline_data";
    private const int InlineDataOrdinal = 23;
    private const int VersionIdOrdinal = 22;

    private const string SelectObjectSql = $"SELECT {ObjectColumnsWithData} FROM objects WHERE bucket = @bucket AND object_key = @key;";

    /// <inheritdoc />
    public Task<ObjectRecord?> GetObjectAsync(string bucket, string key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        if (!IsStorable(bucket) || !IsStorable(key))
        {
            return Task.FromResult<ObjectRecord?>(null);
        }
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
    /// The body of <see cref="PutObjectAsync"/> inside a caller's transaction (also used by copies and
    /// multipart Complete): key-share-locks the bucket, locks (or inserts) the object row, replaces it and
    /// its blob references, drops the new blobs' pending rows (<see cref="IBlobLedger"/>), and returns the
    /// replaced version's blobs that nothing refers to any more. A <paramref name="condition"/> is checked
    /// against the row it has locked, or before it inserts into an empty key; an insert that meets a row
    /// another writer inserted meanwhile checks again against that row, so two conditional writers of one
    /// key never both pass.
    /// </summary>
    private static async Task<IReadOnlyList<string>> UpsertObjectAsync(Session s, ObjectRecord obj, WriteCondition? condition, CancellationToken ct)
    {
        RequireStorable(obj.Key);
        await LockBucketForWriteAsync(s, obj.Bucket, ct).ConfigureAwait(false);
        var newBlobIds = ObjectStream.BlobIdsOf(obj.Streams).Distinct(StringComparer.Ordinal).ToList();

        // Lock the current row, or insert the new one. An INSERT that meets a row another writer
        // inserted meanwhile inserts nothing; then lock that row and update it, so the replaced
        // version's blobs are always known (two puts of a new key both returning "nothing replaced"
        // would leak the first one's blobs).
        List<string> oldBlobIds;
        while (true)
        {
            await using (var old = s.Command("SELECT streams, etag, version_id FROM objects WHERE bucket = @bucket AND object_key = @key FOR UPDATE;"))
            {
                Text(old, "bucket", obj.Bucket);
                Text(old, "key", obj.Key);
                string? json = null, etag = null, oldVersionId = null;
                await using (var reader = await old.ExecuteReaderAsync(ct).ConfigureAwait(false))
                {
                    if (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        (json, etag, oldVersionId) = (reader.GetString(0), reader.GetString(1), ReadNullableString(reader, 2));
                    }
                }
                condition?.Check(etag);
                if (json is not null)
                {
                    oldBlobIds = ObjectJson.ReadStreamBlobIds(json);
                    // Versioning: a current version that has an id, or that a new id'd version follows, stays as a
                    // noncurrent version (its blobs stay referenced).
                    if (obj.VersionId is not null || oldVersionId is not null)
                    {
                        await MoveCurrentToVersionsAsync(s, obj.Bucket, obj.Key, ct).ConfigureAwait(false);
                        oldBlobIds = [];
                    }
                    await using var update = s.Command($"""
                        UPDATE objects SET ({ObjectColumnsWithData}) = (@bucket, @key, @size, @etag, @crc64, @last_modified, @storage_class,
                            @content_type, @cache_control, @content_disposition, @content_encoding, @expires,
                            @sse_mode, @sse_sealed_key, @sse_kms_key_id, @sse_kms_context,
                            @streams, @user_metadata, @checksums, @restore, @tags, @acl, @version_id, @inline_data)
                        WHERE bucket = @bucket AND object_key = @key;
                        """);
                    BindObject(update, obj);
                    await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    break;
                }
            }
            await using var insert = s.Command($"""
                INSERT INTO objects ({ObjectColumnsWithData})
                VALUES (@bucket, @key, @size, @etag, @crc64, @last_modified, @storage_class,
                        @content_type, @cache_control, @content_disposition, @content_encoding, @expires,
                        @sse_mode, @sse_sealed_key, @sse_kms_key_id, @sse_kms_context,
                        @streams, @user_metadata, @checksums, @restore, @tags, @acl, @version_id, @inline_data)
                ON CONFLICT (bucket, object_key) DO NOTHING;
                """);
            BindObject(insert, obj);
            if (await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1)
            {
                oldBlobIds = [];
                break;
            }
        }

        // A new null version replaces the key's null version wherever it sits.
        if (obj.VersionId is null && await RemoveNoncurrentVersionAsync(s, obj.Bucket, obj.Key, null, ct).ConfigureAwait(false) is { } replacedNull)
        {
            oldBlobIds = [.. oldBlobIds, .. ObjectStream.BlobIdsOf(replacedNull.Streams)];
        }
        await ReleaseBlobReferencesAsync(s, obj.Bucket, obj.Key, oldBlobIds, ct).ConfigureAwait(false);
        if (newBlobIds.Count > 0)
        {
            await using var add = s.Command("""
                INSERT INTO object_blobs (blob_id, bucket, object_key) SELECT unnest(@blobs), @bucket, @key
                ON CONFLICT DO NOTHING;
                """);
            add.Parameters.Add(new NpgsqlParameter<string[]>("blobs", newBlobIds.ToArray()));
            Text(add, "bucket", obj.Bucket);
            Text(add, "key", obj.Key);
            await add.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await ClearPendingAsync(s, newBlobIds, ct).ConfigureAwait(false);
        return await UnreferencedAsync(s, oldBlobIds.Except(newBlobIds, StringComparer.Ordinal), ct).ConfigureAwait(false);
    }

    private static void BindObject(NpgsqlCommand cmd, ObjectRecord obj)
    {
        Text(cmd, "bucket", obj.Bucket);
        Text(cmd, "key", obj.Key);
        Long(cmd, "size", obj.Size);
        Text(cmd, "etag", obj.ETag);
        Long(cmd, "crc64", unchecked((long)obj.Crc64));
        Long(cmd, "last_modified", obj.LastModified.UtcTicks);
        Text(cmd, "storage_class", obj.StorageClass);
        Text(cmd, "content_type", obj.ContentType);
        Text(cmd, "cache_control", obj.CacheControl);
        Text(cmd, "content_disposition", obj.ContentDisposition);
        Text(cmd, "content_encoding", obj.ContentEncoding);
        Text(cmd, "expires", obj.Expires);
        Int(cmd, "sse_mode", obj.Encryption.StoredMode);
        Bytes(cmd, "sse_sealed_key", obj.Encryption.SealedKey);
        Text(cmd, "sse_kms_key_id", obj.Encryption.KmsKeyId);
        Text(cmd, "sse_kms_context", obj.Encryption.KmsContext);
        Text(cmd, "streams", ObjectJson.WriteStreams(obj.Streams));
        Text(cmd, "user_metadata", ObjectJson.WriteMap(obj.UserMetadata));
        Text(cmd, "checksums", ObjectJson.WriteMap(obj.Checksums));
        Text(cmd, "restore", ObjectJson.WriteRestore(obj.Restore));
        Text(cmd, "tags", ObjectJson.WriteTags(obj.Tags));
        Text(cmd, "acl", AclJson.Write(obj.Acl));
        Text(cmd, "version_id", obj.VersionId);
        Bytes(cmd, "inline_data", ObjectJson.InlineDataOf(obj.Streams));
    }

    /// <inheritdoc />
    public Task<ObjectRecord?> DeleteObjectAsync(string bucket, string key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        if (!IsStorable(bucket) || !IsStorable(key))
        {
            return Task.FromResult<ObjectRecord?>(null);
        }
        return WriteAsync(async (s, ct) =>
        {
            ObjectRecord? existing;
            await using (var delete = s.Command($"DELETE FROM objects WHERE bucket = @bucket AND object_key = @key RETURNING {ObjectColumnsWithData};"))
            {
                Text(delete, "bucket", bucket);
                Text(delete, "key", key);
                await using var reader = await delete.ExecuteReaderAsync(ct).ConfigureAwait(false);
                existing = await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadObject(reader) : null;
            }
            if (existing is not null)
            {
                await RemoveBlobReferencesAsync(s, bucket, key, ObjectStream.BlobIdsOf(existing.Streams), ct).ConfigureAwait(false);
            }
            return existing;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlySet<string>> ReferencedBlobIdsAsync(CancellationToken ct = default)
    {
        return ReadSnapshotAsync<IReadOnlySet<string>>(async (s, ct) =>
        {
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (table, column) in PostgresSchema.BlobReferences)
            {
                await using var cmd = s.Command($"SELECT {column} FROM {table};");
                await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
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
        if (!IsStorable(blobId))
        {
            return Task.FromResult(false);
        }
        return ReadAsync(async (s, ct) =>
        {
            await using var cmd = s.Command(string.Join(" OR ",
                PostgresSchema.BlobReferences.Select(r => $"EXISTS (SELECT 1 FROM {r.Table} WHERE {r.Column} = @blob)")).Insert(0, "SELECT ") + ";");
            Text(cmd, "blob", blobId);
            return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, ct);
    }

    private static async Task<ObjectRecord?> SelectObjectAsync(Session s, string bucket, string key, CancellationToken ct)
    {
        await using var cmd = s.Command(SelectObjectSql);
        Text(cmd, "bucket", bucket);
        Text(cmd, "key", key);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadObject(reader) : null;
    }

    private static async Task RemoveBlobReferencesAsync(Session s, string bucket, string key, IEnumerable<string> blobIds, CancellationToken ct)
    {
        var ids = blobIds.ToArray();
        if (ids.Length == 0)
        {
            return;
        }
        await using var cmd = s.Command("DELETE FROM object_blobs WHERE blob_id = ANY (@blobs) AND bucket = @bucket AND object_key = @key;");
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("blobs", ids));
        Text(cmd, "bucket", bucket);
        Text(cmd, "key", key);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Those of <paramref name="blobIds"/> that no table of <see cref="PostgresSchema.BlobReferences"/> names,
    /// seen after every transaction that is removing a reference to them has ended.
    /// </summary>
    /// <remarks>
    /// The rows found are share-locked (<c>FOR SHARE</c>): a row another transaction is deleting makes this
    /// wait for it, and then it counts only if that transaction rolled back. So of two transactions that
    /// each drop one of a blob's last two references, the second to decide sees the first's deletion (or
    /// the two deadlock and one is rerun): never do both decide that the other still holds the blob. And a
    /// reference found here cannot be deleted until this transaction ends, so a blob this says is
    /// referenced stays referenced until then (<see cref="PutObjectSharingBlobsAsync"/> relies on that).
    /// </remarks>
    private static async Task<List<string>> UnreferencedAsync(Session s, IEnumerable<string> blobIds, CancellationToken ct)
    {
        var candidates = blobIds.Distinct(StringComparer.Ordinal).ToArray();
        if (candidates.Length == 0)
        {
            return [];
        }
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (table, column) in PostgresSchema.BlobReferences)
        {
            await using var cmd = s.Command($"SELECT {column} FROM {table} WHERE {column} = ANY (@blobs) ORDER BY {column} FOR SHARE;");
            cmd.Parameters.Add(new NpgsqlParameter<string[]>("blobs", candidates));
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                referenced.Add(reader.GetString(0));
            }
        }
        return candidates.Where(id => !referenced.Contains(id)).ToList();
    }

    private static ObjectRecord ReadObject(NpgsqlDataReader r) => new()
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
        Streams = ObjectJson.ReadStreams(r.GetString(16), r.FieldCount > InlineDataOrdinal && !r.IsDBNull(InlineDataOrdinal) ? r.GetFieldValue<byte[]>(InlineDataOrdinal) : null),
        UserMetadata = ObjectJson.ReadMap(ReadNullableString(r, 17)),
        Checksums = ObjectJson.ReadMap(ReadNullableString(r, 18)),
        Restore = ObjectJson.ReadRestore(ReadNullableString(r, 19)),
        Tags = ObjectJson.ReadTags(ReadNullableString(r, 20)),
        Acl = AclJson.Read(ReadNullableString(r, 21)),
        VersionId = ReadNullableString(r, VersionIdOrdinal),
    };

    private static ObjectEncryption ReadEncryption(NpgsqlDataReader r)
    {
        var (mode, cipher) = ObjectEncryption.FromStoredMode(r.GetInt32(12));
        var sealedKey = ReadBytes(r, 13);
        var kmsKeyId = ReadNullableString(r, 14);
        var kmsContext = ReadNullableString(r, 15);
        // Hand back the shared instance for plain objects, so `== ObjectEncryption.None` works.
        return mode == SseMode.None && sealedKey.Length == 0 && kmsKeyId is null && kmsContext is null
            ? ObjectEncryption.None
            : new ObjectEncryption(mode, sealedKey, kmsKeyId, kmsContext) { Cipher = cipher };
    }

    /// <summary>
    /// Whether PostgreSQL can hold <paramref name="value"/> as text: it cannot hold U+0000 (the server
    /// refuses control characters in keys before they get here), nor an unpaired surrogate. Nothing stored
    /// contains either, so a lookup of such a value finds nothing (rather than failing in PostgreSQL with
    /// an error the client would see as a 500), and a write of one is refused.
    /// </summary>
    private static bool IsStorable(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0' || char.IsLowSurrogate(c))
            {
                return false;
            }
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 == value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }
                i++;
            }
        }
        return true;
    }

    private static void RequireStorable(string key)
    {
        if (!IsStorable(key))
        {
            throw new ArgumentException("An object key may not contain U+0000 or an unpaired surrogate.", nameof(key));
        }
    }
}
