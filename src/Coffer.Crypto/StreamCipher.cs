namespace Coffer.Crypto;

/// <summary>
/// The AEAD that seals the segments of an encrypted stream (docs/format.md §3.1, the header's cipher byte).
/// The numeric values are stored in object metadata: DO NOT CHANGE them. The default is AES-256-GCM.
/// </summary>
public enum StreamCipher
{
    /// <summary>AES-256-GCM (header cipher byte 0x01): SSE-COS AES256, SSE-KMS, SSE-C.</summary>
    Aes256Gcm = 0,

    /// <summary>SM4-GCM, SM4 of GB/T 32907 in GCM mode (header cipher byte 0x02): COS's SM4 server-side encryption.</summary>
    Sm4Gcm = 1,
}
