namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore
{
    /// <inheritdoc />
    /// <exception cref="NoSuchBucketException">The bucket does not exist (e.g. it was deleted meanwhile).</exception>
    public Task<IReadOnlyList<string>?> PutObjectSharingBlobsAsync(ObjectRecord obj, CancellationToken ct = default) =>
        PutObjectSharingBlobsAsync(obj, null, ct);

    /// <inheritdoc />
    /// <exception cref="NoSuchBucketException">The bucket does not exist (e.g. it was deleted meanwhile).</exception>
    public Task<IReadOnlyList<string>?> PutObjectSharingBlobsAsync(ObjectRecord obj, WriteCondition? condition, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(obj);
        return WriteAsync<IReadOnlyList<string>?>(async (s, ct) =>
        {
            // A blob no table names any more may already be deleted by the reclaimer, and nothing
            // may start referring to it again: the copy must be retried from the current source.
            var shared = ObjectStream.BlobIdsOf(obj.Streams).Distinct(StringComparer.Ordinal);
            if ((await UnreferencedAsync(s, shared, ct).ConfigureAwait(false)).Count > 0)
            {
                return null;
            }
            return await UpsertObjectAsync(s, obj, condition, ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    public Task<bool> UpdateRestoreAsync(ObjectRecord current, RestoreState? updated, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        return WriteAsync(async (s, ct) =>
        {
            // The stored JSON is written deterministically, so equal states compare equal as text.
            using var cmd = s.Command("""
                UPDATE objects SET restore = $updated
                WHERE bucket = $bucket AND object_key = $key AND etag = $etag AND last_modified = $last_modified
                  AND restore IS $expected;
                """);
            cmd.Parameters.AddWithValue("$updated", Db(ObjectJson.WriteRestore(updated)));
            cmd.Parameters.AddWithValue("$bucket", current.Bucket);
            cmd.Parameters.AddWithValue("$key", current.Key);
            cmd.Parameters.AddWithValue("$etag", current.ETag);
            cmd.Parameters.AddWithValue("$last_modified", current.LastModified.UtcTicks);
            cmd.Parameters.AddWithValue("$expected", Db(ObjectJson.WriteRestore(current.Restore)));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }
}
