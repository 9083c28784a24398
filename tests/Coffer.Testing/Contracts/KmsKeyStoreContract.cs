using System.Security.Cryptography;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

public abstract class KmsKeyStoreContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    private static KmsKeyRecord Key(string id, string owner = "alice", int versions = 1, DateTimeOffset? created = null) => new()
    {
        KeyId = id,
        Owner = owner,
        Created = created ?? Sample.Instant,
        Versions = Enumerable.Range(1, versions)
            .Select(v => new KmsKeyVersion(v, Enumerable.Range(0, 60 + v).Select(i => (byte)(i ^ v)).ToArray(), Sample.Instant.AddDays(v)))
            .ToList(),
    };

    private static void AssertKey(KmsKeyRecord expected, KmsKeyRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Versions = [] }, actual with { Versions = [] });
        Assert.Equal(expected.Versions.Count, actual.Versions.Count);
        foreach (var (e, a) in expected.Versions.Zip(actual.Versions))
        {
            Assert.Equal(e.Version, a.Version);
            Assert.Equal(e.SealedMaterial, a.SealedMaterial);
            Assert.Equal(e.Created, a.Created);
        }
    }

    [ContractFact]
    public async Task A_key_round_trips_every_field()
    {
        var key = Key("1234abcd-12ab-34cd-56ef-1234567890ab", versions: 3) with
        {
            Description = "payroll — ключ",
            State = KmsKeyState.PendingDeletion,
            Manager = KmsKeyManager.Service,
            DeletionDate = Sample.Instant.AddDays(30),
            RotationEnabled = true,
        };
        await Store.CreateKeyAsync(key);
        AssertKey(key, await Store.GetKeyAsync(key.KeyId));
    }

    [ContractFact]
    public async Task A_key_with_defaults_round_trips()
    {
        var key = Key("k1");
        await Store.CreateKeyAsync(key);
        AssertKey(key, await Store.GetKeyAsync("k1"));
    }

    [ContractFact]
    public async Task A_missing_key_reads_as_null()
    {
        Assert.Null(await Store.GetKeyAsync("nope"));
    }

    [ContractFact]
    public async Task Creating_a_key_twice_throws()
    {
        await Store.CreateKeyAsync(Key("k1"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.CreateKeyAsync(Key("k1")));
    }

    [ContractFact]
    public async Task Keys_are_listed_per_owner_or_all_with_their_versions()
    {
        await Store.CreateKeyAsync(Key("k2", "alice", versions: 2, created: Sample.Instant.AddMinutes(1)));
        await Store.CreateKeyAsync(Key("k1", "alice", versions: 1));
        await Store.CreateKeyAsync(Key("k3", "bob", versions: 3));

        var alice = await Store.ListKeysAsync("alice");
        Assert.Equal(["k1", "k2"], alice.Select(k => k.KeyId));
        Assert.Equal([1, 2], alice.Select(k => k.Versions.Count));

        var all = await Store.ListKeysAsync(null);
        Assert.Equal(["k1", "k3", "k2"], all.Select(k => k.KeyId));
        AssertKey(Key("k3", "bob", versions: 3), all[1]);
        Assert.Empty(await Store.ListKeysAsync("carol"));
    }

    [ContractFact]
    public async Task Updating_a_key_replaces_state_and_versions()
    {
        await Store.CreateKeyAsync(Key("k1", versions: 1));
        var rotated = Key("k1", versions: 2) with { RotationEnabled = true, Description = "rotated" };
        await Store.UpdateKeyAsync(rotated);
        AssertKey(rotated, await Store.GetKeyAsync("k1"));

        var shredded = rotated with { State = KmsKeyState.Deleted, Versions = [] };
        await Store.UpdateKeyAsync(shredded);
        AssertKey(shredded, await Store.GetKeyAsync("k1"));
        Assert.Equal(0L, await CountRowsAsync("kms_key_versions"));
    }

    [ContractFact]
    public async Task A_scrub_left_undone_by_a_node_that_stopped_is_found_and_done_by_the_next_node()
    {
        var key = Key("k1", versions: 2);
        await Store.CreateKeyAsync(key);
        var materials = key.Versions.Select(v => v.SealedMaterial).ToList();

        // Node A destroys the key while another node's long read may still see the material, so the scrub that
        // follows the destruction cannot finish; then node A stops before its KMS job retried it. Node B, started
        // afterwards, knows nothing of A's memory: its KMS job asks the store.
        var nodeA = await OpenSecondStoreAsync();
        var reader = await Engine.HoldSnapshotAsync();
        TStore nodeB;
        try
        {
            await nodeA.UpdateKeyAsync(key with { State = KmsKeyState.Deleted, Versions = [] });
            Assert.True(await ((IKeyMaterialScrubber)nodeA).MayHoldDestroyedKeyMaterialAsync());
            Assert.True(await Engine.FilesContainAsync(materials[0]));   // the premise: a copy is still in the engine's files
            await nodeA.DisposeAsync();
            nodeB = await OpenSecondStoreAsync();
            Assert.True(await ((IKeyMaterialScrubber)nodeB).MayHoldDestroyedKeyMaterialAsync());
            Assert.False(await ((IKeyMaterialScrubber)nodeB).ScrubDestroyedKeyMaterialAsync(TimeSpan.FromMilliseconds(200)));   // the reader still holds it
        }
        finally
        {
            await reader.DisposeAsync();
        }

        try
        {
            var scrubber = (IKeyMaterialScrubber)nodeB;
            Assert.True(await scrubber.MayHoldDestroyedKeyMaterialAsync());
            Assert.True(await scrubber.ScrubDestroyedKeyMaterialAsync(TimeSpan.FromSeconds(10)));
            Assert.False(await scrubber.MayHoldDestroyedKeyMaterialAsync());
            foreach (var material in materials)
            {
                Assert.False(await Engine.FilesContainAsync(material));
            }
            AssertKey(key with { State = KmsKeyState.Deleted, Versions = [] }, await nodeB.GetKeyAsync("k1"));
            Assert.Equal(0L, await Engine.CountRowsAsync(nodeB, "kms_key_versions"));
        }
        finally
        {
            await nodeB.DisposeAsync();
        }
    }

    [ContractFact]
    public async Task Updating_a_missing_key_throws()
    {
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.UpdateKeyAsync(Key("nope")));
    }

    [ContractFact]
    public async Task Aliases_are_unique_per_owner_resolve_list_and_delete()
    {
        await Store.CreateKeyAsync(Key("k1", "alice"));
        await Store.CreateKeyAsync(Key("k2", "bob"));

        Assert.True(await Store.CreateAliasAsync("alias/payroll", "k1", "alice"));
        Assert.True(await Store.CreateAliasAsync("alias/app", "k1", "alice"));
        Assert.True(await Store.CreateAliasAsync("alias/bob", "k2", "bob"));
        Assert.False(await Store.CreateAliasAsync("alias/payroll", "k1", "alice"));
        // Per owner, as AWS aliases are per account: bob's alias/payroll is his own, alice's is untouched.
        Assert.True(await Store.CreateAliasAsync("alias/payroll", "k2", "bob"));

        Assert.Equal("k1", await Store.ResolveAliasAsync("alice", "alias/payroll"));
        Assert.Equal("k2", await Store.ResolveAliasAsync("bob", "alias/payroll"));
        Assert.Null(await Store.ResolveAliasAsync("bob", "alias/app"));
        Assert.Null(await Store.ResolveAliasAsync("alice", "alias/none"));
        Assert.Equal([("alias/app", "k1"), ("alias/payroll", "k1")], await Store.ListAliasesAsync("alice"));
        Assert.Equal(4, (await Store.ListAliasesAsync(null)).Count);

        Assert.False(await Store.DeleteAliasAsync("bob", "alias/app"));
        Assert.True(await Store.DeleteAliasAsync("alice", "alias/payroll"));
        Assert.False(await Store.DeleteAliasAsync("alice", "alias/payroll"));
        Assert.Null(await Store.ResolveAliasAsync("alice", "alias/payroll"));
        Assert.Equal("k2", await Store.ResolveAliasAsync("bob", "alias/payroll"));
    }

    [ContractFact]
    public async Task An_alias_to_a_missing_key_is_refused()
    {
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.CreateAliasAsync("alias/x", "nope", "alice"));
    }

    private static KmsKeyRecord LifeKey(string id, params KmsKeyVersion[] versions) => new()
    {
        KeyId = id,
        Owner = "alice",
        Created = Sample.Instant,
        Versions = versions.Length > 0 ? versions : [Version(1)],
    };

    private static KmsKeyVersion Version(int v, KmsRotationType? type = null) =>
        new(v, RandomNumberGenerator.GetBytes(81), Sample.Instant.AddDays(v), type);

    [ContractFact]
    public async Task Rotation_settings_and_rotation_types_round_trip()
    {
        var key = LifeKey("k1", Version(1), Version(2, KmsRotationType.Automatic), Version(3, KmsRotationType.OnDemand)) with
        {
            RotationEnabled = true,
            RotationPeriodDays = 90,
            NextRotationDate = Sample.Instant.AddDays(90),
        };
        await Store.CreateKeyAsync(key);
        var read = await Store.GetKeyAsync("k1");
        Assert.NotNull(read);
        Assert.True(key.ContentEquals(read));
        Assert.Equal([null, KmsRotationType.Automatic, KmsRotationType.OnDemand], read.Versions.Select(v => v.RotationType));
    }

    [ContractFact]
    public async Task A_conditional_update_applies_only_over_the_record_it_was_based_on()
    {
        var original = LifeKey("k1");
        await Store.CreateKeyAsync(original);
        var disabled = original with { State = KmsKeyState.Disabled };
        Assert.True(await Store.TryUpdateKeyAsync(original, disabled));

        // A change computed from the stale record (say a rotation job that read it before the disable) is refused.
        var staleRotation = original with { Versions = [.. original.Versions, Version(2, KmsRotationType.Automatic)] };
        Assert.False(await Store.TryUpdateKeyAsync(original, staleRotation));
        var stored = await Store.GetKeyAsync("k1");
        Assert.Equal(KmsKeyState.Disabled, stored!.State);
        Assert.Single(stored.Versions);

        Assert.False(await Store.TryUpdateKeyAsync(LifeKey("missing"), LifeKey("missing")));
    }
}
