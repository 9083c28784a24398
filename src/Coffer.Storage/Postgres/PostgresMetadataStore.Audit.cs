namespace Coffer.Storage.Postgres;

/// <remarks>
/// The KMS audit log on PostgreSQL: table <c>kms_audit</c> (migration 8), one row per entry, shared by every node.
/// </remarks>
public sealed partial class PostgresMetadataStore : IKmsAuditStore
{
    /// <inheritdoc />
    public Task AppendKmsAuditAsync(IReadOnlyList<KmsAuditRecord> entries, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.CompletedTask;
        }

        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("""
                INSERT INTO kms_audit (time, key_id, source_key_id, entry)
                SELECT t, k, sk, e FROM unnest(@times, @keys, @sourceKeys, @entries) WITH ORDINALITY AS u(t, k, sk, e, n) ORDER BY n;
                """);
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter("times", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Bigint) { Value = entries.Select(e => e.Time.UtcTicks).ToArray() });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter("keys", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = entries.Select(e => (object?)e.KeyId ?? DBNull.Value).ToArray() });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter("sourceKeys", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = entries.Select(e => (object?)e.SourceKeyId ?? DBNull.Value).ToArray() });
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter("entries", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text) { Value = entries.Select(e => e.Json).ToArray() });
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<KmsAuditRecord>> ReadKmsAuditAsync(DateTimeOffset? since, int limit, string? keyId = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<KmsAuditRecord>>(async (s, ct) =>
        {
            await using var cmd = s.Command("""
                SELECT id, time, key_id, source_key_id, entry FROM kms_audit
                WHERE (@since::bigint IS NULL OR time >= @since)
                  AND (@key::text IS NULL OR key_id = @key OR source_key_id = @key)
                ORDER BY time, id
                LIMIT @limit;
                """);
            Long(cmd, "since", since?.UtcTicks);
            Text(cmd, "key", keyId);
            Int(cmd, "limit", limit);
            var records = new List<KmsAuditRecord>();
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                records.Add(new KmsAuditRecord(r.GetInt64(0), new DateTimeOffset(r.GetInt64(1), TimeSpan.Zero),
                    ReadNullableString(r, 2), ReadNullableString(r, 3), r.GetString(4)));
            }

            return records;
        }, ct);
    }
}
