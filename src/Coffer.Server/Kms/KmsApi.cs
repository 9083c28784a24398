using System.Text.Json;
using Coffer.Crypto.Kms;
using Coffer.Server.Pipeline;

namespace Coffer.Server.Kms;

/// <summary>
/// The built-in KMS over the AWS KMS wire protocol (JSON 1.1, X-Amz-Target: TrentService.*,
/// SigV4 with service "kms") on the same listener, so `aws kms … --endpoint-url` and
/// AWSSDK.KeyManagementService work, over HTTPS only (it carries plaintext and data keys). A caller sees and
/// uses only its own keys and aliases (<see cref="KeyManager.CanUse"/>: its default SSE-KMS key included, the
/// SSE-COS key never); anything else answers as if it did not exist. Every call, successful or not, is one entry
/// of the KMS audit log (docs/kms.md).
/// <para>
/// This file dispatches; the calls are in KmsApi.Keys.cs and KmsApi.Crypto.cs, the JSON in KmsApi.Json.cs, and
/// every error the API answers is a <see cref="KmsErrorType"/>.
/// </para>
/// </summary>
public static partial class KmsApi
{
    private const int MaxBodyBytes = 256 * 1024;
    private const string Account = "000000000000";
    private const string Algorithm = "SYMMETRIC_DEFAULT";

    /// <summary>Runs one KMS API call and writes its JSON response (or error) and its audit entry.</summary>
    public static async Task HandleAsync(RequestContext ctx, CofferServices s)
    {
        var call = new Call(ctx, s, ctx.Request.Headers["X-Amz-Target"].ToString()["TrentService.".Length..]);
        KmsErrorType? error = KmsErrorType.Internal; // until the call completes one way or another
        try
        {
            if (!ctx.IsHttps)
            {
                // Plaintext and data keys must never cross the wire in clear (as SSE-C and SSE-KMS are refused).
                // AWS requires TLS through a key policy condition (aws:SecureTransport), whose refusal is AccessDeniedException.
                error = KmsErrorType.AccessDenied;
                await WriteErrorAsync(ctx.Http, error, "KMS requests must be made over a secure connection (HTTPS): use the server's https:// endpoint.");
                return;
            }

            try
            {
                call.Input = await ReadInputAsync(ctx);
            }
            catch (JsonException)
            {
                error = KmsErrorType.Serialization;
                await WriteErrorAsync(ctx.Http, error, "The request body is not a JSON object.");
                return;
            }

            call.KeyId = OptionalString(call.Input, "KeyId");
            try
            {
                var output = call.Operation switch
                {
                    "CreateKey" => await CreateKeyAsync(call),
                    "DescribeKey" => await DescribeKeyAsync(call),
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
                    _ => throw new KmsApiException(KmsErrorType.UnsupportedOperation, $"The KMS operation '{call.Operation}' is not supported by this server."),
                };
                await WriteJsonAsync(ctx.Http, output, 200);
                error = null;
            }
            catch (KmsException e)
            {
                error = KmsErrorType.For(e.Kind);
                await WriteErrorAsync(ctx.Http, error, e.Message);
            }
            catch (KmsApiException e)
            {
                error = e.Error;
                await WriteErrorAsync(ctx.Http, error, e.Message);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                // A field of the wrong JSON type (e.g. a number where a string belongs).
                error = KmsErrorType.Validation;
                await WriteErrorAsync(ctx.Http, error, "A field of the request has the wrong JSON type; check the operation's input shape.");
            }
        }
        finally
        {
            s.Audit.Write(call.ToAuditEntry(error));
        }
    }
}
