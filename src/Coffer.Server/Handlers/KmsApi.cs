using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Crypto.Kms;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>
/// The built-in KMS over the AWS KMS wire protocol (JSON 1.1, X-Amz-Target: TrentService.*,
/// SigV4 with service "kms") on the same listener, so `aws kms … --endpoint-url` and
/// AWSSDK.KeyManagementService work. A caller sees its own keys and the service-managed key.
/// </summary>
public static class KmsApi
{
    private const int MaxBodyBytes = 256 * 1024;

    public static async Task HandleAsync(RequestContext ctx, CofferServices s)
    {
        var operation = ctx.Request.Headers["X-Amz-Target"].ToString()["TrentService.".Length..];
        JsonObject input;
        try
        {
            input = await ReadInputAsync(ctx);
        }
        catch (JsonException)
        {
            await WriteErrorAsync(ctx.Http, "SerializationException", "The request body is not a JSON object.", 400);
            return;
        }

        try
        {
            JsonObject output = operation switch
            {
                "CreateKey" => await CreateKeyAsync(ctx, s, input),
                "DescribeKey" => new JsonObject { ["KeyMetadata"] = Metadata(await OwnedKeyAsync(ctx, s, input), s) },
                "ListKeys" => await ListKeysAsync(ctx, s),
                "CreateAlias" => await CreateAliasAsync(ctx, s, input),
                "ListAliases" => await ListAliasesAsync(ctx, s, input),
                "EnableKey" => await ChangeAsync(ctx, s, input, (k, ct) => s.Kms.EnableKeyAsync(k.KeyId, ct)),
                "DisableKey" => await ChangeAsync(ctx, s, input, (k, ct) => s.Kms.DisableKeyAsync(k.KeyId, ct)),
                "ScheduleKeyDeletion" => await ScheduleDeletionAsync(ctx, s, input),
                "CancelKeyDeletion" => await CancelDeletionAsync(ctx, s, input),
                "GenerateDataKey" => await GenerateDataKeyAsync(ctx, s, input, withPlaintext: true),
                "GenerateDataKeyWithoutPlaintext" => await GenerateDataKeyAsync(ctx, s, input, withPlaintext: false),
                "Encrypt" => await EncryptAsync(ctx, s, input),
                "Decrypt" => await DecryptAsync(ctx, s, input),
                _ => throw new KmsApiException("UnsupportedOperationException", $"The KMS operation '{operation}' is not supported by this server."),
            };
            await WriteJsonAsync(ctx.Http, output, 200);
        }
        catch (KmsException e)
        {
            await WriteErrorAsync(ctx.Http, KmsErrors.ApiType(e.Kind), e.Message, 400);
        }
        catch (KmsApiException e)
        {
            await WriteErrorAsync(ctx.Http, e.Type, e.Message, 400);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A field of the wrong JSON type (e.g. a number where a string belongs).
            await WriteErrorAsync(ctx.Http, "ValidationException", "A field of the request has the wrong JSON type; check the operation's input shape.", 400);
        }
    }

    private static async Task<JsonObject> CreateKeyAsync(RequestContext ctx, CofferServices s, JsonObject input)
    {
        var spec = input["KeySpec"]?.GetValue<string>() ?? input["CustomerMasterKeySpec"]?.GetValue<string>();
        if (spec is not null && spec != "SYMMETRIC_DEFAULT")
            throw new KmsApiException("UnsupportedOperationException", $"Only SYMMETRIC_DEFAULT keys are supported; got KeySpec '{spec}'.");
        var usage = input["KeyUsage"]?.GetValue<string>();
        if (usage is not null && usage != "ENCRYPT_DECRYPT")
            throw new KmsApiException("ValidationException", $"Only KeyUsage ENCRYPT_DECRYPT is supported; got '{usage}'.");
        var key = await s.Kms.CreateKeyAsync(ctx.Caller.Name, input["Description"]?.GetValue<string>() ?? "", ctx.Aborted);
        return new JsonObject { ["KeyMetadata"] = Metadata(key, s) };
    }

    private static async Task<JsonObject> ListKeysAsync(RequestContext ctx, CofferServices s)
    {
        var keys = new JsonArray();
        foreach (var key in await VisibleKeysAsync(ctx, s))
            keys.Add(new JsonObject { ["KeyId"] = key.KeyId, ["KeyArn"] = Arn(s, key.KeyId) });
        return new JsonObject { ["Keys"] = keys, ["Truncated"] = false };
    }

    private static async Task<JsonObject> CreateAliasAsync(RequestContext ctx, CofferServices s, JsonObject input)
    {
        var alias = Required(input, "AliasName");
        if (!alias.StartsWith("alias/", StringComparison.Ordinal) || alias.Length <= 6 || alias.StartsWith("alias/aws/", StringComparison.Ordinal) || alias.StartsWith("alias/coffer/", StringComparison.Ordinal))
            throw new KmsApiException("InvalidAliasNameException", $"The alias '{alias}' is not valid: it must start with 'alias/' and not with the reserved 'alias/aws/' or 'alias/coffer/'.");
        var key = await OwnedKeyAsync(ctx, s, input, "TargetKeyId");
        try
        {
            await s.Kms.CreateAliasAsync(alias, key.KeyId, ctx.Caller.Name, ctx.Aborted);
        }
        catch (KmsException e) when (e.Kind == KmsErrorKind.InvalidArgument)
        {
            throw new KmsApiException("AlreadyExistsException", e.Message);
        }
        return [];
    }

    private static async Task<JsonObject> ListAliasesAsync(RequestContext ctx, CofferServices s, JsonObject input)
    {
        var filter = input["KeyId"]?.GetValue<string>();
        var visible = (await VisibleKeysAsync(ctx, s)).Select(k => k.KeyId).ToHashSet(StringComparer.Ordinal);
        var aliases = new JsonArray();
        foreach (var (alias, keyId) in await s.Store.ListAliasesAsync(null, ctx.Aborted))
        {
            if (!visible.Contains(keyId) || (filter is not null && filter != keyId))
                continue;
            aliases.Add(new JsonObject { ["AliasName"] = alias, ["AliasArn"] = AliasArn(s, alias), ["TargetKeyId"] = keyId });
        }
        return new JsonObject { ["Aliases"] = aliases, ["Truncated"] = false };
    }

    private static async Task<JsonObject> ChangeAsync(RequestContext ctx, CofferServices s, JsonObject input, Func<KmsKeyRecord, CancellationToken, Task> change)
    {
        var key = await OwnedKeyAsync(ctx, s, input);
        await change(key, ctx.Aborted);
        return [];
    }

    private static async Task<JsonObject> ScheduleDeletionAsync(RequestContext ctx, CofferServices s, JsonObject input)
    {
        var key = await OwnedKeyAsync(ctx, s, input);
        var days = input["PendingWindowInDays"]?.GetValue<int>() ?? 30;
        if (days is < 7 or > 30)
            throw new KmsApiException("ValidationException", $"PendingWindowInDays must be from 7 to 30; got {days}.");
        var date = await s.Kms.ScheduleKeyDeletionAsync(key.KeyId, days, ctx.Aborted);
        return new JsonObject
        {
            ["KeyId"] = Arn(s, key.KeyId),
            ["DeletionDate"] = date.ToUnixTimeMilliseconds() / 1000.0,
            ["KeyState"] = "PendingDeletion",
            ["PendingWindowInDays"] = days,
        };
    }

    private static async Task<JsonObject> CancelDeletionAsync(RequestContext ctx, CofferServices s, JsonObject input)
    {
        var key = await OwnedKeyAsync(ctx, s, input);
        await s.Kms.CancelKeyDeletionAsync(key.KeyId, ctx.Aborted);
        return new JsonObject { ["KeyId"] = Arn(s, key.KeyId) };
    }

    private static async Task<JsonObject> GenerateDataKeyAsync(RequestContext ctx, CofferServices s, JsonObject input, bool withPlaintext)
    {
        var key = await OwnedKeyAsync(ctx, s, input);
        var spec = input["KeySpec"]?.GetValue<string>();
        var bytes = input["NumberOfBytes"]?.GetValue<int>();
        if ((spec is not null && spec != "AES_256") || (bytes is not null && bytes != 32) || (spec is null && bytes is null))
            throw new KmsApiException("ValidationException", "Give KeySpec AES_256 (or NumberOfBytes 32): this KMS issues 256-bit data keys.");
        var dataKey = await s.Kms.GenerateDataKeyAsync(key.KeyId, Context(input), ctx.Aborted);
        using var plaintext = dataKey.Plaintext;
        var output = new JsonObject { ["CiphertextBlob"] = Convert.ToBase64String(dataKey.CiphertextBlob), ["KeyId"] = Arn(s, key.KeyId) };
        if (withPlaintext)
            output["Plaintext"] = Convert.ToBase64String(plaintext.Bytes);
        return output;
    }

    private static async Task<JsonObject> EncryptAsync(RequestContext ctx, CofferServices s, JsonObject input)
    {
        var key = await OwnedKeyAsync(ctx, s, input);
        var plaintext = Base64(input, "Plaintext");
        if (plaintext.Length is 0 or > 4096)
            throw new KmsApiException("ValidationException", "Plaintext must be 1 to 4096 bytes.");
        var blob = await s.Kms.EncryptAsync(key.KeyId, plaintext, Context(input), ctx.Aborted);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(plaintext);
        return new JsonObject { ["CiphertextBlob"] = Convert.ToBase64String(blob), ["KeyId"] = Arn(s, key.KeyId), ["EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT" };
    }

    private static async Task<JsonObject> DecryptAsync(RequestContext ctx, CofferServices s, JsonObject input)
    {
        var blob = Base64(input, "CiphertextBlob");
        var result = await s.Kms.DecryptAsync(blob, Context(input), ctx.Aborted);
        var key = await s.Kms.DescribeKeyAsync(result.KeyId, ctx.Aborted);
        if (!CanUse(ctx, key))
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(result.Plaintext);
            throw new KmsApiException("AccessDeniedException", "The ciphertext was made with a key that belongs to another user.");
        }
        if (input["KeyId"]?.GetValue<string>() is { } expected && (await s.Kms.DescribeKeyAsync(expected, ctx.Aborted)).KeyId != key.KeyId)
            throw new KmsApiException("IncorrectKeyException", "The ciphertext was not made with the KeyId given.");
        var output = new JsonObject { ["KeyId"] = Arn(s, key.KeyId), ["Plaintext"] = Convert.ToBase64String(result.Plaintext), ["EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT" };
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(result.Plaintext);
        return output;
    }

    private static async Task<KmsKeyRecord> OwnedKeyAsync(RequestContext ctx, CofferServices s, JsonObject input, string field = "KeyId")
    {
        var key = await s.Kms.DescribeKeyAsync(Required(input, field), ctx.Aborted);
        if (!CanUse(ctx, key))
            throw new KmsException(KmsErrorKind.NotFound, $"Key '{Required(input, field)}' does not exist.");
        return key;
    }

    private static bool CanUse(RequestContext ctx, KmsKeyRecord key) =>
        key.Manager == KmsKeyManager.Service || key.Owner == ctx.Caller.Name;

    private static async Task<IEnumerable<KmsKeyRecord>> VisibleKeysAsync(RequestContext ctx, CofferServices s) =>
        (await s.Store.ListKeysAsync(null, ctx.Aborted)).Where(k => CanUse(ctx, k) && k.State != KmsKeyState.Deleted);

    private static JsonObject Metadata(KmsKeyRecord key, CofferServices s)
    {
        var meta = new JsonObject
        {
            ["AWSAccountId"] = Account,
            ["KeyId"] = key.KeyId,
            ["Arn"] = Arn(s, key.KeyId),
            ["CreationDate"] = key.Created.ToUnixTimeMilliseconds() / 1000.0,
            ["Enabled"] = key.State == KmsKeyState.Enabled,
            ["Description"] = key.Description,
            ["KeyUsage"] = "ENCRYPT_DECRYPT",
            ["KeyState"] = key.State.ToString(),
            ["Origin"] = "AWS_KMS",
            ["KeyManager"] = key.Manager == KmsKeyManager.Service ? "AWS" : "CUSTOMER",
            ["CustomerMasterKeySpec"] = "SYMMETRIC_DEFAULT",
            ["KeySpec"] = "SYMMETRIC_DEFAULT",
            ["EncryptionAlgorithms"] = new JsonArray("SYMMETRIC_DEFAULT"),
            ["MultiRegion"] = false,
        };
        if (key.DeletionDate is { } deletion)
            meta["DeletionDate"] = deletion.ToUnixTimeMilliseconds() / 1000.0;
        return meta;
    }

    private const string Account = "000000000000";

    private static string Arn(CofferServices s, string keyId) => $"arn:aws:kms:{s.Options.Region}:{Account}:key/{keyId}";

    private static string AliasArn(CofferServices s, string alias) => $"arn:aws:kms:{s.Options.Region}:{Account}:{alias}";

    private static Dictionary<string, string> Context(JsonObject input)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (input["EncryptionContext"] is JsonObject context)
            foreach (var (name, value) in context)
                result[name] = value?.GetValue<string>() ?? throw new KmsApiException("ValidationException", $"EncryptionContext value of '{name}' must be a string.");
        return result;
    }

    private static string Required(JsonObject input, string field) =>
        input[field]?.GetValue<string>() is { Length: > 0 } value ? value
            : throw new KmsApiException("ValidationException", $"The field '{field}' is required.");

    private static byte[] Base64(JsonObject input, string field)
    {
        try { return Convert.FromBase64String(Required(input, field)); }
        catch (FormatException) { throw new KmsApiException("ValidationException", $"The field '{field}' must be base64."); }
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
                throw new KmsApiException("ValidationException", $"The request body is larger than {MaxBodyBytes} bytes.");
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

    public static Task WriteErrorAsync(HttpContext http, string type, string message, int status)
    {
        http.Response.Headers["x-amzn-ErrorType"] = type;
        return WriteJsonAsync(http, new JsonObject { ["__type"] = type, ["message"] = message }, status);
    }

    private sealed class KmsApiException(string type, string message) : Exception(message)
    {
        public string Type { get; } = type;
    }
}
