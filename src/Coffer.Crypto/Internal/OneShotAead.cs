using System.Security.Cryptography;

namespace Coffer.Crypto.Internal;

/// <summary>
/// Single-message AES-256-GCM under a one-time key: (key ‖ nonce) = HKDF-SHA256(ikm, salt, info)
/// with a fresh random 32-byte salt per message. Every message therefore has its own key, so a
/// random nonce budget (2^32 messages per key) never applies. Used for the root-key seal, SSE-C
/// key sealing, bucket-key sealing and KMS ciphertexts; the layouts are in docs/keys.md.
/// </summary>
internal static class OneShotAead
{
    public const int KeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int SaltSize = 32;
    private const int DerivedSize = KeySize + NonceSize;

    public static void Seal(ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag)
    {
        Span<byte> okm = stackalloc byte[DerivedSize];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, okm, salt, info);
            using var gcm = new AesGcm(okm[..KeySize], TagSize);
            gcm.Encrypt(okm[KeySize..], plaintext, ciphertext, tag, aad);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(okm);
        }
    }

    /// <summary>False when the tag does not verify (wrong key, info, salt or associated data; tampering).</summary>
    public static bool TryOpen(ReadOnlySpan<byte> ikm, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> info,
        ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        Span<byte> okm = stackalloc byte[DerivedSize];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, ikm, okm, salt, info);
            using var gcm = new AesGcm(okm[..KeySize], TagSize);
            gcm.Decrypt(okm[KeySize..], ciphertext, tag, plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(okm);
        }
    }
}
