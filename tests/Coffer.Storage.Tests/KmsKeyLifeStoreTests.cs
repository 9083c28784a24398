using System.Security.Cryptography;
using Coffer.Crypto.Kms;
using Microsoft.Data.Sqlite;

namespace Coffer.Storage.Tests;

/// <summary>SQLite's shredding leaves nothing behind in the data folder (the KMS store's contract is <see cref="Coffer.Testing.Contracts.KmsKeyStoreContract{TStore}"/>).</summary>
public sealed class KmsKeyLifeStoreTests : MetadataStoreTests
{
    private static KmsKeyRecord Key(string id, params KmsKeyVersion[] versions) => new()
    {
        KeyId = id,
        Owner = "alice",
        Created = Sample.Instant,
        Versions = versions.Length > 0 ? versions : [Version(1)],
    };

    private static KmsKeyVersion Version(int v, KmsRotationType? type = null) =>
        new(v, RandomNumberGenerator.GetBytes(81), Sample.Instant.AddDays(v), type);

    [Fact]
    public async Task Destroyed_material_is_in_no_file_of_the_folder_even_after_much_churn()
    {
        // Enough keys, versions and rewrites to split and rebalance the version table many times.
        var keys = new List<KmsKeyRecord>();
        for (var i = 0; i < 60; i++)
        {
            var key = Key($"key-{i:D3}", Version(1), Version(2, KmsRotationType.Automatic));
            await Store.CreateKeyAsync(key);
            keys.Add(key);
        }
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < keys.Count; i += 3)
            {
                var rotated = keys[i] with { Versions = [.. keys[i].Versions, Version(keys[i].Versions.Count + 1, KmsRotationType.OnDemand)] };
                await Store.UpdateKeyAsync(rotated);
                keys[i] = rotated;
            }
        }

        var victims = keys.Where((_, i) => i % 4 == 0).ToList();
        foreach (var victim in victims)
        {
            Assert.True(await Store.TryUpdateKeyAsync(victim, victim with { State = KmsKeyState.Deleted, Versions = [] }));
        }

        Assert.False(Store.WalMayHoldDestroyedMaterial);
        Assert.Equal(0, new FileInfo(DatabasePath + "-wal").Length);
        var files = FolderBytes();
        foreach (var material in victims.SelectMany(v => v.Versions).Select(v => v.SealedMaterial))
            Assert.DoesNotContain(files, f => Contains(f.Bytes, material));
        // The survivors are intact.
        foreach (var survivor in keys.Except(victims))
            Assert.True(survivor.ContentEquals((await Store.GetKeyAsync(survivor.KeyId))!));
    }

    [Fact]
    public async Task Shredding_zeroes_stale_copies_that_plain_deletes_left_in_the_table_pages()
    {
        // A database written before secure deletes (or by any other path) keeps deleted cells in free space.
        await Store.CreateKeyAsync(Key("k1"));
        var stale = "STALE-SEALED-MATERIAL-0123456789-STALE"u8.ToArray();
        await using (var raw = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            await raw.OpenAsync();
            using var cmd = raw.CreateCommand();
            cmd.CommandText = """
                PRAGMA secure_delete = OFF;
                INSERT INTO kms_key_versions (key_id, version, sealed_material, created) VALUES ('k1', 7, $m, 0);
                DELETE FROM kms_key_versions WHERE version = 7;
                PRAGMA wal_checkpoint(TRUNCATE);
                """;
            cmd.Parameters.AddWithValue("$m", stale);
            await cmd.ExecuteNonQueryAsync();
        }
        Assert.Contains(FolderBytes(), f => Contains(f.Bytes, stale)); // the premise: the stale copy is there

        var key = (await Store.GetKeyAsync("k1"))!;
        await Store.UpdateKeyAsync(key with { State = KmsKeyState.Deleted, Versions = [] });

        Assert.DoesNotContain(FolderBytes(), f => Contains(f.Bytes, stale));
        Assert.DoesNotContain(FolderBytes(), f => Contains(f.Bytes, key.Versions[0].SealedMaterial));
    }

    [Fact]
    public async Task A_reader_holding_an_old_snapshot_delays_the_wal_truncation_until_it_ends()
    {
        var key = Key("k1");
        await Store.CreateKeyAsync(key);
        var snapshot = await Contracts.SqliteEngine.HoldSnapshotAsync(DatabasePath);

        await Store.UpdateKeyAsync(key with { State = KmsKeyState.Deleted, Versions = [] });
        Assert.True(Store.WalMayHoldDestroyedMaterial);

        await snapshot.DisposeAsync();
        Assert.True(await Store.TruncateWalAsync(TimeSpan.FromSeconds(5)));
        Assert.False(Store.WalMayHoldDestroyedMaterial);
        Assert.Equal(0, new FileInfo(DatabasePath + "-wal").Length);
        Assert.DoesNotContain(FolderBytes(), f => Contains(f.Bytes, key.Versions[0].SealedMaterial));
    }

    private List<(string Path, byte[] Bytes)> FolderBytes() =>
        Directory.EnumerateFiles(Path.GetDirectoryName(DatabasePath)!, "*", SearchOption.AllDirectories)
            .Select(p => (p, ReadShared(p)))
            .ToList();

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
