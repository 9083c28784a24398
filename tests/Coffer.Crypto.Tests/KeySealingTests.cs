using System.Security.Cryptography;
using Coffer.Crypto;
using static Coffer.Crypto.Tests.TestData;

namespace Coffer.Crypto.Tests;

public sealed class KeySealingTests
{
    private static readonly byte[] CustomerKey = Range(0x60, 0x80);
    private static readonly KeyBinding Binding = new("examplebucket-1250000000", "photos/cat.jpg", KeyBinding.SseC);

    public enum Changed { Nothing, CustomerKey, Mode, Bucket, ObjectName, ObjectNameCase, SealedByte, SealedLength, Version }

    public static TheoryData<Changed, bool> BindingRows() => new()
    {
        { Changed.Nothing, true },
        { Changed.CustomerKey, false },
        { Changed.Mode, false },
        { Changed.Bucket, false },
        { Changed.ObjectName, false },
        { Changed.ObjectNameCase, false },
        { Changed.SealedByte, false },
        { Changed.SealedLength, false },
        { Changed.Version, false },
    };

    [Theory]
    [MemberData(nameof(BindingRows))]
    public void Sse_c_unseal_fails_when_any_one_binding_input_changes(Changed changed, bool opens)
    {
        using var objectKey = ObjectKey.Generate();
        byte[] sealedKey = CustomerKeySealing.Seal(objectKey, CustomerKey, Binding);
        Assert.Equal(CustomerKeySealing.SealedSize, sealedKey.Length);

        byte[] customerKey = (byte[])CustomerKey.Clone();
        var binding = Binding;
        switch (changed)
        {
            case Changed.CustomerKey: customerKey[31] ^= 1; break;
            case Changed.Mode: binding = binding with { Mode = KeyBinding.SseKms }; break;
            case Changed.Bucket: binding = binding with { Bucket = "otherbucket-1250000000" }; break;
            case Changed.ObjectName: binding = binding with { ObjectName = "photos/dog.jpg" }; break;
            case Changed.ObjectNameCase: binding = binding with { ObjectName = "photos/Cat.jpg" }; break;
            case Changed.SealedByte: sealedKey[50] ^= 1; break;
            case Changed.SealedLength: sealedKey = sealedKey[..^1]; break;
            case Changed.Version: sealedKey[0] = 2; break;
        }

        using var opened = CustomerKeySealing.TryUnseal(sealedKey, customerKey, binding);
        Assert.Equal(opens, opened is not null);
        if (opened is not null)
        {
            Assert.True(opened.KeyEquals(objectKey));
        }
    }

    [Fact]
    public void Field_boundaries_are_unambiguous_in_the_binding()
    {
        using var objectKey = ObjectKey.Generate();
        byte[] sealedKey = CustomerKeySealing.Seal(objectKey, CustomerKey, new KeyBinding("ab", "c", KeyBinding.SseC));
        Assert.Null(CustomerKeySealing.TryUnseal(sealedKey, CustomerKey, new KeyBinding("a", "bc", KeyBinding.SseC)));
    }

    [Fact]
    public void The_sealed_sse_c_key_contains_no_hash_of_the_customer_key()
    {
        using var objectKey = ObjectKey.Generate();
        byte[] sealedKey = CustomerKeySealing.Seal(objectKey, CustomerKey, Binding);
        foreach (byte[] digest in new[] { MD5.HashData(CustomerKey), SHA256.HashData(CustomerKey), CustomerKey })
        {
            Assert.True(sealedKey.AsSpan().IndexOf(digest.AsSpan(0, 8)) < 0);
        }

        // Sealing the same key twice gives unrelated blobs (fresh salt), so equal keys are not linkable.
        Assert.NotEqual(sealedKey, CustomerKeySealing.Seal(objectKey, CustomerKey, Binding));
    }

    [Fact]
    public void A_customer_key_of_the_wrong_size_is_an_argument_error()
    {
        using var objectKey = ObjectKey.Generate();
        Assert.Throws<ArgumentException>(() => CustomerKeySealing.Seal(objectKey, new byte[16], Binding));
        Assert.Throws<ArgumentException>(() => CustomerKeySealing.TryUnseal(new byte[81], new byte[31], Binding));
    }

    [Fact]
    public void Rekeying_sse_c_reseals_the_same_object_key_under_the_new_customer_key()
    {
        using var objectKey = ObjectKey.Generate();
        byte[] oldSealed = CustomerKeySealing.Seal(objectKey, CustomerKey, Binding);
        using var unsealed = CustomerKeySealing.TryUnseal(oldSealed, CustomerKey, Binding)!;
        byte[] newCustomerKey = Range(0x90, 0xB0);
        byte[] newSealed = CustomerKeySealing.Seal(unsealed, newCustomerKey, Binding);
        Assert.Null(CustomerKeySealing.TryUnseal(newSealed, CustomerKey, Binding));
        using var reopened = CustomerKeySealing.TryUnseal(newSealed, newCustomerKey, Binding)!;
        Assert.True(reopened.KeyEquals(objectKey));
    }

    [Fact]
    public void Root_key_unseal_checks_the_purpose_and_the_key()
    {
        using var root = RootKey.Generate(out byte[] rootBytes);
        Assert.Equal(RootKey.Size, rootBytes.Length);
        byte[] secret = Range(1, 40);
        byte[] sealedBytes = root.Seal(secret, "kms-cmk/a/1");
        Assert.Equal(secret.Length + RootKey.SealOverhead, sealedBytes.Length);
        Assert.Equal(secret, root.Unseal(sealedBytes, "kms-cmk/a/1"));
        using var same = new RootKey(rootBytes);
        Assert.Equal(secret, same.Unseal(sealedBytes, "kms-cmk/a/1"));

        Assert.Throws<CryptographicException>(() => root.Unseal(sealedBytes, "kms-cmk/a/2"));
        using var other = RootKey.Generate(out _);
        Assert.Throws<CryptographicException>(() => other.Unseal(sealedBytes, "kms-cmk/a/1"));
        byte[] tampered = (byte[])sealedBytes.Clone();
        tampered[40] ^= 1;
        Assert.Throws<CryptographicException>(() => root.Unseal(tampered, "kms-cmk/a/1"));
        Assert.Throws<CryptographicException>(() => root.Unseal(sealedBytes.AsSpan(0, 20), "kms-cmk/a/1"));
        Assert.Throws<ArgumentException>(() => new RootKey(new byte[16]));
    }

    [Fact]
    public void Object_keys_copy_their_input_zero_on_dispose_and_compare_by_value()
    {
        byte[] bytes = Range(0, 32);
        var key = ObjectKey.FromBytes(bytes);
        bytes[0] = 0xFF;
        Assert.Equal(0, key.Bytes[0]);
        using var same = ObjectKey.FromBytes(Range(0, 32));
        using var different = ObjectKey.Generate();
        Assert.True(key.KeyEquals(same));
        Assert.False(key.KeyEquals(different));
        byte[] inside = (byte[])typeof(ObjectKey).GetField("_bytes", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(key)!;
        key.Dispose();
        Assert.All(inside, b => Assert.Equal(0, b));
        Assert.Throws<ObjectDisposedException>(() => key.Bytes.Length);
        key.Dispose();
        Assert.Throws<ArgumentException>(() => ObjectKey.FromBytes(new byte[31]));
    }

    [Fact]
    public void Generated_object_keys_differ()
    {
        using var a = ObjectKey.Generate();
        using var b = ObjectKey.Generate();
        Assert.False(a.KeyEquals(b));
    }
}
