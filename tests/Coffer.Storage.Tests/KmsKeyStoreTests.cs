using Coffer.Crypto.Kms;

namespace Coffer.Storage.Tests;

/// <summary>SQLite: shredded material is gone from the database file (the KMS store's contract is <see cref="Coffer.Testing.Contracts.KmsKeyStoreContract{TStore}"/>).</summary>
public sealed class SqliteKmsShredTests : MetadataStoreTests
{
    [Fact]
    public async Task Shredded_key_material_is_overwritten_in_the_database_file()
    {
        var marker = "SHRED-ME-0123456789-SHRED-ME"u8.ToArray();
        var key = new KmsKeyRecord { KeyId = "k1", Owner = "alice", Created = Sample.Instant, Versions = [new KmsKeyVersion(1, marker, Sample.Instant)] };
        await Store.CreateKeyAsync(key);
        await Store.UpdateKeyAsync(key with { State = KmsKeyState.Deleted, Versions = [] });
        await Store.ScalarAsync("PRAGMA wal_checkpoint(TRUNCATE);");

        Assert.False((await File.ReadAllBytesAsync(DatabasePath)).AsSpan().IndexOf(marker) >= 0);
    }
}
