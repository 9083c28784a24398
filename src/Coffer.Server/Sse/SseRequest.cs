using System.Text;
using System.Text.Json;
using Coffer.Crypto;
using Coffer.Protocol;
using Coffer.Protocol.Auth;
using Coffer.Server.Pipeline;
using Coffer.Storage;

namespace Coffer.Server.Sse;

/// <summary>
/// What a writing request asked for: SSE-COS (AES256, or SM4 from COS-signed requests), SSE-KMS
/// (key id, context) or SSE-C (customer key), or nothing (the bucket default then applies). Parsed
/// from either header family.
/// </summary>
public sealed class SseRequest : IDisposable
{
    public SseMode Mode { get; private init; }
    /// <summary>The data cipher asked for: SM4-GCM for COS's <c>x-cos-server-side-encryption: SM4</c>, else AES-256-GCM.</summary>
    public StreamCipher Cipher { get; private init; }
    public string? KmsKeyId { get; private init; }
    /// <summary>The context header exactly as sent (base64 JSON), to store and echo.</summary>
    public string? ContextBase64 { get; private init; }
    public IReadOnlyDictionary<string, string>? Context { get; private init; }
    public CustomerKey? Customer { get; private init; }

    public static readonly SseRequest None = new() { Mode = SseMode.None };

    public void Dispose() => Customer?.Dispose();

    /// <summary>Parses the SSE headers of PUT, Initiate and Copy (destination side).</summary>
    public static SseRequest ParseForWrite(RequestContext ctx)
    {
        var algorithm = ctx.FamilyHeader("server-side-encryption");
        var keyId = ctx.FamilyHeader("server-side-encryption-cos-kms-key-id") ?? ctx.FamilyHeader("server-side-encryption-aws-kms-key-id");
        var context = ctx.FamilyHeader("server-side-encryption-context");
        var customer = CustomerKey.Parse(ctx.FamilyHeader, "server-side-encryption-customer-", ctx.IsHttps);

        if (customer is not null)
        {
            if (algorithm is not null || keyId is not null || context is not null)
            {
                customer.Dispose();
                throw new CofferException(ErrorCode.InvalidArgument, "Server side encryption specified with both SSE-C and SSE-COS/SSE-KMS headers; send only one kind.");
            }
            return new SseRequest { Mode = SseMode.Customer, Customer = customer };
        }

        if (algorithm is null)
        {
            if (keyId is not null || context is not null)
                throw new CofferException(ErrorCode.InvalidArgument, "A KMS key id or encryption context needs the server-side-encryption header set to cos/kms (S3: aws:kms).");
            return None;
        }

        switch (algorithm)
        {
            case "AES256":
                if (keyId is not null || context is not null)
                    throw new CofferException(ErrorCode.InvalidArgument, "A KMS key id or encryption context is only valid with server-side-encryption cos/kms (S3: aws:kms), not AES256.");
                return new SseRequest { Mode = SseMode.Cos };
            // COS's SSE-COS with the SM4 cipher. S3 has no SM4: an S3-signed request naming it gets S3's answer to an
            // unknown algorithm below.
            case "SM4" when ctx.Family == ProtocolFamily.Cos:
                if (keyId is not null || context is not null)
                    throw new CofferException(ErrorCode.InvalidArgument, "A KMS key id or encryption context is only valid with server-side-encryption cos/kms, not SM4.");
                return new SseRequest { Mode = SseMode.Cos, Cipher = StreamCipher.Sm4Gcm };
            case "cos/kms":
            case "aws:kms":
                if (ctx.Identity?.Scheme is SignatureScheme.SigV2Header or SignatureScheme.SigV2Query)
                    throw new CofferException(ErrorCode.InvalidArgument, "Requests specifying Server Side Encryption with AWS KMS managed keys require AWS Signature Version 4.");
                if (!ctx.IsHttps)
                    throw new CofferException(ErrorCode.InvalidArgument, "Requests specifying Server Side Encryption with KMS managed keys must be made over a secure connection (HTTPS).");
                return new SseRequest
                {
                    Mode = SseMode.Kms,
                    KmsKeyId = string.IsNullOrWhiteSpace(keyId) ? null : keyId.Trim(),
                    ContextBase64 = context,
                    Context = context is null ? null : ParseContext(context),
                };
            default:
                throw new CofferException(ErrorCode.InvalidArgument,
                    ctx.Family == ProtocolFamily.Cos
                        ? $"The server-side-encryption value '{algorithm}' is not supported; use AES256 or SM4 (SSE-COS), or cos/kms (SSE-KMS)."
                        : $"The server-side-encryption value '{algorithm}' is not supported; use AES256 or aws:kms.");
        }
    }

    /// <summary>Refuses SSE-COS/KMS headers on reads: the stored object decides (docs/protocol/sse.md#validation-and-errors).</summary>
    public static void RejectOnRead(RequestContext ctx)
    {
        if (ctx.FamilyHeader("server-side-encryption") is not null)
            throw new CofferException(ErrorCode.InvalidArgument, "The server-side-encryption header is not allowed when reading an object; the object's own encryption is used.");
    }

    /// <summary>Base64 of a JSON object whose values are strings.</summary>
    public static Dictionary<string, string> ParseContext(string base64)
    {
        const string hint = "The encryption context must be the base64 of a JSON object of string pairs, e.g. base64('{\"project\":\"a\"}').";
        byte[] json;
        try { json = Convert.FromBase64String(base64); }
        catch (FormatException) { throw new CofferException(ErrorCode.InvalidArgument, "The encryption context is not valid base64. " + hint); }
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new CofferException(ErrorCode.InvalidArgument, "The encryption context is not a JSON object. " + hint);
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Value.ValueKind != JsonValueKind.String)
                    throw new CofferException(ErrorCode.InvalidArgument, $"The encryption context value of '{property.Name}' is not a string. " + hint);
                if (property.Name.StartsWith("coffer:", StringComparison.Ordinal))
                    throw new CofferException(ErrorCode.InvalidArgument, "Encryption context keys starting with 'coffer:' are reserved for the server.");
                result[property.Name] = property.Value.GetString()!;
            }
            return result;
        }
        catch (JsonException)
        {
            throw new CofferException(ErrorCode.InvalidArgument, "The encryption context is not valid JSON. " + hint);
        }
        catch (DecoderFallbackException)
        {
            throw new CofferException(ErrorCode.InvalidArgument, "The encryption context is not UTF-8 JSON. " + hint);
        }
    }
}
