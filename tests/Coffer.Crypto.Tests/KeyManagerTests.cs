using Coffer.Crypto;
using Coffer.Crypto.Kms;

namespace Coffer.Crypto.Tests;

public sealed class KeyManagerTests : IDisposable
{
    private static readonly Dictionary<string, string> Context = new() { ["aws:s3:arn"] = "arn:aws:s3:::examplebucket/photos/cat.jpg" };

    private readonly InMemoryKmsKeyStore _store = new();
    private readonly ManualClock _clock = new();
    private readonly RootKey _root = RootKey.Generate(out _);
    private readonly KeyManager _kms;

    public KeyManagerTests() => _kms = new KeyManager(_store, _root, _clock);

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task A_created_key_is_enabled_customer_managed_and_holds_only_sealed_material()
    {
        var key = await _kms.CreateKeyAsync("1250000000", "photos");
        Assert.True(Guid.TryParse(key.KeyId, out _));
        Assert.Equal(("1250000000", "photos", KmsKeyState.Enabled, KmsKeyManager.Customer), (key.Owner, key.Description, key.State, key.Manager));
        var version = Assert.Single(key.Versions);
        Assert.Equal(1, version.Version);
        Assert.Equal(32 + RootKey.SealOverhead, version.SealedMaterial.Length);
        Assert.Equal(_clock.GetUtcNow(), key.Created);
        Assert.Equal(key.KeyId, (await _kms.DescribeKeyAsync(key.KeyId)).KeyId);
    }

    [Theory]
    [InlineData("{id}")]
    [InlineData("alias/photos")]
    [InlineData("arn:aws:kms:ap-guangzhou:1250000000:key/{id}")]
    [InlineData("arn:aws:kms:ap-guangzhou:1250000000:alias/photos")]
    [InlineData("arn:qcs:kms:ap-guangzhou:uin/100000000001:alias/photos")]
    public async Task Keys_resolve_by_id_alias_and_arn(string reference)
    {
        var key = await _kms.CreateKeyAsync("1250000000");
        await _kms.CreateAliasAsync("alias/photos", key.KeyId, "1250000000");
        var described = await _kms.DescribeOwnKeyAsync("1250000000", reference.Replace("{id}", key.KeyId));
        Assert.Equal(key.KeyId, described.KeyId);
        using var dataKey = (await _kms.GenerateDataKeyAsync(described.KeyId, Context)).Plaintext;
    }

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    [InlineData("alias/nothing")]
    [InlineData("arn:aws:kms:region:account:key/00000000-0000-0000-0000-000000000000")]
    [InlineData("arn:aws:kms:broken")]
    public async Task Unknown_keys_are_not_found(string reference)
    {
        var e = await Assert.ThrowsAsync<KmsException>(() => _kms.DescribeKeyAsync(reference));
        Assert.Equal(KmsErrorKind.NotFound, e.Kind);
        e = await Assert.ThrowsAsync<KmsException>(() => _kms.GenerateDataKeyAsync(reference, Context));
        Assert.Equal(KmsErrorKind.NotFound, e.Kind);
    }

    [Fact]
    public async Task A_data_key_decrypts_back_with_the_same_context_in_any_order()
    {
        var key = await _kms.CreateKeyAsync("o");
        var context = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" };
        var dataKey = await _kms.GenerateDataKeyAsync(key.KeyId, context);
        using var plaintext = dataKey.Plaintext;
        Assert.Equal(key.KeyId, dataKey.KeyId);
        var reordered = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["b"] = "2", ["a"] = "1" };
        var result = await _kms.DecryptAsync(dataKey.CiphertextBlob, reordered.AsReadOnly());
        Assert.Equal(key.KeyId, result.KeyId);
        Assert.Equal(plaintext.Bytes.ToArray(), result.Plaintext);
        Assert.Equal((1, 1), (_kms.GenerateCalls, _kms.DecryptCalls));
    }

    public static TheoryData<Dictionary<string, string>> OtherContexts() => new()
    {
        new Dictionary<string, string>(),
        new Dictionary<string, string> { ["aws:s3:arn"] = "arn:aws:s3:::examplebucket/photos/dog.jpg" },
        new Dictionary<string, string> { ["AWS:S3:ARN"] = "arn:aws:s3:::examplebucket/photos/cat.jpg" },
        new Dictionary<string, string> { ["aws:s3:arn"] = "arn:aws:s3:::examplebucket/photos/cat.jpg", ["extra"] = "" },
    };

    [Theory]
    [MemberData(nameof(OtherContexts))]
    public async Task A_different_context_is_an_invalid_ciphertext(Dictionary<string, string> other)
    {
        var key = await _kms.CreateKeyAsync("o");
        var dataKey = await _kms.GenerateDataKeyAsync(key.KeyId, Context);
        dataKey.Plaintext.Dispose();
        var e = await Assert.ThrowsAsync<KmsException>(() => _kms.DecryptAsync(dataKey.CiphertextBlob, other));
        Assert.Equal(KmsErrorKind.InvalidCiphertext, e.Kind);
    }

    [Fact]
    public async Task Tampered_or_malformed_blobs_are_invalid_ciphertexts()
    {
        var key = await _kms.CreateKeyAsync("o");
        byte[] blob = await _kms.EncryptAsync(key.KeyId, new byte[] { 1, 2, 3 }, Context);
        foreach (int at in new[] { blob.Length - 1, blob.Length - 20, 50, 0 })
        {
            byte[] tampered = (byte[])blob.Clone();
            tampered[at] ^= 1;
            var e = await Assert.ThrowsAsync<KmsException>(() => _kms.DecryptAsync(tampered, Context));
            Assert.Equal(KmsErrorKind.InvalidCiphertext, e.Kind);
        }

        Assert.Equal(KmsErrorKind.InvalidCiphertext, (await Assert.ThrowsAsync<KmsException>(() => _kms.DecryptAsync(new byte[3], Context))).Kind);
        Assert.Equal(new byte[] { 1, 2, 3 }, (await _kms.DecryptAsync(blob, Context)).Plaintext);
    }

    [Fact]
    public async Task A_disabled_key_refuses_generate_decrypt_and_the_state_check_until_enabled()
    {
        var key = await _kms.CreateKeyAsync("o");
        var dataKey = await _kms.GenerateDataKeyAsync(key.KeyId, Context);
        dataKey.Plaintext.Dispose();

        await _kms.DisableKeyAsync(key.KeyId);
        Assert.Equal(KmsKeyState.Disabled, (await _kms.DescribeKeyAsync(key.KeyId)).State);
        await AssertAllRefuse(key.KeyId, dataKey.CiphertextBlob, KmsErrorKind.Disabled);

        await _kms.EnableKeyAsync(key.KeyId);
        await _kms.EnsureUsableAsync(key.KeyId);
        Assert.Equal(32, (await _kms.DecryptAsync(dataKey.CiphertextBlob, Context)).Plaintext.Length);
    }

    [Fact]
    public async Task Scheduled_deletion_refuses_use_cancel_returns_to_disabled_then_enable_restores()
    {
        var key = await _kms.CreateKeyAsync("o");
        var dataKey = await _kms.GenerateDataKeyAsync(key.KeyId, Context);
        dataKey.Plaintext.Dispose();

        var date = await _kms.ScheduleKeyDeletionAsync(key.KeyId, 7);
        Assert.Equal(_clock.GetUtcNow().AddDays(7), date);
        var described = await _kms.DescribeKeyAsync(key.KeyId);
        Assert.Equal((KmsKeyState.PendingDeletion, (DateTimeOffset?)date), (described.State, described.DeletionDate));
        await AssertAllRefuse(key.KeyId, dataKey.CiphertextBlob, KmsErrorKind.PendingDeletion);
        Assert.Equal(KmsErrorKind.InvalidState, (await Assert.ThrowsAsync<KmsException>(() => _kms.EnableKeyAsync(key.KeyId))).Kind);
        Assert.Equal(KmsErrorKind.InvalidState, (await Assert.ThrowsAsync<KmsException>(() => _kms.ScheduleKeyDeletionAsync(key.KeyId, 10))).Kind);

        await _kms.CancelKeyDeletionAsync(key.KeyId);
        described = await _kms.DescribeKeyAsync(key.KeyId);
        Assert.Equal((KmsKeyState.Disabled, (DateTimeOffset?)null), (described.State, described.DeletionDate));
        await AssertAllRefuse(key.KeyId, dataKey.CiphertextBlob, KmsErrorKind.Disabled);
        Assert.Equal(KmsErrorKind.InvalidState, (await Assert.ThrowsAsync<KmsException>(() => _kms.CancelKeyDeletionAsync(key.KeyId))).Kind);

        await _kms.EnableKeyAsync(key.KeyId);
        await _kms.DecryptAsync(dataKey.CiphertextBlob, Context);
    }

    [Fact]
    public async Task After_the_pending_window_the_key_is_shredded_and_gone()
    {
        var key = await _kms.CreateKeyAsync("o");
        var dataKey = await _kms.GenerateDataKeyAsync(key.KeyId, Context);
        dataKey.Plaintext.Dispose();
        await _kms.ScheduleKeyDeletionAsync(key.KeyId, 30);
        _clock.Advance(TimeSpan.FromDays(29));
        Assert.Equal(0, await _kms.DeleteExpiredKeysAsync());
        _clock.Advance(TimeSpan.FromDays(1));

        await AssertAllRefuse(key.KeyId, dataKey.CiphertextBlob, KmsErrorKind.NotFound);
        var stored = _store.AllKeys.Single(k => k.KeyId == key.KeyId);
        Assert.Equal(KmsKeyState.Deleted, stored.State);
        Assert.Empty(stored.Versions);
        Assert.DoesNotContain(await _kms.ListKeysAsync("o"), k => k.KeyId == key.KeyId);
    }

    [Fact]
    public async Task The_deletion_job_shreds_every_expired_key()
    {
        var a = await _kms.CreateKeyAsync("o");
        var b = await _kms.CreateKeyAsync("o");
        await _kms.CreateKeyAsync("o");
        await _kms.ScheduleKeyDeletionAsync(a.KeyId, 7);
        await _kms.ScheduleKeyDeletionAsync(b.KeyId, 8);
        _clock.Advance(TimeSpan.FromDays(9));
        Assert.Equal(2, await _kms.DeleteExpiredKeysAsync());
        Assert.Single(await _kms.ListKeysAsync("o"));
    }

    [Theory]
    [InlineData(6)]
    [InlineData(31)]
    [InlineData(0)]
    public async Task Pending_windows_outside_7_to_30_days_are_invalid(int days)
    {
        var key = await _kms.CreateKeyAsync("o");
        Assert.Equal(KmsErrorKind.InvalidArgument, (await Assert.ThrowsAsync<KmsException>(() => _kms.ScheduleKeyDeletionAsync(key.KeyId, days))).Kind);
    }

    [Fact]
    public async Task The_service_key_is_created_once_and_users_cannot_disable_delete_or_alias_it()
    {
        var key = await _kms.GetOrCreateServiceKeyAsync();
        Assert.Equal(key.KeyId, (await _kms.GetOrCreateServiceKeyAsync()).KeyId);
        Assert.Equal(key.KeyId, (await _kms.DescribeKeyAsync(KeyManager.ServiceKeyAlias)).KeyId);
        Assert.Equal(KmsKeyManager.Service, key.Manager);

        Assert.Equal(KmsErrorKind.AccessDenied, (await Assert.ThrowsAsync<KmsException>(() => _kms.DisableKeyAsync(key.KeyId))).Kind);
        Assert.Equal(KmsErrorKind.AccessDenied, (await Assert.ThrowsAsync<KmsException>(() => _kms.ScheduleKeyDeletionAsync(key.KeyId, 7))).Kind);
        // No user owns it, so to every user it does not exist.
        Assert.Equal(KmsErrorKind.NotFound, (await Assert.ThrowsAsync<KmsException>(() => _kms.CreateAliasAsync("alias/mine", key.KeyId, "o"))).Kind);
        Assert.Equal(KmsErrorKind.NotFound, (await Assert.ThrowsAsync<KmsException>(() => _kms.CreateAliasAsync("alias/mine", key.KeyId, KeyManager.ServiceOwner))).Kind);
        await _kms.EnsureUsableAsync(KeyManager.ServiceKeyAlias);
    }

    [Fact]
    public async Task Concurrent_first_uses_create_one_service_key()
    {
        var keys = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => _kms.GetOrCreateServiceKeyAsync())));
        Assert.Single(keys.Select(k => k.KeyId).Distinct());
        Assert.Single(_store.AllKeys, k => k.Manager == KmsKeyManager.Service && k.State != KmsKeyState.Deleted);
    }

    [Fact]
    public async Task A_node_that_loses_the_alias_race_shreds_its_own_key_and_uses_the_winner()
    {
        var otherNode = new KeyManager(_store, _root, _clock);
        KmsKeyRecord? winner = null;
        var racing = new AliasRaceStore(_store, async () => winner = await otherNode.GetOrCreateServiceKeyAsync());
        var thisNode = new KeyManager(racing, _root, _clock);

        var used = await thisNode.GetOrCreateServiceKeyAsync();

        Assert.Equal(winner!.KeyId, used.KeyId);
        var loser = _store.AllKeys.Single(k => k.Manager == KmsKeyManager.Service && k.KeyId != winner.KeyId);
        Assert.Equal(KmsKeyState.Deleted, loser.State);
        Assert.Empty(loser.Versions);
    }

    /// <summary>Runs another node's work just before this node creates an alias (once).</summary>
    private sealed class AliasRaceStore(InMemoryKmsKeyStore inner, Func<Task> beforeCreateAlias) : IKmsKeyStore
    {
        private Func<Task>? _hook = beforeCreateAlias;

        public Task CreateKeyAsync(KmsKeyRecord key, CancellationToken ct = default) => inner.CreateKeyAsync(key, ct);

        public Task<KmsKeyRecord?> GetKeyAsync(string keyId, CancellationToken ct = default) => inner.GetKeyAsync(keyId, ct);

        public Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default) => inner.ListKeysAsync(owner, ct);

        public Task UpdateKeyAsync(KmsKeyRecord key, CancellationToken ct = default) => inner.UpdateKeyAsync(key, ct);

        public Task<bool> TryUpdateKeyAsync(KmsKeyRecord expected, KmsKeyRecord replacement, CancellationToken ct = default) =>
            inner.TryUpdateKeyAsync(expected, replacement, ct);

        public async Task<bool> CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default)
        {
            if (Interlocked.Exchange(ref _hook, null) is { } hook)
            {
                await hook();
            }

            return await inner.CreateAliasAsync(alias, keyId, owner, ct);
        }

        public Task<string?> ResolveAliasAsync(string owner, string alias, CancellationToken ct = default) => inner.ResolveAliasAsync(owner, alias, ct);

        public Task<IReadOnlyList<(string Alias, string KeyId)>> ListAliasesAsync(string? owner, CancellationToken ct = default) => inner.ListAliasesAsync(owner, ct);

        public Task<bool> DeleteAliasAsync(string owner, string alias, CancellationToken ct = default) => inner.DeleteAliasAsync(owner, alias, ct);
    }

    [Fact]
    public async Task Each_owner_gets_its_own_default_key()
    {
        var a = await _kms.GetOrCreateDefaultKeyAsync("1250000000");
        var b = await _kms.GetOrCreateDefaultKeyAsync("1250000001");
        Assert.NotEqual(a.KeyId, b.KeyId);
        Assert.Equal(a.KeyId, (await _kms.GetOrCreateDefaultKeyAsync("1250000000")).KeyId);
        Assert.Equal("alias/cos/default/1250000000", KeyManager.DefaultKeyAlias("1250000000"));
        Assert.Equal(a.KeyId, (await _kms.DescribeOwnKeyAsync("1250000000", "alias/cos/default/1250000000")).KeyId);
        await Assert.ThrowsAsync<KmsException>(() => _kms.DescribeOwnKeyAsync("1250000001", "alias/cos/default/1250000000"));
        Assert.Equal("1250000000", a.Owner);
        Assert.StartsWith("alias/cos/default/h-", KeyManager.DefaultKeyAlias("qcs::cam::uin/1:root"));
        Assert.Equal(KmsErrorKind.AccessDenied, (await Assert.ThrowsAsync<KmsException>(() => _kms.DisableKeyAsync(a.KeyId))).Kind);
    }

    [Theory]
    [InlineData("photos", KmsErrorKind.InvalidArgument)]
    [InlineData("alias/", KmsErrorKind.InvalidArgument)]
    [InlineData("alias/has space", KmsErrorKind.InvalidArgument)]
    [InlineData("alias/aws/s3", KmsErrorKind.InvalidArgument)]
    [InlineData("alias/cos/default/1250000000", KmsErrorKind.InvalidArgument)]
    [InlineData("alias/coffer/sse-cos", KmsErrorKind.InvalidArgument)]
    [InlineData("alias/taken", KmsErrorKind.AlreadyExists)]
    public async Task Bad_or_reserved_aliases_are_refused(string alias, KmsErrorKind kind)
    {
        var key = await _kms.CreateKeyAsync("o");
        await _kms.CreateAliasAsync("alias/taken", key.KeyId, "o");
        Assert.Equal(kind, (await Assert.ThrowsAsync<KmsException>(() => _kms.CreateAliasAsync(alias, key.KeyId, "o"))).Kind);
    }

    [Fact]
    public async Task Aliases_name_only_the_owners_keys_and_can_be_deleted_by_the_owner()
    {
        var key = await _kms.CreateKeyAsync("o");
        Assert.Equal(KmsErrorKind.NotFound, (await Assert.ThrowsAsync<KmsException>(() => _kms.CreateAliasAsync("alias/x", key.KeyId, "intruder"))).Kind);
        Assert.Equal(KmsErrorKind.NotFound, (await Assert.ThrowsAsync<KmsException>(() => _kms.CreateAliasAsync("alias/x", Guid.NewGuid().ToString(), "o"))).Kind);
        await _kms.CreateAliasAsync("alias/x", key.KeyId, "o");
        Assert.False(await _kms.DeleteAliasAsync("alias/x", "intruder"));
        Assert.Equal(key.KeyId, (await _kms.DescribeOwnKeyAsync("o", "alias/x")).KeyId);
        Assert.True(await _kms.DeleteAliasAsync("alias/x", "o"));
        Assert.False(await _kms.DeleteAliasAsync("alias/x", "o"));
        Assert.Equal(KmsErrorKind.NotFound, (await Assert.ThrowsAsync<KmsException>(() => _kms.DescribeOwnKeyAsync("o", "alias/x"))).Kind);
    }

    [Fact]
    public async Task An_owner_sees_only_its_own_keys_and_aliases_and_never_the_service_key()
    {
        var alices = await _kms.CreateKeyAsync("alice-id");
        await _kms.CreateAliasAsync("alias/app", alices.KeyId, "alice-id");
        var aliceDefault = await _kms.GetOrCreateDefaultKeyAsync("alice-id", "alice");
        var service = await _kms.GetOrCreateServiceKeyAsync();

        Assert.True(KeyManager.CanUse("alice-id", alices));
        Assert.True(KeyManager.CanUse("alice-id", aliceDefault));
        Assert.False(KeyManager.CanUse("bob-id", alices));
        Assert.False(KeyManager.CanUse("bob-id", aliceDefault));
        Assert.False(KeyManager.CanUse("alice-id", service));
        Assert.False(KeyManager.CanUse(KeyManager.ServiceOwner, service));

        Assert.Equal(aliceDefault.KeyId, (await _kms.DescribeOwnKeyAsync("alice-id", "alias/cos/default/alice")).KeyId);
        foreach (var reference in new[] { alices.KeyId, "alias/app", aliceDefault.KeyId, "alias/cos/default/alice", service.KeyId, KeyManager.ServiceKeyAlias })
        {
            var e = await Assert.ThrowsAsync<KmsException>(() => _kms.DescribeOwnKeyAsync("bob-id", reference));
            Assert.Equal(KmsErrorKind.NotFound, e.Kind);
            // The same answer as for a key that does not exist: nothing confirms that the key is there.
            Assert.Equal($"KMS key {reference} does not exist (or was deleted).", e.Message);
        }

        // Aliases are per owner: bob may have an alias/app of his own.
        var bobs = await _kms.CreateKeyAsync("bob-id");
        await _kms.CreateAliasAsync("alias/app", bobs.KeyId, "bob-id");
        Assert.Equal(bobs.KeyId, (await _kms.DescribeOwnKeyAsync("bob-id", "alias/app")).KeyId);
        Assert.Equal(alices.KeyId, (await _kms.DescribeOwnKeyAsync("alice-id", "alias/app")).KeyId);
    }

    [Fact]
    public async Task Rotation_adds_a_version_and_old_blobs_still_decrypt()
    {
        var key = await _kms.CreateKeyAsync("o");
        byte[] before = await _kms.EncryptAsync(key.KeyId, new byte[] { 7 }, Context);
        var rotated = await _kms.RotateKeyAsync(key.KeyId);
        Assert.Equal([1, 2], rotated.Versions.Select(v => v.Version));
        byte[] after = await _kms.EncryptAsync(key.KeyId, new byte[] { 8 }, Context);
        Assert.True(KmsCiphertext.TryReadHeader(after, out _, out int version));
        Assert.Equal(2, version);
        Assert.Equal(new byte[] { 7 }, (await _kms.DecryptAsync(before, Context)).Plaintext);
        Assert.Equal(new byte[] { 8 }, (await _kms.DecryptAsync(after, Context)).Plaintext);
    }

    [Fact]
    public async Task Sealed_material_cannot_be_moved_between_keys_in_the_store()
    {
        var a = await _kms.CreateKeyAsync("o");
        var b = await _kms.CreateKeyAsync("o");
        // An attacker with write access to the key store copies a's sealed material into b's record.
        await _store.UpdateKeyAsync(b with { Versions = a.Versions });
        await Assert.ThrowsAsync<InvalidOperationException>(() => _kms.GenerateDataKeyAsync(b.KeyId, Context));
    }

    [Fact]
    public async Task A_blob_naming_an_alias_or_an_arn_instead_of_a_key_id_is_an_invalid_ciphertext()
    {
        var key = await _kms.CreateKeyAsync("o");
        await _kms.CreateAliasAsync("alias/x", key.KeyId, "o");
        foreach (string reference in new[] { "alias/x", $"arn:aws:kms:r:a:key/{key.KeyId}" })
        {
            byte[] blob = KmsCiphertext.Encrypt(reference, 1, new byte[32], new byte[32], KmsEncoding.CanonicalContext(Context), new byte[32]);
            Assert.Equal(KmsErrorKind.InvalidCiphertext, (await Assert.ThrowsAsync<KmsException>(() => _kms.DecryptAsync(blob, Context))).Kind);
        }
    }

    [Fact]
    public async Task Encrypt_accepts_1_to_4096_bytes()
    {
        var key = await _kms.CreateKeyAsync("o");
        Assert.Equal(KmsErrorKind.InvalidArgument, (await Assert.ThrowsAsync<KmsException>(() => _kms.EncryptAsync(key.KeyId, Array.Empty<byte>(), Context))).Kind);
        Assert.Equal(KmsErrorKind.InvalidArgument, (await Assert.ThrowsAsync<KmsException>(() => _kms.EncryptAsync(key.KeyId, new byte[4097], Context))).Kind);
        await _kms.EncryptAsync(key.KeyId, new byte[4096], Context);
    }

    private async Task AssertAllRefuse(string keyId, byte[] blob, KmsErrorKind kind)
    {
        Assert.Equal(kind, (await Assert.ThrowsAsync<KmsException>(() => _kms.GenerateDataKeyAsync(keyId, Context))).Kind);
        Assert.Equal(kind, (await Assert.ThrowsAsync<KmsException>(() => _kms.DecryptAsync(blob, Context))).Kind);
        Assert.Equal(kind, (await Assert.ThrowsAsync<KmsException>(() => _kms.EnsureUsableAsync(keyId))).Kind);
        Assert.Equal(kind, (await Assert.ThrowsAsync<KmsException>(() => _kms.EncryptAsync(keyId, new byte[] { 1 }, Context))).Kind);
    }
}
