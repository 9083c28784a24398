using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Coffer.Crypto.Internal;

/// <summary>
/// Seals and opens the segments of one sealed stream (docs/format.md, "Key derivation" and "Segment").
/// <para>D = SHA-256(header ‖ u32be(len(identity)) ‖ identity) binds the header and the stream identity.</para>
/// <para>Encrypted: (K ‖ N) = HKDF-SHA256(ikm: object key, salt: header salt, info: "coffer sealed-stream v1" ‖ D),
/// 44 bytes for AES-256-GCM, 28 for SM4-GCM (a 16-byte K); segment i uses nonce N XOR (0^32 ‖ u64be(i)) and
/// AAD = D ‖ final (one byte, 0x00 or 0x01). The header's cipher byte picks the AEAD.</para>
/// <para>Plain: tag = XXH3-128(D ‖ u64be(i) ‖ final ‖ body), big-endian: detects corruption, reorder,
/// truncation, extension and splicing, but is no defence against a deliberate forger.</para>
/// One instance per stream; not thread-safe; no allocation per segment with AES-GCM (BouncyCastle's GCM, under SM4,
/// allocates a few small buffers each time it is re-initialised for a segment).
/// </summary>
internal sealed class SegmentCipher : IDisposable
{
    public const int TagSize = 16;
    public const int DigestSize = 32;
    private const int NonceSize = SegmentAead.NonceSize;
    private static ReadOnlySpan<byte> KeyLabel => "coffer sealed-stream v1"u8;

    private readonly SegmentAead? _gcm;
    private readonly XxHash128? _check;
    private readonly byte[] _nonceBase = new byte[NonceSize];
    private readonly byte[] _nonce = new byte[NonceSize];
    private readonly byte[] _aad = new byte[DigestSize + 1];
    private readonly byte[] _checkPrefix = new byte[DigestSize + 8 + 1];

    private SegmentCipher(ReadOnlySpan<byte> digest, ObjectKey? key, ReadOnlySpan<byte> salt, byte cipher)
    {
        digest.CopyTo(_aad);
        digest.CopyTo(_checkPrefix);
        if (key is null)
        {
            _check = new XxHash128();
            return;
        }

        Span<byte> info = stackalloc byte[KeyLabel.Length + DigestSize];
        KeyLabel.CopyTo(info);
        digest.CopyTo(info[KeyLabel.Length..]);
        int keySize = SegmentAead.KeySizeOf(cipher);
        Span<byte> okm = stackalloc byte[keySize + NonceSize];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, key.Bytes, okm, salt, info);
            _gcm = SegmentAead.Create(cipher, okm[..keySize]);
            okm[keySize..].CopyTo(_nonceBase);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(okm);
        }
    }

    /// <summary>D: the digest of the header and stream identity (part of every segment's AAD).</summary>
    public ReadOnlySpan<byte> HeaderDigest => _aad.AsSpan(0, DigestSize);

    public static SegmentCipher Create(ReadOnlySpan<byte> header, ObjectKey? key, string streamIdentity)
    {
        var h = new StreamHeader(header);
        Span<byte> digest = stackalloc byte[DigestSize];
        ComputeDigest(header, streamIdentity, digest);
        return new SegmentCipher(digest, key, h.Salt, h.Cipher);
    }

    public static void ComputeDigest(ReadOnlySpan<byte> header, string streamIdentity, Span<byte> digest)
    {
        int idLength = Encoding.UTF8.GetByteCount(streamIdentity);
        byte[] input = new byte[header.Length + 4 + idLength];
        header.CopyTo(input);
        BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(header.Length), (uint)idLength);
        Encoding.UTF8.GetBytes(streamIdentity, input.AsSpan(header.Length + 4));
        SHA256.HashData(input, digest);
    }

    /// <summary>Seals one segment. <paramref name="output"/> may be the same memory as <paramref name="plaintext"/>.</summary>
    public void Seal(ReadOnlySpan<byte> plaintext, Span<byte> output, Span<byte> tag, long index, bool final)
    {
        if (_gcm is not null)
        {
            SetNonceAndAad(index, final);
            _gcm.Encrypt(_nonce, plaintext, output, tag, _aad);
            return;
        }

        if (!plaintext.Overlaps(output))
        {
            plaintext.CopyTo(output);
        }

        ComputeCheck(output[..plaintext.Length], index, final, tag);
    }

    /// <summary>Authenticates and (when encrypted) decrypts one segment in place. False: it does not
    /// authenticate; the body then holds no usable plaintext and must not be released.</summary>
    public bool TryOpen(Span<byte> body, ReadOnlySpan<byte> tag, long index, bool final) => TryOpen(body, tag, body, index, final);

    /// <summary>Authenticates <paramref name="sealedBody"/> and writes its plaintext to <paramref name="output"/>
    /// (same length; may be the same memory). False: it does not authenticate, and <paramref name="output"/>
    /// holds no plaintext (the AEAD clears it; plain framing copies only after the check).</summary>
    public bool TryOpen(ReadOnlySpan<byte> sealedBody, ReadOnlySpan<byte> tag, Span<byte> output, long index, bool final)
    {
        if (_gcm is not null)
        {
            SetNonceAndAad(index, final);
            return _gcm.TryDecrypt(_nonce, sealedBody, tag, output, _aad);
        }

        Span<byte> expected = stackalloc byte[TagSize];
        ComputeCheck(sealedBody, index, final, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, tag))
        {
            return false;
        }

        if (!sealedBody.Overlaps(output))
        {
            sealedBody.CopyTo(output);
        }

        return true;
    }

    public void Dispose()
    {
        _gcm?.Dispose();
        CryptographicOperations.ZeroMemory(_nonceBase);
        CryptographicOperations.ZeroMemory(_nonce);
    }

    private void SetNonceAndAad(long index, bool final)
    {
        ulong counter = BinaryPrimitives.ReadUInt64BigEndian(_nonceBase.AsSpan(4)) ^ (ulong)index;
        _nonceBase.AsSpan(0, 4).CopyTo(_nonce);
        BinaryPrimitives.WriteUInt64BigEndian(_nonce.AsSpan(4), counter);
        _aad[DigestSize] = final ? (byte)1 : (byte)0;
    }

    private void ComputeCheck(ReadOnlySpan<byte> body, long index, bool final, Span<byte> tag)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_checkPrefix.AsSpan(DigestSize), (ulong)index);
        _checkPrefix[DigestSize + 8] = final ? (byte)1 : (byte)0;
        _check!.Reset();
        _check.Append(_checkPrefix);
        _check.Append(body);
        _check.GetCurrentHash(tag);
    }
}
