using Coffer.Crypto;
using Coffer.Crypto.Kms;

namespace Coffer.Crypto.Tests;

/// <summary>
/// The KMS key-state cache (docs/caches-and-jobs.md): its bound (size and lifetime), invalidation on this node, the
/// staleness bound across nodes (two KeyManagers over one store), rotation, and that sealing and opening object keys
/// do not read the key store on every use.
/// </summary>
public sealed class KeyStateCacheTests : IDisposable
{
    private static readonly Dictionary<string, string> Context = new() { ["coffer:bucket"] = "examplebucket" };
    private static readonly TimeSpan Lifetime = KeyManager.KeyStateLifetime;

    private readonly InMemoryKmsKeyStore _store = new();
    private readonly ManualClock _clock = new();
    private readonly RootKey _root = RootKey.Generate(out _);
    private readonly KeyManager _kms;

    public KeyStateCacheTests() => _kms = new KeyManager(_store, _root, _clock);

    public void Dispose() => _root.Dispose();

    private static KeyBinding Binding(string name) => new("examplebucket", name, KeyBinding.SseKms);

    private static KmsKeyRecord Record(string keyId, KmsKeyState state = KmsKeyState.Enabled) => new()
    {
        KeyId = keyId,
        Owner = "o",
        Created = DateTimeOffset.UnixEpoch,
        State = state,
        Versions = [],
    };

    // --- the cache itself -------------------------------------------------------------------------------------

    [Fact]
    public void Lookups_are_counted_as_hits_and_misses_for_the_metrics()
    {
        var cache = new KeyStateCache(_clock, 16, TimeSpan.FromSeconds(2));
        Assert.False(cache.TryGet("k", out _));                         // miss: not cached
        cache.Add(Record("k"), cache.Stamp());
        Assert.True(cache.TryGet("k", out _));                          // hit
        Assert.True(cache.TryGet("k", out _));                          // hit
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(cache.TryGet("k", out _));                         // miss: expired

        Assert.Equal(2, cache.Hits);
        Assert.Equal(2, cache.Misses);
    }

    [Fact]
    public void An_entry_is_used_until_one_lifetime_after_its_read_began_and_not_after()
    {
        var cache = new KeyStateCache(_clock, 16, TimeSpan.FromSeconds(2));
        var stamp = cache.Stamp();
        _clock.Advance(TimeSpan.FromMilliseconds(500)); // the read took this long
        cache.Add(Record("k"), stamp);

        Assert.True(cache.TryGet("k", out var hit));
        Assert.Equal("k", hit.KeyId);
        _clock.Advance(TimeSpan.FromMilliseconds(1499));
        Assert.True(cache.TryGet("k", out _));
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(cache.TryGet("k", out _));
    }

    [Fact]
    public void The_cache_never_holds_more_than_its_capacity()
    {
        var cache = new KeyStateCache(_clock, 3, TimeSpan.FromSeconds(2));
        for (int i = 0; i < 10; i++)
        {
            cache.Add(Record("k" + i), cache.Stamp());
            Assert.InRange(cache.Count, 1, 3);
        }

        Assert.True(cache.TryGet("k9", out _)); // the newest is always kept

        // When full, expired entries make room first and the fresh ones stay.
        var full = new KeyStateCache(_clock, 3, TimeSpan.FromSeconds(2));
        full.Add(Record("old"), full.Stamp());
        _clock.Advance(TimeSpan.FromSeconds(1));
        full.Add(Record("a"), full.Stamp());
        full.Add(Record("b"), full.Stamp());
        _clock.Advance(TimeSpan.FromSeconds(1)); // "old" has expired, "a" and "b" have not
        full.Add(Record("c"), full.Stamp());
        Assert.Equal(3, full.Count);
        Assert.True(full.TryGet("a", out _) && full.TryGet("b", out _) && full.TryGet("c", out _));
    }

    [Fact]
    public void Invalidation_removes_the_entry_and_a_read_begun_before_it_is_not_stored()
    {
        var cache = new KeyStateCache(_clock, 16, TimeSpan.FromSeconds(2));
        cache.Add(Record("k"), cache.Stamp());
        cache.Add(Record("other"), cache.Stamp());
        cache.Invalidate("k");
        Assert.False(cache.TryGet("k", out _));
        Assert.True(cache.TryGet("other", out _));

        var before = cache.Stamp();
        cache.Invalidate("k");
        cache.Add(Record("k"), before); // read before the change: may be the old state
        Assert.False(cache.TryGet("k", out _));
        cache.Add(Record("k"), cache.Stamp());
        Assert.True(cache.TryGet("k", out _));
    }

    [Theory]
    [InlineData(KmsKeyState.Disabled)]
    [InlineData(KmsKeyState.PendingDeletion)]
    [InlineData(KmsKeyState.Deleted)]
    public void Only_enabled_keys_are_kept(KmsKeyState state)
    {
        var cache = new KeyStateCache(_clock, 16, TimeSpan.FromSeconds(2));
        cache.Add(Record("k", state), cache.Stamp());
        Assert.False(cache.TryGet("k", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_zero_lifetime_keeps_nothing()
    {
        var cache = new KeyStateCache(_clock, 16, TimeSpan.Zero);
        cache.Add(Record("k"), cache.Stamp());
        Assert.False(cache.TryGet("k", out _));
    }

    // --- through the KMS ------------------------------------------------------------------------------------------

    [Fact]
    public async Task Sealing_and_opening_do_not_read_the_key_store_on_every_use()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("x"));
        int reads = _store.GetKeyCalls;

        for (int i = 0; i < 50; i++)
        {
            using var opened = await envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("x"));
            (await envelope.SealNewAsync(cmk.KeyId, Context, Binding("y" + i))).Key.Dispose();
        }

        Assert.Equal(reads, _store.GetKeyCalls);

        // One lifetime later the state is read again, once.
        _clock.Advance(Lifetime);
        using (await envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("x")))
        {
        }

        using (await envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("x")))
        {
        }

        Assert.Equal(reads + 1, _store.GetKeyCalls);
    }

    [Fact]
    public async Task Without_the_cache_every_use_reads_the_key_store()
    {
        // The counter the test above relies on does count: with a zero lifetime each open is a read.
        var uncached = new KeyManager(_store, _root, _clock, keyStateLifetime: TimeSpan.Zero);
        var cmk = await uncached.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(uncached);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("x"));
        int reads = _store.GetKeyCalls;
        for (int i = 0; i < 5; i++)
        {
            using var opened = await envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("x"));
        }

        Assert.Equal(reads + 5, _store.GetKeyCalls);
    }

    [Fact]
    public async Task Managed_keys_are_found_without_reading_the_alias_or_the_key_once_known()
    {
        var envelope = new KmsEnvelope(_kms);
        var service = await _kms.GetOrCreateServiceKeyAsync();
        (await envelope.SealNewAsync(service.KeyId, Context, Binding("first"))).Key.Dispose();
        var userDefault = await _kms.GetOrCreateDefaultKeyAsync("u1");
        await _kms.GetOrCreateDefaultKeyAsync("u1");
        var (keyReads, aliasReads) = (_store.GetKeyCalls, _store.ResolveAliasCalls);

        for (int i = 0; i < 20; i++)
        {
            var again = await _kms.GetOrCreateServiceKeyAsync();
            Assert.Equal(service.KeyId, again.KeyId);
            (await envelope.SealNewAsync(again.KeyId, Context, Binding("o" + i))).Key.Dispose();
            Assert.Equal(userDefault.KeyId, (await _kms.GetOrCreateDefaultKeyAsync("u1")).KeyId);
        }

        Assert.Equal((keyReads, aliasReads), (_store.GetKeyCalls, _store.ResolveAliasCalls));
        Assert.NotEqual(service.KeyId, userDefault.KeyId);
    }

    [Theory]
    [InlineData("disable")]
    [InlineData("schedule")]
    [InlineData("destroy")]
    public async Task A_change_made_through_this_node_refuses_the_next_use_although_the_state_was_cached(string change)
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));
        using (await envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a")))
        {
        }

        Assert.True(_kms.KeyStates.TryGet(cmk.KeyId, out _));
        var expected = KmsErrorKind.Disabled;
        switch (change)
        {
            case "disable":
                await _kms.DisableKeyAsync(cmk.KeyId);
                break;
            case "schedule":
                await _kms.ScheduleKeyDeletionAsync(cmk.KeyId, 7);
                expected = KmsErrorKind.PendingDeletion;
                break;
            default:
                await _kms.ScheduleKeyDeletionAsync(cmk.KeyId, 7);
                _clock.Advance(TimeSpan.FromDays(7));
                Assert.Equal(1, await _kms.DeleteExpiredKeysAsync());
                expected = KmsErrorKind.NotFound;
                break;
        }

        Assert.False(_kms.KeyStates.TryGet(cmk.KeyId, out _));
        Assert.Equal(expected, (await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a")))).Kind);
        Assert.Equal(expected, (await Assert.ThrowsAsync<KmsException>(() => envelope.SealNewAsync(cmk.KeyId, Context, Binding("b")))).Kind);
        Assert.Equal(expected, (await Assert.ThrowsAsync<KmsException>(() => _kms.GenerateDataKeyAsync(cmk.KeyId, Context))).Kind);
    }

    [Fact]
    public async Task Enabling_again_through_this_node_is_used_at_once()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));
        await _kms.DisableKeyAsync(cmk.KeyId);
        await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a")));

        await _kms.EnableKeyAsync(cmk.KeyId);
        using var opened = await envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a"));
        Assert.True(opened.KeyEquals(sealedKey.Key));
    }

    [Fact]
    public async Task A_use_racing_a_disable_does_not_put_the_old_state_back()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));
        _clock.Advance(Lifetime); // nothing cached: the next use reads the store

        // The read returns the Enabled record, and the key is disabled (through this node) before the read returns.
        _store.DuringNextGet = () => _kms.DisableKeyAsync(cmk.KeyId);
        await _kms.EnsureUsableAsync(cmk.KeyId); // passes: it began before the disable was done

        Assert.False(_kms.KeyStates.TryGet(cmk.KeyId, out _));
        Assert.Equal(KmsErrorKind.Disabled, (await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a")))).Kind);
    }

    [Fact]
    public async Task A_key_disabled_through_another_node_is_refused_here_within_the_lifetime()
    {
        var otherNode = new KeyManager(_store, _root, _clock);
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));

        await otherNode.DisableKeyAsync(cmk.KeyId);
        _clock.Advance(Lifetime - TimeSpan.FromMilliseconds(1));
        using (await envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a")))
        {
            // within the bound this node may still serve it: it has not read the key since
        }

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(KmsErrorKind.Disabled, (await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a")))).Kind);
        Assert.Equal(KmsErrorKind.Disabled, (await Assert.ThrowsAsync<KmsException>(() => envelope.SealNewAsync(cmk.KeyId, Context, Binding("b")))).Kind);
        Assert.Equal(0, envelope.CachedCount); // the refusal dropped this node's bucket keys under the CMK
    }

    [Fact]
    public async Task An_object_sealed_after_a_rotation_on_another_node_opens_here_while_the_old_state_is_cached()
    {
        var otherNode = new KeyManager(_store, _root, _clock);
        var cmk = await _kms.CreateKeyAsync("o");
        var here = new KmsEnvelope(_kms);
        (await here.SealNewAsync(cmk.KeyId, Context, Binding("before"))).Key.Dispose(); // caches version 1's state
        Assert.True(_kms.KeyStates.TryGet(cmk.KeyId, out var cached));
        Assert.Single(cached.Versions);

        await otherNode.RotateKeyOnDemandAsync(cmk.KeyId);
        var there = await new KmsEnvelope(otherNode).SealNewAsync(cmk.KeyId, Context, Binding("after"));
        Assert.Equal(2, there.KeyVersion);

        var opened = await here.UnsealWithDetailsAsync(there.SealedKey, Context, Binding("after"));
        using var key = opened.Key;
        Assert.True(key.KeyEquals(there.Key));
        Assert.Equal(2, opened.KeyVersion);
        Assert.True(_kms.KeyStates.TryGet(cmk.KeyId, out var refreshed));
        Assert.Equal(2, refreshed.Versions.Count); // and this node seals under version 2 from now on
        var sealedHere = await here.SealNewAsync(cmk.KeyId, Context, Binding("later"));
        Assert.Equal(2, sealedHere.KeyVersion);
    }

    [Fact]
    public async Task A_rotation_through_this_node_seals_under_the_new_version_at_once()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        (await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"))).Key.Dispose();
        await _kms.RotateKeyOnDemandAsync(cmk.KeyId);
        var after = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("b"));
        Assert.Equal(2, after.KeyVersion);
    }

    [Fact]
    public async Task A_write_naming_a_cached_key_finds_its_owner_without_a_store_read_and_another_owner_still_gets_not_found()
    {
        var cmk = await _kms.CreateKeyAsync("alice");
        await _kms.EnsureUsableAsync(cmk.KeyId); // cached
        int reads = _store.GetKeyCalls;

        Assert.Equal(cmk.KeyId, (await _kms.DescribeOwnKeyForUseAsync("alice", cmk.KeyId)).KeyId);
        Assert.Equal(reads, _store.GetKeyCalls);
        var refused = await Assert.ThrowsAsync<KmsException>(() => _kms.DescribeOwnKeyForUseAsync("mallory", cmk.KeyId));
        Assert.Equal(KmsErrorKind.NotFound, refused.Kind);
        var service = await _kms.GetOrCreateServiceKeyAsync();
        await _kms.EnsureUsableAsync(service.KeyId);
        Assert.Equal(KmsErrorKind.NotFound, (await Assert.ThrowsAsync<KmsException>(() => _kms.DescribeOwnKeyForUseAsync(KeyManager.ServiceOwner, service.KeyId))).Kind);

        // A disabled key is not cached: it is described from the store, in its state, for the seal to refuse.
        await _kms.DisableKeyAsync(cmk.KeyId);
        Assert.Equal(KmsKeyState.Disabled, (await _kms.DescribeOwnKeyForUseAsync("alice", cmk.KeyId)).State);
    }

    [Fact]
    public async Task Changes_read_the_store_not_the_cache()
    {
        // A cached (stale) record must not be the base of a compare-and-set: another node disabled and re-enabled the
        // key with a new rotation schedule meanwhile, and this node's change still goes through.
        var otherNode = new KeyManager(_store, _root, _clock);
        var cmk = await _kms.CreateKeyAsync("o");
        await _kms.EnsureUsableAsync(cmk.KeyId); // cached here
        await otherNode.EnableKeyRotationAsync(cmk.KeyId, 100);

        await _kms.DisableKeyAsync(cmk.KeyId);
        var stored = await _kms.DescribeKeyAsync(cmk.KeyId);
        Assert.Equal((KmsKeyState.Disabled, true, 100), (stored.State, stored.RotationEnabled, stored.RotationPeriodDays));
    }
}
