namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore : IJobLeases
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
            // One statement: the row is created, or taken over when expired or already ours; else no row comes back.
            using var cmd = s.Command("""
                INSERT INTO job_leases (name, holder, generation, expires_at) VALUES ($name, $holder, 1, $expires)
                ON CONFLICT (name) DO UPDATE
                    SET holder = excluded.holder, generation = job_leases.generation + 1, expires_at = excluded.expires_at
                    WHERE job_leases.expires_at <= $now OR job_leases.holder = excluded.holder
                RETURNING generation;
                """);
            cmd.Parameters.AddWithValue("$name", jobName);
            cmd.Parameters.AddWithValue("$holder", holder);
            cmd.Parameters.AddWithValue("$expires", expires.UtcTicks);
            cmd.Parameters.AddWithValue("$now", now.UtcTicks);
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
            using var cmd = s.Command("""
                UPDATE job_leases SET expires_at = $expires
                WHERE name = $name AND holder = $holder AND generation = $generation;
                """);
            cmd.Parameters.AddWithValue("$name", lease.JobName);
            cmd.Parameters.AddWithValue("$holder", lease.Holder);
            cmd.Parameters.AddWithValue("$generation", lease.Generation);
            cmd.Parameters.AddWithValue("$expires", expires.UtcTicks);
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
            using var cmd = s.Command("""
                UPDATE job_leases SET holder = '', expires_at = 0
                WHERE name = $name AND holder = $holder AND generation = $generation;
                """);
            cmd.Parameters.AddWithValue("$name", lease.JobName);
            cmd.Parameters.AddWithValue("$holder", lease.Holder);
            cmd.Parameters.AddWithValue("$generation", lease.Generation);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    public Task<JobState?> GetJobStateAsync(string name, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return ReadAsync(async (s, ct) =>
        {
            using var cmd = s.Command("SELECT state, updated FROM job_state WHERE name = $name;");
            cmd.Parameters.AddWithValue("$name", name);
            using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return r.Read() ? new JobState(name, r.GetString(0), ObjectJson.Instant(r.GetInt64(1))) : null;
        }, ct);
    }

    /// <inheritdoc />
    public Task SaveJobStateAsync(string name, string state, DateTimeOffset updated, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(state);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command("INSERT OR REPLACE INTO job_state (name, state, updated) VALUES ($name, $state, $updated);");
            cmd.Parameters.AddWithValue("$name", name);
            cmd.Parameters.AddWithValue("$state", state);
            cmd.Parameters.AddWithValue("$updated", updated.UtcTicks);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, ct);
    }
}
