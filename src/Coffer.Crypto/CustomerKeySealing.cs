using System.Security.Cryptography;
using Coffer.Crypto.Internal;

namespace Coffer.Crypto;

/// <summary>
/// SSE-C key sealing. The object key is sealed with AES-256-GCM under a key-encryption key
/// KEK = HKDF-SHA256(ikm: customer key, salt: random per seal, info: label ‖ binding); the binding is
/// also associated data. The customer key is never stored, nor any hash of it: a wrong key simply
/// fails to unseal (→ 403 AccessDenied at the API). Layout: docs/keys.md, "SSE-C".
/// </summary>
public static class CustomerKeySealing
{
    /// <summary>Size of the customer key (SSE-C is AES-256 only).</summary>
    public const int CustomerKeySize = 32;

    /// <summary>Size of a sealed key: version (1) ‖ salt (32) ‖ sealed object key (32) ‖ tag (16).</summary>
    public const int SealedSize = HeaderSize + ObjectKey.Size + OneShotAead.TagSize;

    internal const byte Version = 0x01;
    private const int HeaderSize = 1 + OneShotAead.SaltSize;
    private static ReadOnlySpan<byte> Label => "coffer sse-c kek v1"u8;

    /// <summary>Seals <paramref name="objectKey"/> under <paramref name="customerKey"/> for <paramref name="binding"/>.</summary>
    /// <returns><see cref="SealedSize"/> bytes to store in the object's metadata.</returns>
    /// <exception cref="ArgumentException">The customer key is not 32 bytes.</exception>
    public static byte[] Seal(ObjectKey objectKey, ReadOnlySpan<byte> customerKey, KeyBinding binding)
    {
        Span<byte> salt = stackalloc byte[OneShotAead.SaltSize];
        RandomNumberGenerator.Fill(salt);
        return Seal(objectKey, customerKey, binding, salt);
    }

    /// <summary>Test hook: seal with a given salt (golden vectors). Never reuse a salt in production.</summary>
    internal static byte[] Seal(ObjectKey objectKey, ReadOnlySpan<byte> customerKey, KeyBinding binding, ReadOnlySpan<byte> salt)
    {
        ArgumentNullException.ThrowIfNull(objectKey);
        ArgumentNullException.ThrowIfNull(binding);
        CheckCustomerKey(customerKey);
        byte[] sealedKey = new byte[SealedSize];
        sealedKey[0] = Version;
        salt.CopyTo(sealedKey.AsSpan(1, OneShotAead.SaltSize));
        byte[] info = binding.Encode(Label);
        byte[] aad = Fields.Concat(sealedKey.AsSpan(0, HeaderSize), info);
        OneShotAead.Seal(customerKey, salt, info, aad, objectKey.Bytes,
            sealedKey.AsSpan(HeaderSize, ObjectKey.Size), sealedKey.AsSpan(HeaderSize + ObjectKey.Size));
        return sealedKey;
    }

    /// <summary>
    /// Unseals the object key, or returns null when it does not authenticate: a wrong customer key,
    /// another bucket / object name / mode, a tampered or malformed sealed key. Callers answer
    /// AccessDenied for null, as AWS does for a wrong SSE-C key.
    /// </summary>
    /// <exception cref="ArgumentException">The customer key is not 32 bytes (validate request headers first).</exception>
    public static ObjectKey? TryUnseal(ReadOnlySpan<byte> sealedKey, ReadOnlySpan<byte> customerKey, KeyBinding binding)
    {
        ArgumentNullException.ThrowIfNull(binding);
        CheckCustomerKey(customerKey);
        if (sealedKey.Length != SealedSize || sealedKey[0] != Version)
        {
            return null;
        }

        Span<byte> plain = stackalloc byte[ObjectKey.Size];
        try
        {
            byte[] info = binding.Encode(Label);
            byte[] aad = Fields.Concat(sealedKey[..HeaderSize], info);
            return OneShotAead.TryOpen(customerKey, sealedKey.Slice(1, OneShotAead.SaltSize), info, aad,
                sealedKey.Slice(HeaderSize, ObjectKey.Size), sealedKey[(HeaderSize + ObjectKey.Size)..], plain)
                ? ObjectKey.FromBytes(plain)
                : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    private static void CheckCustomerKey(ReadOnlySpan<byte> customerKey)
    {
        if (customerKey.Length != CustomerKeySize)
        {
            throw new ArgumentException(
                $"An SSE-C customer key is {CustomerKeySize} bytes (AES-256); got {customerKey.Length}.", nameof(customerKey));
        }
    }
}
