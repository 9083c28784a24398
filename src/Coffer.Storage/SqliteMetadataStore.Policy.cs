namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore
{
    /// <inheritdoc />
    public Task<bool> SetBucketPolicyAsync(string name, string? policy, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command("UPDATE buckets SET policy = $policy WHERE name = $name;");
            cmd.Parameters.AddWithValue("$policy", Db(policy));
            cmd.Parameters.AddWithValue("$name", name);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }
}
