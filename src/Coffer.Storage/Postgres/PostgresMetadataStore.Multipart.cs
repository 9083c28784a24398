using Npgsql;

namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore : IMultipartStore
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

    /// <summary>One bounded seek of an upload listing, in (object_key, upload_id) order: a range scan of multipart_uploads_by_key.</summary>
    internal static string SeekUploadsSql(bool afterWholeKey, bool bounded) => $"""
        SELECT {UploadColumns} FROM multipart_uploads
        WHERE bucket = @bucket AND {(afterWholeKey ? "object_key > @from" : "(object_key, upload_id) > (@from, @upload)")}
          {(bounded ? "AND object_key < @end" : "")}
        ORDER BY object_key, upload_id LIMIT @limit;
        """;

    private static readonly MultipartUploadListing EmptyUploadListing = new([], [], false, null, null);

    /// <inheritdoc />
    public Task CreateUploadAsync(MultipartUpload upload, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(upload);
        RequireStorable(upload.Key);
        return WriteAsync(async (s, ct) =>
        {
            await LockBucketForWriteAsync(s, upload.Bucket, ct).ConfigureAwait(false);
            await using var insert = s.Command($"""
                INSERT INTO multipart_uploads ({UploadColumns})
                VALUES (@upload, @bucket, @key, @initiated, @owner, @storage_class,
                        @content_type, @cache_control, @content_disposition, @content_encoding, @expires, @user_metadata,
                        @sse_mode, @sse_sealed_key, @sse_kms_key_id, @sse_kms_context, @tags, @checksum_algorithm, @checksum_type, @acl);
                """);
            Text(insert, "upload", upload.UploadId);
            Text(insert, "bucket", upload.Bucket);
            Text(insert, "key", upload.Key);
            Long(insert, "initiated", upload.Initiated.UtcTicks);
            Text(insert, "owner", upload.Owner);
            Text(insert, "storage_class", upload.StorageClass);
            Text(insert, "content_type", upload.ContentType);
            Text(insert, "cache_control", upload.CacheControl);
            Text(insert, "content_disposition", upload.ContentDisposition);
            Text(insert, "content_encoding", upload.ContentEncoding);
            Text(insert, "expires", upload.Expires);
            Text(insert, "user_metadata", ObjectJson.WriteMap(upload.UserMetadata));
            Int(insert, "sse_mode", upload.Encryption.StoredMode);
            Bytes(insert, "sse_sealed_key", upload.Encryption.SealedKey);
            Text(insert, "sse_kms_key_id", upload.Encryption.KmsKeyId);
            Text(insert, "sse_kms_context", upload.Encryption.KmsContext);
            Text(insert, "tags", ObjectJson.WriteTags(upload.Tags));
            Text(insert, "acl", AclJson.Write(upload.Acl));
            Text(insert, "checksum_algorithm", upload.ChecksumAlgorithm);
            Text(insert, "checksum_type", upload.ChecksumType);
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
        if (!IsStorable(bucket) || !IsStorable(key) || !IsStorable(uploadId))
        {
            return Task.FromResult<MultipartUpload?>(null);
        }
        return ReadAsync((s, ct) => SelectUploadAsync(s, bucket, key, uploadId, ct), ct);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Locks the upload row (FOR NO KEY UPDATE): parts of one upload are stored one after the other,
    /// so two parts with the same number each see what the other replaced, and a Complete or Abort
    /// that runs meanwhile either sees the part or makes this find the upload gone.
    /// </remarks>
    public Task<PutPartResult> PutPartAsync(string bucket, string key, string uploadId, MultipartPart part, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(uploadId);
        ArgumentNullException.ThrowIfNull(part);
        if (!IsStorable(bucket) || !IsStorable(key) || !IsStorable(uploadId))
        {
            return Task.FromResult(new PutPartResult(false, null));
        }
        return WriteAsync(async (s, ct) =>
        {
            if (!await LockUploadAsync(s, bucket, key, uploadId, ct).ConfigureAwait(false))
            {
                return new PutPartResult(false, null);
            }

            string? replaced;
            await using (var old = s.Command("SELECT blob_id FROM multipart_parts WHERE upload_id = @upload AND part_number = @part;"))
            {
                Text(old, "upload", uploadId);
                Int(old, "part", part.PartNumber);
                replaced = (string?)await old.ExecuteScalarAsync(ct).ConfigureAwait(false);
            }

            await using (var upsert = s.Command($"""
                INSERT INTO multipart_parts (upload_id, {PartColumns})
                VALUES (@upload, @part, @blob, @plain_size, @etag, @crc64, @blob_size, @blob_checksum, @identity, @last_modified, @checksum_algorithm, @checksum)
                ON CONFLICT (upload_id, part_number) DO UPDATE SET ({PartColumns}) =
                    (EXCLUDED.part_number, EXCLUDED.blob_id, EXCLUDED.plain_size, EXCLUDED.etag, EXCLUDED.crc64, EXCLUDED.blob_size,
                     EXCLUDED.blob_checksum, EXCLUDED.stream_identity, EXCLUDED.last_modified, EXCLUDED.checksum_algorithm, EXCLUDED.checksum);
                """))
            {
                Text(upsert, "upload", uploadId);
                Int(upsert, "part", part.PartNumber);
                Text(upsert, "blob", part.Stream.BlobId);
                Long(upsert, "plain_size", part.Stream.PlainSize);
                Text(upsert, "etag", part.ETag);
                Long(upsert, "crc64", unchecked((long)part.Crc64));
                Long(upsert, "blob_size", part.Stream.BlobSize);
                Text(upsert, "blob_checksum", part.Stream.BlobChecksum);
                Text(upsert, "identity", part.Stream.StreamIdentity);
                Long(upsert, "last_modified", part.LastModified.UtcTicks);
                Text(upsert, "checksum_algorithm", part.ChecksumAlgorithm);
                Text(upsert, "checksum", part.Checksum);
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
        if (!IsStorable(bucket) || !IsStorable(key) || !IsStorable(uploadId))
        {
            return Task.FromResult<MultipartPartListing?>(null);
        }
        return ReadSnapshotAsync(async (s, ct) =>
        {
            var upload = await SelectUploadAsync(s, bucket, key, uploadId, ct).ConfigureAwait(false);
            if (upload is null)
            {
                return null;
            }
            await using var cmd = s.Command($"""
                SELECT {PartColumns} FROM multipart_parts
                WHERE upload_id = @upload AND part_number > @marker
                ORDER BY part_number LIMIT @limit;
                """);
            Text(cmd, "upload", uploadId);
            Int(cmd, "marker", partNumberMarker);
            Long(cmd, "limit", (long)maxParts + 1);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var parts = new List<MultipartPart>();
            var truncated = false;
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
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
    /// <remarks>
    /// Locks the upload row first (FOR UPDATE), so parts stored, replaced or aborted by other nodes are
    /// either done before the parts are checked or wait until the upload is gone.
    /// </remarks>
    public Task<CompleteUploadResult> CompleteUploadAsync(string uploadId, ObjectRecord obj, CancellationToken ct = default) =>
        CompleteUploadAsync(uploadId, obj, null, ct);

    /// <inheritdoc />
    public Task<CompleteUploadResult> CompleteUploadAsync(string uploadId, ObjectRecord obj, WriteCondition? condition, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(uploadId);
        ArgumentNullException.ThrowIfNull(obj);
        if (!IsStorable(obj.Key) || !IsStorable(uploadId))
        {
            return Task.FromResult(new CompleteUploadResult(CompleteUploadStatus.NoSuchUpload, []));
        }
        return WriteAsync(async (s, ct) =>
        {
            if (!await LockUploadAsync(s, obj.Bucket, obj.Key, uploadId, ct).ConfigureAwait(false))
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
            // One row per key: the key's earlier completion goes (this replaced its object). The object row lock taken
            // by UpsertObjectAsync orders two completions of one key, so they never both insert.
            await using (var forget = s.Command("DELETE FROM completed_uploads WHERE bucket = @bucket AND object_key = @key;"))
            {
                Text(forget, "bucket", obj.Bucket);
                Text(forget, "key", obj.Key);
                await forget.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using (var remember = s.Command("""
                INSERT INTO completed_uploads (upload_id, bucket, object_key, etag, last_modified)
                VALUES (@upload, @bucket, @key, @etag, @last_modified);
                """))
            {
                Text(remember, "upload", uploadId);
                Text(remember, "bucket", obj.Bucket);
                Text(remember, "key", obj.Key);
                Text(remember, "etag", obj.ETag);
                Long(remember, "last_modified", obj.LastModified.UtcTicks);
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
        if (!IsStorable(bucket) || !IsStorable(key) || !IsStorable(uploadId))
        {
            return Task.FromResult<ObjectRecord?>(null);
        }
        return ReadSnapshotAsync(async (s, ct) =>
        {
            await using (var cmd = s.Command("""
                SELECT EXISTS (SELECT 1 FROM completed_uploads c JOIN objects o ON o.bucket = c.bucket AND o.object_key = c.object_key
                               WHERE c.upload_id = @upload AND c.bucket = @bucket AND c.object_key = @key
                                 AND o.etag = c.etag AND o.last_modified = c.last_modified);
                """))
            {
                Text(cmd, "upload", uploadId);
                Text(cmd, "bucket", bucket);
                Text(cmd, "key", key);
                if (!(bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
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
        if (!IsStorable(bucket) || !IsStorable(key) || !IsStorable(uploadId))
        {
            return Task.FromResult<IReadOnlyList<string>?>(null);
        }
        return WriteAsync<IReadOnlyList<string>?>(async (s, ct) =>
        {
            if (!await LockUploadAsync(s, bucket, key, uploadId, ct).ConfigureAwait(false))
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
    /// As <see cref="ListObjectsAsync(string, string, string?, string?, int, CancellationToken)"/>: a common
    /// prefix at or before the key marker is not returned again, each common prefix costs one seek past
    /// it, every query is bounded, and <paramref name="maxUploads"/> 0 gives an empty, untruncated page.
    /// </remarks>
    public Task<MultipartUploadListing> ListUploadsAsync(string bucket, string prefix, string? delimiter, string? keyMarker, string? uploadIdMarker,
        int maxUploads, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(maxUploads);
        if (maxUploads == 0 || !IsStorable(prefix) || !IsStorable(bucket))
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
        var end = TextSuccessorOfPrefix(prefix);

        return ReadSnapshotAsync(async (s, ct) =>
        {
            var uploads = new List<MultipartUpload>();
            var commonPrefixes = new List<string>();
            string? lastKey = null, lastUploadId = null;

            // Start after the markers, or at the prefix when that is later. An empty upload id sorts
            // before every id, so (key, "") means "every upload of key".
            var markerIsLater = keyMarker is not null && Utf8Order.Compare(keyMarker, prefix) >= 0;
            string? from;
            bool afterWholeKey;
            string fromUpload;
            if (!markerIsLater)
            {
                (from, afterWholeKey, fromUpload) = (prefix, false, "");
            }
            else
            {
                var (start, inclusive) = StartAfter(keyMarker!);
                var uploadMarker = uploadIdMarker ?? "";
                if (inclusive || !IsStorable(uploadMarker) || uploadMarker.Contains('\0', StringComparison.Ordinal))
                {
                    // A key marker with U+0000: no upload has that key; start at its successor.
                    (from, afterWholeKey, fromUpload) = (start, false, "");
                }
                else
                {
                    (from, afterWholeKey, fromUpload) = (start, uploadMarker.Length == 0, uploadMarker);
                }
            }

            while (from is not null)
            {
                var limit = Math.Min(maxUploads - uploads.Count - commonPrefixes.Count + 1, ListingBatch);
                await using var cmd = s.Command(SeekUploadsSql(afterWholeKey, bounded: end is not null));
                Text(cmd, "bucket", bucket);
                Text(cmd, "from", from);
                Text(cmd, "upload", fromUpload);
                Text(cmd, "end", end);
                Int(cmd, "limit", limit);
                var (next, rows) = ((string?)null, 0);
                MultipartUpload? lastRow = null;

                await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        rows++;
                        var upload = ReadUpload(reader);
                        lastRow = upload;
                        var key = upload.Key;
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
                            next = TextSuccessorOfPrefix(common) ?? "";
                            break;
                        }

                        if (uploads.Count + commonPrefixes.Count == maxUploads)
                        {
                            return Page(truncated: true);
                        }
                        uploads.Add(upload);
                        (lastKey, lastUploadId) = (upload.Key, upload.UploadId);
                    }
                }

                if (next is not null)
                {
                    // The successor is the smallest key past the prefix: (successor, "") starts at it.
                    (from, afterWholeKey, fromUpload) = next.Length == 0 ? (null, false, "") : (next, false, "");
                }
                else if (rows == limit)
                {
                    (from, afterWholeKey, fromUpload) = (lastRow!.Key, false, lastRow.UploadId);
                }
                else
                {
                    from = null;
                }
            }
            return Page(truncated: false);

            MultipartUploadListing Page(bool truncated) => new(uploads, commonPrefixes, truncated, lastKey, lastUploadId);
        }, ct);
    }

    private static async Task<MultipartUpload?> SelectUploadAsync(Session s, string bucket, string key, string uploadId, CancellationToken ct)
    {
        await using var cmd = s.Command($"SELECT {UploadColumns} FROM multipart_uploads WHERE upload_id = @upload AND bucket = @bucket AND object_key = @key;");
        Text(cmd, "upload", uploadId);
        Text(cmd, "bucket", bucket);
        Text(cmd, "key", key);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadUpload(reader) : null;
    }

    /// <summary>Locks the upload row against every other writer of the upload; false when there is no such upload.</summary>
    private static async Task<bool> LockUploadAsync(Session s, string bucket, string key, string uploadId, CancellationToken ct)
    {
        await using var cmd = s.Command("SELECT 1 FROM multipart_uploads WHERE upload_id = @upload AND bucket = @bucket AND object_key = @key FOR UPDATE;");
        Text(cmd, "upload", uploadId);
        Text(cmd, "bucket", bucket);
        Text(cmd, "key", key);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not null;
    }

    private static async Task<HashSet<string>> PartBlobIdsAsync(Session s, string uploadId, CancellationToken ct)
    {
        await using var cmd = s.Command("SELECT blob_id FROM multipart_parts WHERE upload_id = @upload;");
        Text(cmd, "upload", uploadId);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    /// <summary>Deletes the upload; its parts go with it (ON DELETE CASCADE).</summary>
    private static async Task DeleteUploadRowAsync(Session s, string uploadId, CancellationToken ct)
    {
        await using var cmd = s.Command("DELETE FROM multipart_uploads WHERE upload_id = @upload;");
        Text(cmd, "upload", uploadId);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static MultipartUpload ReadUpload(NpgsqlDataReader r) => new()
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

    private static MultipartPart ReadPart(NpgsqlDataReader r) => new(
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
