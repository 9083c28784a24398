namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore : IRekeyJobStore
{
    private const string RekeyColumns = "job_id, bucket, prefix, from_key_id, to_key_id, last_key, rekeyed, skipped, conflicts, failed, started, updated, completed";

    /// <inheritdoc />
    /// <remarks>
    /// One conditional UPDATE: a concurrent overwrite on another node is waited for and the
    /// condition is checked again on the row it left.
    /// </remarks>
    public Task<bool> TryReplaceObjectEncryptionAsync(string bucket, string key, byte[] expectedSealedKey, ObjectEncryption replacement,
        RekeyJobRecord? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(expectedSealedKey);
        ArgumentNullException.ThrowIfNull(replacement);
        if (!IsStorable(bucket) || !IsStorable(key))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using (var swap = s.Command("""
                UPDATE objects SET sse_mode = @mode, sse_sealed_key = @sealed, sse_kms_key_id = @kms_key_id, sse_kms_context = @context
                WHERE bucket = @bucket AND object_key = @key AND sse_sealed_key = @expected;
                """))
            {
                Text(swap, "bucket", bucket);
                Text(swap, "key", key);
                Bytes(swap, "expected", expectedSealedKey);
                Int(swap, "mode", replacement.StoredMode);
                Bytes(swap, "sealed", replacement.SealedKey);
                Text(swap, "kms_key_id", replacement.KmsKeyId);
                Text(swap, "context", replacement.KmsContext);
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
        if (!IsStorable(jobId))
        {
            return Task.FromResult<RekeyJobRecord?>(null);
        }
        return ReadAsync(async (s, ct) =>
        {
            await using var cmd = s.Command($"SELECT {RekeyColumns} FROM rekey_jobs WHERE job_id = @job_id;");
            Text(cmd, "job_id", jobId);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await r.ReadAsync(ct).ConfigureAwait(false))
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
        await using var cmd = s.Command($"""
            INSERT INTO rekey_jobs ({RekeyColumns})
            VALUES (@job_id, @bucket, @prefix, @from_key_id, @to_key_id, @last_key, @rekeyed, @skipped, @conflicts, @failed, @started, @updated, @completed)
            ON CONFLICT (job_id) DO UPDATE SET ({RekeyColumns}) = (EXCLUDED.job_id, EXCLUDED.bucket, EXCLUDED.prefix, EXCLUDED.from_key_id,
                EXCLUDED.to_key_id, EXCLUDED.last_key, EXCLUDED.rekeyed, EXCLUDED.skipped, EXCLUDED.conflicts, EXCLUDED.failed,
                EXCLUDED.started, EXCLUDED.updated, EXCLUDED.completed);
            """);
        Text(cmd, "job_id", job.JobId);
        Text(cmd, "bucket", job.Bucket);
        Text(cmd, "prefix", job.Prefix);
        Text(cmd, "from_key_id", job.FromKeyId);
        Text(cmd, "to_key_id", job.ToKeyId);
        Text(cmd, "last_key", job.LastKey);
        Long(cmd, "rekeyed", job.Rekeyed);
        Long(cmd, "skipped", job.Skipped);
        Long(cmd, "conflicts", job.Conflicts);
        Long(cmd, "failed", job.Failed);
        Long(cmd, "started", job.Started.UtcTicks);
        Long(cmd, "updated", job.Updated.UtcTicks);
        Long(cmd, "completed", job.Completed?.UtcTicks);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
