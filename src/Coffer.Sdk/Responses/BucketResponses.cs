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
