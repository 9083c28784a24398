using Microsoft.Data.Sqlite;

namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore
{
    // object_versions has every column of objects (in ObjectColumnsWithData's order) plus seq and is_delete_marker.
    private const string VersionRowColumns = $"{ObjectColumnsWithData}, is_delete_marker";

    /// <inheritdoc />
    public Task<bool> SetBucketVersioningAsync(string name, BucketVersioning versioning, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        var stored = VersionIds.WireString(versioning);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command("UPDATE buckets SET versioning = $versioning WHERE name = $name;");
            cmd.Parameters.AddWithValue("$versioning", stored);
            cmd.Parameters.AddWithValue("$name", name);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<ObjectRecord?> GetObjectVersionAsync(string bucket, string key, string versionId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(versionId);
        var stored = VersionIds.ToStored(versionId);
        return ReadAsync(async (s, ct) =>
        {
            var current = await SelectObjectAsync(s, bucket, key, ct).ConfigureAwait(false);
            if (current is not null && current.VersionId == stored)
            {
                return current;
            }
            return (await SelectNoncurrentAsync(s, bucket, key, stored, ct).ConfigureAwait(false))?.Version;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> PutDeleteMarkerAsync(string bucket, string key, string? markerVersionId, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        return WriteAsync<IReadOnlyList<string>>(async (s, ct) =>
        {
            using (var bucketExists = s.Command("SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $bucket);"))
            {
                bucketExists.Parameters.AddWithValue("$bucket", bucket);
                if ((long)(await bucketExists.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0)
                {
                    throw new NoSuchBucketException(bucket);
                }
            }
            var removed = new List<string>();
            var current = await SelectObjectAsync(s, bucket, key, ct).ConfigureAwait(false);
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

            using (var marker = s.Command("""
                INSERT INTO object_versions (bucket, object_key, seq, is_delete_marker, size, etag, crc64, last_modified, storage_class, sse_mode, streams, version_id)
                VALUES ($bucket, $key, (SELECT coalesce(max(seq), 0) + 1 FROM object_versions WHERE bucket = $bucket AND object_key = $key),
                        1, 0, '', 0, $now, 'STANDARD', 0, '[]', $version_id);
                """))
            {
                marker.Parameters.AddWithValue("$bucket", bucket);
                marker.Parameters.AddWithValue("$key", key);
                marker.Parameters.AddWithValue("$now", now.UtcTicks);
                marker.Parameters.AddWithValue("$version_id", Db(markerVersionId));
                await marker.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await ReleaseBlobReferencesAsync(s, bucket, key, removed, ct).ConfigureAwait(false);
            return await UnreferencedAsync(s, removed.Distinct(StringComparer.Ordinal), ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    public Task<ObjectRecord?> DeleteObjectVersionAsync(string bucket, string key, string versionId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(versionId);
        var stored = VersionIds.ToStored(versionId);
        return WriteAsync(async (s, ct) =>
        {
            var current = await SelectObjectAsync(s, bucket, key, ct).ConfigureAwait(false);
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
        return ReadSnapshotAsync((s, ct) => VersionLister.ListAsync(prefix, delimiter, keyMarker, versionIdMarker, maxKeys,
            async (key, storedId, ct) =>
            {
                using var cmd = s.Command("""
                    SELECT 9223372036854775806 FROM objects WHERE bucket = $bucket AND object_key = $key AND version_id IS $version_id
                    UNION ALL
                    SELECT seq FROM object_versions WHERE bucket = $bucket AND object_key = $key AND version_id IS $version_id;
                    """);
                cmd.Parameters.AddWithValue("$bucket", bucket);
                cmd.Parameters.AddWithValue("$key", key);
                cmd.Parameters.AddWithValue("$version_id", Db(storedId));
                return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is long rank ? rank : null;
            },
            async (from, pastPrefix, below, limit, ct) =>
            {
                var fromBytes = pastPrefix ? Utf8Order.SuccessorOfPrefix(from) : System.Text.Encoding.UTF8.GetBytes(from);
                if (fromBytes is null)
                {
                    return [];
                }
                // Both tables seek their (bucket, object_key[, seq]) primary key from the position; the merge keeps key order,
                // each key's current row first, then its versions newest first.
                using var cmd = s.Command($"""
                    SELECT * FROM (
                        SELECT {ObjectColumns}, NULL AS inline_data, 0 AS is_delete_marker, 9223372036854775806 AS rank FROM objects
                        WHERE bucket = $bucket AND object_key >= CAST($from AS TEXT)
                        UNION ALL
                        SELECT {ObjectColumns}, NULL AS inline_data, is_delete_marker, seq AS rank FROM object_versions
                        WHERE bucket = $bucket AND object_key >= CAST($from AS TEXT))
                    WHERE object_key > CAST($from AS TEXT) OR rank < $below
                    ORDER BY object_key, rank DESC
                    LIMIT $limit;
                    """);
                cmd.Parameters.AddWithValue("$bucket", bucket);
                cmd.Parameters.Add("$from", SqliteType.Blob).Value = fromBytes;
                cmd.Parameters.AddWithValue("$below", below);
                cmd.Parameters.AddWithValue("$limit", limit);
                using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                var rows = new List<(ObjectRecord, long)>();
                while (reader.Read())
                {
                    rows.Add((ReadObject(reader) with { IsDeleteMarker = reader.GetInt64(24) != 0 }, reader.GetInt64(25)));
                }
                return rows;
            }, ct), ct);
    }

    /// <summary>Copies the key's current row into object_versions as its newest noncurrent version (the row stays in objects).</summary>
    private static async Task MoveCurrentToVersionsAsync(Session s, string bucket, string key, CancellationToken ct)
    {
        using var cmd = s.Command($"""
            INSERT INTO object_versions (seq, {VersionRowColumns})
            SELECT (SELECT coalesce(max(seq), 0) + 1 FROM object_versions WHERE bucket = $bucket AND object_key = $key), {ObjectColumnsWithData}, 0
            FROM objects WHERE bucket = $bucket AND object_key = $key;
            """);
        cmd.Parameters.AddWithValue("$bucket", bucket);
        cmd.Parameters.AddWithValue("$key", key);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task DeleteCurrentRowAsync(Session s, string bucket, string key, CancellationToken ct)
    {
        using var delete = s.Command("DELETE FROM objects WHERE bucket = $bucket AND object_key = $key;");
        delete.Parameters.AddWithValue("$bucket", bucket);
        delete.Parameters.AddWithValue("$key", key);
        await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<(ObjectRecord Version, long Seq)?> SelectNoncurrentAsync(Session s, string bucket, string key, string? storedId, CancellationToken ct)
    {
        using var cmd = s.Command($"""
            SELECT {VersionRowColumns}, seq FROM object_versions
            WHERE bucket = $bucket AND object_key = $key AND version_id IS $version_id;
            """);
        cmd.Parameters.AddWithValue("$bucket", bucket);
        cmd.Parameters.AddWithValue("$key", key);
        cmd.Parameters.AddWithValue("$version_id", Db(storedId));
        using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return reader.Read() ? (ReadObject(reader) with { IsDeleteMarker = reader.GetInt64(24) != 0 }, reader.GetInt64(25)) : null;
    }

    /// <summary>Deletes the noncurrent version (or delete marker) of that stored id; returns it, or null when there was none.</summary>
    /// <remarks>Its blob references are the caller's to release (<see cref="ReleaseBlobReferencesAsync"/>).</remarks>
    private static async Task<ObjectRecord?> RemoveNoncurrentVersionAsync(Session s, string bucket, string key, string? storedId, CancellationToken ct)
    {
        if (await SelectNoncurrentAsync(s, bucket, key, storedId, ct).ConfigureAwait(false) is not { } found)
        {
            return null;
        }
        using var delete = s.Command("DELETE FROM object_versions WHERE bucket = $bucket AND object_key = $key AND seq = $seq;");
        delete.Parameters.AddWithValue("$bucket", bucket);
        delete.Parameters.AddWithValue("$key", key);
        delete.Parameters.AddWithValue("$seq", found.Seq);
        await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return found.Version;
    }

    /// <summary>When the key has no current row and its newest version is an object (not a delete marker), makes it current.</summary>
    private static async Task PromoteNewestAsync(Session s, string bucket, string key, CancellationToken ct)
    {
        long seq;
        using (var newest = s.Command("SELECT seq, is_delete_marker FROM object_versions WHERE bucket = $bucket AND object_key = $key ORDER BY seq DESC LIMIT 1;"))
        {
            newest.Parameters.AddWithValue("$bucket", bucket);
            newest.Parameters.AddWithValue("$key", key);
            using var reader = await newest.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!reader.Read() || reader.GetInt64(1) != 0)
            {
                return;
            }
            seq = reader.GetInt64(0);
        }
        using var promote = s.Command($"""
            INSERT INTO objects ({ObjectColumnsWithData})
            SELECT {ObjectColumnsWithData} FROM object_versions WHERE bucket = $bucket AND object_key = $key AND seq = $seq;
            DELETE FROM object_versions WHERE bucket = $bucket AND object_key = $key AND seq = $seq;
            """);
        promote.Parameters.AddWithValue("$bucket", bucket);
        promote.Parameters.AddWithValue("$key", key);
        promote.Parameters.AddWithValue("$seq", seq);
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
        using (var cmd = s.Command("""
            SELECT streams FROM objects WHERE bucket = $bucket AND object_key = $key
            UNION ALL
            SELECT streams FROM object_versions WHERE bucket = $bucket AND object_key = $key AND is_delete_marker = 0;
            """))
        {
            cmd.Parameters.AddWithValue("$bucket", bucket);
            cmd.Parameters.AddWithValue("$key", key);
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (reader.Read())
            {
                kept.UnionWith(ObjectJson.ReadStreamBlobIds(reader.GetString(0)));
            }
        }
        await RemoveBlobReferencesAsync(s, bucket, key, blobIds.Where(id => !kept.Contains(id)), ct).ConfigureAwait(false);
    }
}
