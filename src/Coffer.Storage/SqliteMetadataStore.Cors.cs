namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore
{
    /// <inheritdoc />
    public Task<bool> SetBucketCorsAsync(string name, BucketCors? cors, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command("UPDATE buckets SET cors = $cors WHERE name = $name;");
            cmd.Parameters.AddWithValue("$cors", Db(CorsJson.Write(cors)));
            cmd.Parameters.AddWithValue("$name", name);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }
}
