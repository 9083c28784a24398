using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Crypto.Kms;
using Coffer.Server.Audit;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>
/// The built-in KMS over the AWS KMS wire protocol (JSON 1.1, X-Amz-Target: TrentService.*,
/// SigV4 with service "kms") on the same listener, so `aws kms … --endpoint-url` and
/// AWSSDK.KeyManagementService work, over HTTPS only (it carries plaintext and data keys). A caller sees and
/// uses only its own keys and aliases (<see cref="KeyManager.CanUse"/>: its default SSE-KMS key included, the
/// SSE-COS key never); anything else answers as if it did not exist. Every call, successful or not, is one entry
/// of the KMS audit log (docs/kms.md).
/// </summary>
public static class KmsApi
{
    private const int MaxBodyBytes = 256 * 1024;
    private const string Account = "000000000000";
    private const string Algorithm = "SYMMETRIC_DEFAULT";

    /// <summary>Runs one KMS API call and writes its JSON response (or error) and its audit entry.</summary>
    public static async Task HandleAsync(RequestContext ctx, CofferServices s)
    {
        var call = new Call(ctx, s, ctx.Request.Headers["X-Amz-Target"].ToString()["TrentService.".Length..]);
        string? error = "InternalError"; // until the call completes one way or another
        try
        {
            if (!ctx.IsHttps)
            {
                // Plaintext and data keys must never cross the wire in clear (as SSE-C and SSE-KMS are refused).
                // AWS requires TLS through a key policy condition (aws:SecureTransport), whose refusal is AccessDeniedException.
                error = "AccessDeniedException";
                await WriteErrorAsync(ctx.Http, error, "KMS requests must be made over a secure connection (HTTPS): use the server's https:// endpoint.", 400);
                return;
            }

            try
            {
                call.Input = await ReadInputAsync(ctx);
            }
            catch (JsonException)
            {
                error = "SerializationException";
                await WriteErrorAsync(ctx.Http, error, "The request body is not a JSON object.", 400);
                return;
            }

            call.KeyId = OptionalString(call.Input, "KeyId");
            try
            {
                JsonObject output = call.Operation switch
                {
                    "CreateKey" => await CreateKeyAsync(call),
                    "DescribeKey" => new JsonObject { ["KeyMetadata"] = Metadata(await OwnedKeyAsync(call), s) },
                    "ListKeys" => await ListKeysAsync(call),
                    "CreateAlias" => await CreateAliasAsync(call),
                    "ListAliases" => await ListAliasesAsync(call),
                    "EnableKey" => await ChangeAsync(call, (k, ct) => s.Kms.EnableKeyAsync(k.KeyId, ct)),
                    "DisableKey" => await ChangeAsync(call, (k, ct) => s.Kms.DisableKeyAsync(k.KeyId, ct)),
                    "ScheduleKeyDeletion" => await ScheduleDeletionAsync(call),
                    "CancelKeyDeletion" => await CancelDeletionAsync(call),
                    "EnableKeyRotation" => await EnableRotationAsync(call),
                    "DisableKeyRotation" => await ChangeAsync(call, (k, ct) => s.Kms.DisableKeyRotationAsync(k.KeyId, ct)),
                    "GetKeyRotationStatus" => await RotationStatusAsync(call),
                    "RotateKeyOnDemand" => await RotateOnDemandAsync(call),
                    "ListKeyRotations" => await ListRotationsAsync(call),
                    "GenerateDataKey" => await GenerateDataKeyAsync(call, withPlaintext: true),
                    "GenerateDataKeyWithoutPlaintext" => await GenerateDataKeyAsync(call, withPlaintext: false),
                    "Encrypt" => await EncryptAsync(call),
                    "Decrypt" => await DecryptAsync(call),
                    "ReEncrypt" => await ReEncryptAsync(call),
                    _ => throw new KmsApiException("UnsupportedOperationException", $"The KMS operation '{call.Operation}' is not supported by this server."),
                };
                await WriteJsonAsync(ctx.Http, output, 200);
                error = null;
            }
            catch (KmsException e)
            {
                error = KmsErrors.ApiType(e.Kind);
                await WriteErrorAsync(ctx.Http, error, e.Message, 400);
            }
            catch (KmsApiException e)
            {
                error = e.Type;
                await WriteErrorAsync(ctx.Http, e.Type, e.Message, 400);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                // A field of the wrong JSON type (e.g. a number where a string belongs).
                error = "ValidationException";
                await WriteErrorAsync(ctx.Http, error, "A field of the request has the wrong JSON type; check the operation's input shape.", 400);
            }
        }
        finally
        {
            s.Audit.Write(call.ToAuditEntry(error));
        }
    }

    private static async Task<JsonObject> CreateKeyAsync(Call c)
    {
        var spec = OptionalString(c.Input, "KeySpec") ?? OptionalString(c.Input, "CustomerMasterKeySpec");
        if (spec is not null && spec != Algorithm)
            throw new KmsApiException("UnsupportedOperationException", $"Only SYMMETRIC_DEFAULT keys are supported; got KeySpec '{spec}'.");
        var usage = OptionalString(c.Input, "KeyUsage");
        if (usage is not null && usage != "ENCRYPT_DECRYPT")
            throw new KmsApiException("ValidationException", $"Only KeyUsage ENCRYPT_DECRYPT is supported; got '{usage}'.");
        var key = await c.S.Kms.CreateKeyAsync(c.Ctx.Caller.Id, OptionalString(c.Input, "Description") ?? "", c.Ctx.Aborted);
        c.KeyId = key.KeyId;
        return new JsonObject { ["KeyMetadata"] = Metadata(key, c.S) };
    }

    private static async Task<JsonObject> ListKeysAsync(Call c)
    {
        var keys = new JsonArray();
        foreach (var key in await VisibleKeysAsync(c))
            keys.Add(new JsonObject { ["KeyId"] = key.KeyId, ["KeyArn"] = Arn(c.S, key.KeyId) });
        return new JsonObject { ["Keys"] = keys, ["Truncated"] = false };
    }

    private static async Task<JsonObject> CreateAliasAsync(Call c)
    {
        var alias = Required(c.Input, "AliasName");
        if (!alias.StartsWith("alias/", StringComparison.Ordinal) || alias.Length <= 6 || alias.StartsWith("alias/aws/", StringComparison.Ordinal) || alias.StartsWith("alias/coffer/", StringComparison.Ordinal))
            throw new KmsApiException("InvalidAliasNameException", $"The alias '{alias}' is not valid: it must start with 'alias/' and not with the reserved 'alias/aws/' or 'alias/coffer/'.");
        var key = await OwnedKeyAsync(c, "TargetKeyId");
        try
        {
            await c.S.Kms.CreateAliasAsync(alias, key.KeyId, c.Ctx.Caller.Id, c.Ctx.Aborted);
        }
        catch (KmsException e) when (e.Kind == KmsErrorKind.InvalidArgument)
        {
            throw new KmsApiException("InvalidAliasNameException", e.Message);
        }
        return [];
    }

    /// <summary>The caller's aliases (aliases are per user, as AWS aliases are per account), optionally of one of its keys.</summary>
    private static async Task<JsonObject> ListAliasesAsync(Call c)
    {
        var filter = OptionalString(c.Input, "KeyId") is not null ? (await OwnedKeyAsync(c)).KeyId : null;
        var visible = (await VisibleKeysAsync(c)).Select(k => k.KeyId).ToHashSet(StringComparer.Ordinal);
        var aliases = new JsonArray();
        foreach (var (alias, keyId) in await c.S.Store.ListAliasesAsync(c.Ctx.Caller.Id, c.Ctx.Aborted))
        {
            if (!visible.Contains(keyId) || (filter is not null && filter != keyId))
                continue;
            aliases.Add(new JsonObject { ["AliasName"] = alias, ["AliasArn"] = AliasArn(c.S, alias), ["TargetKeyId"] = keyId });
        }
        return new JsonObject { ["Aliases"] = aliases, ["Truncated"] = false };
    }

    private static async Task<JsonObject> ChangeAsync(Call c, Func<KmsKeyRecord, CancellationToken, Task> change)
    {
        var key = await OwnedKeyAsync(c);
        await change(key, c.Ctx.Aborted);
        return [];
    }

    private static async Task<JsonObject> ScheduleDeletionAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var days = c.Input["PendingWindowInDays"]?.GetValue<int>() ?? 30;
        if (days is < 7 or > 30)
            throw new KmsApiException("ValidationException", $"PendingWindowInDays must be from 7 to 30; got {days}.");
        var date = await c.S.Kms.ScheduleKeyDeletionAsync(key.KeyId, days, c.Ctx.Aborted);
        return new JsonObject
        {
            ["KeyId"] = Arn(c.S, key.KeyId),
            ["DeletionDate"] = Epoch(date),
            ["KeyState"] = "PendingDeletion",
            ["PendingWindowInDays"] = days,
        };
    }

    private static async Task<JsonObject> CancelDeletionAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        await c.S.Kms.CancelKeyDeletionAsync(key.KeyId, c.Ctx.Aborted);
        return new JsonObject { ["KeyId"] = Arn(c.S, key.KeyId) };
    }

    private static async Task<JsonObject> EnableRotationAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var period = c.Input["RotationPeriodInDays"]?.GetValue<int>();
        if (period is < KeyManager.MinRotationPeriodDays or > KeyManager.MaxRotationPeriodDays)
            throw new KmsApiException("ValidationException",
                $"RotationPeriodInDays must be from {KeyManager.MinRotationPeriodDays} to {KeyManager.MaxRotationPeriodDays}; got {period}.");
        await c.S.Kms.EnableKeyRotationAsync(key.KeyId, period, c.Ctx.Aborted);
        return [];
    }

    private static async Task<JsonObject> RotationStatusAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var status = await c.S.Kms.GetKeyRotationStatusAsync(key.KeyId, c.Ctx.Aborted);
        var output = new JsonObject { ["KeyId"] = Arn(c.S, key.KeyId), ["KeyRotationEnabled"] = status.RotationEnabled };
        if (status.RotationPeriodDays is { } period)
            output["RotationPeriodInDays"] = period;
        if (status.NextRotationDate is { } next)
            output["NextRotationDate"] = Epoch(next);
        if (status.OnDemandRotationStartDate is { } onDemand)
            output["OnDemandRotationStartDate"] = Epoch(onDemand);
        return output;
    }

    private static async Task<JsonObject> RotateOnDemandAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var rotated = await c.S.Kms.RotateKeyOnDemandAsync(key.KeyId, c.Ctx.Aborted);
        c.KeyVersion = rotated.Versions[^1].Version;
        return new JsonObject { ["KeyId"] = key.KeyId };
    }

    /// <summary>Rotations newest last, as AWS lists them; Marker is the index of the next one.</summary>
    private static async Task<JsonObject> ListRotationsAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var limit = c.Input["Limit"]?.GetValue<int>() ?? 100;
        if (limit is < 1 or > 1000)
            throw new KmsApiException("ValidationException", $"Limit must be from 1 to 1000; got {limit}.");
        var start = 0;
        if (OptionalString(c.Input, "Marker") is { } marker && (!int.TryParse(marker, NumberStyles.None, CultureInfo.InvariantCulture, out start) || start < 0))
            throw new KmsApiException("InvalidMarkerException", "The Marker is not one this server returned; start again without it.");
        var rotations = key.Versions.Where(v => v.Version > 1).OrderBy(v => v.Version).ToList();
        var page = new JsonArray();
        foreach (var version in rotations.Skip(start).Take(limit))
        {
            page.Add(new JsonObject
            {
                ["KeyId"] = key.KeyId,
                ["RotationDate"] = Epoch(version.Created),
                ["RotationType"] = version.RotationType == KmsRotationType.OnDemand ? "ON_DEMAND" : "AUTOMATIC",
            });
        }
        var output = new JsonObject { ["Rotations"] = page, ["Truncated"] = start + limit < rotations.Count };
        if (start + limit < rotations.Count)
            output["NextMarker"] = (start + limit).ToString(CultureInfo.InvariantCulture);
        return output;
    }

    private static async Task<JsonObject> GenerateDataKeyAsync(Call c, bool withPlaintext)
    {
        var key = await OwnedKeyAsync(c);
        var spec = OptionalString(c.Input, "KeySpec");
        var bytes = c.Input["NumberOfBytes"]?.GetValue<int>();
        if ((spec is not null && spec != "AES_256") || (bytes is not null && bytes != 32) || (spec is null && bytes is null))
            throw new KmsApiException("ValidationException", "Give KeySpec AES_256 (or NumberOfBytes 32): this KMS issues 256-bit data keys.");
        var dataKey = await c.S.Kms.GenerateDataKeyAsync(key.KeyId, c.Context("EncryptionContext"), c.Ctx.Aborted);
        using var plaintext = dataKey.Plaintext;
        c.KeyVersion = VersionOf(dataKey.CiphertextBlob);
        var output = new JsonObject { ["CiphertextBlob"] = Convert.ToBase64String(dataKey.CiphertextBlob), ["KeyId"] = Arn(c.S, key.KeyId) };
        if (withPlaintext)
            output["Plaintext"] = Convert.ToBase64String(plaintext.Bytes);
        return output;
    }

    private static async Task<JsonObject> EncryptAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var plaintext = Base64(c.Input, "Plaintext");
        try
        {
            if (plaintext.Length is 0 or > KeyManager.MaxPlaintextSize)
                throw new KmsApiException("ValidationException", $"Plaintext must be 1 to {KeyManager.MaxPlaintextSize} bytes.");
            var blob = await c.S.Kms.EncryptAsync(key.KeyId, plaintext, c.Context("EncryptionContext"), c.Ctx.Aborted);
            c.KeyVersion = VersionOf(blob);
            return new JsonObject { ["CiphertextBlob"] = Convert.ToBase64String(blob), ["KeyId"] = Arn(c.S, key.KeyId), ["EncryptionAlgorithm"] = Algorithm };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static async Task<JsonObject> DecryptAsync(Call c)
    {
        var blob = Base64(c.Input, "CiphertextBlob");
        var source = await SourceKeyAsync(c, blob, "KeyId");
        c.KeyId = source.KeyId;
        var result = await c.S.Kms.DecryptAsync(blob, c.Context("EncryptionContext"), c.Ctx.Aborted);
        var output = new JsonObject { ["KeyId"] = Arn(c.S, result.KeyId), ["Plaintext"] = Convert.ToBase64String(result.Plaintext), ["EncryptionAlgorithm"] = Algorithm };
        CryptographicOperations.ZeroMemory(result.Plaintext);
        return output;
    }

    /// <summary>
    /// ReEncrypt: both keys must be the caller's, checked before anything is decrypted;
    /// the plaintext stays inside the KMS.
    /// </summary>
    private static async Task<JsonObject> ReEncryptAsync(Call c)
    {
        var blob = Base64(c.Input, "CiphertextBlob");
        c.KeyId = OptionalString(c.Input, "DestinationKeyId");
        foreach (var field in new[] { "SourceEncryptionAlgorithm", "DestinationEncryptionAlgorithm" })
            if (OptionalString(c.Input, field) is { } algorithm && algorithm != Algorithm)
                throw new KmsApiException("ValidationException", $"{field} must be {Algorithm}: this KMS has only symmetric keys; got '{algorithm}'.");
        var source = await SourceKeyAsync(c, blob, "SourceKeyId");
        var destination = await OwnedKeyAsync(c, "DestinationKeyId");
        c.KeyId = destination.KeyId;
        var result = await c.S.Kms.ReEncryptAsync(blob, c.Context("SourceEncryptionContext"), destination.KeyId,
            c.Context("DestinationEncryptionContext"), c.Ctx.Aborted);
        c.KeyVersion = VersionOf(result.CiphertextBlob);
        return new JsonObject
        {
            ["CiphertextBlob"] = Convert.ToBase64String(result.CiphertextBlob),
            ["SourceKeyId"] = Arn(c.S, source.KeyId),
            ["KeyId"] = Arn(c.S, destination.KeyId),
            ["SourceEncryptionAlgorithm"] = Algorithm,
            ["DestinationEncryptionAlgorithm"] = Algorithm,
        };
    }

    /// <summary>
    /// The key a ciphertext blob names, checked before decrypting: it must be the caller's, else AccessDeniedException
    /// (as AWS answers for a ciphertext under another account's key) — the same answer whether the named key is another
    /// user's, the SSE-COS key or does not exist at all, so a crafted blob learns nothing; the caller's own deleted key is
    /// NotFoundException. Then it must be the one <paramref name="expectedField"/> names when given (else IncorrectKeyException).
    /// </summary>
    private static async Task<KmsKeyRecord> SourceKeyAsync(Call c, byte[] blob, string expectedField)
    {
        // A blob names a key id, never an alias or ARN (KeyManager refuses those too; checked here before any lookup).
        if (!KeyManager.TryReadCiphertextHeader(blob, out var keyId, out var version)
            || keyId.StartsWith("alias/", StringComparison.Ordinal) || keyId.StartsWith("arn:", StringComparison.Ordinal))
            throw new KmsException(KmsErrorKind.InvalidCiphertext, "The ciphertext blob is malformed or was not produced by this KMS.");
        c.SourceKeyId = keyId;
        c.KeyVersion = version;
        // The stored record, in any state (a destroyed key keeps its owner), decides whose key it is.
        var stored = await c.S.Store.GetKeyAsync(keyId, c.Ctx.Aborted);
        if (stored is null || !KeyManager.CanUse(c.Ctx.Caller.Id, stored))
            throw new KmsApiException("AccessDeniedException", "The ciphertext was not made with one of your KMS keys; you can decrypt only what your own keys encrypted.");
        var key = await c.S.Kms.DescribeOwnKeyAsync(c.Ctx.Caller.Id, keyId, c.Ctx.Aborted);
        if (OptionalString(c.Input, expectedField) is { } expected && (await c.S.Kms.DescribeOwnKeyAsync(c.Ctx.Caller.Id, expected, c.Ctx.Aborted)).KeyId != key.KeyId)
            throw new KmsApiException("IncorrectKeyException", $"The ciphertext was not made with the {expectedField} given.");
        return key;
    }

    /// <summary>
    /// The caller's key a field names (key id, key ARN, or one of the caller's aliases). Another user's key, the SSE-COS
    /// key and a key that does not exist are all the same NotFoundException: an alias is looked up among the caller's
    /// only, as AWS aliases are per account, and nothing confirms that another user's key exists.
    /// </summary>
    private static async Task<KmsKeyRecord> OwnedKeyAsync(Call c, string field = "KeyId")
    {
        var reference = Required(c.Input, field);
        var key = await c.S.Kms.DescribeOwnKeyAsync(c.Ctx.Caller.Id, reference, c.Ctx.Aborted);
        c.KeyId = key.KeyId;
        return key;
    }

    private static async Task<IEnumerable<KmsKeyRecord>> VisibleKeysAsync(Call c) =>
        (await c.S.Kms.ListKeysAsync(c.Ctx.Caller.Id, c.Ctx.Aborted)).Where(k => KeyManager.CanUse(c.Ctx.Caller.Id, k));

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

    /// <summary>
    /// The KMS API's error type (and status) for an error found before a KMS call reached its
    /// handler — authentication, limits — as AWS KMS names them.
    /// </summary>
    public static (string Type, int Status) ErrorFor(Coffer.Protocol.ErrorCode error) => error.Code switch
    {
        "SignatureDoesNotMatch" or "RequestTimeTooSkewed" => ("InvalidSignatureException", 400),
        "InvalidAccessKeyId" => ("UnrecognizedClientException", 400),
        "ExpiredToken" => ("ExpiredTokenException", 400),
        "AccessDenied" => ("AccessDeniedException", 400),
        "AuthorizationHeaderMalformed" or "AuthorizationQueryParametersError" => ("IncompleteSignatureException", 400),
        "SlowDown" => ("ThrottlingException", 400),
        _ when error.Status >= 500 => ("KMSInternalException", 500),
        _ => ("ValidationException", 400),
    };

    /// <summary>Writes a KMS API error: the x-amzn-ErrorType header and the JSON body AWS SDKs parse.</summary>
    public static Task WriteErrorAsync(HttpContext http, string type, string message, int status)
    {
        http.Response.Headers["x-amzn-ErrorType"] = type;
        return WriteJsonAsync(http, new JsonObject { ["__type"] = type, ["message"] = message }, status);
    }

    /// <summary>One API call: the request, and what its audit entry will say.</summary>
    private sealed class Call(RequestContext ctx, CofferServices s, string operation)
    {
        private readonly SortedSet<string> _contextKeys = new(StringComparer.Ordinal);

        public RequestContext Ctx { get; } = ctx;

        public CofferServices S { get; } = s;

        public string Operation { get; } = operation;

        public JsonObject Input { get; set; } = [];

        /// <summary>The key id once resolved; until then the reference the request gave.</summary>
        public string? KeyId { get; set; }

        public int? KeyVersion { get; set; }

        public string? SourceKeyId { get; set; }

        /// <summary>An encryption context of the request; its names (never values) go to the audit entry.</summary>
        public Dictionary<string, string> Context(string field)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Input[field] is JsonObject context)
            {
                foreach (var (name, value) in context)
                    result[name] = value?.GetValue<string>() ?? throw new KmsApiException("ValidationException", $"{field} value of '{name}' must be a string.");
            }
            _contextKeys.UnionWith(result.Keys);
            return result;
        }

        public KmsAuditEntry ToAuditEntry(string? error) => new()
        {
            Source = "kms",
            Principal = Ctx.User?.Name,
            AccessKeyId = Ctx.Identity?.AccessKeyId,
            RequestId = Ctx.RequestId,
            Operation = Operation.Length is > 0 and <= 64 && Operation.All(char.IsAsciiLetterOrDigit) ? Operation : "Unknown",
            KeyId = KeyId,
            KeyVersion = KeyVersion,
            SourceKeyId = SourceKeyId,
            ContextKeys = _contextKeys.Count > 0 ? [.. _contextKeys] : null,
            Outcome = error is null ? KmsAuditEntry.Ok : KmsAuditEntry.Failed,
            Error = error,
        };
    }

    private sealed class KmsApiException(string type, string message) : Exception(message)
    {
        public string Type { get; } = type;
    }
}
