namespace Coffer.Sdk;

/// <summary>The answer to PUT Bucket, DELETE Bucket, DELETE Bucket encryption and other calls without a body.</summary>
public sealed class CosEmptyResponse : CosResponse
{
}

/// <summary>The answer to HEAD Bucket.</summary>
public sealed class HeadBucketResponse : CosResponse
{
    /// <summary>The bucket's region (<c>x-cos-bucket-region</c>), when sent.</summary>
    public string? Region => Headers.Get("x-cos-bucket-region");
}

/// <summary>
/// A bucket's default encryption (PUT/GET Bucket encryption). <see cref="SSEAlgorithm"/> is
/// "AES256" or "SM4" (SSE-COS with that cipher; SM4 is COS's, over COS signatures only) or "KMS"
/// (SSE-KMS; the client sends "aws:kms" over SigV4 and reports "KMS" either way);
/// <see cref="KMSMasterKeyID"/> optionally names the KMS key, and <see cref="KMSAlgorithm"/> the
/// cipher of SSE-KMS data ("AES256", the default, or "SM4"; COS only).
/// </summary>
/// <param name="SSEAlgorithm">"AES256", "SM4" or "KMS".</param>
/// <param name="KMSMasterKeyID">The KMS key id for "KMS", or null for the default key.</param>
/// <param name="KMSAlgorithm">For "KMS": "AES256" or "SM4"; null (the default, AES256) otherwise. Present on GET only when SM4.</param>
public sealed record BucketEncryptionRule(string SSEAlgorithm, string? KMSMasterKeyID = null, string? KMSAlgorithm = null);

/// <summary>The answer to GET Bucket encryption.</summary>
public sealed class GetBucketEncryptionResponse : CosResponse
{
    /// <summary>The rules (one in practice).</summary>
    public IReadOnlyList<BucketEncryptionRule> Rules { get; internal set; } = [];
}

/// <summary>The answer to ListBuckets: the caller's buckets, one page when paging was asked.</summary>
public sealed class ListBucketsResponse : CosResponse
{
    /// <summary>The buckets of the page, by name.</summary>
    public IReadOnlyList<BucketSummary> Buckets { get; internal set; } = [];

    /// <summary>Pass to the next call to get the next page; null on the last page (and when paging was not asked).</summary>
    public string? ContinuationToken { get; internal set; }

    /// <summary>The prefix the page was filtered by, when one was sent.</summary>
    public string? Prefix { get; internal set; }

    /// <summary>The owner's id (always present on Coffer).</summary>
    public string? OwnerId { get; internal set; }
}

/// <summary>The answer to GET Bucket versioning.</summary>
public sealed class GetBucketVersioningResponse : CosResponse
{
    /// <summary><c>Enabled</c> or <c>Suspended</c>; null when the bucket never had versioning.</summary>
    public string? Status { get; internal set; }
}

/// <summary>One version or delete marker of a version listing.</summary>
/// <param name="Key">The object key.</param>
/// <param name="VersionId">The version id (<c>null</c> for the null version).</param>
/// <param name="IsLatest">Whether it is the key's newest version.</param>
/// <param name="IsDeleteMarker">Whether it is a delete marker (no ETag, size or class).</param>
/// <param name="LastModified">When it was written.</param>
/// <param name="ETag">The ETag (quoted), null for a delete marker.</param>
/// <param name="Size">Plaintext bytes, 0 for a delete marker.</param>
/// <param name="StorageClass">The storage class, null for a delete marker.</param>
public sealed record ObjectVersionSummary(string Key, string VersionId, bool IsLatest, bool IsDeleteMarker, DateTimeOffset? LastModified, string? ETag, long Size, string? StorageClass);

/// <summary>The answer to GET Bucket versions (ListObjectVersions).</summary>
public sealed class ListObjectVersionsResponse : CosResponse
{
    /// <summary>The bucket.</summary>
    public string? Name { get; internal set; }

    /// <summary>The prefix asked for.</summary>
    public string? Prefix { get; internal set; }

    /// <summary>The delimiter asked for.</summary>
    public string? Delimiter { get; internal set; }

    /// <summary>The limit applied.</summary>
    public int? MaxKeys { get; internal set; }

    /// <summary>Whether more entries follow.</summary>
    public bool IsTruncated { get; internal set; }

    /// <summary>The key marker of the next page (when truncated).</summary>
    public string? NextKeyMarker { get; internal set; }

    /// <summary>The version-id marker of the next page (when truncated and the page did not end on a common prefix).</summary>
    public string? NextVersionIdMarker { get; internal set; }

    /// <summary>Versions and delete markers, keys in order and each key's newest first.</summary>
    public IReadOnlyList<ObjectVersionSummary> Versions { get; internal set; } = [];

    /// <summary>The common prefixes (with a delimiter).</summary>
    public IReadOnlyList<string> CommonPrefixes { get; internal set; } = [];
}
