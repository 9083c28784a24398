using Coffer.Crypto.Kms;
using Coffer.Storage.Postgres;
using Npgsql;

namespace Coffer.Storage.Tests.Contracts;

/// <summary>
/// How a contract suite gets its store: an empty database per test, as many store instances on it as a test
/// wants (each one a node of its own), and a few engine-specific looks inside.
/// </summary>
public interface IStoreEngine<TStore>
{
    /// <summary>Makes the test's database empty (fresh, or with every table emptied).</summary>
    Task ResetAsync();

    /// <summary>A new store instance on the test's database: another node, with its own connections and gates.</summary>
    Task<TStore> OpenAsync();

    /// <summary>How many rows a table has.</summary>
    Task<long> CountRowsAsync(TStore store, string table);

    /// <summary>Drops what <see cref="ResetAsync"/> made for the test.</summary>
    Task CleanupAsync();
}

/// <summary>
/// Base of the contract suites: the same tests for every engine, each engine's class saying only how to
/// make its store (<see cref="IStoreEngine{TStore}"/>). Tests are <see cref="ContractFactAttribute"/> /
/// <see cref="ContractTheoryAttribute"/>, so an engine that is not there is skipped (outside CI) by its class.
/// </summary>
public abstract class StoreContract<TStore>(IStoreEngine<TStore> engine) : IAsyncLifetime
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    protected IStoreEngine<TStore> Engine { get; } = engine;

    internal TStore Store { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        await Engine.ResetAsync();
        Store = await Engine.OpenAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }
        await Engine.CleanupAsync();
    }

    /// <summary>Another node on the same database.</summary>
    internal Task<TStore> OpenSecondStoreAsync() => Engine.OpenAsync();

    internal Task<long> CountRowsAsync(string table) => Engine.CountRowsAsync(Store, table);

    internal Task<bool> CreateBucketAsync(string name, string owner = "alice") =>
        Store.CreateBucketAsync(new BucketRecord(name, owner, "ap-guangzhou", Sample.Instant));
}

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
