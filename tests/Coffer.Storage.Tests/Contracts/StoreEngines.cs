using Coffer.Storage.Postgres;
using Microsoft.Data.Sqlite;
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

    public Task<IAsyncDisposable> HoldSnapshotAsync() => HoldSnapshotAsync(DatabasePath);

    /// <summary>A reader of its own on the database at <paramref name="databasePath"/> holding a read snapshot taken now (it pins the WAL) until disposed.</summary>
    public static async Task<IAsyncDisposable> HoldSnapshotAsync(string databasePath)
    {
        var reader = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        await reader.OpenAsync();
        var snapshot = reader.BeginTransaction(deferred: true);
        using (var read = reader.CreateCommand())
        {
            read.Transaction = snapshot;
            read.CommandText = "SELECT count(*) FROM kms_keys;";
            await read.ExecuteScalarAsync();
        }
        return new HeldSnapshot(async () =>
        {
            snapshot.Dispose();
            await reader.DisposeAsync();
        });
    }

    public async Task<IAsyncDisposable> HideTableAsync(string table)
    {
        await ExecuteAsync($"ALTER TABLE {table} RENAME TO {table}_hidden;");
        return new HeldSnapshot(() => ExecuteAsync($"ALTER TABLE {table}_hidden RENAME TO {table};"));

        async Task ExecuteAsync(string sql)
        {
            await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await command.ExecuteNonQueryAsync();
        }
    }

    public async Task<bool> FilesContainAsync(byte[] bytes)
    {
        foreach (var path in (string[])[DatabasePath, DatabasePath + "-wal"])
        {
            if (!File.Exists(path))
            {
                continue;
            }
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            await file.CopyToAsync(copy);
            if (copy.GetBuffer().AsSpan(0, (int)copy.Length).IndexOf(bytes) >= 0)
            {
                return true;
            }
        }
        return false;
    }

    public Task CleanupAsync()
    {
        _directory?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>A held read snapshot: disposing it ends the reader's transaction and closes its connection.</summary>
internal sealed class HeldSnapshot(Func<Task> release) : IAsyncDisposable
{
    public async ValueTask DisposeAsync() => await release();
}

/// <summary>
/// PostgreSQL: one database per test class (<c>coffer_test_&lt;guid&gt;</c>), created and migrated once,
/// emptied before each test and dropped after the class. Used as the class fixture of the PostgreSQL classes.
/// </summary>
public sealed class PostgresEngine : IStoreEngine<PostgresMetadataStore>, IAsyncLifetime
{
    private static readonly string[] Tables =
        ["users", "buckets", "objects", "object_blobs", "kms_keys", "kms_key_versions", "kms_aliases", "multipart_uploads", "multipart_parts", "rekey_jobs", "blob_pending", "blob_reclaims", "job_leases", "kms_audit", "completed_uploads"];

    private readonly PostgresTestDatabase _database = new("coffer_test");

    public string DatabaseName => _database.Name;

    /// <summary>The connection string of the test database.</summary>
    public string ConnectionString => _database.ConnectionString;

    public Task InitializeAsync() => Task.CompletedTask;   // lazily, so a skipped class needs no server

    public async Task ResetAsync()
    {
        if (!_database.Created)
        {
            await _database.CreateAsync();
            // Throw-away test data: commits need not wait for the disk (the tests write thousands of rows).
            await PostgresTestDatabase.AdminAsync($"ALTER DATABASE {DatabaseName} SET synchronous_commit = off;");
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

    public async Task<IAsyncDisposable> HoldSnapshotAsync()
    {
        var reader = new NpgsqlConnection(ConnectionString);
        await reader.OpenAsync();
        var snapshot = await reader.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM kms_keys;", reader, snapshot))
        {
            await read.ExecuteScalarAsync();
        }
        return new HeldSnapshot(async () =>
        {
            await snapshot.DisposeAsync();
            await reader.DisposeAsync();
        });
    }

    public async Task<IAsyncDisposable> HideTableAsync(string table)
    {
        await ExecuteAsync($"ALTER TABLE {table} RENAME TO {table}_hidden;");
        return new HeldSnapshot(() => ExecuteAsync($"ALTER TABLE {table}_hidden RENAME TO {table};"));

        async Task ExecuteAsync(string sql)
        {
            await using var connection = new NpgsqlConnection(ConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Reads the key version table's file (the only table that holds KMS material): needs a superuser, as the test server's postgres user is.</summary>
    public async Task<bool> FilesContainAsync(byte[] bytes)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using (var super = new NpgsqlCommand("SELECT rolsuper FROM pg_roles WHERE rolname = current_user;", connection))
        {
            Assert.True((bool)(await super.ExecuteScalarAsync())!, "reading the table's files needs a superuser in COFFER_TEST_POSTGRES");
        }
        await using (var checkpoint = new NpgsqlCommand("CHECKPOINT;", connection))
        {
            await checkpoint.ExecuteNonQueryAsync();
        }
        await using var read = new NpgsqlCommand("SELECT position(@needle IN pg_read_binary_file(pg_relation_filepath('kms_key_versions'))) > 0;", connection);
        read.Parameters.AddWithValue("needle", bytes);
        return (bool)(await read.ExecuteScalarAsync())!;
    }

    public Task CleanupAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _database.DisposeAsync();
}
