using Coffer.Server.Routing;

namespace Coffer.Server.Access;

/// <summary>
/// The IAM action each operation needs, as S3 names it (a COS policy's <c>name/cos:…</c> actions map onto these):
/// what a bucket policy's Action matches and what an ACL permission is checked against.
/// </summary>
public static class AccessActions
{
    /// <summary>
    /// The action of an operation that names a version (<c>?versionId=</c>): S3's <c>…Version…</c> action where it has one
    /// (a GET of a version is s3:GetObjectVersion, its DELETE s3:DeleteObjectVersion), else the operation's own.
    /// </summary>
    public static string Of(Operation operation, bool namesVersion) => !namesVersion ? Of(operation) : operation switch
    {
        Operation.GetObject or Operation.HeadObject => "s3:GetObjectVersion",
        Operation.DeleteObject => "s3:DeleteObjectVersion",
        Operation.GetObjectAttributes => "s3:GetObjectVersionAttributes",
        Operation.PutObjectTagging => "s3:PutObjectVersionTagging",
        Operation.GetObjectTagging => "s3:GetObjectVersionTagging",
        Operation.DeleteObjectTagging => "s3:DeleteObjectVersionTagging",
        Operation.GetObjectAcl => "s3:GetObjectVersionAcl",
        Operation.PutObjectAcl => "s3:PutObjectVersionAcl",
        _ => Of(operation),
    };

    public static string Of(Operation operation) => operation switch
    {
        Operation.ListBuckets => "s3:ListAllMyBuckets",
        Operation.CreateBucket => "s3:CreateBucket",
        Operation.HeadBucket => "s3:ListBucket",
        Operation.DeleteBucket => "s3:DeleteBucket",
        Operation.ListObjects or Operation.ListObjectsV2 => "s3:ListBucket",
        Operation.ListObjectVersions => "s3:ListBucketVersions",
        Operation.GetBucketLocation => "s3:GetBucketLocation",
        Operation.GetBucketVersioning => "s3:GetBucketVersioning",
        Operation.PutBucketVersioning => "s3:PutBucketVersioning",
        Operation.PutBucketEncryption or Operation.DeleteBucketEncryption => "s3:PutEncryptionConfiguration",
        Operation.GetBucketEncryption => "s3:GetEncryptionConfiguration",
        Operation.PutBucketTagging or Operation.DeleteBucketTagging => "s3:PutBucketTagging",
        Operation.GetBucketTagging => "s3:GetBucketTagging",
        Operation.PutBucketLifecycle or Operation.DeleteBucketLifecycle => "s3:PutLifecycleConfiguration",
        Operation.GetBucketLifecycle => "s3:GetLifecycleConfiguration",
        Operation.PutBucketPolicy => "s3:PutBucketPolicy",
        Operation.GetBucketPolicy => "s3:GetBucketPolicy",
        Operation.DeleteBucketPolicy => "s3:DeleteBucketPolicy",
        Operation.GetBucketPolicyStatus => "s3:GetBucketPolicyStatus",
        // Each key of a multi-object delete is checked again as s3:DeleteObject by the handler's caller check.
        Operation.DeleteObjects => "s3:DeleteObject",
        Operation.PutObject or Operation.CopyObject or Operation.CreateMultipartUpload or Operation.UploadPart
            or Operation.UploadPartCopy or Operation.CompleteMultipartUpload => "s3:PutObject",
        Operation.GetObject or Operation.HeadObject => "s3:GetObject",
        Operation.GetObjectAttributes => "s3:GetObjectAttributes",
        Operation.DeleteObject => "s3:DeleteObject",
        Operation.AbortMultipartUpload => "s3:AbortMultipartUpload",
        Operation.ListParts => "s3:ListMultipartUploadParts",
        Operation.ListMultipartUploads => "s3:ListBucketMultipartUploads",
        Operation.RestoreObject => "s3:RestoreObject",
        Operation.PutObjectTagging => "s3:PutObjectTagging",
        Operation.GetObjectTagging => "s3:GetObjectTagging",
        Operation.DeleteObjectTagging => "s3:DeleteObjectTagging",
        Operation.GetBucketAcl => "s3:GetBucketAcl",
        Operation.PutBucketAcl => "s3:PutBucketAcl",
        Operation.GetObjectAcl => "s3:GetObjectAcl",
        Operation.PutObjectAcl => "s3:PutObjectAcl",
        Operation.GetBucketOwnershipControls => "s3:GetBucketOwnershipControls",
        Operation.PutBucketOwnershipControls or Operation.DeleteBucketOwnershipControls => "s3:PutBucketOwnershipControls",
        Operation.GetPublicAccessBlock => "s3:GetBucketPublicAccessBlock",
        Operation.PutPublicAccessBlock or Operation.DeletePublicAccessBlock => "s3:PutBucketPublicAccessBlock",
        Operation.GetBucketCors => "s3:GetBucketCORS",
        Operation.PutBucketCors or Operation.DeleteBucketCors => "s3:PutBucketCORS",
        // A browser form upload is a PutObject of the form's key (PostObjectHandlers asks with that key).
        Operation.PostObject => "s3:PutObject",
        // A preflight is answered from the CORS rules alone, before any authentication: no caller, nothing to authorize.
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, "no IAM action is mapped for this operation"),
    };
}
