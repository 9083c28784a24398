namespace Coffer.Sdk;

/// <summary>A bucket of a ListBuckets answer.</summary>
/// <param name="Name">The bucket's name.</param>
/// <param name="Created">When it was created, if the server said.</param>
/// <param name="Region">Its region (COS answers it; S3 does not), if the server said.</param>
public sealed record BucketSummary(string Name, DateTimeOffset? Created, string? Region);

/// <summary>A user of a Coffer server, as the admin API lists it (never its secret).</summary>
/// <param name="Name">The user's name.</param>
/// <param name="Id">The user's id (64 hex digits), which owns its buckets and KMS keys.</param>
/// <param name="AccessKeyId">Its access key id.</param>
/// <param name="IsRoot">Whether it is the root user (the administrator).</param>
/// <param name="Created">When it was added.</param>
public sealed record CofferUser(string Name, string Id, string AccessKeyId, bool IsRoot, DateTimeOffset Created);

/// <summary>A user just added, with its secret key: the only time the secret is shown.</summary>
/// <param name="User">The user.</param>
/// <param name="SecretKey">Its secret key; keep it, it cannot be read again.</param>
public sealed record CofferNewUser(CofferUser User, string SecretKey);

/// <summary>Temporary credentials acting as a user (as COS's STS issues them).</summary>
/// <param name="User">The name of the user they act as.</param>
/// <param name="AccessKeyId">The temporary access key id (TmpSecretId).</param>
/// <param name="SecretKey">The temporary secret key (TmpSecretKey).</param>
/// <param name="SessionToken">The session token, sent with every request (x-cos-security-token / x-amz-security-token; <see cref="CosConfig.Token"/>).</param>
/// <param name="Expiration">When they stop working.</param>
public sealed record CofferTemporaryCredentials(string User, string AccessKeyId, string SecretKey, string SessionToken, DateTimeOffset Expiration);

/// <summary>What a rekey job re-wraps: a bucket's SSE-KMS objects, moved under another KMS key without rewriting data.</summary>
/// <param name="Bucket">The bucket.</param>
/// <param name="ToKey">The KMS key (id, alias or ARN) of the bucket's owner to re-wrap under.</param>
/// <param name="Prefix">Only object keys that start with this.</param>
/// <param name="FromKey">Only objects under this KMS key; null for every SSE-KMS object not already under <paramref name="ToKey"/>.</param>
/// <param name="Limit">Stop after re-wrapping this many objects (start the job again to continue); null for no limit.</param>
/// <param name="Restart">Forget the progress of an interrupted run and start from the first key.</param>
public sealed record RekeyJobRequest(string Bucket, string ToKey, string Prefix = "", string? FromKey = null, long? Limit = null, bool Restart = false);

/// <summary>A rekey job's progress (counters cover every run of the job since it started).</summary>
/// <param name="JobId">The job's id (the same parameters make the same job, which continues where it stopped).</param>
/// <param name="Bucket">The bucket.</param>
/// <param name="Prefix">The key prefix.</param>
/// <param name="FromKeyId">The key objects are moved from, or null for any.</param>
/// <param name="ToKeyId">The key objects are moved to.</param>
/// <param name="Running">Whether it runs now on the node that answered.</param>
/// <param name="Finished">Whether every matching object was looked at.</param>
/// <param name="LastKey">The last object key handled.</param>
/// <param name="Rekeyed">Objects re-wrapped.</param>
/// <param name="Skipped">Objects that did not match (another mode or key).</param>
/// <param name="Conflicts">Objects changed meanwhile (read again, never clobbered).</param>
/// <param name="Failed">Objects whose key could not be opened.</param>
/// <param name="Started">When the job started.</param>
/// <param name="Updated">When its progress was last saved.</param>
/// <param name="Completed">When it finished, if it did.</param>
/// <param name="Error">Why its last run on that node ended early, if it did.</param>
public sealed record RekeyJobStatus(string JobId, string Bucket, string Prefix, string? FromKeyId, string ToKeyId, bool Running, bool Finished,
    string? LastKey, long Rekeyed, long Skipped, long Conflicts, long Failed, DateTimeOffset Started, DateTimeOffset Updated, DateTimeOffset? Completed, string? Error);

/// <summary>One entry of the KMS audit log: one use of a key (docs/kms.md). Never key material, never context values.</summary>
public sealed record KmsAuditRecord
{
    /// <summary>When.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>"kms" (API call), "sse" (object wrap/unwrap), "server" or "admin".</summary>
    public string Source { get; init; } = "";

    /// <summary>The user's name, if a user acted.</summary>
    public string? Principal { get; init; }

    /// <summary>The access key id of the request, if any.</summary>
    public string? AccessKeyId { get; init; }

    /// <summary>The request id, if any.</summary>
    public string? RequestId { get; init; }

    /// <summary>The operation (CreateKey, Encrypt, Rekey…).</summary>
    public string Operation { get; init; } = "";

    /// <summary>The key id.</summary>
    public string? KeyId { get; init; }

    /// <summary>The key version used.</summary>
    public int? KeyVersion { get; init; }

    /// <summary>The source key of a re-encrypt or rekey.</summary>
    public string? SourceKeyId { get; init; }

    /// <summary>The bucket of an SSE use.</summary>
    public string? Bucket { get; init; }

    /// <summary>The object of an SSE use.</summary>
    public string? Object { get; init; }

    /// <summary>The SSE mode.</summary>
    public string? Mode { get; init; }

    /// <summary>Whether a cached bucket key served it.</summary>
    public bool? Cached { get; init; }

    /// <summary>The names (never values) of the encryption context.</summary>
    public IReadOnlyList<string>? ContextKeys { get; init; }

    /// <summary>AUTOMATIC or ON_DEMAND for rotations.</summary>
    public string? RotationType { get; init; }

    /// <summary>"ok" or "error".</summary>
    public string Outcome { get; init; } = "";

    /// <summary>The error type when it failed.</summary>
    public string? Error { get; init; }
}

/// <summary>Entries of the KMS audit log, oldest first.</summary>
/// <param name="Entries">The entries.</param>
/// <param name="Truncated">Whether more entries matched than the limit let through.</param>
public sealed record KmsAuditPage(IReadOnlyList<KmsAuditRecord> Entries, bool Truncated);
