namespace Coffer.Storage.Postgres;

/// <remarks>
/// Job leases on PostgreSQL: the same table and semantics as <see cref="SqliteMetadataStore"/>'s. Each call is one
/// statement: the acquisition an INSERT … ON CONFLICT DO UPDATE … WHERE, which takes the row lock, so of two nodes
/// acquiring at once exactly one gets a row back; renewal and release match the holder and generation.
/// </remarks>
public sealed partial class PostgresMetadataStore : IJobLeases
{
    /// <inheritdoc />
    public Task<JobLease?> TryAcquireAsync(string jobName, string holder, TimeSpan leaseDuration, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobName);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(leaseDuration, TimeSpan.Zero);
        var expires = now + leaseDuration;
        return WriteAsync<JobLease?>(async (s, ct) =>
        {
            await using var cmd = s.Command("""
                INSERT INTO job_leases (name, holder, generation, expires_at) VALUES (@name, @holder, 1, @expires)
                ON CONFLICT (name) DO UPDATE
                    SET holder = EXCLUDED.holder, generation = job_leases.generation + 1, expires_at = EXCLUDED.expires_at
                    WHERE job_leases.expires_at <= @now OR job_leases.holder = EXCLUDED.holder
                RETURNING generation;
                """);
            Text(cmd, "name", jobName);
            Text(cmd, "holder", holder);
            Long(cmd, "expires", expires.UtcTicks);
            Long(cmd, "now", now.UtcTicks);
            var generation = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
            return generation is long g ? new JobLease(jobName, holder, g, expires, leaseDuration) : null;
        }, ct);
    }

    /// <inheritdoc />
    public Task<JobLease?> RenewAsync(JobLease lease, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var expires = now + lease.Duration;
        return WriteAsync<JobLease?>(async (s, ct) =>
        {
            await using var cmd = s.Command("""
                UPDATE job_leases SET expires_at = @expires
                WHERE name = @name AND holder = @holder AND generation = @generation;
                """);
            Text(cmd, "name", lease.JobName);
            Text(cmd, "holder", lease.Holder);
            Long(cmd, "generation", lease.Generation);
            Long(cmd, "expires", expires.UtcTicks);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1 ? lease with { ExpiresAt = expires } : null;
        }, ct);
    }

    /// <inheritdoc />
    public Task ReleaseAsync(JobLease lease, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return WriteAsync(async (s, ct) =>
        {
            // Expired and held by nobody at once; the row (and its generation) stays, so the next holder's generation is greater.
            await using var cmd = s.Command("""
                UPDATE job_leases SET holder = '', expires_at = 0
                WHERE name = @name AND holder = @holder AND generation = @generation;
                """);
            Text(cmd, "name", lease.JobName);
            Text(cmd, "holder", lease.Holder);
            Long(cmd, "generation", lease.Generation);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    public Task<JobState?> GetJobStateAsync(string name, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return ReadAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("SELECT state, updated FROM job_state WHERE name = @name;");
            Text(cmd, "name", name);
            await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await r.ReadAsync(ct).ConfigureAwait(false) ? new JobState(name, r.GetString(0), ObjectJson.Instant(r.GetInt64(1))) : null;
        }, ct);
    }

    /// <inheritdoc />
    public Task SaveJobStateAsync(string name, string state, DateTimeOffset updated, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(state);
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("""
                INSERT INTO job_state (name, state, updated) VALUES (@name, @state, @updated)
                ON CONFLICT (name) DO UPDATE SET state = EXCLUDED.state, updated = EXCLUDED.updated;
                """);
            Text(cmd, "name", name);
            Text(cmd, "state", state);
            Long(cmd, "updated", updated.UtcTicks);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct);
    }
}
