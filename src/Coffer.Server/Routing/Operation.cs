using Coffer.Protocol;
using Coffer.Server.Pipeline;

namespace Coffer.Server.Routing;

/// <summary>Every COS / S3 operation the server answers, named as the reference APIs name them.</summary>
public enum Operation
{
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    ListObjects,
    ListObjectsV2,
    ListObjectVersions,
    GetBucketLocation,
    GetBucketVersioning,
    PutBucketVersioning,
    PutBucketEncryption,
    GetBucketEncryption,
    DeleteBucketEncryption,
    PutBucketTagging,
    GetBucketTagging,
    DeleteBucketTagging,
    PutBucketLifecycle,
    GetBucketLifecycle,
    DeleteBucketLifecycle,
    PutBucketPolicy,
    GetBucketPolicy,
    DeleteBucketPolicy,
    GetBucketPolicyStatus,
    PutBucketCors,
    GetBucketCors,
    DeleteBucketCors,
    /// <summary>OPTIONS on a bucket or object: a browser's CORS preflight, answered before (and without) authentication.</summary>
    PreflightCors,
    /// <summary>POST on a bucket with a multipart/form-data body: a browser form upload, authenticated by its fields.</summary>
    PostObject,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    GetObjectAttributes,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    ListMultipartUploads,
    RestoreObject,
    PutObjectTagging,
    GetObjectTagging,
    DeleteObjectTagging,
    GetBucketAcl,
    PutBucketAcl,
    GetObjectAcl,
    PutObjectAcl,
    GetBucketOwnershipControls,
    PutBucketOwnershipControls,
    DeleteBucketOwnershipControls,
    GetPublicAccessBlock,
    PutPublicAccessBlock,
    DeletePublicAccessBlock,
}

/// <summary>
/// Maps (method, bucket?, key?, sub-resource) to an <see cref="Operation"/>. Sub-resources we
/// do not implement (website, …) are answered NotImplemented, never a 500 and never
/// silently treated as another operation.
/// </summary>
public static class Router
{
    /// <summary>Query parameters that are arguments, not sub-resources.</summary>
    private static readonly HashSet<string> Arguments = new(StringComparer.Ordinal)
    {
        "prefix", "delimiter", "marker", "max-keys", "encoding-type", "list-type", "continuation-token",
        "start-after", "fetch-owner", "key-marker", "version-id-marker", "upload-id-marker", "max-uploads",
        "partNumber", "uploadId", "versionId", "max-parts", "part-number-marker", "x-id",
        "allow-unordered", "optional-object-attributes", "max-buckets", "bucket-region",
        // Signature Version 2 query authentication (botocore also moves Content-Type/MD5 and the x-amz-* headers, matched by the prefix below, into the query).
        "AWSAccessKeyId", "Expires", "Signature", "content-type", "content-md5",
    };

    private static readonly string[] SubResources = ["encryption", "location", "versions", "versioning", "delete", "uploads", "restore", "tagging", "attributes",
        "policy", "policyStatus", "acl", "ownershipControls", "publicAccessBlock", "cors"];
    private static readonly string[] LifecycleSubResources = ["lifecycle"];

    public static Operation Resolve(string method, Target target, RequestQuery query, Func<string, string?> header)
    {
        // A browser's preflight may name any URL the script will call, sub-resources included.
        if (method == "OPTIONS")
            return Operation.PreflightCors;
        string? sub = null;
        foreach (var (name, _) in query.Pairs)
        {
            if (Arguments.Contains(name) || name.StartsWith("response-", StringComparison.Ordinal)
                || name.StartsWith("X-Amz-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("q-", StringComparison.Ordinal)
                || name.StartsWith("x-cos-", StringComparison.OrdinalIgnoreCase))
                continue;
            if (Array.IndexOf(LifecycleSubResources, name) >= 0)
            {
                sub ??= name;
                continue;
            }
            if (Array.IndexOf(SubResources, name) < 0)
                throw NotImplemented($"The sub-resource '?{name}' is not implemented by this server.");
            sub ??= name;
        }

        if (target.Bucket is null)
        {
            if (method == "GET" && sub is null) return Operation.ListBuckets;
            throw new CofferException(ErrorCode.MethodNotAllowed, $"{method} is not allowed on the service; name a bucket.");
        }

        if (target.Key is null)
            return (method, sub) switch
            {
                ("PUT", null) => Operation.CreateBucket,
                ("HEAD", null) => Operation.HeadBucket,
                ("DELETE", null) => Operation.DeleteBucket,
                ("GET", null) => query.Get("list-type") == "2" ? Operation.ListObjectsV2 : Operation.ListObjects,
                ("GET", "versions") => Operation.ListObjectVersions,
                ("GET", "location") => Operation.GetBucketLocation,
                ("GET", "versioning") => Operation.GetBucketVersioning,
                ("PUT", "versioning") => Operation.PutBucketVersioning,
                ("GET", "uploads") => Operation.ListMultipartUploads,
                ("PUT", "encryption") => Operation.PutBucketEncryption,
                ("GET", "encryption") => Operation.GetBucketEncryption,
                ("DELETE", "encryption") => Operation.DeleteBucketEncryption,
                ("PUT", "tagging") => Operation.PutBucketTagging,
                ("GET", "tagging") => Operation.GetBucketTagging,
                ("DELETE", "tagging") => Operation.DeleteBucketTagging,
                ("PUT", "lifecycle") => Operation.PutBucketLifecycle,
                ("GET", "lifecycle") => Operation.GetBucketLifecycle,
                ("DELETE", "lifecycle") => Operation.DeleteBucketLifecycle,
                ("PUT", "policy") => Operation.PutBucketPolicy,
                ("GET", "policy") => Operation.GetBucketPolicy,
                ("DELETE", "policy") => Operation.DeleteBucketPolicy,
                ("GET", "policyStatus") => Operation.GetBucketPolicyStatus,
                ("POST", "delete") => Operation.DeleteObjects,
                ("GET", "acl") => Operation.GetBucketAcl,
                ("PUT", "acl") => Operation.PutBucketAcl,
                ("GET", "ownershipControls") => Operation.GetBucketOwnershipControls,
                ("PUT", "ownershipControls") => Operation.PutBucketOwnershipControls,
                ("DELETE", "ownershipControls") => Operation.DeleteBucketOwnershipControls,
                ("GET", "publicAccessBlock") => Operation.GetPublicAccessBlock,
                ("PUT", "publicAccessBlock") => Operation.PutPublicAccessBlock,
                ("DELETE", "publicAccessBlock") => Operation.DeletePublicAccessBlock,
                ("PUT", "cors") => Operation.PutBucketCors,
                ("GET", "cors") => Operation.GetBucketCors,
                ("DELETE", "cors") => Operation.DeleteBucketCors,
                ("POST", null) when IsForm(header("Content-Type")) => Operation.PostObject,
                _ => throw MethodNotAllowed(method, sub),
            };

        var hasUpload = query.Has("uploadId");
        return (method, sub) switch
        {
            ("PUT", null) when hasUpload => header("x-cos-copy-source") is not null || header("x-amz-copy-source") is not null
                ? Operation.UploadPartCopy : Operation.UploadPart,
            ("PUT", null) => header("x-cos-copy-source") is not null || header("x-amz-copy-source") is not null
                ? Operation.CopyObject : Operation.PutObject,
            ("GET", null) => hasUpload ? Operation.ListParts : Operation.GetObject,
            ("HEAD", null) => Operation.HeadObject,
            ("DELETE", null) => hasUpload ? Operation.AbortMultipartUpload : Operation.DeleteObject,
            ("POST", "uploads") => Operation.CreateMultipartUpload,
            ("POST", null) when hasUpload => Operation.CompleteMultipartUpload,
            ("POST", "restore") => Operation.RestoreObject,
            ("PUT", "tagging") => Operation.PutObjectTagging,
            ("GET", "tagging") => Operation.GetObjectTagging,
            ("DELETE", "tagging") => Operation.DeleteObjectTagging,
            ("GET", "attributes") => Operation.GetObjectAttributes,
            ("GET", "acl") => Operation.GetObjectAcl,
            ("PUT", "acl") => Operation.PutObjectAcl,
            _ => throw MethodNotAllowed(method, sub),
        };
    }

    /// <summary>Whether a Content-Type is a browser form upload's (multipart/form-data; boundary=…).</summary>
    public static bool IsForm(string? contentType) =>
        contentType is not null && contentType.TrimStart().StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    private static CofferException NotImplemented(string message) => new(ErrorCode.NotImplemented, message);

    private static CofferException MethodNotAllowed(string method, string? sub) =>
        new(ErrorCode.MethodNotAllowed, sub is null
            ? $"{method} is not allowed on this resource."
            : $"{method} is not allowed on the '?{sub}' sub-resource of this resource.");
}
