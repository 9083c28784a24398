using Coffer.Storage;

namespace Coffer.Server.Access;

/// <summary>
/// Stage (4) of the <see cref="Authorizer"/>: what the grants of a bucket's or an object's ACL let a caller other than the
/// bucket owner do (docs/protocol/acl.md). Under BucketOwnerEnforced no ACL grants anything; under IgnorePublicAcls the
/// grants to AllUsers and AuthenticatedUsers count for nothing.
/// </summary>
public static class AclEvaluation
{
    /// <summary>The permission an action needs on the bucket's ACL, or null when the bucket's ACL cannot grant it.</summary>
    public static AclPermission? BucketPermissionFor(string action) => action switch
    {
        "s3:ListBucket" or "s3:ListBucketVersions" or "s3:ListBucketMultipartUploads" => AclPermission.Read,
        "s3:PutObject" or "s3:DeleteObject" or "s3:AbortMultipartUpload" or "s3:ListMultipartUploadParts" => AclPermission.Write,
        "s3:GetBucketAcl" => AclPermission.ReadAcp,
        "s3:PutBucketAcl" => AclPermission.WriteAcp,
        _ => null,
    };

    /// <summary>The permission an action needs on the object's ACL, or null when an object's ACL cannot grant it.</summary>
    public static AclPermission? ObjectPermissionFor(string action) => action switch
    {
        "s3:GetObject" or "s3:GetObjectAttributes" or "s3:GetObjectVersion" or "s3:GetObjectVersionAttributes" => AclPermission.Read,
        "s3:GetObjectAcl" or "s3:GetObjectVersionAcl" => AclPermission.ReadAcp,
        "s3:PutObjectAcl" or "s3:PutObjectVersionAcl" => AclPermission.WriteAcp,
        _ => null,
    };

    /// <summary>
    /// Whether <paramref name="grants"/> give <paramref name="caller"/> (null: anonymous) <paramref name="needed"/>:
    /// a grant of that permission or FULL_CONTROL to the caller's id, to AuthenticatedUsers when the caller is signed, or
    /// to AllUsers.
    /// </summary>
    public static bool Grants(IReadOnlyList<AclGrant> grants, UserRecord? caller, AclPermission needed, bool ignorePublic)
    {
        foreach (var g in grants)
        {
            if (g.Permission != needed && g.Permission != AclPermission.FullControl)
                continue;
            if (ignorePublic && g.IsPublic)
                continue;
            var matches = g.Kind switch
            {
                AclGranteeKind.AllUsers => true,
                AclGranteeKind.AuthenticatedUsers => caller is not null,
                _ => caller is not null && string.Equals(g.UserId, caller.Id, StringComparison.Ordinal),
            };
            if (matches)
                return true;
        }
        return false;
    }

    /// <summary>Whether the bucket's ACL gives the caller <paramref name="needed"/>.</summary>
    public static bool BucketAllows(BucketRecord bucket, UserRecord? caller, AclPermission needed) =>
        !bucket.AclsDisabled
        && Grants(Acls.GrantsInForce(bucket.Acl, bucket.Owner), caller, needed, bucket.PublicAccessBlock?.IgnorePublicAcls == true);

    /// <summary>
    /// Whether the object's ACL gives the caller <paramref name="needed"/>; the object's owner (a writer other than the
    /// bucket owner, under ObjectWriter or BucketOwnerPreferred) has every object permission.
    /// </summary>
    public static bool ObjectAllows(BucketRecord bucket, ObjectRecord obj, UserRecord? caller, AclPermission needed)
    {
        if (bucket.AclsDisabled)
            return false;
        var owner = obj.Acl?.Owner ?? bucket.Owner;
        if (caller is not null && string.Equals(owner, caller.Id, StringComparison.Ordinal))
            return true;
        return Grants(Acls.GrantsInForce(obj.Acl, owner), caller, needed, bucket.PublicAccessBlock?.IgnorePublicAcls == true);
    }
}
