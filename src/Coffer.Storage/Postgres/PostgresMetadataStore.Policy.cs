namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore
{
    /// <inheritdoc />
    public Task<bool> SetBucketPolicyAsync(string name, string? policy, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsStorable(name) || (policy is not null && !IsStorable(policy)))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("UPDATE buckets SET policy = @policy WHERE name = @name;");
            Text(cmd, "policy", policy);
            Text(cmd, "name", name);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }
}
