using Npgsql;

namespace Coffer.Testing;

/// <summary>
/// A throw-away database on the test PostgreSQL server (<see cref="Engines.Postgres"/>): named
/// <c>PREFIX_&lt;guid&gt;</c>, created on demand (so a skipped test needs no server) and dropped on dispose.
/// The one place the test projects create and drop their databases.
/// </summary>
public sealed class PostgresTestDatabase(string prefix) : IAsyncDisposable
{
    /// <summary>The database's name.</summary>
    public string Name { get; } = $"{prefix}_{Guid.NewGuid():N}";

    /// <summary>Whether <see cref="CreateAsync"/> has run (and disposing will drop it).</summary>
    public bool Created { get; private set; }

    /// <summary>The database as an Npgsql connection string.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder(Engines.Postgres) { Database = Name }.ConnectionString;

    /// <summary>The database as a <c>postgresql://</c> URI, as <c>--metadata</c> takes it.</summary>
    public string Uri
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(Engines.Postgres);
            var user = System.Uri.EscapeDataString(b.Username ?? "postgres") + (b.Password is { } p ? ":" + System.Uri.EscapeDataString(p) : "");
            return $"postgresql://{user}@{b.Host}:{b.Port}/{Name}";
        }
    }

    /// <summary>Creates the database (UTF8, as Coffer requires) unless this instance already did.</summary>
    public async Task CreateAsync()
    {
        if (Created)
            return;
        await AdminAsync($"CREATE DATABASE {Name} ENCODING 'UTF8' TEMPLATE template0;");
        Created = true;
    }

    /// <summary>Runs a statement on the database (one connection, no transaction) and returns its first value.</summary>
    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Runs a statement on the server's maintenance database (creating and dropping databases and roles).</summary>
    public static async Task AdminAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Engines.Postgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Drops the database if it was created (closing the pools' connections to it first).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Created)
            return;
        NpgsqlConnection.ClearAllPools();
        await AdminAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE);");
        Created = false;
    }
}
