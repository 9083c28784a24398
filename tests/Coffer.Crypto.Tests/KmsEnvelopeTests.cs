using Coffer.Crypto;
using Coffer.Crypto.Kms;

namespace Coffer.Crypto.Tests;

public sealed class KmsEnvelopeTests : IDisposable
{
    private static readonly Dictionary<string, string> Context = new() { ["aws:s3:arn"] = "arn:aws:s3:::examplebucket" };

    private readonly InMemoryKmsKeyStore _store = new();
    private readonly ManualClock _clock = new();
    private readonly RootKey _root = RootKey.Generate(out _);
    private readonly KeyManager _kms;

    public KmsEnvelopeTests() => _kms = new KeyManager(_store, _root, _clock);

    public void Dispose() => _root.Dispose();

    private static KeyBinding Binding(string name, string bucket = "examplebucket", string mode = KeyBinding.SseKms) => new(bucket, name, mode);

    [Fact]
    public async Task A_hundred_objects_in_one_bucket_cost_one_generate_and_at_most_one_decrypt()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var sealedKeys = new List<(SealedObjectKey Sealed, KeyBinding Binding)>();
        for (int i = 0; i < 100; i++)
        {
            var binding = Binding($"obj/{i}");
            sealedKeys.Add((await envelope.SealNewAsync(cmk.KeyId, Context, binding), binding));
        }

        foreach (var (sealedKey, binding) in sealedKeys)
        {
            using var opened = await envelope.UnsealAsync(sealedKey.SealedKey, Context, binding);
            Assert.True(opened.KeyEquals(sealedKey.Key));
            Assert.Equal(cmk.KeyId, sealedKey.KeyId);
        }

        Assert.Equal(1, _kms.GenerateCalls);
        Assert.InRange(_kms.DecryptCalls, 0, 1);

        // A fresh envelope (another node, or after a restart) needs exactly one Decrypt for all of them.
        var cold = new KmsEnvelope(_kms);
        foreach (var (sealedKey, binding) in sealedKeys)
        {
            using var opened = await cold.UnsealAsync(sealedKey.SealedKey, Context, binding);
            Assert.True(opened.KeyEquals(sealedKey.Key));
        }

        Assert.Equal(1, _kms.DecryptCalls);
        foreach (var (sealedKey, _) in sealedKeys)
        {
            sealedKey.Key.Dispose();
        }
    }

    [Fact]
    public async Task Every_object_gets_its_own_object_key()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var a = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));
        var b = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));
        Assert.False(a.Key.KeyEquals(b.Key));
        Assert.NotEqual(a.SealedKey, b.SealedKey);
    }

    [Fact]
    public async Task A_different_context_or_bucket_gets_a_different_bucket_key()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var otherContext = new Dictionary<string, string> { ["aws:s3:arn"] = "arn:aws:s3:::examplebucket", ["team"] = "red" };
        var first = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("x"));
        var sameAgain = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("y"));
        var byContext = await envelope.SealNewAsync(cmk.KeyId, otherContext, Binding("x"));
        var byBucket = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("x", bucket: "otherbucket"));

        Assert.Equal(3, _kms.GenerateCalls);
        Assert.Equal(KmsBlob(first), KmsBlob(sameAgain));
        Assert.NotEqual(KmsBlob(first), KmsBlob(byContext));
        Assert.NotEqual(KmsBlob(first), KmsBlob(byBucket));
        Assert.NotEqual(KmsBlob(byContext), KmsBlob(byBucket));
    }

    [Fact]
    public async Task A_disabled_cmk_refuses_at_once_even_when_its_bucket_key_is_cached()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));
        using (await envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a")))
        {
        }

        await _kms.DisableKeyAsync(cmk.KeyId);
        Assert.Equal(KmsErrorKind.Disabled, (await Assert.ThrowsAsync<KmsException>(() => envelope.SealNewAsync(cmk.KeyId, Context, Binding("b")))).Kind);
        Assert.Equal(KmsErrorKind.Disabled, (await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a")))).Kind);

        await _kms.ScheduleKeyDeletionAsync(cmk.KeyId, 7);
        Assert.Equal(KmsErrorKind.PendingDeletion, (await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a")))).Kind);
        _clock.Advance(TimeSpan.FromDays(7));
        Assert.Equal(KmsErrorKind.NotFound, (await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a")))).Kind);
        Assert.Equal(1, _kms.GenerateCalls);
    }

    public static TheoryData<string, string, string> OtherBindings() => new()
    {
        { "examplebucket", "photos/dog.jpg", KeyBinding.SseKms },
        { "otherbucket", "photos/cat.jpg", KeyBinding.SseKms },
        { "examplebucket", "photos/cat.jpg", KeyBinding.SseCos },
        { "examplebucket", "photos/cat.jpg", KeyBinding.SseC },
    };

    [Theory]
    [MemberData(nameof(OtherBindings))]
    public async Task Unseal_with_another_binding_fails(string bucket, string name, string mode)
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, new KeyBinding("examplebucket", "photos/cat.jpg", KeyBinding.SseKms));
        var e = await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(sealedKey.SealedKey, Context, new KeyBinding(bucket, name, mode)));
        Assert.Equal(KmsErrorKind.InvalidCiphertext, e.Kind);
    }

    [Fact]
    public async Task Unseal_with_another_context_fails_even_when_the_bucket_key_is_cached()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));
        var other = new Dictionary<string, string> { ["aws:s3:arn"] = "arn:aws:s3:::otherbucket" };
        Assert.Equal(KmsErrorKind.InvalidCiphertext, (await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(sealedKey.SealedKey, other, Binding("a")))).Kind);
        Assert.Equal(1, _kms.DecryptCalls); // the cache did not answer for another context: the KMS was asked, and refused
    }

    [Fact]
    public async Task Malformed_or_tampered_sealed_keys_are_invalid_ciphertexts()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));
        foreach (byte[] bad in new[] { Array.Empty<byte>(), sealedKey.SealedKey[..^1], Flip(sealedKey.SealedKey, 0), Flip(sealedKey.SealedKey, sealedKey.SealedKey.Length - 40), Flip(sealedKey.SealedKey, sealedKey.SealedKey.Length - 1) })
        {
            Assert.Equal(KmsErrorKind.InvalidCiphertext, (await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(bad, Context, Binding("a")))).Kind);
        }
    }

    [Fact]
    public async Task Bucket_keys_expire_after_their_lifetime()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms, lifetime: TimeSpan.FromMinutes(5));
        var old = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("a"));
        _clock.Advance(TimeSpan.FromMinutes(4));
        await envelope.SealNewAsync(cmk.KeyId, Context, Binding("b"));
        Assert.Equal(1, _kms.GenerateCalls);
        _clock.Advance(TimeSpan.FromMinutes(2));
        var fresh = await envelope.SealNewAsync(cmk.KeyId, Context, Binding("c"));
        Assert.Equal(2, _kms.GenerateCalls);
        Assert.NotEqual(KmsBlob(old), KmsBlob(fresh));

        using var opened = await envelope.UnsealAsync(old.SealedKey, Context, Binding("a"));
        Assert.True(opened.KeyEquals(old.Key));
        Assert.Equal(1, _kms.DecryptCalls); // its cache entry had expired too
    }

    [Fact]
    public async Task The_cache_stays_within_its_capacity()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms, capacity: 4);
        var sealedKeys = new List<(SealedObjectKey, KeyBinding)>();
        for (int i = 0; i < 10; i++)
        {
            var binding = Binding("k", bucket: $"bucket{i}");
            sealedKeys.Add((await envelope.SealNewAsync(cmk.KeyId, Context, binding), binding));
            Assert.InRange(envelope.CachedCount, 1, 4);
        }

        foreach (var (sealedKey, binding) in sealedKeys)
        {
            using var opened = await envelope.UnsealAsync(sealedKey.SealedKey, Context, binding);
            Assert.True(opened.KeyEquals(sealedKey.Key));
        }

        Assert.Equal(10, _kms.GenerateCalls);
    }

    [Fact]
    public async Task Reseal_moves_an_object_key_to_another_cmk_without_changing_it()
    {
        var first = await _kms.CreateKeyAsync("o");
        var second = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms);
        var original = await envelope.SealNewAsync(first.KeyId, Context, Binding("a"));
        var newContext = new Dictionary<string, string> { ["aws:s3:arn"] = "arn:aws:s3:::examplebucket", ["v"] = "2" };

        var moved = await envelope.ResealAsync(original.Key, second.KeyId, newContext, Binding("a", mode: KeyBinding.SseCos));

        Assert.Equal(second.KeyId, moved.KeyId);
        Assert.True(moved.Key.KeyEquals(original.Key));
        Assert.NotSame(moved.Key, original.Key);
        using var opened = await envelope.UnsealAsync(moved.SealedKey, newContext, Binding("a", mode: KeyBinding.SseCos));
        Assert.True(opened.KeyEquals(original.Key));
        await _kms.DisableKeyAsync(first.KeyId);
        using var stillOpens = await envelope.UnsealAsync(moved.SealedKey, newContext, Binding("a", mode: KeyBinding.SseCos));
    }

    [Fact]
    public async Task Sse_cos_uses_the_service_key_through_the_same_envelope()
    {
        var service = await _kms.GetOrCreateServiceKeyAsync();
        var envelope = new KmsEnvelope(_kms);
        var sealedKey = await envelope.SealNewAsync(KeyManager.ServiceKeyAlias, Context, Binding("a", mode: KeyBinding.SseCos));
        Assert.Equal(service.KeyId, sealedKey.KeyId);
        using var opened = await envelope.UnsealAsync(sealedKey.SealedKey, Context, Binding("a", mode: KeyBinding.SseCos));
        Assert.True(opened.KeyEquals(sealedKey.Key));
    }

    [Fact]
    public async Task Concurrent_seals_and_unseals_share_one_bucket_key_and_never_use_a_zeroed_one()
    {
        var cmk = await _kms.CreateKeyAsync("o");
        var envelope = new KmsEnvelope(_kms, capacity: 2);
        var buckets = new[] { "b0", "b1", "b2" };
        await Parallel.ForEachAsync(Enumerable.Range(0, 600), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var binding = Binding($"o{i}", bucket: buckets[i % buckets.Length]);
            var sealedKey = await envelope.SealNewAsync(cmk.KeyId, Context, binding, ct);
            using var opened = await envelope.UnsealAsync(sealedKey.SealedKey, Context, binding, ct);
            Assert.True(opened.KeyEquals(sealedKey.Key));
            sealedKey.Key.Dispose();
        });

        envelope.Clear();
        Assert.Equal(0, envelope.CachedCount);
    }

    private static byte[] KmsBlob(SealedObjectKey sealedKey)
    {
        int length = (sealedKey.SealedKey[1] << 8) | sealedKey.SealedKey[2];
        return sealedKey.SealedKey.AsSpan(3, length).ToArray();
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[at] ^= 1;
        return copy;
    }
}
