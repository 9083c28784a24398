using Microsoft.Data.Sqlite;

namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore : IBlobLedger
{
    /// <inheritdoc />
    /// <remarks>Written with <c>synchronous=NORMAL</c>: see <see cref="WriteRelaxedAsync"/>.</remarks>
    public Task RecordPendingAsync(string blobId, DateTimeOffset expires, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(blobId);
        return WriteRelaxedAsync(async (s, ct) =>
        {
            using var cmd = s.Command("""
                INSERT INTO blob_pending (blob_id, expires) VALUES ($blob, $expires)
                ON CONFLICT (blob_id) DO UPDATE SET expires = excluded.expires;
                """);
            cmd.Parameters.AddWithValue("$blob", blobId);
            cmd.Parameters.AddWithValue("$expires", expires.UtcTicks);
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>Written with <c>synchronous=NORMAL</c>: see <see cref="WriteRelaxedAsync"/>.</remarks>
    public Task EnqueueReclaimAsync(IEnumerable<string> blobIds, DateTimeOffset notBefore, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(blobIds);
        var ids = blobIds.Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            return Task.CompletedTask;
        }
        return WriteRelaxedAsync(async (s, ct) =>
        {
            using var queue = s.Command("""
                INSERT INTO blob_reclaims (blob_id, not_before) VALUES ($blob, $not_before)
                ON CONFLICT (blob_id) DO UPDATE SET not_before = max(not_before, excluded.not_before);
                """);
            var blob = queue.Parameters.Add("$blob", SqliteType.Text);
            queue.Parameters.AddWithValue("$not_before", notBefore.UtcTicks);
            using var unpend = s.Command("DELETE FROM blob_pending WHERE blob_id = $blob;");
            var unpendBlob = unpend.Parameters.Add("$blob", SqliteType.Text);
            foreach (var id in ids)
            {
                blob.Value = id;
                unpendBlob.Value = id;
                await queue.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                await unpend.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return true;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<BlobReclaim>> DueReclaimsAsync(DateTimeOffset now, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var referenced = string.Join(" OR ", SqliteSchema.BlobReferences.Select(r => $"EXISTS (SELECT 1 FROM {r.Table} WHERE {r.Column} = q.blob_id)"));
        return ReadAsync<IReadOnlyList<BlobReclaim>>(async (s, ct) =>
        {
            // One statement, so one snapshot of the queue and the references.
            using var cmd = s.Command($"""
                SELECT q.blob_id, q.not_before, {referenced}
                FROM blob_reclaims q WHERE q.not_before <= $now
                ORDER BY q.not_before, q.blob_id LIMIT $limit;
                """);
            cmd.Parameters.AddWithValue("$now", now.UtcTicks);
            cmd.Parameters.AddWithValue("$limit", limit);
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var due = new List<BlobReclaim>();
            while (reader.Read())
            {
                due.Add(new BlobReclaim(reader.GetString(0), ObjectJson.Instant(reader.GetInt64(1)), reader.GetInt64(2) != 0));
            }
            return due;
        }, ct);
    }

    /// <inheritdoc />
    public Task<bool> RemoveReclaimAsync(BlobReclaim reclaim, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reclaim.BlobId);
        return WriteRelaxedAsync(async (s, ct) =>
        {
            using var cmd = s.Command("DELETE FROM blob_reclaims WHERE blob_id = $blob AND not_before = $not_before;");
            cmd.Parameters.AddWithValue("$blob", reclaim.BlobId);
            cmd.Parameters.AddWithValue("$not_before", reclaim.NotBefore.UtcTicks);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<int> ExpirePendingAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        return WriteAsync(async (s, ct) =>
        {
            using (var queue = s.Command("""
                INSERT INTO blob_reclaims (blob_id, not_before)
                SELECT blob_id, $now FROM blob_pending WHERE expires <= $now
                ON CONFLICT (blob_id) DO NOTHING;
                """))
            {
                queue.Parameters.AddWithValue("$now", now.UtcTicks);
                await queue.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using var drop = s.Command("DELETE FROM blob_pending WHERE expires <= $now;");
            drop.Parameters.AddWithValue("$now", now.UtcTicks);
            return await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    public Task<int> AbandonPendingAsync(DateTimeOffset now, CancellationToken ct = default)
    {
        return WriteAsync(async (s, ct) =>
        {
            using (var queue = s.Command("""
                INSERT INTO blob_reclaims (blob_id, not_before)
                SELECT blob_id, $now FROM blob_pending WHERE true -- (without a WHERE, SQLite reads ON as a join's)
                ON CONFLICT (blob_id) DO NOTHING;
                """))
            {
                queue.Parameters.AddWithValue("$now", now.UtcTicks);
                await queue.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using var drop = s.Command("DELETE FROM blob_pending;");
            return await drop.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlySet<string>> LiveBlobIdsAsync(IReadOnlyCollection<string> blobIds, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(blobIds);
        if (blobIds.Count == 0)
        {
            return Task.FromResult<IReadOnlySet<string>>(new HashSet<string>(StringComparer.Ordinal));
        }
        return ReadSnapshotAsync<IReadOnlySet<string>>(async (s, ct) =>
        {
            // One statement over the page (a JSON array, so any page size fits in one parameter), each id looked up
            // by the blob_id keys and indexes: the cost is the page's, not the store's.
            var keeps = SqliteSchema.BlobReferences.Select(r => $"EXISTS (SELECT 1 FROM {r.Table} WHERE {r.Column} = p.value)")
                .Append("EXISTS (SELECT 1 FROM blob_pending WHERE blob_id = p.value AND expires > $now)")
                .Append("EXISTS (SELECT 1 FROM blob_reclaims WHERE blob_id = p.value)");
            using var cmd = s.Command($"SELECT p.value FROM json_each($ids) p WHERE {string.Join(" OR ", keeps)};");
            cmd.Parameters.AddWithValue("$ids", System.Text.Json.JsonSerializer.Serialize(blobIds));
            cmd.Parameters.AddWithValue("$now", now.UtcTicks);
            var ids = new HashSet<string>(StringComparer.Ordinal);
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (reader.Read())
            {
                ids.Add(reader.GetString(0));
            }
            return ids;
        }, ct);
    }

    /// <summary>Drops the pending rows of blobs that an object or part now names: called by the transaction that names them.</summary>
    private static async Task ClearPendingAsync(Session s, IEnumerable<string> blobIds, CancellationToken ct)
    {
        using var cmd = s.Command("DELETE FROM blob_pending WHERE blob_id = $blob;");
        var blob = cmd.Parameters.Add("$blob", SqliteType.Text);
        foreach (var id in blobIds)
        {
            blob.Value = id;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }
}
