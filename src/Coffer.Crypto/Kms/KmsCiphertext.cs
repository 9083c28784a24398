using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Coffer.Crypto.Internal;

namespace Coffer.Crypto.Kms;

/// <summary>
/// The KMS ciphertext blob (docs/keys.md, "KMS ciphertext blob"):
/// <code>
/// offset   size  field
///  0        1    version 0x01
///  1        1    n = length of the key id (ASCII, 1..255)
///  2        n    key id
///  2+n      4    CMK version, u32 big-endian
///  6+n     32    salt, random per blob
///  38+n     L    ciphertext (L = plaintext length)
///  38+n+L  16    GCM tag
/// </code>
/// (K ‖ N) = HKDF-SHA256(ikm: CMK version material, salt, info: fields("coffer kms v1", key id, version));
/// AAD = bytes [0, 38+n) ‖ canonical encryption context.
/// </summary>
internal static class KmsCiphertext
{
    public const byte Version = 0x01;
    private static ReadOnlySpan<byte> Label => "coffer kms v1"u8;

    public static byte[] Encrypt(string keyId, int keyVersion, ReadOnlySpan<byte> material, ReadOnlySpan<byte> plaintext,
        byte[] canonicalContext, ReadOnlySpan<byte> salt)
    {
        int n = Encoding.ASCII.GetByteCount(keyId);
        int headerSize = 2 + n + 4 + OneShotAead.SaltSize;
        byte[] blob = new byte[headerSize + plaintext.Length + OneShotAead.TagSize];
        blob[0] = Version;
        blob[1] = checked((byte)n);
        Encoding.ASCII.GetBytes(keyId, blob.AsSpan(2, n));
        BinaryPrimitives.WriteUInt32BigEndian(blob.AsSpan(2 + n), (uint)keyVersion);
        salt.CopyTo(blob.AsSpan(6 + n, OneShotAead.SaltSize));
        byte[] aad = Fields.Concat(blob.AsSpan(0, headerSize), canonicalContext);
        OneShotAead.Seal(material, salt, Info(keyId, keyVersion), aad, plaintext,
            blob.AsSpan(headerSize, plaintext.Length), blob.AsSpan(headerSize + plaintext.Length));
        return blob;
    }

    /// <summary>Reads the key id and version; false when the blob is malformed.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> blob, out string keyId, out int keyVersion)
    {
        keyId = "";
        keyVersion = 0;
        if (blob.Length < 2 || blob[0] != Version)
        {
            return false;
        }

        int n = blob[1];
        if (n == 0 || blob.Length < 2 + n + 4 + OneShotAead.SaltSize + OneShotAead.TagSize)
        {
            return false;
        }

        foreach (byte b in blob.Slice(2, n))
        {
            if (b is < 0x21 or > 0x7E)
            {
                return false;
            }
        }

        keyId = Encoding.ASCII.GetString(blob.Slice(2, n));
        uint v = BinaryPrimitives.ReadUInt32BigEndian(blob.Slice(2 + n));
        if (v is 0 or > int.MaxValue)
        {
            return false;
        }

        keyVersion = (int)v;
        return true;
    }

    /// <summary>Decrypts a blob whose header <see cref="TryReadHeader"/> accepted; null when it does not authenticate.</summary>
    public static byte[]? TryDecrypt(ReadOnlySpan<byte> blob, string keyId, int keyVersion, ReadOnlySpan<byte> material, byte[] canonicalContext)
    {
        int n = blob[1];
        int headerSize = 2 + n + 4 + OneShotAead.SaltSize;
        int length = blob.Length - headerSize - OneShotAead.TagSize;
        byte[] plaintext = new byte[length];
        byte[] aad = Fields.Concat(blob[..headerSize], canonicalContext);
        return OneShotAead.TryOpen(material, blob.Slice(6 + n, OneShotAead.SaltSize), Info(keyId, keyVersion), aad,
            blob.Slice(headerSize, length), blob[(headerSize + length)..], plaintext)
            ? plaintext
            : null;
    }

    private static byte[] Info(string keyId, int keyVersion)
        => Fields.Encode(Label, keyId, keyVersion.ToString(CultureInfo.InvariantCulture));
}
