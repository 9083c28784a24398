using Coffer.Crypto;
using Coffer.Crypto.Kms;

namespace Coffer.Crypto.Tests;

/// <summary>The bucket-key cache across rotation, disable, deletion and shredding.</summary>
public sealed class KmsEnvelopeLifeTests : IDisposable
{
    private static readonly Dictionary<string, string> Context = new() { ["coffer:bucket"] = "examplebucket" };

    private readonly InMemoryKmsKeyStore _store = new();
    private readonly ManualClock _clock = new();
    private readonly RootKey _root = RootKey.Generate(out _);
    private readonly KeyManager _kms;

    public KmsEnvelopeLifeTests() => _kms = new KeyManager(_store, _root, _clock);

    public void Dispose() => _root.Dispose();

    private static KeyBinding Binding(string name) => new("examplebucket", name, KeyBinding.SseKms);

    [Fact]
    public async Task After_a_rotation_the_next_seal_uses_a_bucket_key_under_the_new_version_and_old_objects_still_open()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var before = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("before"));
        var cachedBefore = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("before-2"));
        Assert.Equal((1, false, true), (before.KeyVersion, before.BucketKeyCached, cachedBefore.BucketKeyCached));

        await _kms.RotateKeyOnDemandAsync(cmk.KeyId);
        var after = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("after"));
        Assert.Equal((2, false), (after.KeyVersion, after.BucketKeyCached));
        Assert.Equal(2, _kms.GenerateCalls);

        // Every object opens, from this cache and from a cold one (another node, a restart).
        foreach (var envelopeToRead in new[] { envelope, new KmsEnvelope(_kms) })
        {
            foreach (var (sealedKey, name) in new[] { (before, "before"), (cachedBefore, "before-2"), (after, "after") })
            {
                var opened = await envelopeToRead.UnsealWithDetailsAsync(sealedKey.SealedKey, Context, Binding(name));
                using var key = opened.Key;
                Assert.True(key.KeyEquals(sealedKey.Key));
                Assert.Equal((cmk.KeyId, sealedKey.KeyVersion), (opened.KeyId, opened.KeyVersion));
            }
        }
    }

    [Fact]
    public async Task Unsealing_says_whether_the_kms_was_called()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var sealedKey = await new KmsEnvelope(_kms).SealNewAsync(cmk.KeyId, Context, Binding("x"));
        var cold = new KmsEnvelope(_kms);
        var first = await cold.UnsealWithDetailsAsync(sealedKey.SealedKey, Context, Binding("x"));
        var second = await cold.UnsealWithDetailsAsync(sealedKey.SealedKey, Context, Binding("x"));
        first.Key.Dispose();
        second.Key.Dispose();
        Assert.Equal((false, true), (first.BucketKeyCached, second.BucketKeyCached));
        Assert.Equal(1, _kms.DecryptCalls);
    }

    [Theory]
    [InlineData("disable")]
    [InlineData("schedule")]
    [InlineData("destroy")]
    public async Task A_key_that_becomes_unusable_leaves_the_cache_at_once(string change)
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var other = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));
        await envelope.SealNewAsync(other.KeyId, Context, Binding("b"));
        Assert.Equal(4, envelope.CachedCount); // seal and open entries for each

        switch (change)
        {
            case "disable":
                await _kms.DisableKeyAsync(cmk.KeyId);
                break;
            case "schedule":
                await _kms.ScheduleKeyDeletionAsync(cmk.KeyId, 7);
                break;
            default:
                await _kms.ScheduleKeyDeletionAsync(cmk.KeyId, 7);
                await _kms.EnableKeyAsync(other.KeyId); // no-op: unrelated keys stay
                _clock.Advance(TimeSpan.FromDays(7));
                await _kms.DeleteExpiredKeysAsync();
                break;
        }

        Assert.Equal(2, envelope.CachedCount);
        Assert.Equal(2, envelope.Evict(other.KeyId));
        Assert.Equal(0, envelope.CachedCount);
    }
}
