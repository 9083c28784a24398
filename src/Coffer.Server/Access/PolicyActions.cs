using Coffer.Server.Routing;

namespace Coffer.Server.Access;

/// <summary>
/// The action names a policy may use: S3's (<c>s3:GetObject</c>) and COS's (<c>name/cos:GetObject</c>), with the resource
/// type each applies to, and the COS action of every operation (COS names actions after its APIs: HEAD Object is
/// <c>HeadObject</c>, where S3 checks <c>s3:GetObject</c>).
/// </summary>
public static class PolicyActions
{
    /// <summary>The S3 actions a policy may name (lower-case, without the prefix), each with whether it acts on objects.</summary>
    internal static readonly Dictionary<string, bool> S3 = Table(
        objectLevel:
        [
            "AbortMultipartUpload", "BypassGovernanceRetention", "DeleteObject", "DeleteObjectTagging", "DeleteObjectVersion",
            "DeleteObjectVersionTagging", "GetObject", "GetObjectAcl", "GetObjectAttributes", "GetObjectLegalHold", "GetObjectRetention",
            "GetObjectTagging", "GetObjectVersion", "GetObjectVersionAcl", "GetObjectVersionAttributes", "GetObjectVersionTagging",
            "ListMultipartUploadParts", "PutObject", "PutObjectAcl", "PutObjectLegalHold", "PutObjectRetention", "PutObjectTagging",
            "PutObjectVersionAcl", "PutObjectVersionTagging", "ReplicateObject", "RestoreObject",
        ],
        bucketLevel:
        [
            "CreateBucket", "DeleteBucket", "DeleteBucketOwnershipControls", "DeleteBucketPolicy", "DeleteBucketWebsite", "GetBucketAcl",
            "GetBucketCORS", "GetBucketLocation", "GetBucketLogging", "GetBucketNotification", "GetBucketObjectLockConfiguration",
            "GetBucketOwnershipControls", "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketPublicAccessBlock", "GetBucketRequestPayment",
            "GetBucketTagging", "GetBucketVersioning", "GetBucketWebsite", "GetEncryptionConfiguration", "GetLifecycleConfiguration",
            "GetReplicationConfiguration", "ListAllMyBuckets", "ListBucket", "ListBucketMultipartUploads", "ListBucketVersions",
            "PutBucketAcl", "PutBucketCORS", "PutBucketLogging", "PutBucketNotification", "PutBucketObjectLockConfiguration",
            "PutBucketOwnershipControls", "PutBucketPolicy", "PutBucketPublicAccessBlock", "PutBucketRequestPayment", "PutBucketTagging",
            "PutBucketVersioning", "PutBucketWebsite", "PutEncryptionConfiguration", "PutLifecycleConfiguration", "PutReplicationConfiguration",
        ]);

    /// <summary>The COS actions (API names) a policy may name, lower-case, each with whether it acts on objects.</summary>
    internal static readonly Dictionary<string, bool> Cos = Table(
        objectLevel:
        [
            "GetObject", "HeadObject", "PutObject", "PostObject", "DeleteObject", "DeleteMultipleObjects", "AppendObject", "OptionsObject",
            "PostObjectRestore", "InitiateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload", "AbortMultipartUpload",
            "ListParts", "GetObjectACL", "PutObjectACL", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", "GetObjectAttributes",
        ],
        bucketLevel:
        [
            "GetService", "GetBucket", "HeadBucket", "PutBucket", "DeleteBucket", "GetBucketObjectVersions", "ListMultipartUploads",
            "GetBucketACL", "PutBucketACL", "GetBucketCORS", "PutBucketCORS", "DeleteBucketCORS", "GetBucketLifecycle", "PutBucketLifecycle",
            "DeleteBucketLifecycle", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicyStatus", "GetBucketTagging",
            "PutBucketTagging", "DeleteBucketTagging", "GetBucketEncryption", "PutBucketEncryption", "DeleteBucketEncryption",
            "GetBucketLocation", "GetBucketVersioning", "PutBucketVersioning",
        ]);

    /// <summary>
    /// The COS action (lower-case, <c>cos:</c> prefix) checked for an S3 action asked of an operation: the operation's own
    /// API name, except where the action is checked for something else than the operation (the source of a copy needs
    /// <c>GetObject</c>; each key of a multi-delete, <c>DeleteObject</c>).
    /// </summary>
    public static string CosActionOf(Operation operation, string s3Action)
    {
        // COS names no separate actions for versions: a GET of a version is a GetObject, its DELETE a DeleteObject.
        s3Action = VersionlessAction(s3Action);
        if (string.Equals(s3Action, "s3:GetObject", StringComparison.OrdinalIgnoreCase))
            return operation == Operation.HeadObject ? "cos:headobject" : "cos:getobject";
        if (string.Equals(s3Action, "s3:DeleteObject", StringComparison.OrdinalIgnoreCase))
            return "cos:deleteobject";
        return operation switch
        {
            Operation.ListBuckets => "cos:getservice",
            Operation.CreateBucket => "cos:putbucket",
            Operation.HeadBucket => "cos:headbucket",
            Operation.DeleteBucket => "cos:deletebucket",
            Operation.ListObjects or Operation.ListObjectsV2 => "cos:getbucket",
            Operation.ListObjectVersions => "cos:getbucketobjectversions",
            Operation.GetBucketLocation => "cos:getbucketlocation",
            Operation.GetBucketVersioning => "cos:getbucketversioning",
            Operation.PutBucketVersioning => "cos:putbucketversioning",
            Operation.PutBucketEncryption => "cos:putbucketencryption",
            Operation.GetBucketEncryption => "cos:getbucketencryption",
            Operation.DeleteBucketEncryption => "cos:deletebucketencryption",
            Operation.PutBucketTagging => "cos:putbuckettagging",
            Operation.GetBucketTagging => "cos:getbuckettagging",
            Operation.DeleteBucketTagging => "cos:deletebuckettagging",
            Operation.PutBucketLifecycle => "cos:putbucketlifecycle",
            Operation.GetBucketLifecycle => "cos:getbucketlifecycle",
            Operation.DeleteBucketLifecycle => "cos:deletebucketlifecycle",
            Operation.PutBucketPolicy => "cos:putbucketpolicy",
            Operation.GetBucketPolicy => "cos:getbucketpolicy",
            Operation.DeleteBucketPolicy => "cos:deletebucketpolicy",
            Operation.GetBucketPolicyStatus => "cos:getbucketpolicystatus",
            Operation.DeleteObjects => "cos:deletemultipleobjects",
            Operation.PutObject or Operation.CopyObject => "cos:putobject",
            Operation.GetObjectAttributes => "cos:getobjectattributes",
            Operation.DeleteObject => "cos:deleteobject",
            Operation.CreateMultipartUpload => "cos:initiatemultipartupload",
            Operation.UploadPart => "cos:uploadpart",
            Operation.UploadPartCopy => "cos:uploadpartcopy",
            Operation.CompleteMultipartUpload => "cos:completemultipartupload",
            Operation.AbortMultipartUpload => "cos:abortmultipartupload",
            Operation.ListParts => "cos:listparts",
            Operation.ListMultipartUploads => "cos:listmultipartuploads",
            Operation.RestoreObject => "cos:postobjectrestore",
            Operation.PutObjectTagging => "cos:putobjecttagging",
            Operation.GetObjectTagging => "cos:getobjecttagging",
            Operation.DeleteObjectTagging => "cos:deleteobjecttagging",
            Operation.PostObject => "cos:postobject",
            Operation.GetBucketCors => "cos:getbucketcors",
            Operation.PutBucketCors => "cos:putbucketcors",
            Operation.DeleteBucketCors => "cos:deletebucketcors",
            _ => "cos:" + s3Action[(s3Action.IndexOf(':') + 1)..].ToLowerInvariant(),
        };
    }

    /// <summary>The action without its version: <c>s3:GetObjectVersionTagging</c> → <c>s3:GetObjectTagging</c>.</summary>
    internal static string VersionlessAction(string s3Action) => s3Action switch
    {
        "s3:GetObjectVersion" => "s3:GetObject",
        "s3:DeleteObjectVersion" => "s3:DeleteObject",
        "s3:GetObjectVersionAttributes" => "s3:GetObjectAttributes",
        "s3:PutObjectVersionTagging" => "s3:PutObjectTagging",
        "s3:GetObjectVersionTagging" => "s3:GetObjectTagging",
        "s3:DeleteObjectVersionTagging" => "s3:DeleteObjectTagging",
        "s3:GetObjectVersionAcl" => "s3:GetObjectAcl",
        "s3:PutObjectVersionAcl" => "s3:PutObjectAcl",
        _ => s3Action,
    };

    private static Dictionary<string, bool> Table(string[] objectLevel, string[] bucketLevel)
    {
        var table = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var name in objectLevel)
            table[name.ToLowerInvariant()] = true;
        foreach (var name in bucketLevel)
            table[name.ToLowerInvariant()] = false;
        return table;
    }
}
