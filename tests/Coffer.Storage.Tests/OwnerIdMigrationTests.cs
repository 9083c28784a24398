using Microsoft.Data.Sqlite;

namespace Coffer.Storage.Tests;

/// <summary>
/// Migrations 4 and 5 on a database written by schema version 3 (5 is the owner ids): users get stable ids; buckets, KMS keys, aliases and
/// multipart uploads are owned by those ids instead of names; owners that no longer exist get ids no user has; aliases
/// become per owner.
/// </summary>
public sealed class OwnerIdMigrationTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.File("v3.db");

    public void Dispose() => _directory.Dispose();

    /// <summary>A database at schema version 3 with alice and bob; "gone" owned things before being removed.</summary>
    private async Task CreateVersion3DatabaseAsync()
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        using var tx = connection.BeginTransaction();
        var sql = "CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied INTEGER NOT NULL) STRICT;\n";
        for (var version = 1; version <= 3; version++)
            sql += SqliteSchema.Migrations[version - 1] + $"\nINSERT INTO schema_version VALUES ({version}, 0);\n";
        sql += """
            INSERT INTO users VALUES ('AKALICE', 'alice', x'01', 0, 0), ('AKBOB', 'bob', x'02', 1, 0);
            INSERT INTO buckets VALUES ('alices', 'alice', 'r', 0, 'KMS', 'k-alice'), ('bobs', 'bob', 'r', 0, NULL, NULL),
                                       ('goners', 'gone', 'r', 0, NULL, NULL), ('goners2', 'gone', 'r', 0, NULL, NULL);
            INSERT INTO kms_keys (key_id, owner, created, description, state, manager, deletion_date, rotation_enabled)
                VALUES ('k-alice', 'alice', 0, '', 'Enabled', 'Customer', NULL, 0),
                       ('k-alice-default', 'alice', 0, '', 'Enabled', 'Service', NULL, 0),
                       ('k-gone', 'gone', 0, '', 'Enabled', 'Customer', NULL, 0),
                       ('k-service', 'coffer:service', 0, '', 'Enabled', 'Service', NULL, 0);
            INSERT INTO kms_aliases (alias, key_id, owner) VALUES ('alias/app', 'k-alice', 'alice'),
                ('alias/cos/default/alice', 'k-alice-default', 'alice'), ('alias/old', 'k-gone', 'gone'),
                ('alias/coffer/sse-cos', 'k-service', 'coffer:service');
            INSERT INTO multipart_uploads (upload_id, bucket, object_key, initiated, owner, storage_class, sse_mode)
                VALUES ('u-alice', 'alices', 'k', 0, 'alice', 'STANDARD', 0), ('u-gone', 'goners', 'k', 0, 'gone', 'STANDARD', 0);
            """;
        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync();
        tx.Commit();
    }

    [Fact]
    public async Task Owners_become_user_ids_and_removed_owners_ids_that_no_user_has()
    {
        await CreateVersion3DatabaseAsync();
        await using var store = await SqliteMetadataStore.OpenAsync(DatabasePath);
        Assert.Equal((long)SqliteSchema.LatestVersion, await store.ScalarAsync("SELECT max(version) FROM schema_version;"));

        var users = await store.ListUsersAsync();
        var alice = users.Single(u => u.Name == "alice");
        var bob = users.Single(u => u.Name == "bob");
        Assert.Matches("^[0-9a-f]{64}$", alice.Id);
        Assert.Matches("^[0-9a-f]{64}$", bob.Id);
        Assert.NotEqual(alice.Id, bob.Id);

        Assert.Equal(alice.Id, (await store.GetBucketAsync("alices"))!.Owner);
        Assert.Equal(new BucketEncryption("KMS", "k-alice"), (await store.GetBucketAsync("alices"))!.Encryption);
        Assert.Equal(bob.Id, (await store.GetBucketAsync("bobs"))!.Owner);
        Assert.Equal(["alices"], (await store.ListBucketsAsync(alice.Id)).Select(b => b.Name));
        Assert.Empty(await store.ListBucketsAsync("alice"));

        // The removed owner's things: one id for all of them, which is no user's and has no user's shape.
        var gone = (await store.GetBucketAsync("goners"))!.Owner;
        Assert.StartsWith("gone-", gone, StringComparison.Ordinal);
        Assert.Equal(gone, (await store.GetBucketAsync("goners2"))!.Owner);
        Assert.DoesNotContain(users, u => u.Id == gone);
        Assert.Equal(gone, (await store.GetKeyAsync("k-gone"))!.Owner);
        Assert.Equal([("alias/old", "k-gone")], await store.ListAliasesAsync(gone));
        Assert.Equal(gone, (await store.GetUploadAsync("goners", "k", "u-gone"))!.Owner);

        Assert.Equal(alice.Id, (await store.GetKeyAsync("k-alice"))!.Owner);
        Assert.Equal(alice.Id, (await store.GetKeyAsync("k-alice-default"))!.Owner);
        Assert.Equal("coffer:service", (await store.GetKeyAsync("k-service"))!.Owner);
        Assert.Equal(alice.Id, (await store.GetUploadAsync("alices", "k", "u-alice"))!.Owner);

        // Aliases keep their names, in their owner's namespace now.
        Assert.Equal([("alias/app", "k-alice"), ("alias/cos/default/alice", "k-alice-default")], await store.ListAliasesAsync(alice.Id));
        Assert.Equal("k-alice-default", await store.ResolveAliasAsync(alice.Id, "alias/cos/default/alice"));
        Assert.Null(await store.ResolveAliasAsync(bob.Id, "alias/app"));
        Assert.Equal("k-service", await store.ResolveAliasAsync("coffer:service", "alias/coffer/sse-cos"));
        Assert.True(await store.CreateAliasAsync("alias/app", "k-alice", bob.Id));
    }

    [Fact]
    public async Task A_name_added_again_after_the_migration_gets_a_new_id_and_nothing_of_the_old_users()
    {
        await CreateVersion3DatabaseAsync();
        await using var store = await SqliteMetadataStore.OpenAsync(DatabasePath);
        var oldAlice = (await store.ListUsersAsync()).Single(u => u.Name == "alice");
        Assert.True(await store.RemoveUserAsync("alice"));
        var newAlice = new UserRecord("alice", "AKALICE2", [3], false, Sample.Instant, UserIds.New());
        Assert.True(await store.AddUserAsync(newAlice));

        Assert.NotEqual(oldAlice.Id, newAlice.Id);
        Assert.Empty(await store.ListBucketsAsync(newAlice.Id));
        Assert.Empty(await store.ListAliasesAsync(newAlice.Id));
        Assert.Empty(await store.ListKeysAsync(newAlice.Id));
        Assert.Equal(oldAlice.Id, (await store.GetBucketAsync("alices"))!.Owner);
    }

    [Fact]
    public async Task User_ids_are_unique()
    {
        await using var store = await SqliteMetadataStore.OpenAsync(DatabasePath);
        var id = UserIds.New();
        Assert.True(await store.AddUserAsync(new UserRecord("one", "AK1", [1], false, Sample.Instant, id)));
        Assert.False(await store.AddUserAsync(new UserRecord("two", "AK2", [1], false, Sample.Instant, id)));
        Assert.Equal(id, (await store.GetUserAsync("AK1"))!.Id);
        Assert.NotEqual(UserIds.New(), UserIds.New());
    }
}
