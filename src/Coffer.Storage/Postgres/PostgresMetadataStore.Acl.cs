using Npgsql;

namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore
{
    /// <inheritdoc />
    public Task<bool> SetBucketAclAsync(string name, AccessControlList? acl, CancellationToken ct = default) =>
        UpdateBucketAsync(name, "UPDATE buckets SET acl = @value WHERE name = @name;", cmd => Text(cmd, "value", AclJson.Write(acl)), ct);

    /// <inheritdoc />
    public Task<bool> SetBucketOwnershipAsync(string name, ObjectOwnership? ownership, CancellationToken ct = default) =>
        UpdateBucketAsync(name, "UPDATE buckets SET object_ownership = @value WHERE name = @name;",
            cmd => Text(cmd, "value", AclJson.WriteOwnership(ownership)), ct);

    /// <inheritdoc />
    public Task<bool> SetPublicAccessBlockAsync(string name, PublicAccessBlock? block, CancellationToken ct = default) =>
        UpdateBucketAsync(name, "UPDATE buckets SET public_access_block = @value WHERE name = @name;",
            cmd => Int(cmd, "value", block?.Stored), ct);

    /// <inheritdoc />
    public Task<bool> SetObjectAclAsync(string bucket, string key, AccessControlList? acl, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        if (!IsStorable(bucket) || !IsStorable(key))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("UPDATE objects SET acl = @acl WHERE bucket = @bucket AND object_key = @key;");
            Text(cmd, "acl", AclJson.Write(acl));
            Text(cmd, "bucket", bucket);
            Text(cmd, "key", key);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    private Task<bool> UpdateBucketAsync(string name, string sql, Action<NpgsqlCommand> bind, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsStorable(name))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command(sql);
            bind(cmd);
            Text(cmd, "name", name);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }
}
