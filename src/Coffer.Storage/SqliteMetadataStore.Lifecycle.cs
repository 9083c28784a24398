namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore
{
    /// <inheritdoc />
    public Task<bool> SetBucketLifecycleAsync(string name, BucketLifecycle? lifecycle, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command("UPDATE buckets SET lifecycle = $lifecycle WHERE name = $name;");
            cmd.Parameters.AddWithValue("$lifecycle", Db(LifecycleJson.Write(lifecycle)));
            cmd.Parameters.AddWithValue("$name", name);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<BucketRecord>> ListBucketsWithLifecycleAsync(string? after, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<BucketRecord>>(async (s, ct) =>
        {
            using var cmd = s.Command($"""
                SELECT {BucketColumns} FROM buckets
                WHERE lifecycle IS NOT NULL AND ($after IS NULL OR name > $after)
                ORDER BY name LIMIT $limit;
                """);
            cmd.Parameters.AddWithValue("$after", Db(after));
            cmd.Parameters.AddWithValue("$limit", limit);
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return ReadBuckets(reader);
        }, ct);
    }

    /// <inheritdoc />
    public Task<ObjectRecord?> DeleteObjectIfUnchangedAsync(ObjectRecord current, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        return WriteAsync(async (s, ct) =>
        {
            // One write transaction: nothing changes the row between this read and the delete.
            var existing = await SelectObjectAsync(s, current.Bucket, current.Key, ct).ConfigureAwait(false);
            if (existing is null || !SameVersionAndTags(existing, current))
            {
                return null;
            }
            using (var delete = s.Command("DELETE FROM objects WHERE bucket = $bucket AND object_key = $key;"))
            {
                delete.Parameters.AddWithValue("$bucket", current.Bucket);
                delete.Parameters.AddWithValue("$key", current.Key);
                await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await RemoveBlobReferencesAsync(s, current.Bucket, current.Key, ObjectStream.BlobIdsOf(existing.Streams), ct).ConfigureAwait(false);
            return existing;
        }, ct);
    }

    /// <inheritdoc />
    public Task<bool> UpdateStorageClassAsync(ObjectRecord current, string storageClass, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentException.ThrowIfNullOrEmpty(storageClass);
        return WriteAsync(async (s, ct) =>
        {
            // The stored tags JSON is written deterministically, so equal tag lists compare equal as text.
            using var cmd = s.Command("""
                UPDATE objects SET storage_class = $class
                WHERE bucket = $bucket AND object_key = $key AND etag = $etag AND last_modified = $last_modified
                  AND storage_class = $expected AND tags IS $tags;
                """);
            cmd.Parameters.AddWithValue("$class", storageClass);
            cmd.Parameters.AddWithValue("$bucket", current.Bucket);
            cmd.Parameters.AddWithValue("$key", current.Key);
            cmd.Parameters.AddWithValue("$etag", current.ETag);
            cmd.Parameters.AddWithValue("$last_modified", current.LastModified.UtcTicks);
            cmd.Parameters.AddWithValue("$expected", current.StorageClass);
            cmd.Parameters.AddWithValue("$tags", Db(ObjectJson.WriteTags(current.Tags)));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    private static bool SameVersionAndTags(ObjectRecord stored, ObjectRecord read) =>
        stored.ETag == read.ETag && stored.LastModified.UtcTicks == read.LastModified.UtcTicks && stored.Tags.SequenceEqual(read.Tags);
}
