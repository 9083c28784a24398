using Npgsql;

namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore
{
    // object_versions has every column of objects (in ObjectColumnsWithData's order) plus seq and is_delete_marker.
    private const string VersionRowColumns = $"{ObjectColumnsWithData}, is_delete_marker";

    /// <inheritdoc />
    public Task<bool> SetBucketVersioningAsync(string name, BucketVersioning versioning, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var stored = VersionIds.WireString(versioning);
        if (!IsStorable(name))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("UPDATE buckets SET versioning = @versioning WHERE name = @name;");
            Text(cmd, "versioning", stored);
            Text(cmd, "name", name);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<ObjectRecord?> GetObjectVersionAsync(string bucket, string key, string versionId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(versionId);
        if (!IsStorable(bucket) || !IsStorable(key) || !IsStorable(versionId))
        {
            return Task.FromResult<ObjectRecord?>(null);
        }
        var stored = VersionIds.ToStored(versionId);
        return ReadSnapshotAsync(async (s, ct) =>
        {
            var current = await SelectObjectAsync(s, bucket, key, ct).ConfigureAwait(false);
            if (current is not null && current.VersionId == stored)
            {
                return current;
            }
            return (await SelectNoncurrentAsync(s, bucket, key, stored, forUpdate: false, ct).ConfigureAwait(false))?.Version;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> PutDeleteMarkerAsync(string bucket, string key, string? markerVersionId, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        RequireStorable(key);
        return WriteAsync<IReadOnlyList<string>>(async (s, ct) =>
        {
            await LockBucketForWriteAsync(s, bucket, ct).ConfigureAwait(false);
            await LockKeyVersionsAsync(s, bucket, key, ct).ConfigureAwait(false);
            var removed = new List<string>();
            var current = await SelectObjectForUpdateAsync(s, bucket, key, ct).ConfigureAwait(false);
            if (current is not null)
            {
                if (markerVersionId is not null || current.VersionId is not null)
                {
                    await MoveCurrentToVersionsAsync(s, bucket, key, ct).ConfigureAwait(false);
                }
                else
                {
                    removed.AddRange(ObjectStream.BlobIdsOf(current.Streams));
                }
                await DeleteCurrentRowAsync(s, bucket, key, ct).ConfigureAwait(false);
            }
            if (markerVersionId is null && await RemoveNoncurrentVersionAsync(s, bucket, key, null, ct).ConfigureAwait(false) is { } oldNull)
            {
                removed.AddRange(ObjectStream.BlobIdsOf(oldNull.Streams));
            }

            await using (var marker = s.Command("""
                INSERT INTO object_versions (bucket, object_key, is_delete_marker, size, etag, crc64, last_modified, storage_class, sse_mode, streams, version_id)
                VALUES (@bucket, @key, true, 0, '', 0, @now, 'STANDARD', 0, '[]', @version_id);
                """))
            {
                Text(marker, "bucket", bucket);
                Text(marker, "key", key);
                Long(marker, "now", now.UtcTicks);
                Text(marker, "version_id", markerVersionId);
                await marker.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await ReleaseBlobReferencesAsync(s, bucket, key, removed, ct).ConfigureAwait(false);
            return await UnreferencedAsync(s, removed, ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    public Task<ObjectRecord?> DeleteObjectVersionAsync(string bucket, string key, string versionId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(versionId);
        if (!IsStorable(bucket) || !IsStorable(key) || !IsStorable(versionId))
        {
            return Task.FromResult<ObjectRecord?>(null);
        }
        var stored = VersionIds.ToStored(versionId);
        return WriteAsync(async (s, ct) =>
        {
            await LockKeyVersionsAsync(s, bucket, key, ct).ConfigureAwait(false);
            var current = await SelectObjectForUpdateAsync(s, bucket, key, ct).ConfigureAwait(false);
            ObjectRecord? removed;
            if (current is not null && current.VersionId == stored)
            {
                await DeleteCurrentRowAsync(s, bucket, key, ct).ConfigureAwait(false);
                removed = current;
            }
            else
            {
                removed = await RemoveNoncurrentVersionAsync(s, bucket, key, stored, ct).ConfigureAwait(false);
                if (removed is null)
                {
                    return null;
                }
            }
            if (current is null || ReferenceEquals(removed, current))
            {
                await PromoteNewestAsync(s, bucket, key, ct).ConfigureAwait(false);
            }
            await ReleaseBlobReferencesAsync(s, bucket, key, ObjectStream.BlobIdsOf(removed.Streams).ToList(), ct).ConfigureAwait(false);
            return removed;
        }, ct);
    }

    /// <inheritdoc />
    public Task<VersionListing> ListObjectVersionsAsync(string bucket, string prefix, string? delimiter, string? keyMarker, string? versionIdMarker, int maxKeys, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(prefix);
        if (!IsStorable(bucket) || !IsStorable(prefix) || (keyMarker is not null && !IsStorable(keyMarker)) || (versionIdMarker is not null && !IsStorable(versionIdMarker)))
        {
            return Task.FromResult(new VersionListing([], [], false, null, null));
        }
        return ReadSnapshotAsync((s, ct) => VersionLister.ListAsync(prefix, delimiter, keyMarker, versionIdMarker, maxKeys,
            async (key, storedId, ct) =>
            {
                await using var cmd = s.Command($"""
                    SELECT {VersionLister.CurrentRank}::bigint FROM objects WHERE bucket = @bucket AND object_key = @key AND version_id IS NOT DISTINCT FROM @version_id
                    UNION ALL
                    SELECT seq FROM object_versions WHERE bucket = @bucket AND object_key = @key AND version_id IS NOT DISTINCT FROM @version_id;
                    """);
                Text(cmd, "bucket", bucket);
                Text(cmd, "key", key);
                Text(cmd, "version_id", storedId);
                return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long rank ? rank : null;
            },
            async (from, pastPrefix, below, limit, ct) =>
            {
                if (pastPrefix)
                {
                    if (TextSuccessorOfPrefix(from) is not { } successor)
                    {
                        return [];
                    }
                    from = successor;
                }
                // Both tables range-scan their primary key from the position; the merge keeps key order, each key's current
                // row first, then its versions newest first.
                await using var cmd = s.Command($"""
                    (SELECT {ObjectColumns}, NULL::bytea AS inline_data, false AS is_delete_marker, {VersionLister.CurrentRank}::bigint AS rank FROM objects
                     WHERE bucket = @bucket AND (object_key > @from OR (object_key = @from AND {VersionLister.CurrentRank}::bigint < @below))
                     ORDER BY object_key LIMIT @limit)
                    UNION ALL
                    (SELECT {ObjectColumns}, NULL::bytea AS inline_data, is_delete_marker, seq AS rank FROM object_versions
                     WHERE bucket = @bucket AND (object_key > @from OR (object_key = @from AND seq < @below))
                     ORDER BY object_key, seq DESC LIMIT @limit)
                    ORDER BY object_key, rank DESC
                    LIMIT @limit;
                    """);
                Text(cmd, "bucket", bucket);
                Text(cmd, "from", from);
                Long(cmd, "below", below);
                Int(cmd, "limit", limit);
                await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                var rows = new List<(ObjectRecord, long)>();
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    rows.Add((ReadObject(reader) with { IsDeleteMarker = reader.GetBoolean(24) }, reader.GetInt64(25)));
                }
                return rows;
            }, ct), ct);
    }

    /// <summary>Serialises the version operations of one key (its delete markers and removals) across nodes.</summary>
    private static async Task LockKeyVersionsAsync(Session s, string bucket, string key, CancellationToken ct)
    {
        await using var cmd = s.Command("SELECT pg_advisory_xact_lock(hashtextextended(@bucket || '/' || @key, 17));");
        Text(cmd, "bucket", bucket);
        Text(cmd, "key", key);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<ObjectRecord?> SelectObjectForUpdateAsync(Session s, string bucket, string key, CancellationToken ct)
    {
        await using var cmd = s.Command($"SELECT {ObjectColumnsWithData} FROM objects WHERE bucket = @bucket AND object_key = @key FOR UPDATE;");
        Text(cmd, "bucket", bucket);
        Text(cmd, "key", key);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadObject(reader) : null;
    }

    /// <summary>Copies the key's current row into object_versions as its newest noncurrent version (the row stays in objects).</summary>
    private static async Task MoveCurrentToVersionsAsync(Session s, string bucket, string key, CancellationToken ct)
    {
        await using var cmd = s.Command($"""
            INSERT INTO object_versions ({VersionRowColumns})
            SELECT {ObjectColumnsWithData}, false FROM objects WHERE bucket = @bucket AND object_key = @key;
            """);
        Text(cmd, "bucket", bucket);
        Text(cmd, "key", key);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task DeleteCurrentRowAsync(Session s, string bucket, string key, CancellationToken ct)
    {
        await using var delete = s.Command("DELETE FROM objects WHERE bucket = @bucket AND object_key = @key;");
        Text(delete, "bucket", bucket);
        Text(delete, "key", key);
        await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<(ObjectRecord Version, long Seq)?> SelectNoncurrentAsync(Session s, string bucket, string key, string? storedId, bool forUpdate, CancellationToken ct)
    {
        await using var cmd = s.Command($"""
            SELECT {VersionRowColumns}, seq FROM object_versions
            WHERE bucket = @bucket AND object_key = @key AND version_id IS NOT DISTINCT FROM @version_id
            {(forUpdate ? "FOR UPDATE" : "")};
            """);
        Text(cmd, "bucket", bucket);
        Text(cmd, "key", key);
        Text(cmd, "version_id", storedId);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false)
            ? (ReadObject(reader) with { IsDeleteMarker = reader.GetBoolean(24) }, reader.GetInt64(25))
            : null;
    }

    /// <summary>Deletes the noncurrent version (or delete marker) of that stored id; returns it, or null when there was none.</summary>
    /// <remarks>Its blob references are the caller's to release (<see cref="ReleaseBlobReferencesAsync"/>).</remarks>
    private static async Task<ObjectRecord?> RemoveNoncurrentVersionAsync(Session s, string bucket, string key, string? storedId, CancellationToken ct)
    {
        if (await SelectNoncurrentAsync(s, bucket, key, storedId, forUpdate: true, ct).ConfigureAwait(false) is not { } found)
        {
            return null;
        }
        await using var delete = s.Command("DELETE FROM object_versions WHERE bucket = @bucket AND object_key = @key AND seq = @seq;");
        Text(delete, "bucket", bucket);
        Text(delete, "key", key);
        Long(delete, "seq", found.Seq);
        await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return found.Version;
    }

    /// <summary>When the key has no current row and its newest version is an object (not a delete marker), makes it current.</summary>
    private static async Task PromoteNewestAsync(Session s, string bucket, string key, CancellationToken ct)
    {
        await using var promote = s.Command($"""
            WITH newest AS (
                SELECT seq FROM object_versions WHERE bucket = @bucket AND object_key = @key ORDER BY seq DESC LIMIT 1),
            moved AS (
                DELETE FROM object_versions v USING newest
                WHERE v.bucket = @bucket AND v.object_key = @key AND v.seq = newest.seq AND NOT v.is_delete_marker
                RETURNING {string.Join(", ", ObjectColumnsWithData.Split(',').Select(c => "v." + c.Trim()))})
            INSERT INTO objects ({ObjectColumnsWithData}) SELECT * FROM moved;
            """);
        Text(promote, "bucket", bucket);
        Text(promote, "key", key);
        await promote.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops the key's references to those of <paramref name="blobIds"/> that no remaining version of the key (current or
    /// not) names: a copy onto itself shares blobs between two versions of one key.
    /// </summary>
    private static async Task ReleaseBlobReferencesAsync(Session s, string bucket, string key, IReadOnlyCollection<string> blobIds, CancellationToken ct)
    {
        if (blobIds.Count == 0)
        {
            return;
        }
        var kept = new HashSet<string>(StringComparer.Ordinal);
        await using (var cmd = s.Command("""
            SELECT streams FROM objects WHERE bucket = @bucket AND object_key = @key
            UNION ALL
            SELECT streams FROM object_versions WHERE bucket = @bucket AND object_key = @key AND NOT is_delete_marker;
            """))
        {
            Text(cmd, "bucket", bucket);
            Text(cmd, "key", key);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                kept.UnionWith(ObjectJson.ReadStreamBlobIds(reader.GetString(0)));
            }
        }
        await RemoveBlobReferencesAsync(s, bucket, key, blobIds.Where(id => !kept.Contains(id)), ct).ConfigureAwait(false);
    }
}
