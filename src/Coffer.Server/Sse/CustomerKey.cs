using System.Security.Cryptography;
using Coffer.Protocol;

namespace Coffer.Server.Sse;

/// <summary>
/// An SSE-C key as sent by the client: 32 bytes, checked against its MD5. Zeroed on dispose;
/// never logged (ToString is redacted), never stored.
/// </summary>
public sealed class CustomerKey : IDisposable
{
    private readonly byte[] _key;

    private CustomerKey(byte[] key, string keyMd5)
    {
        _key = key;
        KeyMd5 = keyMd5;
    }

    /// <summary>Base64 MD5 of the key, as the client sent it (safe to echo).</summary>
    public string KeyMd5 { get; }

    public ReadOnlySpan<byte> Bytes => _key;

    public void Dispose() => CryptographicOperations.ZeroMemory(_key);

    public override string ToString() => "CustomerKey(redacted)";

    /// <summary>
    /// Parses the three SSE-C headers with the given suffix prefix ("server-side-encryption-customer-"
    /// or "copy-source-server-side-encryption-customer-"). Returns null when none is present.
    /// Checks in a fixed order, each failure with its own message (minio internal/crypto/sse-c.go).
    /// </summary>
    public static CustomerKey? Parse(Func<string, string?> familyHeader, string prefix, bool isHttps)
    {
        var algorithm = familyHeader(prefix + "algorithm");
        var keyText = familyHeader(prefix + "key");
        var md5Text = familyHeader(prefix + "key-MD5") ?? familyHeader(prefix + "key-md5");
        if (algorithm is null && keyText is null && md5Text is null)
            return null;

        if (!isHttps)
            throw new CofferException(ErrorCode.InvalidRequest, "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection (HTTPS).");
        if (algorithm is null)
            throw new CofferException(ErrorCode.InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm: send the customer-algorithm header with AES256.");
        if (algorithm != "AES256")
            throw new CofferException(ErrorCode.InvalidArgument, $"The customer encryption algorithm '{algorithm}' is not supported; the only valid value is AES256.");
        if (string.IsNullOrEmpty(keyText))
            throw new CofferException(ErrorCode.InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key: send the base64 of a 32-byte key.");

        var key = new byte[32];
        if (!Convert.TryFromBase64String(keyText, key, out var written) || written != 32)
        {
            CryptographicOperations.ZeroMemory(key);
            var decodable = TryDecodedLength(keyText);
            throw new CofferException(ErrorCode.InvalidArgument, decodable is null
                ? "The customer-provided key is not valid base64; send the base64 of a 32-byte key."
                : $"The secret key was invalid for the specified algorithm: AES256 needs 32 bytes, the key has {decodable}.");
        }
        if (string.IsNullOrEmpty(md5Text))
        {
            CryptographicOperations.ZeroMemory(key);
            throw new CofferException(ErrorCode.InvalidArgument, "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key (base64).");
        }

        Span<byte> md5 = stackalloc byte[16];
        MD5.HashData(key, md5);
        Span<byte> given = stackalloc byte[16];
        if (!Convert.TryFromBase64String(md5Text, given, out var md5Length) || md5Length != 16 || !CryptographicOperations.FixedTimeEquals(md5, given))
        {
            CryptographicOperations.ZeroMemory(key);
            throw new CofferException(ErrorCode.InvalidArgument, "The calculated MD5 hash of the key did not match the hash that was provided; send the base64 MD5 of the raw 32-byte key.");
        }
        return new CustomerKey(key, md5Text);
    }

    private static int? TryDecodedLength(string text)
    {
        var buffer = new byte[text.Length];
        try { return Convert.TryFromBase64String(text, buffer, out var n) ? n : null; }
        finally { CryptographicOperations.ZeroMemory(buffer); }
    }
}
