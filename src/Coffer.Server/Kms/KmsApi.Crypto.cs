using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Coffer.Crypto.Kms;

namespace Coffer.Server.Kms;

/// <summary>The KMS API's cryptographic calls: data keys, Encrypt, Decrypt and ReEncrypt.</summary>
public static partial class KmsApi
{
    private static async Task<JsonObject> GenerateDataKeyAsync(Call c, bool withPlaintext)
    {
        var key = await OwnedKeyAsync(c);
        var spec = OptionalString(c.Input, "KeySpec");
        var bytes = c.Input["NumberOfBytes"]?.GetValue<int>();
        if ((spec is not null && spec != "AES_256") || (bytes is not null && bytes != 32) || (spec is null && bytes is null))
            throw new KmsApiException(KmsErrorType.Validation, "Give KeySpec AES_256 (or NumberOfBytes 32): this KMS issues 256-bit data keys.");
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
                throw new KmsApiException(KmsErrorType.Validation, $"Plaintext must be 1 to {KeyManager.MaxPlaintextSize} bytes.");
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
                throw new KmsApiException(KmsErrorType.Validation, $"{field} must be {Algorithm}: this KMS has only symmetric keys; got '{algorithm}'.");
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
            throw new KmsApiException(KmsErrorType.AccessDenied, "The ciphertext was not made with one of your KMS keys; you can decrypt only what your own keys encrypted.");
        var key = await c.S.Kms.DescribeOwnKeyAsync(c.Ctx.Caller.Id, keyId, c.Ctx.Aborted);
        if (OptionalString(c.Input, expectedField) is { } expected && (await c.S.Kms.DescribeOwnKeyAsync(c.Ctx.Caller.Id, expected, c.Ctx.Aborted)).KeyId != key.KeyId)
            throw new KmsApiException(KmsErrorType.IncorrectKey, $"The ciphertext was not made with the {expectedField} given.");
        return key;
    }
}
