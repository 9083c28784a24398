namespace Coffer.Sdk;

/// <summary>The answer to GET Bucket policy. A bucket without a policy answers 404 NoSuchBucketPolicy instead.</summary>
public sealed class GetBucketPolicyResponse : CosResponse
{
    /// <summary>The policy's JSON, exactly as it was put; always present.</summary>
    public string Policy { get; internal set; } = "";
}

/// <summary>The answer to GET Bucket policyStatus.</summary>
public sealed class GetBucketPolicyStatusResponse : CosResponse
{
    /// <summary>Whether the policy grants access to everyone (anonymous callers included) without pinning it to fixed callers; always present.</summary>
    public bool IsPublic { get; internal set; }
}
