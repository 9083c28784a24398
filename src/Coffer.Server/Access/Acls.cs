using System.Xml.Linq;
using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Access;

/// <summary>
/// What a request asks an ACL to be: a canned ACL (<c>x-amz-acl</c> / <c>x-cos-acl</c>), or explicit grants from the
/// <c>x-amz-grant-*</c> / <c>x-cos-grant-*</c> headers or an AccessControlPolicy body (docs/protocol/acl.md).
/// </summary>
/// <param name="Canned">The canned ACL's name, or null when the grants are explicit.</param>
/// <param name="Grants">The explicit grants, or null for a canned ACL.</param>
public sealed record AclSpec(string? Canned, IReadOnlyList<AclGrant>? Grants)
{
    /// <summary>Whether the ACL gives the bucket owner full control and nothing else to anyone else (what BucketOwnerEnforced accepts).</summary>
    public bool IsOwnerOnly(string ownerId, string bucketOwnerId) =>
        Canned is "private" or "bucket-owner-full-control" or "default"
        || (Grants is not null && Grants.All(g => g is { Kind: AclGranteeKind.User } && (g.UserId == ownerId || g.UserId == bucketOwnerId)
            && g.Permission == AclPermission.FullControl));

    /// <summary>Whether the ACL would grant anything to AllUsers or AuthenticatedUsers (what BlockPublicAcls refuses).</summary>
    public bool IsPublic => Canned is "public-read" or "public-read-write" or "authenticated-read" || Grants?.Any(g => g.IsPublic) == true;
}

/// <summary>ACL parsing and rendering, in both families' spellings.</summary>
public static class Acls
{
    public const string S3AllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
    public const string S3AuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
    public const string CosAllUsers = "http://cam.qcloud.com/groups/global/AllUsers";
    public const string CosAuthenticatedUsers = "http://cam.qcloud.com/groups/global/AuthenticatedUsers";

    private static readonly string[] BucketCanned = ["private", "public-read", "public-read-write", "authenticated-read"];
    private static readonly string[] ObjectCanned = ["private", "public-read", "public-read-write", "authenticated-read", "bucket-owner-read", "bucket-owner-full-control", "default"];

    /// <summary>The grant headers by suffix (after x-amz- / x-cos-) and the permission each grants.</summary>
    private static readonly (string Suffix, AclPermission Permission)[] GrantHeaders =
    [
        ("grant-read", AclPermission.Read),
        ("grant-write", AclPermission.Write),
        ("grant-read-acp", AclPermission.ReadAcp),
        ("grant-write-acp", AclPermission.WriteAcp),
        ("grant-full-control", AclPermission.FullControl),
    ];

    /// <summary>
    /// The ACL the request's headers ask for, or null when it sends none. A canned ACL and grant headers together are
    /// refused (S3's InvalidRequest), as is an unknown canned ACL or a malformed grant.
    /// </summary>
    public static AclSpec? FromHeaders(RequestContext ctx, bool forBucket)
    {
        var canned = ctx.FamilyHeader("acl");
        List<AclGrant>? grants = null;
        foreach (var (suffix, permission) in GrantHeaders)
        {
            if (ctx.FamilyHeader(suffix) is not { } value)
                continue;
            if (permission == AclPermission.Write && !forBucket)
                throw new CofferException(ErrorCode.InvalidArgument, $"{ctx.Family.Header(suffix)} applies to buckets only: an object has no WRITE permission.");
            grants ??= [];
            grants.AddRange(ParseGrantHeader(value, permission, ctx.Family, ctx.Family.Header(suffix)));
        }
        if (canned is not null && grants is not null)
            throw new CofferException(ErrorCode.InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed");
        if (canned is not null)
        {
            if (Array.IndexOf(forBucket ? BucketCanned : ObjectCanned, canned) < 0)
                throw new CofferException(ErrorCode.InvalidArgument, $"The canned ACL '{canned}' is not one this server knows for {(forBucket ? "a bucket" : "an object")}; use one of: {string.Join(", ", forBucket ? BucketCanned : ObjectCanned)}.");
            // COS's object canned ACL "default": no ACL of its own, as when none is sent.
            return canned == "default" ? null : new AclSpec(canned, null);
        }
        if (grants is not null)
        {
            CheckCount(grants.Count);
            return new AclSpec(null, grants);
        }
        return null;
    }

    /// <summary>The grants of one grant header: comma-separated <c>id="…"</c> / <c>uri="…"</c> items.</summary>
    internal static IEnumerable<AclGrant> ParseGrantHeader(string value, AclPermission permission, ProtocolFamily family, string header)
    {
        foreach (var raw in value.Split(','))
        {
            var item = raw.Trim();
            if (item.Length == 0)
                continue;
            var eq = item.IndexOf('=');
            if (eq <= 0)
                throw new CofferException(ErrorCode.InvalidArgument, $"{header}: '{item}' is not a grantee; write id=\"<user id>\" or uri=\"<group URI>\".");
            var type = item[..eq].Trim();
            var v = item[(eq + 1)..].Trim();
            if (v.Length >= 2 && v[0] == '"' && v[^1] == '"')
                v = v[1..^1];
            yield return type.ToLowerInvariant() switch
            {
                "id" => new AclGrant(AclGranteeKind.User, UserIdOf(v, header), permission),
                "uri" => new AclGrant(GroupOf(v, header), null, permission),
                "emailaddress" => throw EmailNotSupported(header),
                _ => throw new CofferException(ErrorCode.InvalidArgument, $"{header}: the grantee type '{type}' is unknown; use id or uri."),
            };
        }
    }

    /// <summary>
    /// A Coffer user id from a grantee id: the 64-hex id itself, COS's <c>qcs::cam::uin/ID:uin/ID</c> or <c>ID/ID</c>
    /// forms naming the same id twice.
    /// </summary>
    internal static string UserIdOf(string id, string where)
    {
        var value = id.Trim();
        if (value.StartsWith("qcs::cam::uin/", StringComparison.Ordinal))
        {
            var rest = value["qcs::cam::uin/".Length..];
            var colon = rest.IndexOf(":uin/", StringComparison.Ordinal);
            value = colon < 0 ? rest : rest[..colon] == rest[(colon + 5)..] ? rest[..colon] : "";
        }
        else if (value.IndexOf('/') is var slash and > 0)
        {
            value = value[..slash] == value[(slash + 1)..] ? value[..slash] : "";
        }
        if (value.Length != 64 || !value.All(char.IsAsciiHexDigitLower))
            throw new CofferException(ErrorCode.InvalidArgument, $"Invalid id: {where} names '{id}'; a grantee id is a Coffer user id, 64 lowercase hex digits (`coffer admin user list` shows them).");
        return value;
    }

    private static AclGranteeKind GroupOf(string uri, string where) => uri switch
    {
        S3AllUsers or CosAllUsers => AclGranteeKind.AllUsers,
        S3AuthenticatedUsers or CosAuthenticatedUsers => AclGranteeKind.AuthenticatedUsers,
        _ => throw new CofferException(ErrorCode.InvalidArgument, $"Invalid group uri: {where} names '{uri}'; the groups are {S3AllUsers} and {S3AuthenticatedUsers} (COS: {CosAllUsers}, {CosAuthenticatedUsers})."),
    };

    private static CofferException EmailNotSupported(string where) =>
        new(ErrorCode.InvalidArgument, $"{where}: grantees by email address are not supported by this server; grant by id (a Coffer user id) or by group uri.");

    private static void CheckCount(int count)
    {
        if (count > AccessControlList.MaxGrants)
            throw new CofferException(ErrorCode.InvalidArgument, $"The ACL has {count} grants; at most {AccessControlList.MaxGrants} are allowed.");
    }

    /// <summary>The grants of an AccessControlPolicy body (PUT ?acl); the Owner element, when sent, is not checked against anything but its shape.</summary>
    public static AclSpec ParseXml(XElement root)
    {
        var list = root.Child("AccessControlList");
        var grants = new List<AclGrant>();
        foreach (var grant in list?.Children("Grant") ?? [])
        {
            var grantee = grant.Child("Grantee") ?? throw Malformed("a <Grant> has no <Grantee>");
            var permissionName = grant.ChildValue("Permission")?.Trim() ?? throw Malformed("a <Grant> has no <Permission>");
            var permission = AclPermissions.Parse(permissionName) ?? throw Malformed($"the permission '{permissionName}' is none of READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL");
            var type = grantee.Attribute(XName.Get("type", XmlDoc.XsiNamespace))?.Value;
            if (grantee.ChildValue("ID") is { } id && type is null or "CanonicalUser")
                grants.Add(new AclGrant(AclGranteeKind.User, UserIdOf(id, "the <Grantee> <ID>"), permission));
            else if (grantee.ChildValue("URI") is { } uri && type is null or "Group")
                grants.Add(new AclGrant(GroupOf(uri.Trim(), "the <Grantee> <URI>"), null, permission));
            else if (grantee.Child("EmailAddress") is not null)
                throw EmailNotSupported("the <Grantee>");
            else
                throw Malformed("a <Grantee> has neither an <ID> (CanonicalUser) nor a <URI> (Group) matching its xsi:type");
        }
        CheckCount(grants.Count);
        return new AclSpec(null, grants);
    }

    private static CofferException Malformed(string why) =>
        new(ErrorCode.MalformedAclError, $"The XML you provided was not well-formed or did not validate against our published schema: {why}.");

    /// <summary>
    /// The grants <paramref name="spec"/> stands for on a resource owned by <paramref name="ownerId"/> in a bucket owned by
    /// <paramref name="bucketOwnerId"/>. A canned ACL always includes the owner's FULL_CONTROL; explicit grants are kept as given.
    /// </summary>
    public static List<AclGrant> GrantsOf(AclSpec spec, string ownerId, string bucketOwnerId)
    {
        if (spec.Grants is not null)
            return [.. spec.Grants];
        var grants = new List<AclGrant> { new(AclGranteeKind.User, ownerId, AclPermission.FullControl) };
        switch (spec.Canned)
        {
            case "public-read":
                grants.Add(new(AclGranteeKind.AllUsers, null, AclPermission.Read));
                break;
            case "public-read-write":
                grants.Add(new(AclGranteeKind.AllUsers, null, AclPermission.Read));
                grants.Add(new(AclGranteeKind.AllUsers, null, AclPermission.Write));
                break;
            case "authenticated-read":
                grants.Add(new(AclGranteeKind.AuthenticatedUsers, null, AclPermission.Read));
                break;
            case "bucket-owner-read" when bucketOwnerId != ownerId:
                grants.Add(new(AclGranteeKind.User, bucketOwnerId, AclPermission.Read));
                break;
            case "bucket-owner-full-control" when bucketOwnerId != ownerId:
                grants.Add(new(AclGranteeKind.User, bucketOwnerId, AclPermission.FullControl));
                break;
        }
        return grants;
    }

    /// <summary>The ACL in force on a resource: the stored one, or the default (its owner's FULL_CONTROL).</summary>
    public static IReadOnlyList<AclGrant> GrantsInForce(AccessControlList? stored, string ownerId) =>
        stored?.Grants ?? [new AclGrant(AclGranteeKind.User, ownerId, AclPermission.FullControl)];

    /// <summary>Writes the AccessControlPolicy document (GET ?acl), in the caller's family's id and group spellings.</summary>
    public static async Task WriteAsync(RequestContext ctx, CofferServices s, string ownerId, IReadOnlyList<AclGrant> grants)
    {
        var names = (await s.Store.ListUsersAsync(ctx.Aborted)).ToDictionary(u => u.Id, u => u.Name);
        var cos = ctx.Family == ProtocolFamily.Cos;
        string Id(string id) => cos ? $"qcs::cam::uin/{id}:uin/{id}" : id;
        using var xml = new XmlDoc("AccessControlPolicy");
        xml.Start("Owner").Element("ID", Id(ownerId)).Element("DisplayName", names.GetValueOrDefault(ownerId, Id(ownerId))).End();
        xml.Start("AccessControlList");
        foreach (var g in grants)
        {
            xml.Start("Grant");
            if (g.Kind == AclGranteeKind.User)
            {
                xml.StartTyped("Grantee", "CanonicalUser").Element("ID", Id(g.UserId!))
                    .Element("DisplayName", names.GetValueOrDefault(g.UserId!, Id(g.UserId!))).End();
            }
            else
            {
                var uri = (g.Kind, cos) switch
                {
                    (AclGranteeKind.AllUsers, false) => S3AllUsers,
                    (AclGranteeKind.AllUsers, true) => CosAllUsers,
                    (_, false) => S3AuthenticatedUsers,
                    _ => CosAuthenticatedUsers,
                };
                xml.StartTyped("Grantee", "Group").Element("URI", uri).End();
            }
            xml.Element("Permission", AclPermissions.Name(g.Permission)).End();
        }
        xml.End();
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>Refuses grants to ids that are no user of this server (S3: InvalidArgument "Invalid id").</summary>
    public static async Task CheckGranteesExistAsync(AclSpec spec, CofferServices s, CancellationToken ct)
    {
        if (spec.Grants is null || spec.Grants.All(g => g.Kind != AclGranteeKind.User))
            return;
        var ids = (await s.Store.ListUsersAsync(ct)).Select(u => u.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var g in spec.Grants)
            if (g.Kind == AclGranteeKind.User && !ids.Contains(g.UserId!))
                throw new CofferException(ErrorCode.InvalidArgument, $"Invalid id: '{g.UserId}' is not a user of this server.");
    }

    /// <summary>
    /// Refuses an ACL the bucket's settings do not take: any but the owner-only ones under BucketOwnerEnforced (400
    /// AccessControlListNotSupported), and a public one under BlockPublicAcls (403 AccessDenied).
    /// </summary>
    public static void CheckAllowed(BucketRecord bucket, AclSpec spec, string ownerId)
    {
        if (bucket.AclsDisabled && !spec.IsOwnerOnly(ownerId, bucket.Owner))
            throw new CofferException(ErrorCode.AccessControlListNotSupported,
                $"The bucket does not allow ACLs: '{bucket.Name}' has Object Ownership BucketOwnerEnforced; send no ACL (or bucket-owner-full-control), or change its ownership controls.");
        if (bucket.PublicAccessBlock?.BlockPublicAcls == true && spec.IsPublic)
            throw new CofferException(ErrorCode.AccessDenied,
                $"Access Denied: the bucket '{bucket.Name}' blocks public ACLs (Block Public Access BlockPublicAcls); grant to named users only, or change its public access block.");
    }

    /// <summary>
    /// The owner and ACL of an object the caller writes (PutObject, CopyObject, CreateMultipartUpload) with the ACL
    /// <paramref name="spec"/> (null: none sent). The bucket owner owns it under BucketOwnerEnforced, under
    /// BucketOwnerPreferred with bucket-owner-full-control, and when the writer is anonymous; else the writer does.
    /// Null: the default ACL, owned by the bucket owner.
    /// </summary>
    public static async Task<AccessControlList?> ForNewObjectAsync(RequestContext ctx, CofferServices s, BucketRecord bucket, AclSpec? spec)
    {
        var writer = ctx.User?.Id ?? bucket.Owner;
        var owner = bucket.Ownership switch
        {
            ObjectOwnership.BucketOwnerEnforced => bucket.Owner,
            ObjectOwnership.BucketOwnerPreferred when spec?.Canned == "bucket-owner-full-control" => bucket.Owner,
            _ => writer,
        };
        if (spec is not null)
        {
            CheckAllowed(bucket, spec, owner);
            await CheckGranteesExistAsync(spec, s, ctx.Aborted);
        }
        if (bucket.AclsDisabled || (spec is null && owner == bucket.Owner))
            return null;
        return new AccessControlList(owner == bucket.Owner ? null : owner,
            GrantsOf(spec ?? new AclSpec("private", null), owner, bucket.Owner));
    }
}
