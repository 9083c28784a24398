namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore
{
    /// <inheritdoc />
    public Task<bool> SetBucketLifecycleAsync(string name, BucketLifecycle? lifecycle, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsStorable(name))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("UPDATE buckets SET lifecycle = @lifecycle WHERE name = @name;");
            Text(cmd, "lifecycle", LifecycleJson.Write(lifecycle));
            Text(cmd, "name", name);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<BucketRecord>> ListBucketsWithLifecycleAsync(string? after, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<BucketRecord>>(async (s, ct) =>
        {
            // name is COLLATE "C": the buckets come in the order of their bytes, as SQLite's do.
            await using var cmd = s.Command($"""
                SELECT {BucketColumns} FROM buckets
                WHERE lifecycle IS NOT NULL AND (@after IS NULL OR name > @after)
                ORDER BY name LIMIT @limit;
                """);
            Text(cmd, "after", after);
            Int(cmd, "limit", limit);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await ReadBucketsAsync(reader, ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    public Task<ObjectRecord?> DeleteObjectIfUnchangedAsync(ObjectRecord current, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (!IsStorable(current.Bucket) || !IsStorable(current.Key))
        {
            return Task.FromResult<ObjectRecord?>(null);
        }
        return WriteAsync(async (s, ct) =>
        {
            // The stored tags JSON is written deterministically, so equal tag lists compare equal as text.
            ObjectRecord? existing;
            await using (var delete = s.Command($"""
                DELETE FROM objects
                WHERE bucket = @bucket AND object_key = @key AND etag = @etag AND last_modified = @last_modified
                  AND tags IS NOT DISTINCT FROM @tags
                RETURNING {ObjectColumnsWithData};
                """))
            {
                Text(delete, "bucket", current.Bucket);
                Text(delete, "key", current.Key);
                Text(delete, "etag", current.ETag);
                Long(delete, "last_modified", current.LastModified.UtcTicks);
                Text(delete, "tags", ObjectJson.WriteTags(current.Tags));
                await using var reader = await delete.ExecuteReaderAsync(ct).ConfigureAwait(false);
                existing = await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadObject(reader) : null;
            }
            if (existing is not null)
            {
                await RemoveBlobReferencesAsync(s, current.Bucket, current.Key, ObjectStream.BlobIdsOf(existing.Streams), ct).ConfigureAwait(false);
            }
            return existing;
        }, ct);
    }

    /// <inheritdoc />
    public Task<bool> UpdateStorageClassAsync(ObjectRecord current, string storageClass, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentException.ThrowIfNullOrEmpty(storageClass);
        if (!IsStorable(current.Bucket) || !IsStorable(current.Key))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("""
                UPDATE objects SET storage_class = @class
                WHERE bucket = @bucket AND object_key = @key AND etag = @etag AND last_modified = @last_modified
                  AND storage_class = @expected AND tags IS NOT DISTINCT FROM @tags;
                """);
            Text(cmd, "class", storageClass);
            Text(cmd, "bucket", current.Bucket);
            Text(cmd, "key", current.Key);
            Text(cmd, "etag", current.ETag);
            Long(cmd, "last_modified", current.LastModified.UtcTicks);
            Text(cmd, "expected", current.StorageClass);
            Text(cmd, "tags", ObjectJson.WriteTags(current.Tags));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }
}
