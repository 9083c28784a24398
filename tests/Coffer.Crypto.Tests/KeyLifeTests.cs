using Coffer.Crypto;
using Coffer.Crypto.Kms;

namespace Coffer.Crypto.Tests;

/// <summary>Rotation (on demand, automatic, service keys), ReEncrypt, the time scale, key events, concurrent changes.</summary>
public sealed class KeyLifeTests : IDisposable
{
    private static readonly Dictionary<string, string> Context = new() { ["coffer:bucket"] = "examplebucket" };

    private readonly InMemoryKmsKeyStore _store = new();
    private readonly ManualClock _clock = new();
    private readonly RootKey _root = RootKey.Generate(out _);
    private readonly KeyManager _kms;
    private readonly List<KmsKeyEvent> _events = [];

    public KeyLifeTests()
    {
        _kms = new KeyManager(_store, _root, _clock);
        _kms.KeyChanged += e =>
        {
            lock (_events)
            {
                _events.Add(e);
            }
        };
    }

    public void Dispose() => _root.Dispose();

    private static int VersionOf(byte[] blob)
    {
        Assert.True(KeyManager.TryReadCiphertextHeader(blob, out _, out int version));
        return version;
    }

    [Fact]
    public async Task After_an_on_demand_rotation_new_data_keys_use_the_new_version_and_old_ones_still_decrypt()
    {
        var key = await _kms.CreateKeyAsync("o");
        using var before = (await _kms.GenerateDataKeyAsync(key.KeyId, Context)).Plaintext;
        var beforeBlob = await _kms.EncryptAsync(key.KeyId, before.Bytes.ToArray(), Context);

        var rotated = await _kms.RotateKeyOnDemandAsync(key.KeyId);
        Assert.Equal([1, 2], rotated.Versions.Select(v => v.Version));
        Assert.Equal(KmsRotationType.OnDemand, rotated.Versions[1].RotationType);
        Assert.Equal(new KmsKeyEvent(key.KeyId, KmsKeyEventKind.Rotated, 2, KmsRotationType.OnDemand), Assert.Single(_events));

        var after = await _kms.GenerateDataKeyAsync(key.KeyId, Context);
        using var afterKey = after.Plaintext;
        Assert.Equal(2, VersionOf(after.CiphertextBlob));
        Assert.Equal(1, VersionOf(beforeBlob));
        Assert.Equal(before.Bytes.ToArray(), (await _kms.DecryptAsync(beforeBlob, Context)).Plaintext);
        Assert.Equal(afterKey.Bytes.ToArray(), (await _kms.DecryptAsync(after.CiphertextBlob, Context)).Plaintext);

        // Enabling rotation is independent of on-demand rotations; the status reports the last one.
        var status = await _kms.GetKeyRotationStatusAsync(key.KeyId);
        Assert.False(status.RotationEnabled);
        Assert.Equal(_clock.GetUtcNow(), status.OnDemandRotationStartDate);
    }

    [Fact]
    public async Task On_demand_rotation_is_limited_to_ten_and_refused_for_service_keys_and_unusable_keys()
    {
        var key = await _kms.CreateKeyAsync("o");
        for (int i = 0; i < KeyManager.MaxOnDemandRotations; i++)
            await _kms.RotateKeyOnDemandAsync(key.KeyId);
        Assert.Equal(KmsErrorKind.LimitExceeded, (await Assert.ThrowsAsync<KmsException>(() => _kms.RotateKeyOnDemandAsync(key.KeyId))).Kind);

        var service = await _kms.GetOrCreateServiceKeyAsync();
        Assert.Equal(KmsErrorKind.Unsupported, (await Assert.ThrowsAsync<KmsException>(() => _kms.RotateKeyOnDemandAsync(service.KeyId))).Kind);

        var disabled = await _kms.CreateKeyAsync("o");
        await _kms.DisableKeyAsync(disabled.KeyId);
        Assert.Equal(KmsErrorKind.Disabled, (await Assert.ThrowsAsync<KmsException>(() => _kms.RotateKeyOnDemandAsync(disabled.KeyId))).Kind);
    }

    [Fact]
    public async Task Automatic_rotation_happens_when_due_and_schedules_the_next_one()
    {
        var key = await _kms.CreateKeyAsync("o");
        await _kms.EnableKeyRotationAsync(key.KeyId, 90);
        var status = await _kms.GetKeyRotationStatusAsync(key.KeyId);
        Assert.Equal((true, 90, _clock.GetUtcNow().AddDays(90)), (status.RotationEnabled, status.RotationPeriodDays, status.NextRotationDate));

        _clock.Advance(TimeSpan.FromDays(89));
        Assert.Empty(await _kms.RotateDueKeysAsync());
        _clock.Advance(TimeSpan.FromDays(1));
        var rotated = Assert.Single(await _kms.RotateDueKeysAsync());
        Assert.Equal(key.KeyId, rotated.KeyId);
        Assert.Equal(KmsRotationType.Automatic, rotated.Versions[^1].RotationType);
        Assert.Equal(_clock.GetUtcNow().AddDays(90), (await _kms.GetKeyRotationStatusAsync(key.KeyId)).NextRotationDate);
        Assert.Empty(await _kms.RotateDueKeysAsync());

        await _kms.DisableKeyRotationAsync(key.KeyId);
        _clock.Advance(TimeSpan.FromDays(400));
        Assert.Empty(await _kms.RotateDueKeysAsync());
        Assert.Equal(2, (await _kms.DescribeKeyAsync(key.KeyId)).Versions.Count);
    }

    [Fact]
    public async Task A_disabled_key_is_not_rotated_until_enabled_and_then_at_once()
    {
        var key = await _kms.CreateKeyAsync("o");
        await _kms.EnableKeyRotationAsync(key.KeyId);
        await _kms.DisableKeyAsync(key.KeyId);
        _clock.Advance(TimeSpan.FromDays(366));
        Assert.Empty(await _kms.RotateDueKeysAsync());
        Assert.True((await _kms.GetKeyRotationStatusAsync(key.KeyId)).RotationEnabled);

        await _kms.EnableKeyAsync(key.KeyId);
        Assert.Single(await _kms.RotateDueKeysAsync());
    }

    [Fact]
    public async Task A_key_pending_deletion_reports_no_rotation_and_is_not_rotated()
    {
        var key = await _kms.CreateKeyAsync("o");
        await _kms.EnableKeyRotationAsync(key.KeyId, 90);
        await _kms.ScheduleKeyDeletionAsync(key.KeyId, 30);
        Assert.False((await _kms.GetKeyRotationStatusAsync(key.KeyId)).RotationEnabled);
        _clock.Advance(TimeSpan.FromDays(29));
        await _kms.CancelKeyDeletionAsync(key.KeyId);
        Assert.True((await _kms.GetKeyRotationStatusAsync(key.KeyId)).RotationEnabled);
    }

    [Fact]
    public async Task Service_managed_keys_rotate_yearly_and_their_rotation_cannot_be_configured()
    {
        var service = await _kms.GetOrCreateServiceKeyAsync();
        var status = await _kms.GetKeyRotationStatusAsync(service.KeyId);
        Assert.Equal((true, 365), (status.RotationEnabled, status.RotationPeriodDays));
        Assert.Equal(KmsErrorKind.AccessDenied, (await Assert.ThrowsAsync<KmsException>(() => _kms.DisableKeyRotationAsync(service.KeyId))).Kind);
        Assert.Equal(KmsErrorKind.AccessDenied, (await Assert.ThrowsAsync<KmsException>(() => _kms.EnableKeyRotationAsync(service.KeyId, 90))).Kind);

        _clock.Advance(TimeSpan.FromDays(365));
        Assert.Equal(service.KeyId, Assert.Single(await _kms.RotateDueKeysAsync()).KeyId);
    }

    [Theory]
    [InlineData(89)]
    [InlineData(2561)]
    [InlineData(0)]
    public async Task Rotation_periods_outside_90_to_2560_days_are_invalid(int days)
    {
        var key = await _kms.CreateKeyAsync("o");
        Assert.Equal(KmsErrorKind.InvalidArgument, (await Assert.ThrowsAsync<KmsException>(() => _kms.EnableKeyRotationAsync(key.KeyId, days))).Kind);
    }

    [Fact]
    public async Task The_time_scale_divides_deletion_windows_and_rotation_periods()
    {
        var fast = new KeyManager(_store, _root, _clock, timeScale: 86_400); // a day becomes a second
        var key = await fast.CreateKeyAsync("o");
        await fast.EnableKeyRotationAsync(key.KeyId, 90);
        Assert.Equal(_clock.GetUtcNow().AddSeconds(90), (await fast.GetKeyRotationStatusAsync(key.KeyId)).NextRotationDate);
        // The period is reported as configured.
        Assert.Equal(90, (await fast.GetKeyRotationStatusAsync(key.KeyId)).RotationPeriodDays);
        Assert.Equal(_clock.GetUtcNow().AddSeconds(7), await fast.ScheduleKeyDeletionAsync(key.KeyId, 7));
        _clock.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(1, await fast.DeleteExpiredKeysAsync());
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyManager(_store, _root, _clock, timeScale: 0));
    }

    [Fact]
    public async Task Destroying_a_key_removes_every_version_and_is_announced_once()
    {
        var key = await _kms.CreateKeyAsync("o");
        await _kms.RotateKeyOnDemandAsync(key.KeyId);
        var blob = (await _kms.GenerateDataKeyAsync(key.KeyId, Context)).CiphertextBlob;
        await _kms.ScheduleKeyDeletionAsync(key.KeyId, 7);
        _clock.Advance(TimeSpan.FromDays(7));

        Assert.Equal(1, await _kms.DeleteExpiredKeysAsync());
        Assert.Equal(0, await _kms.DeleteExpiredKeysAsync());
        var stored = _store.AllKeys.Single(k => k.KeyId == key.KeyId);
        Assert.Equal((KmsKeyState.Deleted, 0), (stored.State, stored.Versions.Count));
        Assert.Equal(
            [KmsKeyEventKind.Rotated, KmsKeyEventKind.DeletionScheduled, KmsKeyEventKind.Destroyed],
            _events.Select(e => e.Kind));
        Assert.Equal(KmsErrorKind.NotFound, (await Assert.ThrowsAsync<KmsException>(() => _kms.DecryptAsync(blob, Context))).Kind);
        Assert.Equal(KmsErrorKind.NotFound, (await Assert.ThrowsAsync<KmsException>(() => _kms.DescribeKeyAsync(key.KeyId))).Kind);
    }

    [Fact]
    public async Task A_lazily_shredded_key_is_announced_too()
    {
        var key = await _kms.CreateKeyAsync("o");
        await _kms.ScheduleKeyDeletionAsync(key.KeyId, 7);
        _clock.Advance(TimeSpan.FromDays(8));
        await Assert.ThrowsAsync<KmsException>(() => _kms.DescribeKeyAsync(key.KeyId));
        Assert.Equal(KmsKeyEventKind.Destroyed, _events[^1].Kind);
        Assert.Equal(0, await _kms.DeleteExpiredKeysAsync());
    }

    [Fact]
    public async Task Re_encrypt_moves_a_blob_to_another_key_and_context_without_revealing_it()
    {
        var source = await _kms.CreateKeyAsync("o");
        var destination = await _kms.CreateKeyAsync("o");
        var secret = "re-encrypt me"u8.ToArray();
        var blob = await _kms.EncryptAsync(source.KeyId, secret, Context);
        var newContext = new Dictionary<string, string> { ["purpose"] = "moved" };

        var result = await _kms.ReEncryptAsync(blob, Context, destination.KeyId, newContext);
        Assert.Equal((source.KeyId, destination.KeyId), (result.SourceKeyId, result.KeyId));
        Assert.True(KeyManager.TryReadCiphertextHeader(result.CiphertextBlob, out var named, out _));
        Assert.Equal(destination.KeyId, named);
        Assert.Equal(secret, (await _kms.DecryptAsync(result.CiphertextBlob, newContext)).Plaintext);
        Assert.Equal(KmsErrorKind.InvalidCiphertext, (await Assert.ThrowsAsync<KmsException>(() => _kms.DecryptAsync(result.CiphertextBlob, Context))).Kind);

        // The source context must match; an unusable destination refuses before anything is decrypted.
        Assert.Equal(KmsErrorKind.InvalidCiphertext, (await Assert.ThrowsAsync<KmsException>(() => _kms.ReEncryptAsync(blob, newContext, destination.KeyId, newContext))).Kind);
        await _kms.DisableKeyAsync(destination.KeyId);
        long decrypts = _kms.DecryptCalls;
        Assert.Equal(KmsErrorKind.Disabled, (await Assert.ThrowsAsync<KmsException>(() => _kms.ReEncryptAsync(blob, Context, destination.KeyId, newContext))).Kind);
        Assert.Equal(decrypts, _kms.DecryptCalls);
    }

    [Fact]
    public async Task A_rotation_computed_from_a_stale_record_does_not_undo_a_disable()
    {
        var key = await _kms.CreateKeyAsync("o");
        await _kms.EnableKeyRotationAsync(key.KeyId, 90);
        _clock.Advance(TimeSpan.FromDays(91));
        // Another node disables the key just after this node's job read the key list.
        var racing = new DisableBeforeUpdateStore(_store, () => _kms.DisableKeyAsync(key.KeyId));
        var job = new KeyManager(racing, _root, _clock);

        Assert.Empty(await job.RotateDueKeysAsync());
        var stored = await _kms.DescribeKeyAsync(key.KeyId);
        Assert.Equal(KmsKeyState.Disabled, stored.State);
        Assert.Single(stored.Versions);
    }

    [Fact]
    public async Task Concurrent_rotations_each_add_a_version()
    {
        var key = await _kms.CreateKeyAsync("o");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _kms.RotateKeyOnDemandAsync(key.KeyId))));
        Assert.Equal(Enumerable.Range(1, 9), (await _kms.DescribeKeyAsync(key.KeyId)).Versions.Select(v => v.Version));
    }

    [Fact]
    public void A_malformed_blob_has_no_header()
    {
        Assert.False(KeyManager.TryReadCiphertextHeader(new byte[10], out _, out _));
    }

    /// <summary>Runs another writer's change once, right before this node's first conditional update.</summary>
    private sealed class DisableBeforeUpdateStore(InMemoryKmsKeyStore inner, Func<Task> before) : IKmsKeyStore
    {
        private Func<Task>? _hook = before;

        public Task CreateKeyAsync(KmsKeyRecord key, CancellationToken ct = default) => inner.CreateKeyAsync(key, ct);

        public Task<KmsKeyRecord?> GetKeyAsync(string keyId, CancellationToken ct = default) => inner.GetKeyAsync(keyId, ct);

        public Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default) => inner.ListKeysAsync(owner, ct);

        public Task UpdateKeyAsync(KmsKeyRecord key, CancellationToken ct = default) => inner.UpdateKeyAsync(key, ct);

        public async Task<bool> TryUpdateKeyAsync(KmsKeyRecord expected, KmsKeyRecord replacement, CancellationToken ct = default)
        {
            if (Interlocked.Exchange(ref _hook, null) is { } hook)
            {
                await hook();
            }

            return await inner.TryUpdateKeyAsync(expected, replacement, ct);
        }

        public Task<bool> CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default) => inner.CreateAliasAsync(alias, keyId, owner, ct);

        public Task<string?> ResolveAliasAsync(string owner, string alias, CancellationToken ct = default) => inner.ResolveAliasAsync(owner, alias, ct);

        public Task<IReadOnlyList<(string Alias, string KeyId)>> ListAliasesAsync(string? owner, CancellationToken ct = default) => inner.ListAliasesAsync(owner, ct);

        public Task<bool> DeleteAliasAsync(string owner, string alias, CancellationToken ct = default) => inner.DeleteAliasAsync(owner, alias, ct);
    }
}
