using System.Security.Cryptography;

namespace Coffer.Crypto;

/// <summary>
/// A 32-byte object (data) key: the key a sealed stream is derived from (<see cref="SealedStreamWriter"/>).
/// It owns its bytes (allocated pinned, so the GC never leaves copies behind), zeroes them on
/// <see cref="Dispose"/>, and its <see cref="ToString"/> is redacted. It must never be stored in
/// plaintext: persist only a sealed form (<see cref="CustomerKeySealing"/>, <see cref="Kms.KmsEnvelope"/>).
/// </summary>
public sealed class ObjectKey : IDisposable
{
    /// <summary>Key size in bytes (AES-256).</summary>
    public const int Size = 32;

    private readonly byte[] _bytes = GC.AllocateUninitializedArray<byte>(Size, pinned: true);
    private volatile bool _disposed;

    private ObjectKey()
    {
    }

    /// <summary>A fresh key from the system CSPRNG.</summary>
    public static ObjectKey Generate()
    {
        var key = new ObjectKey();
        RandomNumberGenerator.Fill(key._bytes);
        return key;
    }

    /// <summary>A key holding a copy of <paramref name="bytes"/> (exactly <see cref="Size"/> bytes).</summary>
    /// <exception cref="ArgumentException">The input is not 32 bytes long.</exception>
    public static ObjectKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"An object key is {Size} bytes; got {bytes.Length}.", nameof(bytes));
        }

        var key = new ObjectKey();
        bytes.CopyTo(key._bytes);
        return key;
    }

    /// <summary>The key bytes. Do not copy them anywhere that outlives this object.</summary>
    /// <exception cref="ObjectDisposedException">The key was disposed (its bytes are zero).</exception>
    public ReadOnlySpan<byte> Bytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    /// <summary>True when both keys hold the same bytes; compares in constant time.</summary>
    public bool KeyEquals(ObjectKey other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return CryptographicOperations.FixedTimeEquals(Bytes, other.Bytes);
    }

    /// <summary>Zeroes the key bytes. Idempotent.</summary>
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_bytes);
    }

    /// <summary>Redacted: never shows key material.</summary>
    public override string ToString() => "ObjectKey(redacted)";
}
