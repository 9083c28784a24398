using Npgsql;

namespace Coffer.Storage.Postgres;

/// <remarks>
/// The blob ledger on PostgreSQL: the same tables and semantics as <see cref="SqliteMetadataStore"/>'s, for
/// nodes that share the database. Each method is one transaction; the reads the reclaimer and the sweep decide
/// on are each one snapshot (one statement, or REPEATABLE READ), and every decision is re-checked by the
/// statement that acts on it (<see cref="RemoveReclaimAsync"/> removes a row only if its time is unchanged).
/// </remarks>
public sealed partial class PostgresMetadataStore : IBlobLedger
{
    /// <inheritdoc />
    public Task RecordPendingAsync(string blobId, DateTimeOffset expires, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(blobId);
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("""
                INSERT INTO blob_pending (blob_id, expires) VALUES (@blob, @expires)
                ON CONFLICT (blob_id) DO UPDATE SET expires = EXCLUDED.expires;
                """);
            Text(cmd, "blob", blobId);
            Long(cmd, "expires", expires.UtcTicks);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    /// <inheritdoc />
    public Task EnqueueReclaimAsync(IEnumerable<string> blobIds, DateTimeOffset notBefore, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(blobIds);
        // Sorted, so that two nodes queueing overlapping sets lock the rows in the same order.
        var ids = blobIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (ids.Length == 0)
        {
            return Task.CompletedTask;
        }
        return WriteAsync(async (s, ct) =>
        {
            await using (var queue = s.Command("""
                INSERT INTO blob_reclaims (blob_id, not_before) SELECT unnest(@blobs), @not_before
                ON CONFLICT (blob_id) DO UPDATE SET not_before = GREATEST(blob_reclaims.not_before, EXCLUDED.not_before);
                """))
            {
                queue.Parameters.Add(new NpgsqlParameter<string[]>("blobs", ids));
                Long(queue, "not_before", notBefore.UtcTicks);
                await queue.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await DeletePendingAsync(s, ids, ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<BlobReclaim>> DueReclaimsAsync(DateTimeOffset now, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var referenced = string.Join(" OR ", PostgresSchema.BlobReferences.Select(r => $"EXISTS (SELECT 1 FROM {r.Table} WHERE {r.Column} = q.blob_id)"));
        return ReadAsync<IReadOnlyList<BlobReclaim>>(async (s, ct) =>
        {
            // One statement, so one snapshot of the queue and the references.
            await using var cmd = s.Command($"""
                SELECT q.blob_id, q.not_before, {referenced}
                FROM blob_reclaims q WHERE q.not_before <= @now
                ORDER BY q.not_before, q.blob_id LIMIT @limit;
                """);
            Long(cmd, "now", now.UtcTicks);
            Int(cmd, "limit", limit);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var due = new List<BlobReclaim>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                due.Add(new BlobReclaim(reader.GetString(0), ObjectJson.Instant(reader.GetInt64(1)), reader.GetBoolean(2)));
            }
            return due;
        }, ct);
    }

    /// <inheritdoc />
    public Task<bool> RemoveReclaimAsync(BlobReclaim reclaim, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reclaim.BlobId);
        if (!IsStorable(reclaim.BlobId))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            // A concurrent re-queue (which only ever moves the time later) is waited for, and the
            // condition is checked again on the row it left.
            await using var cmd = s.Command("DELETE FROM blob_reclaims WHERE blob_id = @blob AND not_before = @not_before;");
            Text(cmd, "blob", reclaim.BlobId);
            Long(cmd, "not_before", reclaim.NotBefore.UtcTicks);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<int> ExpirePendingAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        return WriteAsync(async (s, ct) =>
        {
            // One statement: the rows deleted are exactly the rows queued, even when a writer moves
            // an expiry or names a blob meanwhile (the DELETE re-checks each row it waited for).
            await using var cmd = s.Command("""
                WITH expired AS (DELETE FROM blob_pending WHERE expires <= @now RETURNING blob_id),
                     queued AS (INSERT INTO blob_reclaims (blob_id, not_before) SELECT blob_id, @now FROM expired
                                ON CONFLICT (blob_id) DO NOTHING)
                SELECT count(*) FROM expired;
                """);
            Long(cmd, "now", now.UtcTicks);
            return (int)(long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, ct);
    }

    /// <inheritdoc />
    public Task<int> AbandonPendingAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("""
                WITH abandoned AS (DELETE FROM blob_pending RETURNING blob_id),
                     queued AS (INSERT INTO blob_reclaims (blob_id, not_before) SELECT blob_id, @now FROM abandoned
                                ON CONFLICT (blob_id) DO NOTHING)
                SELECT count(*) FROM abandoned;
                """);
            Long(cmd, "now", now.UtcTicks);
            return (int)(long)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlySet<string>> LiveBlobIdsAsync(IReadOnlyCollection<string> blobIds, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(blobIds);
        var page = blobIds.Where(IsStorable).Distinct(StringComparer.Ordinal).ToArray();
        if (page.Length == 0)
        {
            return Task.FromResult<IReadOnlySet<string>>(new HashSet<string>(StringComparer.Ordinal));
        }
        return ReadSnapshotAsync<IReadOnlySet<string>>(async (s, ct) =>
        {
            // One statement over the page, each id looked up by the blob_id keys and indexes: the cost is the page's.
            var keeps = PostgresSchema.BlobReferences.Select(r => $"EXISTS (SELECT 1 FROM {r.Table} WHERE {r.Column} = p.id)")
                .Append("EXISTS (SELECT 1 FROM blob_pending WHERE blob_id = p.id AND expires > @now)")
                .Append("EXISTS (SELECT 1 FROM blob_reclaims WHERE blob_id = p.id)");
            await using var cmd = s.Command($"SELECT p.id FROM unnest(@ids) AS p(id) WHERE {string.Join(" OR ", keeps)};");
            cmd.Parameters.Add(new NpgsqlParameter<string[]>("ids", page));
            Long(cmd, "now", now.UtcTicks);
            var ids = new HashSet<string>(StringComparer.Ordinal);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                ids.Add(reader.GetString(0));
            }
            return ids;
        }, ct);
    }

    /// <summary>Drops the pending rows of blobs that an object or part now names: called by the transaction that names them.</summary>
    private static Task ClearPendingAsync(Session s, IEnumerable<string> blobIds, CancellationToken ct) =>
        DeletePendingAsync(s, blobIds.Distinct(StringComparer.Ordinal).ToArray(), ct);

    private static async Task DeletePendingAsync(Session s, string[] blobIds, CancellationToken ct)
    {
        if (blobIds.Length == 0)
        {
            return;
        }
        await using var cmd = s.Command("DELETE FROM blob_pending WHERE blob_id = ANY (@blobs);");
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("blobs", blobIds));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
