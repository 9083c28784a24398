using System.Text.Json.Serialization;

namespace Coffer.Server.Audit;

/// <summary>
/// One line of the KMS audit log (docs/kms.md, "Audit log"): who used which key, how, on what, and the outcome.
/// Never holds key material, plaintext, customer keys or encryption-context values (context keys only).
/// </summary>
public sealed record KmsAuditEntry
{
    /// <summary>When the use happened (UTC, written with 100 ns precision).</summary>
    [JsonPropertyName("time")]
    public DateTimeOffset Time { get; init; }

    /// <summary>Where the use came from: <c>kms</c> (the KMS API), <c>s3</c> or <c>cos</c> (object requests in that
    /// family), <c>server</c> (background jobs), <c>admin</c> (the <c>coffer admin</c> command).</summary>
    [JsonPropertyName("source")]
    public required string Source { get; init; }

    /// <summary>The user's name; null for the server's own jobs.</summary>
    [JsonPropertyName("principal")]
    public string? Principal { get; init; }

    /// <summary>The access key id that signed the request; null for jobs and admin commands.</summary>
    [JsonPropertyName("accessKeyId")]
    public string? AccessKeyId { get; init; }

    /// <summary>The request id the client saw; null outside requests.</summary>
    [JsonPropertyName("requestId")]
    public string? RequestId { get; init; }

    /// <summary>A KMS API operation name (<c>GenerateDataKey</c>, <c>ReEncrypt</c>, …), or <c>SseWrap</c> (PUT seals a new
    /// object key), <c>SseUnwrap</c> (GET opens one), <c>RotateKey</c> (automatic rotation), <c>DestroyKey</c>
    /// (crypto-shredding), <c>Rekey</c> (an object's key re-wrapped by <c>coffer admin rekey</c>).</summary>
    [JsonPropertyName("operation")]
    public required string Operation { get; init; }

    /// <summary>The key id used (the destination for ReEncrypt and Rekey); the reference as given when it did not resolve.</summary>
    [JsonPropertyName("keyId")]
    public string? KeyId { get; init; }

    /// <summary>The key version used, when known (SSE uses, rotations).</summary>
    [JsonPropertyName("keyVersion")]
    public int? KeyVersion { get; init; }

    /// <summary>ReEncrypt and Rekey: the key the input was under.</summary>
    [JsonPropertyName("sourceKeyId")]
    public string? SourceKeyId { get; init; }

    /// <summary>SSE uses: the bucket.</summary>
    [JsonPropertyName("bucket")]
    public string? Bucket { get; init; }

    /// <summary>SSE uses: the object key.</summary>
    [JsonPropertyName("object")]
    public string? Object { get; init; }

    /// <summary>SSE uses: <c>SSE-KMS</c> or <c>SSE-COS</c>.</summary>
    [JsonPropertyName("mode")]
    public string? Mode { get; init; }

    /// <summary>SSE uses: true when the bucket key came from the cache, so no KMS data-key call was made.</summary>
    [JsonPropertyName("cached")]
    public bool? Cached { get; init; }

    /// <summary>The names of the encryption-context entries (sorted); their values are not recorded.</summary>
    [JsonPropertyName("contextKeys")]
    public IReadOnlyList<string>? ContextKeys { get; init; }

    /// <summary>Automatic rotation: <c>AUTOMATIC</c>; on-demand rotations appear as the RotateKeyOnDemand call.</summary>
    [JsonPropertyName("rotationType")]
    public string? RotationType { get; init; }

    /// <summary><c>ok</c> or <c>error</c>.</summary>
    [JsonPropertyName("outcome")]
    public required string Outcome { get; init; }

    /// <summary>On error: the AWS KMS error type (e.g. <c>NotFoundException</c>, <c>DisabledException</c>).</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }

    /// <summary>Outcome value of a success.</summary>
    public const string Ok = "ok";

    /// <summary>Outcome value of a failure.</summary>
    public const string Failed = "error";

    /// <summary>The sorted names of a context, or null when it is empty.</summary>
    public static IReadOnlyList<string>? KeysOf(IEnumerable<KeyValuePair<string, string>>? context)
    {
        var keys = context?.Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        return keys is { Count: > 0 } ? keys : null;
    }
}
