namespace Coffer.Crypto.Internal;

/// <summary>
/// The 40-byte header of a sealed stream (docs/format.md, "Stream header"):
/// <code>
/// offset size field
///  0      4   magic "CFSS"
///  4      1   version (0x01)
///  5      1   cipher: 0x00 none (plain framing, XXH3-128 check), 0x01 AES-256-GCM, 0x02 SM4-GCM
///  6      1   log2(segment size) = 16
///  7      1   reserved, 0x00
///  8     32   salt, random per stream
/// </code>
/// The layout is written in this one place; everything else uses the accessors.
/// </summary>
internal readonly ref struct StreamHeader
{
    public const int Size = 40;
    public const int SaltSize = 32;
    public const byte Version1 = 0x01;
    public const byte CipherNone = 0x00;
    public const byte CipherAes256Gcm = 0x01;
    public const byte CipherSm4Gcm = 0x02;
    public const byte SegmentSizeLog2Value = 16;

    private readonly ReadOnlySpan<byte> _bytes;

    public StreamHeader(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A stream header is {Size} bytes.", nameof(bytes));
        }

        _bytes = bytes;
    }

    public static ReadOnlySpan<byte> MagicValue => "CFSS"u8;

    public ReadOnlySpan<byte> Magic => _bytes[..4];

    public byte Version => _bytes[4];

    public byte Cipher => _bytes[5];

    public byte SegmentSizeLog2 => _bytes[6];

    public byte Reserved => _bytes[7];

    public ReadOnlySpan<byte> Salt => _bytes.Slice(8, SaltSize);

    public bool IsEncrypted => Cipher != CipherNone;

    /// <summary>The header cipher byte of an encrypted stream's <see cref="StreamCipher"/>.</summary>
    public static byte CipherOf(StreamCipher cipher) => cipher switch
    {
        StreamCipher.Aes256Gcm => CipherAes256Gcm,
        StreamCipher.Sm4Gcm => CipherSm4Gcm,
        _ => throw new ArgumentOutOfRangeException(nameof(cipher), cipher, "Unknown stream cipher."),
    };

    public static void Write(Span<byte> destination, byte cipher, ReadOnlySpan<byte> salt)
    {
        if (salt.Length != SaltSize)
        {
            throw new ArgumentException($"The stream salt is {SaltSize} bytes.", nameof(salt));
        }

        MagicValue.CopyTo(destination);
        destination[4] = Version1;
        destination[5] = cipher;
        destination[6] = SegmentSizeLog2Value;
        destination[7] = 0;
        salt.CopyTo(destination.Slice(8, SaltSize));
    }

    /// <summary>Checks every fixed field; the salt is checked later by authentication.</summary>
    public void Validate()
    {
        if (!Magic.SequenceEqual(MagicValue))
        {
            throw new SealedStreamException(SealedStreamError.BadHeader, -1, "The data is not a sealed stream (bad magic).");
        }

        if (Version != Version1)
        {
            throw new SealedStreamException(SealedStreamError.UnsupportedVersion, -1,
                $"Sealed stream version {Version} is not supported (this build reads version {Version1}).");
        }

        if (Cipher is not (CipherNone or CipherAes256Gcm or CipherSm4Gcm) || SegmentSizeLog2 != SegmentSizeLog2Value || Reserved != 0)
        {
            throw new SealedStreamException(SealedStreamError.BadHeader, -1,
                "The sealed stream header has an unknown cipher, segment size or reserved value.");
        }
    }
}
