using System.Text;
using Microsoft.Data.Sqlite;

namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore : IMultipartStore
{
    // The order ReadUpload reads them in.
    private const string UploadColumns = """
        upload_id, bucket, object_key, initiated, owner, storage_class,
        content_type, cache_control, content_disposition, content_encoding, expires, user_metadata,
        sse_mode, sse_sealed_key, sse_kms_key_id, sse_kms_context, tags, checksum_algorithm, checksum_type, acl
        """;

    // The order ReadPart reads them in.
    private const string PartColumns = """
        part_number, blob_id, plain_size, etag, crc64, blob_size, blob_checksum, stream_identity, last_modified, checksum_algorithm, checksum
        """;

    private const string SelectUploadSql =
        $"SELECT {UploadColumns} FROM multipart_uploads WHERE upload_id = $upload AND bucket = $bucket AND object_key = $key;";

    /// <summary>Uploads from (key, upload id) on, exclusive, in listing order: a seek in multipart_uploads_by_key.</summary>
    internal const string SeekUploadsSql = $"""
        SELECT {UploadColumns} FROM multipart_uploads
        WHERE bucket = $bucket AND (object_key, upload_id) > (CAST($from AS TEXT), $upload)
        ORDER BY object_key, upload_id;
        """;

    /// <summary>Uploads of keys after a key, in listing order.</summary>
    internal const string SeekUploadsAfterKeySql = $"""
        SELECT {UploadColumns} FROM multipart_uploads
        WHERE bucket = $bucket AND object_key > CAST($from AS TEXT)
        ORDER BY object_key, upload_id;
        """;

    private static readonly MultipartUploadListing EmptyUploadListing = new([], [], false, null, null);

    /// <inheritdoc />
    public Task CreateUploadAsync(MultipartUpload upload, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        return WriteAsync(async (s, ct) =>
        {
            using (var bucketExists = s.Command("SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $bucket);"))
            {
                bucketExists.Parameters.AddWithValue("$bucket", upload.Bucket);
                if ((long)(await bucketExists.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0)
                {
                    throw new NoSuchBucketException(upload.Bucket);
                }
            }

            using var insert = s.Command($"""
                INSERT INTO multipart_uploads ({UploadColumns})
                VALUES ($upload, $bucket, $key, $initiated, $owner, $storage_class,
                        $content_type, $cache_control, $content_disposition, $content_encoding, $expires, $user_metadata,
                        $sse_mode, $sse_sealed_key, $sse_kms_key_id, $sse_kms_context, $tags, $checksum_algorithm, $checksum_type, $acl);
                """);
            var p = insert.Parameters;
            p.AddWithValue("$upload", upload.UploadId);
            p.AddWithValue("$bucket", upload.Bucket);
            p.AddWithValue("$key", upload.Key);
            p.AddWithValue("$initiated", upload.Initiated.UtcTicks);
            p.AddWithValue("$owner", upload.Owner);
            p.AddWithValue("$storage_class", upload.StorageClass);
            p.AddWithValue("$content_type", Db(upload.ContentType));
            p.AddWithValue("$cache_control", Db(upload.CacheControl));
            p.AddWithValue("$content_disposition", Db(upload.ContentDisposition));
            p.AddWithValue("$content_encoding", Db(upload.ContentEncoding));
            p.AddWithValue("$expires", Db(upload.Expires));
            p.AddWithValue("$user_metadata", Db(ObjectJson.WriteMap(upload.UserMetadata)));
            p.AddWithValue("$sse_mode", (long)upload.Encryption.StoredMode);
            p.AddWithValue("$sse_sealed_key", upload.Encryption.SealedKey);
            p.AddWithValue("$sse_kms_key_id", Db(upload.Encryption.KmsKeyId));
            p.AddWithValue("$sse_kms_context", Db(upload.Encryption.KmsContext));
            p.AddWithValue("$tags", Db(ObjectJson.WriteTags(upload.Tags)));
            p.AddWithValue("$acl", Db(AclJson.Write(upload.Acl)));
            p.AddWithValue("$checksum_algorithm", Db(upload.ChecksumAlgorithm));
            p.AddWithValue("$checksum_type", Db(upload.ChecksumType));
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    /// <inheritdoc />
    public Task<MultipartUpload?> GetUploadAsync(string bucket, string key, string uploadId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(uploadId);
        return ReadAsync((s, ct) => SelectUploadAsync(s, bucket, key, uploadId, ct), ct);
    }

    /// <inheritdoc />
    public Task<PutPartResult> PutPartAsync(string bucket, string key, string uploadId, MultipartPart part, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(uploadId);
        ArgumentNullException.ThrowIfNull(part);
        return WriteAsync(async (s, ct) =>
        {
            if (!await UploadExistsAsync(s, bucket, key, uploadId, ct).ConfigureAwait(false))
            {
                return new PutPartResult(false, null);
            }

            string? replaced;
            using (var old = s.Command("SELECT blob_id FROM multipart_parts WHERE upload_id = $upload AND part_number = $part;"))
            {
                old.Parameters.AddWithValue("$upload", uploadId);
                old.Parameters.AddWithValue("$part", part.PartNumber);
                replaced = (string?)await old.ExecuteScalarAsync(ct).ConfigureAwait(false);
            }

            using (var upsert = s.Command($"""
                INSERT OR REPLACE INTO multipart_parts (upload_id, {PartColumns})
                VALUES ($upload, $part, $blob, $plain_size, $etag, $crc64, $blob_size, $blob_checksum, $identity, $last_modified, $checksum_algorithm, $checksum);
                """))
            {
                var p = upsert.Parameters;
                p.AddWithValue("$upload", uploadId);
                p.AddWithValue("$part", part.PartNumber);
                p.AddWithValue("$blob", part.Stream.BlobId);
                p.AddWithValue("$plain_size", part.Stream.PlainSize);
                p.AddWithValue("$etag", part.ETag);
                p.AddWithValue("$crc64", unchecked((long)part.Crc64));
                p.AddWithValue("$blob_size", part.Stream.BlobSize);
                p.AddWithValue("$blob_checksum", part.Stream.BlobChecksum);
                p.AddWithValue("$identity", part.Stream.StreamIdentity);
                p.AddWithValue("$last_modified", part.LastModified.UtcTicks);
                p.AddWithValue("$checksum_algorithm", Db(part.ChecksumAlgorithm));
                p.AddWithValue("$checksum", Db(part.Checksum));
                await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await ClearPendingAsync(s, [part.Stream.BlobId], ct).ConfigureAwait(false);
            return new PutPartResult(true, replaced == part.Stream.BlobId ? null : replaced);
        }, ct);
    }

    /// <inheritdoc />
    public Task<MultipartPartListing?> ListPartsAsync(string bucket, string key, string uploadId, int partNumberMarker, int maxParts, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(uploadId);
        ArgumentOutOfRangeException.ThrowIfNegative(partNumberMarker);
        ArgumentOutOfRangeException.ThrowIfNegative(maxParts);
        return ReadSnapshotAsync(async (s, ct) =>
        {
            var upload = await SelectUploadAsync(s, bucket, key, uploadId, ct).ConfigureAwait(false);
            if (upload is null)
            {
                return null;
            }
            using var cmd = s.Command($"""
                SELECT {PartColumns} FROM multipart_parts
                WHERE upload_id = $upload AND part_number > $marker
                ORDER BY part_number LIMIT $limit;
                """);
            cmd.Parameters.AddWithValue("$upload", uploadId);
            cmd.Parameters.AddWithValue("$marker", partNumberMarker);
            cmd.Parameters.AddWithValue("$limit", (long)maxParts + 1);
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var parts = new List<MultipartPart>();
            var truncated = false;
            while (reader.Read())
            {
                if (parts.Count == maxParts)
                {
                    truncated = true;
                    break;
                }
                parts.Add(ReadPart(reader));
            }
            return new MultipartPartListing(upload, parts, truncated, parts.Count == 0 ? 0 : parts[^1].PartNumber);
        }, ct);
    }

    /// <inheritdoc />
    public Task<CompleteUploadResult> CompleteUploadAsync(string uploadId, ObjectRecord obj, CancellationToken ct = default) =>
        CompleteUploadAsync(uploadId, obj, null, ct);

    /// <inheritdoc />
    public Task<CompleteUploadResult> CompleteUploadAsync(string uploadId, ObjectRecord obj, WriteCondition? condition, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(uploadId);
        ArgumentNullException.ThrowIfNull(obj);
        return WriteAsync(async (s, ct) =>
        {
            if (!await UploadExistsAsync(s, obj.Bucket, obj.Key, uploadId, ct).ConfigureAwait(false))
            {
                return new CompleteUploadResult(CompleteUploadStatus.NoSuchUpload, []);
            }

            // The caller chose the parts from an earlier read: a part replaced since then must not
            // be completed with its old blob (which the replacement handed to the reclaimer).
            var partBlobs = await PartBlobIdsAsync(s, uploadId, ct).ConfigureAwait(false);
            var used = new HashSet<string>(StringComparer.Ordinal);
            foreach (var stream in obj.Streams)
            {
                if (!partBlobs.Contains(stream.BlobId) || !used.Add(stream.BlobId))
                {
                    return new CompleteUploadResult(CompleteUploadStatus.PartsChanged, []);
                }
            }

            var reclaimable = new List<string>(await UpsertObjectAsync(s, obj, condition, ct).ConfigureAwait(false));
            await DeleteUploadRowAsync(s, uploadId, ct).ConfigureAwait(false);
            // One row per key (the unique index): replacing deletes the key's earlier completion, whose object this replaced.
            using (var remember = s.Command("""
                INSERT OR REPLACE INTO completed_uploads (upload_id, bucket, object_key, etag, last_modified)
                VALUES ($upload, $bucket, $key, $etag, $last_modified);
                """))
            {
                remember.Parameters.AddWithValue("$upload", uploadId);
                remember.Parameters.AddWithValue("$bucket", obj.Bucket);
                remember.Parameters.AddWithValue("$key", obj.Key);
                remember.Parameters.AddWithValue("$etag", obj.ETag);
                remember.Parameters.AddWithValue("$last_modified", obj.LastModified.UtcTicks);
                await remember.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            reclaimable.AddRange(await UnreferencedAsync(s, partBlobs.Where(id => !used.Contains(id)), ct).ConfigureAwait(false));
            return new CompleteUploadResult(CompleteUploadStatus.Completed, reclaimable);
        }, ct);
    }

    /// <inheritdoc />
    public Task<ObjectRecord?> GetCompletedUploadObjectAsync(string bucket, string key, string uploadId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(uploadId);
        return ReadSnapshotAsync(async (s, ct) =>
        {
            using (var cmd = s.Command("""
                SELECT EXISTS (SELECT 1 FROM completed_uploads c JOIN objects o ON o.bucket = c.bucket AND o.object_key = c.object_key
                               WHERE c.upload_id = $upload AND c.bucket = $bucket AND c.object_key = $key
                                 AND o.etag = c.etag AND o.last_modified = c.last_modified);
                """))
            {
                cmd.Parameters.AddWithValue("$upload", uploadId);
                cmd.Parameters.AddWithValue("$bucket", bucket);
                cmd.Parameters.AddWithValue("$key", key);
                if ((long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0)
                {
                    return null;
                }
            }
            return await SelectObjectAsync(s, bucket, key, ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>?> AbortUploadAsync(string bucket, string key, string uploadId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(uploadId);
        return WriteAsync<IReadOnlyList<string>?>(async (s, ct) =>
        {
            if (!await UploadExistsAsync(s, bucket, key, uploadId, ct).ConfigureAwait(false))
            {
                return null;
            }
            var partBlobs = await PartBlobIdsAsync(s, uploadId, ct).ConfigureAwait(false);
            await DeleteUploadRowAsync(s, uploadId, ct).ConfigureAwait(false);
            return await UnreferencedAsync(s, partBlobs, ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>
    /// As <see cref="ListObjectsAsync(string, string, string?, string?, int, CancellationToken)"/>:
    /// a common prefix that sorts at or before the key marker is not returned again, and each
    /// common prefix costs one index seek past it. <paramref name="maxUploads"/> 0 gives an
    /// empty, untruncated page.
    /// </remarks>
    public Task<MultipartUploadListing> ListUploadsAsync(string bucket, string prefix, string? delimiter, string? keyMarker, string? uploadIdMarker,
        int maxUploads, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(maxUploads);
        if (maxUploads == 0)
        {
            return Task.FromResult(EmptyUploadListing);
        }
        if (delimiter is { Length: 0 })
        {
            delimiter = null;
        }
        if (keyMarker is { Length: 0 })
        {
            keyMarker = null;
        }

        return ReadSnapshotAsync(async (s, ct) =>
        {
            var uploads = new List<MultipartUpload>();
            var commonPrefixes = new List<string>();
            string? lastKey = null, lastUploadId = null;

            using var seek = s.Command(SeekUploadsSql);
            using var seekAfterKey = s.Command(SeekUploadsAfterKeySql);
            foreach (var cmd in (SqliteCommand[])[seek, seekAfterKey])
            {
                cmd.Parameters.AddWithValue("$bucket", bucket);
                cmd.Parameters.Add("$from", SqliteType.Blob);
            }
            seek.Parameters.Add("$upload", SqliteType.Text);

            // Start after the markers, or at the prefix when that is later. An empty upload id sorts
            // before every id, so (key, "") means "every upload of key".
            var markerIsLater = keyMarker is not null && Utf8Order.Compare(keyMarker, prefix) >= 0;
            byte[]? from = Encoding.UTF8.GetBytes(markerIsLater ? keyMarker! : prefix);
            var afterWholeKey = markerIsLater && string.IsNullOrEmpty(uploadIdMarker);
            var fromUpload = markerIsLater ? uploadIdMarker ?? "" : "";

            while (from is not null)
            {
                var cmd = afterWholeKey ? seekAfterKey : seek;
                cmd.Parameters["$from"].Value = from;
                seek.Parameters["$upload"].Value = fromUpload;
                from = null;

                using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (reader.Read())
                {
                    var key = reader.GetString(2);
                    if (!key.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        return Page(truncated: false);
                    }

                    var at = delimiter is null ? -1 : key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        var common = key[..(at + delimiter!.Length)];
                        if (keyMarker is null || Utf8Order.Compare(common, keyMarker) > 0)
                        {
                            if (uploads.Count + commonPrefixes.Count == maxUploads)
                            {
                                return Page(truncated: true);
                            }
                            commonPrefixes.Add(common);
                            (lastKey, lastUploadId) = (common, null);
                        }
                        from = Utf8Order.SuccessorOfPrefix(common);
                        (afterWholeKey, fromUpload) = (false, "");
                        break;
                    }

                    if (uploads.Count + commonPrefixes.Count == maxUploads)
                    {
                        return Page(truncated: true);
                    }
                    var upload = ReadUpload(reader);
                    uploads.Add(upload);
                    (lastKey, lastUploadId) = (upload.Key, upload.UploadId);
                }
            }
            return Page(truncated: false);

            MultipartUploadListing Page(bool truncated) => new(uploads, commonPrefixes, truncated, lastKey, lastUploadId);
        }, ct);
    }

    private static async Task<MultipartUpload?> SelectUploadAsync(Session s, string bucket, string key, string uploadId, CancellationToken ct)
    {
        using var cmd = s.Command(SelectUploadSql);
        cmd.Parameters.AddWithValue("$upload", uploadId);
        cmd.Parameters.AddWithValue("$bucket", bucket);
        cmd.Parameters.AddWithValue("$key", key);
        using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return reader.Read() ? ReadUpload(reader) : null;
    }

    private static async Task<bool> UploadExistsAsync(Session s, string bucket, string key, string uploadId, CancellationToken ct)
    {
        using var cmd = s.Command("SELECT EXISTS (SELECT 1 FROM multipart_uploads WHERE upload_id = $upload AND bucket = $bucket AND object_key = $key);");
        cmd.Parameters.AddWithValue("$upload", uploadId);
        cmd.Parameters.AddWithValue("$bucket", bucket);
        cmd.Parameters.AddWithValue("$key", key);
        return (long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))! != 0;
    }

    private static async Task<HashSet<string>> PartBlobIdsAsync(Session s, string uploadId, CancellationToken ct)
    {
        using var cmd = s.Command("SELECT blob_id FROM multipart_parts WHERE upload_id = $upload;");
        cmd.Parameters.AddWithValue("$upload", uploadId);
        using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    /// <summary>Deletes the upload; its parts go with it (ON DELETE CASCADE).</summary>
    private static async Task DeleteUploadRowAsync(Session s, string uploadId, CancellationToken ct)
    {
        using var cmd = s.Command("DELETE FROM multipart_uploads WHERE upload_id = $upload;");
        cmd.Parameters.AddWithValue("$upload", uploadId);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static MultipartUpload ReadUpload(SqliteDataReader r) => new()
    {
        UploadId = r.GetString(0),
        Bucket = r.GetString(1),
        Key = r.GetString(2),
        Initiated = ObjectJson.Instant(r.GetInt64(3)),
        Owner = r.GetString(4),
        StorageClass = r.GetString(5),
        ContentType = ReadNullableString(r, 6),
        CacheControl = ReadNullableString(r, 7),
        ContentDisposition = ReadNullableString(r, 8),
        ContentEncoding = ReadNullableString(r, 9),
        Expires = ReadNullableString(r, 10),
        UserMetadata = ObjectJson.ReadMap(ReadNullableString(r, 11)),
        Encryption = ReadEncryption(r),   // the sse_* columns sit at the same ordinals as in ObjectColumns
        Tags = ObjectJson.ReadTags(ReadNullableString(r, 16)),
        ChecksumAlgorithm = ReadNullableString(r, 17),
        ChecksumType = ReadNullableString(r, 18),
        Acl = AclJson.Read(ReadNullableString(r, 19)),
    };

    private static MultipartPart ReadPart(SqliteDataReader r) => new(
        PartNumber: r.GetInt32(0),
        Stream: new ObjectStream(r.GetString(1), r.GetInt64(2), r.GetString(7), r.GetInt64(5), r.GetString(6)),
        ETag: r.GetString(3),
        Crc64: unchecked((ulong)r.GetInt64(4)),
        LastModified: ObjectJson.Instant(r.GetInt64(8)))
    {
        ChecksumAlgorithm = ReadNullableString(r, 9),
        Checksum = ReadNullableString(r, 10),
    };
}
