using Coffer.Storage.Postgres;
using Npgsql;

namespace Coffer.Storage.Tests.Postgres;

/// <summary>The PostgreSQL schema: one migration history with SQLite's numbers, run once by nodes starting together, refused when newer.</summary>
public sealed class PostgresSchemaTests : IAsyncLifetime
{
    private readonly string _database = $"coffer_test_{Guid.NewGuid():N}";
    private bool _created;

    private string ConnectionString => new NpgsqlConnectionStringBuilder(Engines.Postgres) { Database = _database }.ConnectionString;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_created)
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresTestDatabase.AdminAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE);");
        }
    }

    private async Task CreateDatabaseAsync(string encoding = "UTF8")
    {
        await PostgresTestDatabase.AdminAsync($"CREATE DATABASE {_database} ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;");
        _created = true;
    }

    [PostgresFact]
    public async Task A_new_database_ends_at_sqlites_version_with_the_same_tables_and_columns()
    {
        await CreateDatabaseAsync();
        await using var store = await PostgresMetadataStore.OpenAsync(ConnectionString);

        Assert.Equal(SqliteSchema.LatestVersion, PostgresSchema.LatestVersion);
        Assert.Equal(SqliteSchema.LatestVersion, await store.ScalarAsync("SELECT max(version) FROM schema_version;"));
        Assert.Equal((long)SqliteSchema.LatestVersion, await store.ScalarAsync("SELECT count(*) FROM schema_version;"));

        using var sqliteDirectory = new TempDirectory();
        await using var sqlite = await SqliteMetadataStore.OpenAsync(sqliteDirectory.File("m.db"));
        var sqliteColumns = (string)(await sqlite.ScalarAsync("""
            SELECT group_concat(t.name || '.' || c.name, ' ') FROM (SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name) t, pragma_table_info(t.name) c
            ORDER BY 1;
            """))!;
        var postgresColumns = (string)(await store.ScalarAsync("""
            SELECT string_agg(table_name || '.' || column_name, ' ') FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'kms_audit';
            """))!;
        // PostgreSQL's only table of its own: the KMS audit log every node shares (SQLite's node keeps files).
        Assert.Equal(5L, await store.ScalarAsync("SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'kms_audit';"));
        Assert.Equal(sqliteColumns.Split(' ').Order(StringComparer.Ordinal), postgresColumns.Split(' ').Order(StringComparer.Ordinal));
    }

    [PostgresFact]
    public async Task Keys_and_names_order_by_utf8_bytes_whatever_the_database_collation()
    {
        await CreateDatabaseAsync();
        await using var store = await PostgresMetadataStore.OpenAsync(ConnectionString);
        // Every text column that is a key or a name is COLLATE "C".
        var notC = (long)(await store.ScalarAsync("""
            SELECT count(*) FROM information_schema.columns
            WHERE table_schema = 'public' AND data_type = 'text' AND coalesce(collation_name, '') <> 'C'
              AND column_name IN ('name', 'object_key', 'bucket', 'owner', 'access_key_id', 'key_id', 'alias', 'upload_id', 'blob_id', 'job_id', 'user_id', 'prefix', 'last_key');
            """))!;
        Assert.Equal(0L, notC);
    }

    [PostgresFact]
    public async Task Nodes_starting_at_once_on_a_new_database_migrate_once()
    {
        await CreateDatabaseAsync();
        var stores = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresMetadataStore.OpenAsync(ConnectionString))));
        try
        {
            Assert.Equal((long)PostgresSchema.LatestVersion, await stores[0].ScalarAsync("SELECT count(*) FROM schema_version;"));
            Assert.True(await stores[1].CreateBucketAsync(new BucketRecord("b", "alice", "r", Sample.Instant)));
            Assert.NotNull(await stores[3].GetBucketAsync("b"));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [PostgresFact]
    public async Task Reopening_keeps_the_data_and_applies_no_migration_twice()
    {
        await CreateDatabaseAsync();
        await using (var first = await PostgresMetadataStore.OpenAsync(ConnectionString))
        {
            await first.CreateBucketAsync(new BucketRecord("kept", "alice", "r", Sample.Instant));
        }
        await using var reopened = await PostgresMetadataStore.OpenAsync(ConnectionString);
        Assert.NotNull(await reopened.GetBucketAsync("kept"));
        Assert.Equal((long)PostgresSchema.LatestVersion, await reopened.ScalarAsync("SELECT count(*) FROM schema_version;"));
    }

    [PostgresFact]
    public async Task A_node_refuses_a_database_migrated_by_a_newer_coffer_and_says_so()
    {
        await CreateDatabaseAsync();
        await using (var store = await PostgresMetadataStore.OpenAsync(ConnectionString))
        {
            await store.ScalarAsync($"INSERT INTO schema_version (version, applied) VALUES ({PostgresSchema.LatestVersion + 1}, 0);");
        }

        var e = await Assert.ThrowsAsync<NotSupportedException>(() => PostgresMetadataStore.OpenAsync(ConnectionString));
        Assert.Contains($"schema version {PostgresSchema.LatestVersion + 1}, newer than this program supports ({PostgresSchema.LatestVersion})", e.Message, StringComparison.Ordinal);
        Assert.Contains(_database, e.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_database_at_version_4_gets_owner_ids_and_per_owner_aliases_as_sqlite_does()
    {
        await CreateDatabaseAsync();
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            var sql = new List<string> { "CREATE TABLE schema_version (version integer NOT NULL PRIMARY KEY, applied bigint NOT NULL);" };
            sql.AddRange(PostgresSchema.Migrations.Take(4));
            sql.Add("INSERT INTO schema_version SELECT v, 0 FROM generate_series(1, 4) v;");
            sql.Add("""
                INSERT INTO users (access_key_id, name, sealed_secret, is_root, created) VALUES ('AK1', 'alice', '\x01', true, 0);
                INSERT INTO buckets (name, owner, region, created) VALUES ('b1', 'alice', 'r', 0), ('b2', 'removed', 'r', 0);
                INSERT INTO kms_keys (key_id, owner, created, description, state, manager, rotation_enabled)
                    VALUES ('k1', 'alice', 0, '', 'Enabled', 'Customer', false), ('svc', 'coffer:service', 0, '', 'Enabled', 'Service', false);
                INSERT INTO kms_aliases (alias, key_id, owner) VALUES ('alias/a', 'k1', 'alice'), ('alias/cos', 'svc', 'coffer:service');
                """);
            foreach (var statement in sql)
            {
                await using var command = new NpgsqlCommand(statement, connection);
                await command.ExecuteNonQueryAsync();
            }
        }

        await using var store = await PostgresMetadataStore.OpenAsync(ConnectionString);

        Assert.Equal(PostgresSchema.LatestVersion, await store.ScalarAsync("SELECT max(version) FROM schema_version;"));
        var alice = (await store.GetUserAsync("AK1"))!;
        Assert.Matches("^[0-9a-f]{64}$", alice.Id);
        Assert.Equal(alice.Id, (await store.GetBucketAsync("b1"))!.Owner);
        Assert.Matches("^gone-[0-9a-f]{32}$", (await store.GetBucketAsync("b2"))!.Owner);
        Assert.Equal(alice.Id, (await store.GetKeyAsync("k1"))!.Owner);
        Assert.Equal("coffer:service", (await store.GetKeyAsync("svc"))!.Owner);
        Assert.Equal("k1", await store.ResolveAliasAsync(alice.Id, "alias/a"));
        Assert.Null(await store.ResolveAliasAsync("alice", "alias/a"));
        Assert.Equal("svc", await store.ResolveAliasAsync("coffer:service", "alias/cos"));
        Assert.True(await store.CreateAliasAsync("alias/a", "svc", "coffer:service"));   // per owner now
    }

    [PostgresFact]
    public async Task A_node_connecting_as_a_role_that_does_not_own_the_tables_is_refused()
    {
        await CreateDatabaseAsync();
        await (await PostgresMetadataStore.OpenAsync(ConnectionString)).DisposeAsync();   // tables owned by the test's role
        var role = $"coffer_test_role_{Guid.NewGuid():N}";
        await PostgresTestDatabase.AdminAsync($"CREATE ROLE {role} LOGIN;");
        try
        {
            var asOther = new NpgsqlConnectionStringBuilder(ConnectionString) { Username = role, Pooling = false }.ConnectionString;
            var e = await Assert.ThrowsAsync<NotSupportedException>(() => PostgresMetadataStore.OpenAsync(asOther));
            Assert.Contains($"this node connects as '{role}'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await PostgresTestDatabase.AdminAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE);");
            _created = false;
            await PostgresTestDatabase.AdminAsync($"DROP ROLE IF EXISTS {role};");
        }
    }

    [PostgresFact]
    public async Task A_database_that_is_not_utf8_is_refused()
    {
        await CreateDatabaseAsync("SQL_ASCII");
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => PostgresMetadataStore.OpenAsync(ConnectionString));
        Assert.Contains("needs UTF8", e.Message, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_postgresql_uri_opens_the_store()
    {
        await CreateDatabaseAsync();
        var settings = new NpgsqlConnectionStringBuilder(Engines.Postgres);
        var password = string.IsNullOrEmpty(settings.Password) ? "" : ":" + Uri.EscapeDataString(settings.Password);
        var uri = $"postgresql://{Uri.EscapeDataString(settings.Username ?? "postgres")}{password}@{settings.Host}:{settings.Port}/{_database}?application_name=coffer-test&sslmode=disable";

        await using var store = await PostgresMetadataStore.OpenAsync(uri);
        Assert.Equal(_database, store.Database);
        Assert.Equal("coffer-test", await store.ScalarAsync("SELECT current_setting('application_name');"));
    }
}

/// <summary>Reading <c>postgresql://</c> URIs and connection strings (no server needed).</summary>
public sealed class PostgresConnectionStringTests
{
    [Fact]
    public void A_uri_gives_host_port_user_password_database_and_parameters()
    {
        var b = PostgresConnectionStrings.Parse("postgresql://coffer:p%40ss%3Aw0rd@db.example:6543/meta%20data?sslmode=verify-full&application_name=node1&Maximum%20Pool%20Size=7");
        Assert.Equal(("db.example", 6543, "coffer", "p@ss:w0rd", "meta data"), (b.Host, b.Port, b.Username, b.Password, b.Database));
        Assert.Equal(SslMode.VerifyFull, b.SslMode);
        Assert.Equal("node1", b.ApplicationName);
        Assert.Equal(7, b.MaxPoolSize);
    }

    [Fact]
    public void A_uri_without_port_or_password_uses_the_defaults()
    {
        var b = PostgresConnectionStrings.Parse("postgres://admin@[::1]/coffer");
        Assert.Equal(("::1", 5432, "admin", null, "coffer"), (b.Host, b.Port, b.Username, b.Password, b.Database));
    }

    [Fact]
    public void An_npgsql_connection_string_is_taken_as_it_is()
    {
        var b = PostgresConnectionStrings.Parse("Host=h;Port=1234;Username=u;Database=d");
        Assert.Equal(("h", 1234, "u", "d"), (b.Host, b.Port, b.Username, b.Database));
    }

    [Theory]
    [InlineData("postgresql://user:secret-pw@host/db?no_such_setting=1", "no_such_setting")]
    [InlineData("postgresql:///db", "Malformed PostgreSQL URI")]
    [InlineData("Hostt=h;Foo=bar", "connection string")]
    public void A_malformed_value_is_refused_with_a_message_that_never_shows_the_password(string value, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => PostgresConnectionStrings.Parse(value));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-pw", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("a/")]
    [InlineData("x¿")]
    [InlineData("a\uD7FF")]
    [InlineData("a\uFFFF")]
    [InlineData("a😀")]
    [InlineData("a\U0010FFFF")]
    public void The_text_successor_of_a_prefix_sorts_after_every_key_with_the_prefix_and_before_every_other_key(string prefix)
    {
        var successor = PostgresMetadataStore.TextSuccessorOfPrefix(prefix)!;
        string[] tails = ["", "\u0001", "z", "ÿ", "\uFFFF", "😀", "\U0010FFFF\U0010FFFF"];
        foreach (var tail in tails)
        {
            Assert.True(Utf8Order.Compare(prefix + tail, successor) < 0, $"'{prefix + tail}' should sort before the successor");
        }
        // Nothing without the prefix sorts between the prefix and its successor.
        Assert.False(successor.StartsWith(prefix, StringComparison.Ordinal));
        string[] alphabet = ["a", "b", "/", "0", "x", "¿", "À", "\uD7FF", "\uE000", "\uFFFF", "😀", "😁", "\U0010FFFF"];
        var random = new Random(7);
        for (var i = 0; i < 5000; i++)
        {
            var other = string.Concat(Enumerable.Range(0, random.Next(1, 5)).Select(_ => alphabet[random.Next(alphabet.Length)]));
            if (!other.StartsWith(prefix, StringComparison.Ordinal))
            {
                Assert.False(Utf8Order.Compare(other, prefix) > 0 && Utf8Order.Compare(other, successor) < 0, $"'{other}' lies between");
            }
        }
        Assert.Null(PostgresMetadataStore.TextSuccessorOfPrefix("\U0010FFFF"));
        Assert.Equal("b", PostgresMetadataStore.TextSuccessorOfPrefix("a\U0010FFFF"));
    }
}
