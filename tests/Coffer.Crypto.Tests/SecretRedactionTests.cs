using Coffer.Crypto;
using Coffer.Crypto.Kms;
using static Coffer.Crypto.Tests.TestData;

namespace Coffer.Crypto.Tests;

/// <summary>Key material and encryption-context values appear in no exception text and no ToString().</summary>
public sealed class SecretRedactionTests
{
    private const string ContextSecret = "ctx-value-7f3a9c";

    [Fact]
    public async Task Errors_and_records_never_show_keys_or_context_values()
    {
        using var root = RootKey.Generate(out byte[] rootBytes);
        var kms = new KeyManager(new InMemoryKmsKeyStore(), root);
        var cmk = await kms.CreateKeyAsync("o");
        var context = new Dictionary<string, string> { ["project"] = ContextSecret };
        var dataKey = await kms.GenerateDataKeyAsync(cmk.KeyId, context);
        byte[] customerKey = Range(0x60, 0x80);
        using var objectKey = ObjectKey.FromBytes(Range(0x10, 0x30));

        var texts = new List<string>
        {
            objectKey.ToString(), root.ToString(), dataKey.ToString(), dataKey.Plaintext.ToString(),
            new DecryptResult(cmk.KeyId, dataKey.Plaintext.Bytes.ToArray()).ToString(),
        };

        texts.Add((await Assert.ThrowsAsync<KmsException>(() => kms.DecryptAsync(dataKey.CiphertextBlob, new Dictionary<string, string> { ["project"] = "other" }))).ToString());
        texts.Add((await Assert.ThrowsAsync<KmsException>(() => kms.DecryptAsync(Flip(dataKey.CiphertextBlob), context))).ToString());
        var envelope = new KmsEnvelope(kms);
        var sealedKey = await envelope.SealNewAsync(cmk.KeyId, context, new KeyBinding("b", "k", KeyBinding.SseKms));
        texts.Add(sealedKey.ToString());
        texts.Add((await Assert.ThrowsAsync<KmsException>(() => envelope.UnsealAsync(sealedKey.SealedKey, context, new KeyBinding("b", "other", KeyBinding.SseKms)))).ToString());
        texts.Add(Assert.Throws<System.Security.Cryptography.CryptographicException>(() => root.Unseal(Flip(root.Seal(customerKey, "p")), "p")).ToString());
        texts.Add(Assert.Throws<ArgumentException>(() => CustomerKeySealing.Seal(objectKey, customerKey.AsSpan(0, 31), new KeyBinding("b", "k", KeyBinding.SseC))).ToString());

        byte[] sealedBytes = await SealAsync(Pattern(100), objectKey);
        using var wrongKey = ObjectKey.FromBytes(customerKey);
        texts.Add((await ReadRangeAsync(sealedBytes, wrongKey, 100, 0, 100)).Error!.ToString());

        byte[][] secrets = [rootBytes, customerKey, objectKey.Bytes.ToArray(), dataKey.Plaintext.Bytes.ToArray(), sealedKey.Key.Bytes.ToArray()];
        foreach (string text in texts)
        {
            Assert.DoesNotContain(ContextSecret, text, StringComparison.Ordinal);
            foreach (byte[] secret in secrets)
            {
                foreach (string form in new[] { Convert.ToHexString(secret), Convert.ToHexStringLower(secret), Convert.ToBase64String(secret), string.Join(", ", secret) })
                {
                    Assert.DoesNotContain(form, text, StringComparison.Ordinal);
                }
            }
        }

        Assert.Equal("ObjectKey(redacted)", objectKey.ToString());
        dataKey.Plaintext.Dispose();
        sealedKey.Key.Dispose();
    }

    private static byte[] Flip(byte[] bytes)
    {
        byte[] copy = (byte[])bytes.Clone();
        copy[^1] ^= 1;
        return copy;
    }
}
