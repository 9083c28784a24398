namespace Coffer.Sdk;

/// <summary>
/// One grant of an ACL: a user (<see cref="Id"/>, a Coffer user id; COS's <c>qcs::cam::uin/ID:uin/ID</c> form is
/// read back as the bare id) or a group (<see cref="Uri"/>: <c>…/groups/global/AllUsers</c> or
/// <c>…/groups/global/AuthenticatedUsers</c>), and a permission: READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL.
/// </summary>
/// <param name="Id">The grantee's user id; null for a group.</param>
/// <param name="Uri">The group's URI; null for a user.</param>
/// <param name="Permission">READ, WRITE (buckets only), READ_ACP, WRITE_ACP or FULL_CONTROL.</param>
/// <param name="DisplayName">The user's name, as the server answers it; ignored when sent.</param>
public sealed record CosGrant(string? Id, string? Uri, string Permission, string? DisplayName = null);

/// <summary>The ACL to set with PUT ?acl: a canned ACL, grant headers (each a comma-separated <c>id="…"</c> / <c>uri="…"</c> list), or a list of grants sent as an AccessControlPolicy body.</summary>
public sealed class PutAclRequest
{
    /// <summary>A canned ACL: private, public-read, public-read-write, authenticated-read (objects also bucket-owner-read, bucket-owner-full-control, COS's default).</summary>
    public string? ACL { get; set; }

    /// <summary>x-cos-grant-read (S3: x-amz-grant-read).</summary>
    public string? GrantRead { get; set; }

    /// <summary>x-cos-grant-write: buckets only.</summary>
    public string? GrantWrite { get; set; }

    /// <summary>x-cos-grant-read-acp.</summary>
    public string? GrantReadAcp { get; set; }

    /// <summary>x-cos-grant-write-acp.</summary>
    public string? GrantWriteAcp { get; set; }

    /// <summary>x-cos-grant-full-control.</summary>
    public string? GrantFullControl { get; set; }

    /// <summary>The grants, sent as an AccessControlPolicy body; only when no canned ACL and no grant header is set.</summary>
    public IReadOnlyList<CosGrant>? AccessControlPolicy { get; set; }
}

/// <summary>The answer to GET ?acl of a bucket or an object: its owner and the grants in force.</summary>
public sealed class GetAclResponse : CosResponse
{
    /// <summary>The owner's user id.</summary>
    public string OwnerId { get; internal set; } = "";

    /// <summary>The owner's name; null when the server sent none.</summary>
    public string? OwnerDisplayName { get; internal set; }

    /// <summary>The grants, in the order the server keeps them.</summary>
    public IReadOnlyList<CosGrant> Grants { get; internal set; } = [];
}

/// <summary>The answer to GET ?ownershipControls: BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter.</summary>
public sealed class GetOwnershipControlsResponse : CosResponse
{
    /// <summary>The bucket's Object Ownership setting.</summary>
    public string ObjectOwnership { get; internal set; } = "";
}

/// <summary>A bucket's Block Public Access flags (PUT / GET ?publicAccessBlock).</summary>
/// <param name="BlockPublicAcls">Refuse new ACLs that grant AllUsers or AuthenticatedUsers.</param>
/// <param name="IgnorePublicAcls">Let public grants of existing ACLs count for nothing.</param>
/// <param name="BlockPublicPolicy">Refuse public bucket policies.</param>
/// <param name="RestrictPublicBuckets">Let a public bucket policy admit only the owner's principals.</param>
public sealed record PublicAccessBlock(bool BlockPublicAcls, bool IgnorePublicAcls, bool BlockPublicPolicy, bool RestrictPublicBuckets);

/// <summary>The answer to GET ?publicAccessBlock.</summary>
public sealed class GetPublicAccessBlockResponse : CosResponse
{
    /// <summary>The flags.</summary>
    public PublicAccessBlock Configuration { get; internal set; } = new(false, false, false, false);
}
