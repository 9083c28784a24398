using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

/// <summary>A KMS key as the KMS API describes it.</summary>
/// <param name="KeyId">The key id, to use as <c>SSEKMSKeyId</c> / <c>Sse.Kms(keyId)</c>.</param>
/// <param name="Arn">The key's ARN.</param>
/// <param name="Enabled">Whether the key can be used.</param>
/// <param name="KeyState">"Enabled", "Disabled", "PendingDeletion"…</param>
/// <param name="Description">The description given at creation.</param>
public sealed record KmsKey(string KeyId, string? Arn, bool Enabled, string? KeyState, string? Description);

/// <summary>
/// A small client for the AWS-KMS-compatible JSON API that Coffer serves on the same listener
/// (POST / with <c>X-Amz-Target: TrentService.*</c>, signed with SigV4 service "kms"): enough
/// to create and manage the keys that SSE-KMS uses. Uses the same endpoint, credentials, TLS
/// and retry settings as <see cref="CosClient"/>; the signature is always SigV4.
/// </summary>
public sealed class KmsClient : IDisposable
{
    private readonly CosHttp _http;

    /// <summary>Creates a KMS client.</summary>
    /// <param name="config">The settings (the endpoint is used without any bucket).</param>
    /// <param name="handler">The handler that sends requests, or null for the default one.</param>
    public KmsClient(CosConfig config, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var copy = config.Clone();
        copy.SignatureVersion = SignatureVersion.SigV4;
        copy.Domain = null;
        _http = new CosHttp(copy, handler);
    }

    /// <summary>Creates a symmetric key (<c>CreateKey</c>).</summary>
    /// <param name="description">A description, or null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<KmsKey> CreateKeyAsync(string? description = null, CancellationToken cancellationToken = default)
    {
        var input = new JsonObject { ["KeySpec"] = "SYMMETRIC_DEFAULT", ["KeyUsage"] = "ENCRYPT_DECRYPT" };
        if (description is not null)
        {
            input["Description"] = description;
        }

        return ToKey(await CallAsync("CreateKey", input, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Describes a key (<c>DescribeKey</c>) by id, ARN or alias.</summary>
    /// <param name="keyId">The key id, ARN or "alias/NAME".</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<KmsKey> DescribeKeyAsync(string keyId, CancellationToken cancellationToken = default) =>
        ToKey(await CallAsync("DescribeKey", new JsonObject { ["KeyId"] = keyId }, cancellationToken).ConfigureAwait(false));

    /// <summary>Lists the ids of the keys the caller can see (<c>ListKeys</c>).</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<IReadOnlyList<string>> ListKeysAsync(CancellationToken cancellationToken = default)
    {
        var output = await CallAsync("ListKeys", [], cancellationToken).ConfigureAwait(false);
        return (output["Keys"] as JsonArray ?? []).Select(k => k?["KeyId"]?.GetValue<string>() ?? "").ToList();
    }

    /// <summary>Gives a key an alias (<c>CreateAlias</c>), e.g. "alias/backups".</summary>
    /// <param name="aliasName">The alias, starting with "alias/".</param>
    /// <param name="keyId">The key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task CreateAliasAsync(string aliasName, string keyId, CancellationToken cancellationToken = default) =>
        CallAsync("CreateAlias", new JsonObject { ["AliasName"] = aliasName, ["TargetKeyId"] = keyId }, cancellationToken);

    /// <summary>Enables a key (<c>EnableKey</c>).</summary>
    /// <param name="keyId">The key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task EnableKeyAsync(string keyId, CancellationToken cancellationToken = default) =>
        CallAsync("EnableKey", new JsonObject { ["KeyId"] = keyId }, cancellationToken);

    /// <summary>Disables a key (<c>DisableKey</c>): objects encrypted under it become unreadable until it is enabled again.</summary>
    /// <param name="keyId">The key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task DisableKeyAsync(string keyId, CancellationToken cancellationToken = default) =>
        CallAsync("DisableKey", new JsonObject { ["KeyId"] = keyId }, cancellationToken);

    /// <summary>Schedules a key's deletion (<c>ScheduleKeyDeletion</c>) after 7–30 days.</summary>
    /// <param name="keyId">The key.</param>
    /// <param name="pendingWindowInDays">The waiting period.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task ScheduleKeyDeletionAsync(string keyId, int pendingWindowInDays = 30, CancellationToken cancellationToken = default) =>
        CallAsync("ScheduleKeyDeletion", new JsonObject { ["KeyId"] = keyId, ["PendingWindowInDays"] = pendingWindowInDays }, cancellationToken);

    /// <summary>Releases the connections.</summary>
    public void Dispose() => _http.Dispose();

    private async Task<JsonObject> CallAsync(string operation, JsonObject input, CancellationToken cancellationToken)
    {
        var op = new OperationRequest(HttpMethod.Post, null, null) { Service = "kms" };
        op.AddHeader("X-Amz-Target", "TrentService." + operation);
        op.AddHeader("Content-Type", "application/x-amz-json-1.1");
        op.Body = CosBody.FromBytes(Encoding.UTF8.GetBytes(input.ToJsonString()));
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        string text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return string.IsNullOrWhiteSpace(text) ? [] : JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (JsonException e)
        {
            throw new CosClientException(CosClientErrorKind.InvalidResponse, $"The KMS answer to {operation} is not JSON: {e.Message}", e);
        }
    }

    private static KmsKey ToKey(JsonObject output)
    {
        var meta = output["KeyMetadata"] as JsonObject
            ?? throw new CosClientException(CosClientErrorKind.InvalidResponse, "The KMS answer has no KeyMetadata.");
        return new KmsKey(
            meta["KeyId"]?.GetValue<string>() ?? "",
            meta["Arn"]?.GetValue<string>(),
            meta["Enabled"]?.GetValue<bool>() ?? false,
            meta["KeyState"]?.GetValue<string>(),
            meta["Description"]?.GetValue<string>());
    }
}
