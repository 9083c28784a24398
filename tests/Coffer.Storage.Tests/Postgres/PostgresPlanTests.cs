using Coffer.Storage.Postgres;
using Coffer.Storage.Tests.Contracts;
using Npgsql;

namespace Coffer.Storage.Tests.Postgres;

/// <summary>
/// Listings seek in the key indexes in their order: with text COLLATE "C" on both the columns and the
/// comparisons, PostgreSQL reads a range of the index and needs no sort (a different collation anywhere
/// would show as a Sort node or a filter instead of index conditions).
/// </summary>
[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresPlanTests(PostgresEngine engine) : IClassFixture<PostgresEngine>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await engine.ResetAsync();
        await using var store = await engine.OpenAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<string> PlanAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(engine.ConnectionString);
        await connection.OpenAsync();
        await using (var set = new NpgsqlCommand("SET enable_seqscan = off;", connection))
        {
            await set.ExecuteNonQueryAsync();
        }
        await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection);
        foreach (var name in new[] { "bucket", "from", "end", "upload" })
        {
            explain.Parameters.Add(new NpgsqlParameter(name, NpgsqlTypes.NpgsqlDbType.Text) { Value = "x" });
        }
        explain.Parameters.Add(new NpgsqlParameter("limit", NpgsqlTypes.NpgsqlDbType.Integer) { Value = 10 });
        await using var reader = await explain.ExecuteReaderAsync();
        var lines = new List<string>();
        while (await reader.ReadAsync())
        {
            lines.Add(reader.GetString(0));
        }
        return string.Join('\n', lines);
    }

    [ContractTheory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public async Task Object_listing_seeks_in_the_primary_key_without_sorting(bool inclusive, bool bounded)
    {
        var plan = await PlanAsync(PostgresMetadataStore.SeekObjectsSql(inclusive, bounded));
        Assert.Contains("Index Scan using objects_pkey", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Filter", plan, StringComparison.Ordinal);
    }

    [ContractTheory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public async Task Upload_listing_seeks_in_the_key_index_without_sorting(bool afterWholeKey, bool bounded)
    {
        var plan = await PlanAsync(PostgresMetadataStore.SeekUploadsSql(afterWholeKey, bounded));
        Assert.Contains("Index Scan using multipart_uploads_by_key", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", plan, StringComparison.Ordinal);
        Assert.DoesNotContain("Filter", plan, StringComparison.Ordinal);
    }
}
