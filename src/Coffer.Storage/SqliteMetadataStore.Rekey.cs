
namespace Coffer.Storage;

/// <summary>
/// Progress of one rekey job (<c>coffer admin rekey</c>): which objects of a bucket and prefix have had
/// their object keys re-wrapped from one KMS key to another. Named by its parameters, so running the
/// same command again continues after <see cref="LastKey"/>.
/// </summary>
public sealed record RekeyJobRecord
{
    /// <summary>Identifies the job; derived from its parameters by the caller.</summary>
    public required string JobId { get; init; }

    /// <summary>The bucket whose objects are re-wrapped.</summary>
    public required string Bucket { get; init; }

    /// <summary>Only keys that start with this ("" for all).</summary>
    public required string Prefix { get; init; }

    /// <summary>Only objects under this KMS key id; null for every SSE-KMS object not already under <see cref="ToKeyId"/>.</summary>
    public string? FromKeyId { get; init; }

    /// <summary>The KMS key id the objects are re-wrapped under.</summary>
    public required string ToKeyId { get; init; }

    /// <summary>The last object key handled (re-wrapped or skipped); null before the first.</summary>
    public string? LastKey { get; init; }

    /// <summary>Objects re-wrapped so far.</summary>
    public long Rekeyed { get; init; }

    /// <summary>Objects looked at and left alone (another mode or key, or already under the target).</summary>
    public long Skipped { get; init; }

    /// <summary>Objects that changed while being re-wrapped (overwritten or deleted) and were retried or left as written.</summary>
    public long Conflicts { get; init; }

    /// <summary>Objects whose key could not be opened or re-wrapped (e.g. their KMS key is disabled), left as they were.</summary>
    public long Failed { get; init; }

    /// <summary>When the current run started.</summary>
    public required DateTimeOffset Started { get; init; }

    /// <summary>When progress was last saved.</summary>
    public required DateTimeOffset Updated { get; init; }

    /// <summary>When the job finished; null while it runs or after an interruption.</summary>
    public DateTimeOffset? Completed { get; init; }
}

public sealed partial class SqliteMetadataStore
{
    private const string RekeyColumns = "job_id, bucket, prefix, from_key_id, to_key_id, last_key, rekeyed, skipped, conflicts, failed, started, updated, completed";

    /// <summary>
    /// Replaces an object's encryption metadata (sealed key, KMS key id, context) only if its sealed key is
    /// still <paramref name="expectedSealedKey"/>: a compare-and-set on the object's current state. Every
    /// write of an object seals a fresh key with a fresh salt, so an overwrite (or a delete, or a copy onto
    /// itself) made since the caller read the object makes this return false instead of clobbering it.
    /// The data, ETag, dates and everything else are left as they are.
    /// </summary>
    /// <param name="bucket">The object's bucket.</param>
    /// <param name="key">The object's key.</param>
    /// <param name="expectedSealedKey">The sealed key the caller read and re-wrapped.</param>
    /// <param name="replacement">The new encryption metadata (the same object key, sealed anew).</param>
    /// <param name="progress">Rekey progress to save in the same transaction when the swap happens, or null.</param>
    /// <param name="ct">Cancellation.</param>
    /// <returns>true when swapped; false when the object changed or is gone.</returns>
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
                p.AddWithValue("$mode", (long)replacement.Mode);
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

    /// <summary>The saved progress of a rekey job, or null.</summary>
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

    /// <summary>Creates or replaces the saved progress of a rekey job.</summary>
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
