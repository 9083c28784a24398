namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore : IRekeyJobStore
{
    private const string RekeyColumns = "job_id, bucket, prefix, from_key_id, to_key_id, last_key, rekeyed, skipped, conflicts, failed, started, updated, completed";

    /// <inheritdoc />
    public Task<bool> TryReplaceObjectEncryptionAsync(string bucket, string key, byte[] expectedSealedKey, ObjectEncryption replacement,
        RekeyJobRecord? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(expectedSealedKey);
        ArgumentNullException.ThrowIfNull(replacement);
        return WriteAsync(async (s, ct) =>
        {
            using (var swap = s.Command("""
                UPDATE objects SET sse_mode = $mode, sse_sealed_key = $sealed, sse_kms_key_id = $kms_key_id, sse_kms_context = $context
                WHERE bucket = $bucket AND object_key = $key AND sse_sealed_key = $expected;
                """))
            {
                var p = swap.Parameters;
                p.AddWithValue("$bucket", bucket);
                p.AddWithValue("$key", key);
                p.AddWithValue("$expected", expectedSealedKey);
                p.AddWithValue("$mode", (long)replacement.StoredMode);
                p.AddWithValue("$sealed", replacement.SealedKey);
                p.AddWithValue("$kms_key_id", Db(replacement.KmsKeyId));
                p.AddWithValue("$context", Db(replacement.KmsContext));
                if (await swap.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                {
                    return false;
                }
            }
            if (progress is not null)
            {
                await SaveRekeyJobCoreAsync(s, progress, ct).ConfigureAwait(false);
            }
            return true;
        }, ct);
    }

    /// <inheritdoc />
    public Task<RekeyJobRecord?> GetRekeyJobAsync(string jobId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        return ReadAsync(async (s, ct) =>
        {
            using var cmd = s.Command($"SELECT {RekeyColumns} FROM rekey_jobs WHERE job_id = $job_id;");
            cmd.Parameters.AddWithValue("$job_id", jobId);
            using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!r.Read())
            {
                return null;
            }
            return new RekeyJobRecord
            {
                JobId = r.GetString(0),
                Bucket = r.GetString(1),
                Prefix = r.GetString(2),
                FromKeyId = ReadNullableString(r, 3),
                ToKeyId = r.GetString(4),
                LastKey = ReadNullableString(r, 5),
                Rekeyed = r.GetInt64(6),
                Skipped = r.GetInt64(7),
                Conflicts = r.GetInt64(8),
                Failed = r.GetInt64(9),
                Started = ObjectJson.Instant(r.GetInt64(10)),
                Updated = ObjectJson.Instant(r.GetInt64(11)),
                Completed = r.IsDBNull(12) ? null : ObjectJson.Instant(r.GetInt64(12)),
            };
        }, ct);
    }

    /// <inheritdoc />
    public Task SaveRekeyJobAsync(RekeyJobRecord job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return WriteAsync(async (s, ct) =>
        {
            await SaveRekeyJobCoreAsync(s, job, ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    private static async Task SaveRekeyJobCoreAsync(Session s, RekeyJobRecord job, CancellationToken ct)
    {
        using var cmd = s.Command($"""
            INSERT OR REPLACE INTO rekey_jobs ({RekeyColumns})
            VALUES ($job_id, $bucket, $prefix, $from_key_id, $to_key_id, $last_key, $rekeyed, $skipped, $conflicts, $failed, $started, $updated, $completed);
            """);
        var p = cmd.Parameters;
        p.AddWithValue("$job_id", job.JobId);
        p.AddWithValue("$bucket", job.Bucket);
        p.AddWithValue("$prefix", job.Prefix);
        p.AddWithValue("$from_key_id", Db(job.FromKeyId));
        p.AddWithValue("$to_key_id", job.ToKeyId);
        p.AddWithValue("$last_key", Db(job.LastKey));
        p.AddWithValue("$rekeyed", job.Rekeyed);
        p.AddWithValue("$skipped", job.Skipped);
        p.AddWithValue("$conflicts", job.Conflicts);
        p.AddWithValue("$failed", job.Failed);
        p.AddWithValue("$started", job.Started.UtcTicks);
        p.AddWithValue("$updated", job.Updated.UtcTicks);
        p.AddWithValue("$completed", job.Completed is { } c ? c.UtcTicks : DBNull.Value);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
