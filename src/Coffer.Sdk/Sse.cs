using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

/// <summary>
/// Server-side encryption for a request, as a small typed value: <see cref="Cos"/> (SSE-COS; <see cref="Sm4"/> for
/// COS's SSE-COS with the SM4 cipher),
/// <see cref="Kms(string?, IReadOnlyDictionary{string, string}?)"/> (SSE-KMS) or
/// <see cref="Customer(string)"/> (SSE-C). The client turns it into the right headers of the
/// signature's family and computes base64 and MD5 values itself.
/// </summary>
public abstract class Sse
{
    private protected Sse()
    {
    }

    /// <summary>SSE-COS: the service holds the key (<c>x-cos-server-side-encryption: AES256</c>).</summary>
    public static SseCos Cos() => SseCos.Instance;

    /// <summary>
    /// SSE-COS with the SM4 cipher (<c>x-cos-server-side-encryption: SM4</c>), as COS offers it. COS-signed
    /// requests only: S3 has no SM4, so a SigV4 server answers it as an unknown algorithm.
    /// </summary>
    public static SseCos Sm4() => SseCos.Sm4Instance;

    /// <summary>
    /// SSE-KMS (<c>cos/kms</c>, S3 <c>aws:kms</c>) with an optional KMS key id (null for the
    /// service's default key) and an optional encryption context of string pairs, which is
    /// sent as base64 JSON.
    /// </summary>
    /// <param name="keyId">The KMS key id, or null for the default key.</param>
    /// <param name="context">The encryption context, or null.</param>
    public static SseKms Kms(string? keyId = null, IReadOnlyDictionary<string, string>? context = null) =>
        new(keyId, context is null ? null : Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(context, SdkJson.Default.IReadOnlyDictionaryStringString)));

    /// <summary>SSE-KMS with an encryption context given as JSON text, e.g. <c>{"test":"test"}</c>; the client base64-encodes it.</summary>
    /// <param name="keyId">The KMS key id, or null for the default key.</param>
    /// <param name="contextJson">A JSON object of string pairs.</param>
    public static SseKms Kms(string? keyId, string contextJson)
    {
        ArgumentNullException.ThrowIfNull(contextJson);
        return new(keyId, Convert.ToBase64String(Encoding.UTF8.GetBytes(contextJson)));
    }

    /// <summary>SSE-C with a 32-byte key given as text (32 ASCII characters, as in the COS guide's <c>'00000000000000000000000000000001'</c>).</summary>
    /// <param name="key">32 characters whose UTF-8 encoding is 32 bytes.</param>
    public static SseCustomer Customer(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Customer(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>SSE-C with a raw 256-bit key.</summary>
    /// <param name="key">Exactly 32 bytes.</param>
    public static SseCustomer Customer(ReadOnlySpan<byte> key)
    {
        if (key.Length != 32)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"An SSE-C key must be exactly 32 bytes (256 bits); got {key.Length}.");
        }

        return new SseCustomer(Convert.ToBase64String(key), Convert.ToBase64String(MD5.HashData(key)));
    }

    /// <summary>A 256-bit SSE-C key from a cryptographic random source.</summary>
    public static SseCustomer RandomCustomerKey()
    {
        Span<byte> key = stackalloc byte[32];
        RandomNumberGenerator.Fill(key);
        try
        {
            return Customer(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}

/// <summary>SSE-COS (<c>AES256</c>, or COS's <c>SM4</c>): the service holds the key.</summary>
public sealed class SseCos : Sse
{
    internal static readonly SseCos Instance = new("AES256");
    internal static readonly SseCos Sm4Instance = new("SM4");

    private SseCos(string algorithm)
    {
        Algorithm = algorithm;
    }

    /// <summary>The <c>x-cos-server-side-encryption</c> value sent: "AES256" or "SM4".</summary>
    public string Algorithm { get; }

    /// <inheritdoc/>
    public override string ToString() => $"SSE-COS ({Algorithm})";
}

/// <summary>SSE-KMS: a KMS master key wraps the object key.</summary>
public sealed class SseKms : Sse
{
    internal SseKms(string? keyId, string? contextBase64)
    {
        KeyId = string.IsNullOrEmpty(keyId) ? null : keyId;
        ContextBase64 = contextBase64;
    }

    /// <summary>The KMS key id; null for the service's default key.</summary>
    public string? KeyId { get; }

    /// <summary>The encryption context as sent: base64 of a JSON object, or null.</summary>
    public string? ContextBase64 { get; }

    /// <inheritdoc/>
    public override string ToString() => $"SSE-KMS (key {KeyId ?? "default"}{(ContextBase64 is null ? "" : ", with context")})";
}

/// <summary>
/// SSE-C: a customer-provided 256-bit key, sent (base64, with its MD5) on every request that
/// writes or reads the object. <see cref="ToString"/> never shows the key.
/// </summary>
public sealed class SseCustomer : Sse
{
    internal SseCustomer(string keyBase64, string keyMd5Base64, string algorithm = "AES256")
    {
        KeyBase64 = keyBase64;
        KeyMd5 = keyMd5Base64;
        Algorithm = algorithm;
    }

    /// <summary>Builds the key from the header values of the guide: base64 key and base64 MD5 (computed when null).</summary>
    /// <param name="keyBase64">Base64 of the 32-byte key.</param>
    /// <param name="keyMd5Base64">Base64 of the key's MD5, or null to compute it.</param>
    public static SseCustomer FromBase64(string keyBase64, string? keyMd5Base64 = null)
    {
        ArgumentNullException.ThrowIfNull(keyBase64);
        byte[] key;
        try
        {
            key = Convert.FromBase64String(keyBase64);
        }
        catch (FormatException)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "The SSE-C key is not valid base64.");
        }

        try
        {
            if (key.Length != 32)
            {
                throw new CosClientException(CosClientErrorKind.InvalidArgument, $"An SSE-C key must be exactly 32 bytes (256 bits); the base64 value decodes to {key.Length}.");
            }

            return new SseCustomer(keyBase64, keyMd5Base64 ?? Convert.ToBase64String(MD5.HashData(key)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The algorithm: "AES256", the only one servers accept.</summary>
    public string Algorithm { get; }

    /// <summary>Base64 of the key: the value of <c>x-cos-server-side-encryption-customer-key</c>. Secret.</summary>
    public string KeyBase64 { get; }

    /// <summary>Base64 of the key's MD5: the value of <c>x-cos-server-side-encryption-customer-key-MD5</c>.</summary>
    public string KeyMd5 { get; }

    /// <inheritdoc/>
    public override string ToString() => $"SSE-C ({Algorithm}, key MD5 {KeyMd5})";

    /// <summary>Whether both name the same key.</summary>
    internal bool SameKey(SseCustomer other) => KeyBase64 == other.KeyBase64 && Algorithm == other.Algorithm;
}
