using Coffer.Storage.Postgres;
using Npgsql;

namespace Coffer.Storage.Tests.Contracts;

/// <summary>SQLite: a fresh database file in a temp folder per test.</summary>
public sealed class SqliteEngine : IStoreEngine<SqliteMetadataStore>
{
    private TempDirectory? _directory;

    public string DatabasePath => _directory!.File("metadata.db");

    public Task ResetAsync()
    {
        _directory = new TempDirectory();
        return Task.CompletedTask;
    }

    public Task<SqliteMetadataStore> OpenAsync() => SqliteMetadataStore.OpenAsync(DatabasePath);

    public async Task<long> CountRowsAsync(SqliteMetadataStore store, string table) =>
        (long)(await store.ScalarAsync($"SELECT count(*) FROM {table};"))!;

    public Task CleanupAsync()
    {
        _directory?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// PostgreSQL: one database per test class (<c>coffer_test_&lt;guid&gt;</c>), created and migrated once,
/// emptied before each test and dropped after the class. Used as the class fixture of the PostgreSQL classes.
/// </summary>
public sealed class PostgresEngine : IStoreEngine<PostgresMetadataStore>, IAsyncLifetime
{
    private static readonly string[] Tables =
        ["users", "buckets", "objects", "object_blobs", "kms_keys", "kms_key_versions", "kms_aliases", "multipart_uploads", "multipart_parts", "rekey_jobs", "blob_pending", "blob_reclaims", "job_leases", "kms_audit"];

    private bool _created;

    public string DatabaseName { get; } = $"coffer_test_{Guid.NewGuid():N}";

    /// <summary>The connection string of the test database.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder(Engines.Postgres) { Database = DatabaseName }.ConnectionString;

    public Task InitializeAsync() => Task.CompletedTask;   // lazily, so a skipped class needs no server

    public async Task ResetAsync()
    {
        if (!_created)
        {
            await AdminAsync($"CREATE DATABASE {DatabaseName} ENCODING 'UTF8' TEMPLATE template0;");
            // Throw-away test data: commits need not wait for the disk (the tests write thousands of rows).
            await AdminAsync($"ALTER DATABASE {DatabaseName} SET synchronous_commit = off;");
            _created = true;
            await using var first = await OpenAsync();
        }
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var truncate = new NpgsqlCommand($"TRUNCATE {string.Join(", ", Tables)} CASCADE;", connection);
        await truncate.ExecuteNonQueryAsync();
    }

    public Task<PostgresMetadataStore> OpenAsync() => PostgresMetadataStore.OpenAsync(ConnectionString);

    public async Task<long> CountRowsAsync(PostgresMetadataStore store, string table) =>
        (long)(await store.ScalarAsync($"SELECT count(*) FROM {table};"))!;

    public Task CleanupAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_created)
        {
            NpgsqlConnection.ClearAllPools();
            await AdminAsync($"DROP DATABASE IF EXISTS {DatabaseName} WITH (FORCE);");
        }
    }

    /// <summary>Runs a statement on the server's maintenance database (creating and dropping test databases).</summary>
    public static async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Engines.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
