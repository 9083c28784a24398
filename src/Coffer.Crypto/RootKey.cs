using System.Security.Cryptography;
using Coffer.Crypto.Internal;

namespace Coffer.Crypto;

/// <summary>
/// The installation's root key (a data-folder file or an environment variable; loading it is the
/// host's job). It seals KMS key material and other server secrets. Each seal derives a one-time
/// AES-256-GCM key and nonce with HKDF-SHA256 from the root key, a fresh random 32-byte salt and the
/// <c>purpose</c>; the purpose is also associated data, so a blob sealed for one purpose (e.g. one
/// CMK version) cannot be unsealed as another. Layout: docs/keys.md, "Root-key seal".
/// </summary>
public sealed class RootKey : IDisposable
{
    /// <summary>Root key size in bytes.</summary>
    public const int Size = 32;

    /// <summary>Version byte of the sealed layout written by <see cref="Seal(ReadOnlySpan{byte}, string)"/>.</summary>
    internal const byte SealVersion = 0x01;

    /// <summary>Bytes a seal adds to the plaintext: version, salt, tag.</summary>
    public const int SealOverhead = 1 + OneShotAead.SaltSize + OneShotAead.TagSize;

    private const int HeaderSize = 1 + OneShotAead.SaltSize;
    private static ReadOnlySpan<byte> Label => "coffer root-seal v1"u8;

    private readonly byte[] _key = GC.AllocateUninitializedArray<byte>(Size, pinned: true);
    private volatile bool _disposed;

    /// <summary>Wraps a copy of an existing 32-byte root key.</summary>
    /// <exception cref="ArgumentException">The key is not 32 bytes.</exception>
    public RootKey(ReadOnlySpan<byte> key32)
    {
        if (key32.Length != Size)
        {
            throw new ArgumentException($"The root key must be {Size} bytes; got {key32.Length}.", nameof(key32));
        }

        key32.CopyTo(_key);
    }

    /// <summary>
    /// Generates a new root key. <paramref name="keyBytes"/> receives a copy for the caller to persist
    /// (then zero with <see cref="CryptographicOperations.ZeroMemory"/>).
    /// </summary>
    public static RootKey Generate(out byte[] keyBytes)
    {
        keyBytes = RandomNumberGenerator.GetBytes(Size);
        return new RootKey(keyBytes);
    }

    /// <summary>Seals <paramref name="plaintext"/> for <paramref name="purpose"/>; the result is
    /// <see cref="SealOverhead"/> bytes longer than the plaintext.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string purpose)
    {
        Span<byte> salt = stackalloc byte[OneShotAead.SaltSize];
        RandomNumberGenerator.Fill(salt);
        return Seal(plaintext, purpose, salt);
    }

    /// <summary>Test hook: seal with a given salt (golden vectors). Never reuse a salt in production.</summary>
    internal byte[] Seal(ReadOnlySpan<byte> plaintext, string purpose, ReadOnlySpan<byte> salt)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        ObjectDisposedException.ThrowIf(_disposed, this);
        byte[] sealedBytes = new byte[plaintext.Length + SealOverhead];
        sealedBytes[0] = SealVersion;
        salt.CopyTo(sealedBytes.AsSpan(1, OneShotAead.SaltSize));
        byte[] info = Fields.Encode(Label, purpose);
        byte[] aad = Fields.Concat(sealedBytes.AsSpan(0, HeaderSize), info);
        OneShotAead.Seal(_key, salt, info, aad, plaintext,
            sealedBytes.AsSpan(HeaderSize, plaintext.Length), sealedBytes.AsSpan(HeaderSize + plaintext.Length));
        return sealedBytes;
    }

    /// <summary>Opens a blob sealed by <see cref="Seal(ReadOnlySpan{byte}, string)"/> for the same purpose.</summary>
    /// <exception cref="CryptographicException">The blob is malformed or tampered with, was sealed for
    /// another purpose, or under another root key. The message names no key material.</exception>
    public byte[] Unseal(ReadOnlySpan<byte> sealedBytes, string purpose)
    {
        ArgumentNullException.ThrowIfNull(purpose);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (sealedBytes.Length < SealOverhead || sealedBytes[0] != SealVersion)
        {
            throw new CryptographicException("The sealed blob is malformed or of an unknown version.");
        }

        int n = sealedBytes.Length - SealOverhead;
        byte[] plaintext = new byte[n];
        byte[] info = Fields.Encode(Label, purpose);
        byte[] aad = Fields.Concat(sealedBytes[..HeaderSize], info);
        if (!OneShotAead.TryOpen(_key, sealedBytes.Slice(1, OneShotAead.SaltSize), info, aad,
                sealedBytes.Slice(HeaderSize, n), sealedBytes[(HeaderSize + n)..], plaintext))
        {
            throw new CryptographicException(
                "The sealed blob does not authenticate: it was tampered with, sealed for another purpose, or under another root key.");
        }

        return plaintext;
    }

    /// <summary>Zeroes the key. Idempotent.</summary>
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_key);
    }

    /// <summary>Redacted: never shows key material.</summary>
    public override string ToString() => "RootKey(redacted)";
}
