using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Crypto.Kms;
using Coffer.Server.Pipeline;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Kms;

/// <summary>The KMS API's JSON: reading a request's fields, key metadata and ARNs, and writing responses and errors.</summary>
public static partial class KmsApi
{
    private static JsonObject Metadata(KmsKeyRecord key, CofferServices s)
    {
        var meta = new JsonObject
        {
            ["AWSAccountId"] = Account,
            ["KeyId"] = key.KeyId,
            ["Arn"] = Arn(s, key.KeyId),
            ["CreationDate"] = Epoch(key.Created),
            ["Enabled"] = key.State == KmsKeyState.Enabled,
            ["Description"] = key.Description,
            ["KeyUsage"] = "ENCRYPT_DECRYPT",
            ["KeyState"] = key.State.ToString(),
            ["Origin"] = "AWS_KMS",
            ["KeyManager"] = key.Manager == KmsKeyManager.Service ? "AWS" : "CUSTOMER",
            ["CustomerMasterKeySpec"] = Algorithm,
            ["KeySpec"] = Algorithm,
            ["EncryptionAlgorithms"] = new JsonArray(Algorithm),
            ["MultiRegion"] = false,
        };
        if (key.DeletionDate is { } deletion)
            meta["DeletionDate"] = Epoch(deletion);
        return meta;
    }

    private static double Epoch(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 1000.0;

    private static int? VersionOf(byte[] blob) => KeyManager.TryReadCiphertextHeader(blob, out _, out var version) ? version : null;

    private static string Arn(CofferServices s, string keyId) => $"arn:aws:kms:{s.Options.Region}:{Account}:key/{keyId}";

    private static string AliasArn(CofferServices s, string alias) => $"arn:aws:kms:{s.Options.Region}:{Account}:{alias}";

    private static string? OptionalString(JsonObject input, string field) =>
        input[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static string Required(JsonObject input, string field) =>
        input[field]?.GetValue<string>() is { Length: > 0 } value ? value
            : throw new KmsApiException(KmsErrorType.Validation, $"The field '{field}' is required.");

    private static byte[] Base64(JsonObject input, string field)
    {
        try { return Convert.FromBase64String(Required(input, field)); }
        catch (FormatException) { throw new KmsApiException(KmsErrorType.Validation, $"The field '{field}' must be base64."); }
    }

    private static async Task<JsonObject> ReadInputAsync(RequestContext ctx)
    {
        var body = Objects.RequestBody.Open(ctx);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await body.Stream.ReadAsync(chunk, ctx.Aborted)) > 0)
        {
            if (buffer.Length + n > MaxBodyBytes)
                throw new KmsApiException(KmsErrorType.Validation, $"The request body is larger than {MaxBodyBytes} bytes.");
            buffer.Write(chunk, 0, n);
        }
        if (buffer.Length == 0)
            return [];
        return JsonNode.Parse(buffer.ToArray()) as JsonObject ?? throw new JsonException("not an object");
    }

    private static Task WriteJsonAsync(HttpContext http, JsonObject body, int status)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/x-amz-json-1.1";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        http.Response.ContentLength = bytes.Length;
        return http.Response.Body.WriteAsync(bytes).AsTask();
    }

    /// <summary>Writes a KMS API error: the x-amzn-ErrorType header and the JSON body AWS SDKs parse.</summary>
    public static Task WriteErrorAsync(HttpContext http, KmsErrorType error, string message)
    {
        http.Response.Headers["x-amzn-ErrorType"] = error.Type;
        return WriteJsonAsync(http, new JsonObject { ["__type"] = error.Type, ["message"] = message }, error.Status);
    }
}
