namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore
{
    /// <inheritdoc />
    public Task<bool> SetBucketAclAsync(string name, AccessControlList? acl, CancellationToken ct = default) =>
        UpdateBucketAsync(name, "acl", AclJson.Write(acl), ct);

    /// <inheritdoc />
    public Task<bool> SetBucketOwnershipAsync(string name, ObjectOwnership? ownership, CancellationToken ct = default) =>
        UpdateBucketAsync(name, "object_ownership", AclJson.WriteOwnership(ownership), ct);

    /// <inheritdoc />
    public Task<bool> SetPublicAccessBlockAsync(string name, PublicAccessBlock? block, CancellationToken ct = default) =>
        UpdateBucketAsync(name, "public_access_block", block?.Stored, ct);

    /// <inheritdoc />
    public Task<bool> SetObjectAclAsync(string bucket, string key, AccessControlList? acl, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(key);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command("UPDATE objects SET acl = $acl WHERE bucket = $bucket AND object_key = $key;");
            cmd.Parameters.AddWithValue("$acl", Db(AclJson.Write(acl)));
            cmd.Parameters.AddWithValue("$bucket", bucket);
            cmd.Parameters.AddWithValue("$key", key);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    // column is one of the fixed names above, never input.
    private Task<bool> UpdateBucketAsync(string name, string column, object? value, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(name);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command($"UPDATE buckets SET {column} = $value WHERE name = $name;");
            cmd.Parameters.AddWithValue("$value", value ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$name", name);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }
}
