using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;

namespace Coffer.Crypto.Internal;

/// <summary>
/// The AEAD of an encrypted sealed stream's segments (docs/format.md §4): a 96-bit nonce, a 16-byte tag,
/// associated data. One instance per stream key; not thread-safe.
/// </summary>
internal abstract class SegmentAead : IDisposable
{
    public const int NonceSize = 12;
    public const int TagSize = 16;

    /// <summary>The stream key size of a cipher: 32 bytes for AES-256, 16 for SM4 (a 128-bit block cipher with a 128-bit key).</summary>
    public static int KeySizeOf(byte headerCipher) => headerCipher == StreamHeader.CipherSm4Gcm ? Sm4GcmAead.KeySize : 32;

    public static SegmentAead Create(byte headerCipher, ReadOnlySpan<byte> streamKey) => headerCipher switch
    {
        StreamHeader.CipherAes256Gcm => new AesGcmAead(streamKey),
        StreamHeader.CipherSm4Gcm => new Sm4GcmAead(streamKey),
        _ => throw new ArgumentOutOfRangeException(nameof(headerCipher), headerCipher, "Not an encrypting cipher."),
    };

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="output"/> (same length; may be the same memory).</summary>
    public abstract void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> output, Span<byte> tag, ReadOnlySpan<byte> aad);

    /// <summary>Decrypts and authenticates; false when the tag does not verify, and <paramref name="output"/> is then zeroed.</summary>
    public abstract bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> output, ReadOnlySpan<byte> aad);

    public abstract void Dispose();

    private sealed class AesGcmAead(ReadOnlySpan<byte> key) : SegmentAead
    {
        private readonly AesGcm _gcm = new(key, TagSize);

        public override void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> output, Span<byte> tag, ReadOnlySpan<byte> aad) =>
            _gcm.Encrypt(nonce, plaintext, output, tag, aad);

        public override bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> output, ReadOnlySpan<byte> aad)
        {
            try
            {
                _gcm.Decrypt(nonce, ciphertext, tag, output, aad);
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                CryptographicOperations.ZeroMemory(output);
                return false;
            }
        }

        public override void Dispose() => _gcm.Dispose();
    }

    /// <summary>
    /// SM4-GCM: BouncyCastle's <see cref="SM4Engine"/> (GB/T 32907) under its <see cref="GcmBlockCipher"/>
    /// (NIST SP 800-38D, the GCM of RFC 8998's SM4-GCM). The GHASH tables are computed once per stream
    /// (later segments re-initialise with the same key and a new nonce). BouncyCastle keeps its own copy of
    /// the key schedule in managed memory that it offers no way to clear; it lives as long as this object.
    /// </summary>
    private sealed class Sm4GcmAead : SegmentAead
    {
        public const int KeySize = 16;
        private readonly GcmBlockCipher _gcm = new(new SM4Engine());
        private readonly KeyParameter _key;
        private readonly byte[] _nonce = new byte[NonceSize];
        private bool _keyed;

        public Sm4GcmAead(ReadOnlySpan<byte> key)
        {
            if (key.Length != KeySize)
            {
                throw new ArgumentException($"An SM4 key is {KeySize} bytes.", nameof(key));
            }

            _key = new KeyParameter(key);
        }

        public override void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> output, Span<byte> tag, ReadOnlySpan<byte> aad)
        {
            Init(forEncryption: true, nonce, aad);
            int n = _gcm.ProcessBytes(plaintext, output);
            // DoFinal writes the rest of the ciphertext (under one block) followed by the tag.
            Span<byte> rest = stackalloc byte[plaintext.Length - n + TagSize];
            int m = _gcm.DoFinal(rest);
            rest[..(m - TagSize)].CopyTo(output[n..]);
            rest[(m - TagSize)..m].CopyTo(tag);
            CryptographicOperations.ZeroMemory(rest);
        }

        public override bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> output, ReadOnlySpan<byte> aad)
        {
            Init(forEncryption: false, nonce, aad);
            try
            {
                // GCM holds back the last 16 input bytes as the would-be tag: the body, then the tag.
                int n = _gcm.ProcessBytes(ciphertext, output);
                n += _gcm.ProcessBytes(tag, output[n..]);
                _gcm.DoFinal(output[n..]);
                return true;
            }
            catch (InvalidCipherTextException)
            {
                CryptographicOperations.ZeroMemory(output);
                return false;
            }
        }

        public override void Dispose()
        {
            _gcm.Reset();
            CryptographicOperations.ZeroMemory(_nonce);
        }

        private void Init(bool forEncryption, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad)
        {
            nonce.CopyTo(_nonce);
            // A null key re-uses the key (and the GHASH tables) of the first Init.
            _gcm.Init(forEncryption, new AeadParameters(_keyed ? null : _key, TagSize * 8, _nonce));
            _keyed = true;
            _gcm.ProcessAadBytes(aad);
        }
    }
}
