using System.Security.Cryptography;
using Coffer.Crypto.Kms;
using Coffer.Storage.Postgres;
using Coffer.Storage.Tests.Contracts;
using Npgsql;

namespace Coffer.Storage.Tests.Postgres;

/// <summary>
/// Crypto-shredding on PostgreSQL: after a key's material is destroyed, its bytes are in no file of the
/// version table (dead row versions included), and ANALYZE never copied them into pg_statistic. Reading the
/// table's files needs a superuser (<c>pg_read_binary_file</c>), as the test server's postgres user is.
/// </summary>
[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresKmsShredTests(PostgresEngine engine) : IClassFixture<PostgresEngine>, IAsyncLifetime
{
    private PostgresMetadataStore _store = null!;

    public async Task InitializeAsync()
    {
        await engine.ResetAsync();
        _store = await engine.OpenAsync();
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    private static KmsKeyRecord Key(string id, params byte[][] materials) => new()
    {
        KeyId = id,
        Owner = "alice",
        Created = Sample.Instant,
        Versions = materials.Select((m, i) => new KmsKeyVersion(i + 1, m, Sample.Instant.AddDays(i), i == 0 ? null : KmsRotationType.OnDemand)).ToList(),
    };

    /// <summary>Whether the version table's files on disk (after a checkpoint) contain <paramref name="needle"/>.</summary>
    private Task<bool> KeyTableFileContainsAsync(byte[] needle) => engine.FilesContainAsync(needle);

    [ContractFact]
    public async Task Destroyed_material_is_not_in_the_key_tables_file_and_the_survivors_are_intact()
    {
        var victims = Enumerable.Range(0, 10).Select(i => Key($"victim-{i}", RandomNumberGenerator.GetBytes(81), RandomNumberGenerator.GetBytes(81))).ToList();
        var survivors = Enumerable.Range(0, 10).Select(i => Key($"survivor-{i}", RandomNumberGenerator.GetBytes(81))).ToList();
        foreach (var key in victims.Concat(survivors))
        {
            await _store.CreateKeyAsync(key);
        }
        // Rotations rewrite rows too, leaving dead versions of the key rows behind.
        for (var i = 0; i < victims.Count; i += 2)
        {
            var rotated = victims[i] with { Versions = [.. victims[i].Versions, new KmsKeyVersion(3, RandomNumberGenerator.GetBytes(81), Sample.Instant)] };
            await _store.UpdateKeyAsync(rotated);
            victims[i] = rotated;
        }
        var materials = victims.SelectMany(v => v.Versions).Select(v => v.SealedMaterial).ToList();
        Assert.True(await KeyTableFileContainsAsync(materials[0]));   // the premise: the file holds the material

        foreach (var victim in victims)
        {
            Assert.True(await _store.TryUpdateKeyAsync(victim, victim with { State = KmsKeyState.Deleted, Versions = [] }));
        }

        Assert.False(await _store.MayHoldDestroyedKeyMaterialAsync(), _store.LastScrubBlocker);
        foreach (var material in materials)
        {
            Assert.False(await KeyTableFileContainsAsync(material));
        }
        foreach (var survivor in survivors)
        {
            Assert.True(survivor.ContentEquals((await _store.GetKeyAsync(survivor.KeyId))!));
            Assert.True(await KeyTableFileContainsAsync(survivor.Versions[0].SealedMaterial));
        }
    }

    [ContractFact]
    public async Task A_transaction_that_could_still_see_the_material_delays_the_scrub_until_it_ends()
    {
        var material = RandomNumberGenerator.GetBytes(81);
        var key = Key("k1", material);
        await _store.CreateKeyAsync(key);

        // Another node's long read: a REPEATABLE READ snapshot taken before the destruction.
        await using var reader = new NpgsqlConnection(engine.ConnectionString);
        await reader.OpenAsync();
        await using var snapshot = await reader.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM buckets;", reader, snapshot))
        {
            await read.ExecuteScalarAsync();
        }

        await _store.UpdateKeyAsync(key with { State = KmsKeyState.Deleted, Versions = [] });
        Assert.True(await _store.MayHoldDestroyedKeyMaterialAsync());
        Assert.False(await _store.ScrubDestroyedKeyMaterialAsync(TimeSpan.FromMilliseconds(200)));
        Assert.True(await KeyTableFileContainsAsync(material));          // the dead row version is still there

        await snapshot.RollbackAsync();
        Assert.True(await _store.ScrubDestroyedKeyMaterialAsync(TimeSpan.FromSeconds(5)));
        Assert.False(await _store.MayHoldDestroyedKeyMaterialAsync());
        Assert.False(await KeyTableFileContainsAsync(material));
    }

    [ContractFact]
    public async Task Analyze_keeps_no_sample_of_sealed_material_or_secrets_in_pg_statistic()
    {
        for (var i = 0; i < 50; i++)
        {
            await _store.CreateKeyAsync(Key($"k{i}", RandomNumberGenerator.GetBytes(81)));
        }
        await _store.ScalarAsync("ANALYZE kms_key_versions;");
        await _store.ScalarAsync("ANALYZE users;");

        Assert.Equal(0L, await _store.ScalarAsync("""
            SELECT count(*) FROM pg_stats
            WHERE (tablename = 'kms_key_versions' AND attname = 'sealed_material') OR (tablename = 'users' AND attname = 'sealed_secret');
            """));
        Assert.NotEqual(0L, await _store.ScalarAsync("SELECT count(*) FROM pg_stats WHERE tablename = 'kms_key_versions';"));   // other columns do get statistics
    }
}
