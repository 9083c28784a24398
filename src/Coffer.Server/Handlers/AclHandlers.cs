using Coffer.Protocol;
using Coffer.Server.Access;
using Coffer.Server.Objects;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>
/// ACLs, Object Ownership and Block Public Access: GET / PUT ?acl on buckets and objects, GET / PUT / DELETE
/// ?ownershipControls and ?publicAccessBlock (docs/protocol/acl.md). Who may call them is the Authorizer's decision;
/// these handlers check what the bucket's settings accept.
/// </summary>
public static class AclHandlers
{
    public static Task GetBucketAclAsync(RequestContext ctx, CofferServices s)
    {
        var bucket = ctx.Bucket!;
        return Acls.WriteAsync(ctx, s, bucket.Owner, InForce(bucket, bucket.Acl, bucket.Owner));
    }

    public static async Task PutBucketAclAsync(RequestContext ctx, CofferServices s)
    {
        var bucket = ctx.Bucket!;
        var spec = await ReadSpecAsync(ctx, forBucket: true);
        Acls.CheckAllowed(bucket, spec, bucket.Owner);
        await Acls.CheckGranteesExistAsync(spec, s, ctx.Aborted);
        // Under BucketOwnerEnforced only the owner-only ACL passes CheckAllowed: it is what the bucket has already.
        var acl = bucket.AclsDisabled ? null : new AccessControlList(null, Acls.GrantsOf(spec, bucket.Owner, bucket.Owner));
        if (!await s.Store.SetBucketAclAsync(bucket.Name, acl, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.ContentLength = 0;
    }

    public static async Task GetObjectAclAsync(RequestContext ctx, CofferServices s)
    {
        var bucket = ctx.Bucket!;
        var obj = await Versions.FindAsync(ctx, s, ctx.ObjectKey, Versions.Requested(ctx));
        var owner = OwnerOf(bucket, obj);
        await Acls.WriteAsync(ctx, s, owner, InForce(bucket, obj.Acl, owner));
    }

    public static async Task PutObjectAclAsync(RequestContext ctx, CofferServices s)
    {
        await Versions.RequireCurrentAsync(ctx, s, "ACL");
        var bucket = ctx.Bucket!;
        var spec = await ReadSpecAsync(ctx, forBucket: false);
        var obj = await ObjectHandlers.ReadObjectAsync(ctx, s) ?? throw NoSuchKey(ctx);
        var owner = OwnerOf(bucket, obj);
        Acls.CheckAllowed(bucket, spec, owner);
        await Acls.CheckGranteesExistAsync(spec, s, ctx.Aborted);
        var acl = bucket.AclsDisabled ? null : new AccessControlList(owner == bucket.Owner ? null : owner, Acls.GrantsOf(spec, owner, bucket.Owner));
        if (!await s.Store.SetObjectAclAsync(bucket.Name, ctx.ObjectKey, acl, CancellationToken.None))
            throw NoSuchKey(ctx);
        ctx.Response.ContentLength = 0;
    }

    public static async Task GetBucketOwnershipControlsAsync(RequestContext ctx, CofferServices s)
    {
        var ownership = ctx.Bucket!.Ownership
            ?? throw new CofferException(ErrorCode.OwnershipControlsNotFound, $"The bucket ownership controls were not found: '{ctx.BucketName}' has none (it behaves as ObjectWriter).");
        using var xml = new XmlDoc("OwnershipControls");
        xml.Start("Rule").Element("ObjectOwnership", ownership.ToString()).End();
        await xml.WriteAsync(ctx.Response);
    }

    public static async Task PutBucketOwnershipControlsAsync(RequestContext ctx, CofferServices s)
    {
        var root = await XmlInput.ReadAsync(ctx, "OwnershipControls");
        var rules = root.Children("Rule").ToList();
        if (rules.Count != 1)
            throw new CofferException(ErrorCode.MalformedXML, $"<OwnershipControls> must hold exactly one <Rule>; it holds {rules.Count}.");
        var value = rules[0].ChildValue("ObjectOwnership")?.Trim();
        if (!Enum.TryParse<ObjectOwnership>(value, ignoreCase: false, out var ownership) || !Enum.IsDefined(ownership) || int.TryParse(value, out _))
            throw new CofferException(ErrorCode.MalformedXML, $"<ObjectOwnership> is '{value}'; use BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter.");
        var bucket = ctx.Bucket!;
        if (ownership == ObjectOwnership.BucketOwnerEnforced
            && Acls.GrantsInForce(bucket.Acl, bucket.Owner).Any(g => g.Kind != AclGranteeKind.User || g.UserId != bucket.Owner))
            throw new CofferException(ErrorCode.InvalidBucketAclWithObjectOwnership,
                $"Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting: the ACL of '{bucket.Name}' grants others; set it to private first.");
        if (!await s.Store.SetBucketOwnershipAsync(bucket.Name, ownership, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.ContentLength = 0;
    }

    public static async Task DeleteBucketOwnershipControlsAsync(RequestContext ctx, CofferServices s)
    {
        if (!await s.Store.SetBucketOwnershipAsync(ctx.BucketName, null, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public static async Task GetPublicAccessBlockAsync(RequestContext ctx, CofferServices s)
    {
        var block = ctx.Bucket!.PublicAccessBlock
            ?? throw new CofferException(ErrorCode.NoSuchPublicAccessBlockConfiguration, $"The public access block configuration was not found: '{ctx.BucketName}' has none (nothing is blocked).");
        using var xml = new XmlDoc("PublicAccessBlockConfiguration");
        xml.Element("BlockPublicAcls", block.BlockPublicAcls).Element("IgnorePublicAcls", block.IgnorePublicAcls)
            .Element("BlockPublicPolicy", block.BlockPublicPolicy).Element("RestrictPublicBuckets", block.RestrictPublicBuckets);
        await xml.WriteAsync(ctx.Response);
    }

    public static async Task PutPublicAccessBlockAsync(RequestContext ctx, CofferServices s)
    {
        var root = await XmlInput.ReadAsync(ctx, "PublicAccessBlockConfiguration");
        var block = new PublicAccessBlock(Flag(root, "BlockPublicAcls"), Flag(root, "IgnorePublicAcls"), Flag(root, "BlockPublicPolicy"), Flag(root, "RestrictPublicBuckets"));
        if (!await s.Store.SetPublicAccessBlockAsync(ctx.BucketName, block, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.ContentLength = 0;
    }

    public static async Task DeletePublicAccessBlockAsync(RequestContext ctx, CofferServices s)
    {
        if (!await s.Store.SetPublicAccessBlockAsync(ctx.BucketName, null, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>
    /// The ACL a PUT ?acl asks for: its headers or its AccessControlPolicy body, not both (S3 refuses both; COS lets the
    /// header win, a difference we do not copy) and not neither.
    /// </summary>
    private static async Task<AclSpec> ReadSpecAsync(RequestContext ctx, bool forBucket)
    {
        var fromHeaders = Acls.FromHeaders(ctx, forBucket);
        var hasBody = ctx.Request.ContentLength is > 0
            || (ctx.Header("x-amz-decoded-content-length") is { } decoded && decoded != "0")
            || (ctx.Request.ContentLength is null && ctx.Request.Headers.TransferEncoding.Count > 0);
        if (fromHeaders is not null && hasBody)
            throw new CofferException(ErrorCode.UnexpectedContent, "This request does not support content: send the ACL as headers or as an AccessControlPolicy body, not both.");
        if (fromHeaders is not null)
            return fromHeaders;
        if (!hasBody)
        {
            // COS's "default" object ACL arrives as no ACL at all: it resets the object to the default.
            if (!forBucket && ctx.FamilyHeader("acl") == "default")
                return new AclSpec("private", null);
            throw new CofferException(ErrorCode.MissingSecurityHeader,
                $"Your request was missing a required header: send {ctx.Family.Header("acl")} or {ctx.Family.Header("grant-*")} headers, or an AccessControlPolicy body.");
        }
        return Acls.ParseXml(await XmlInput.ReadAsync(ctx, "AccessControlPolicy"));
    }

    /// <summary>The grants in force, as GET ?acl answers them: the owner's FULL_CONTROL alone when ACLs are off, no public grant under IgnorePublicAcls.</summary>
    private static IReadOnlyList<AclGrant> InForce(BucketRecord bucket, AccessControlList? stored, string owner)
    {
        if (bucket.AclsDisabled)
            return [new AclGrant(AclGranteeKind.User, owner, AclPermission.FullControl)];
        var grants = Acls.GrantsInForce(stored, owner);
        return bucket.PublicAccessBlock?.IgnorePublicAcls == true ? grants.Where(g => !g.IsPublic).ToList() : grants;
    }

    /// <summary>Who owns an object: the bucket owner under BucketOwnerEnforced, else the writer its ACL names (none: the bucket owner).</summary>
    public static string OwnerOf(BucketRecord bucket, ObjectRecord obj) =>
        bucket.AclsDisabled ? bucket.Owner : obj.Acl?.Owner ?? bucket.Owner;

    private static bool Flag(System.Xml.Linq.XElement root, string name)
    {
        var value = root.ChildValue(name)?.Trim();
        return value switch
        {
            null => false,
            _ when value.Equals("true", StringComparison.OrdinalIgnoreCase) => true,
            _ when value.Equals("false", StringComparison.OrdinalIgnoreCase) => false,
            _ => throw new CofferException(ErrorCode.MalformedXML, $"<{name}> is '{value}'; use true or false."),
        };
    }

    /// <summary>This server keeps one version per key, whose id is "null"; any other version id does not exist.</summary>
    private static CofferException NoSuchKey(RequestContext ctx) =>
        new(ErrorCode.NoSuchKey, $"The key '{ctx.ObjectKey}' does not exist in bucket '{ctx.BucketName}'.");

    private static CofferException BucketGone(RequestContext ctx) =>
        new(ErrorCode.NoSuchBucket, $"The bucket '{ctx.BucketName}' was deleted meanwhile.", "/" + ctx.BucketName);
}
