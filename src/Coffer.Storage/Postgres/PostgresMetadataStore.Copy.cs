namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore
{
    /// <inheritdoc />
    /// <remarks>
    /// The reference check share-locks the rows that still name the shared blobs, so a concurrent
    /// overwrite or delete of the source cannot drop them (and hand the blob to the reclaimer) before
    /// this copy's own references are committed; an overwrite that got there first is waited for, and
    /// then the blob counts as unreferenced and nothing is written.
    /// </remarks>
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
            var shared = ObjectStream.BlobIdsOf(obj.Streams).Distinct(StringComparer.Ordinal);
            if ((await UnreferencedAsync(s, shared, ct).ConfigureAwait(false)).Count > 0)
            {
                return null;
            }
            return await UpsertObjectAsync(s, obj, condition, ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One conditional UPDATE: a concurrent writer of the row is waited for and the condition is checked
    /// again on the row it left, so of two restores from the same read exactly one matches.
    /// </remarks>
    public Task<bool> UpdateRestoreAsync(ObjectRecord current, RestoreState? updated, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (!IsStorable(current.Bucket) || !IsStorable(current.Key))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            // The stored JSON is written deterministically, so equal states compare equal as text.
            await using var cmd = s.Command("""
                UPDATE objects SET restore = @updated
                WHERE bucket = @bucket AND object_key = @key AND etag = @etag AND last_modified = @last_modified
                  AND restore IS NOT DISTINCT FROM @expected;
                """);
            Text(cmd, "updated", ObjectJson.WriteRestore(updated));
            Text(cmd, "bucket", current.Bucket);
            Text(cmd, "key", current.Key);
            Text(cmd, "etag", current.ETag);
            Long(cmd, "last_modified", current.LastModified.UtcTicks);
            Text(cmd, "expected", ObjectJson.WriteRestore(current.Restore));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }
}
