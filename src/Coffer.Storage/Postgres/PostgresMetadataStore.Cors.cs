namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore
{
    /// <inheritdoc />
    public Task<bool> SetBucketCorsAsync(string name, BucketCors? cors, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsStorable(name))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("UPDATE buckets SET cors = @cors WHERE name = @name;");
            Text(cmd, "cors", CorsJson.Write(cors));
            Text(cmd, "name", name);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }
}
