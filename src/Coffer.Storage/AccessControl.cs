using System.Text.Json;

namespace Coffer.Storage;

/// <summary>What an ACL grant allows (docs/protocol/acl.md): the wire names are READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL.</summary>
public enum AclPermission
{
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

/// <summary>Who an ACL grant is for.</summary>
public enum AclGranteeKind
{
    /// <summary>One Coffer user, by <see cref="UserRecord.Id"/>.</summary>
    User,
    /// <summary>Anyone, signed or not (S3's AllUsers group, COS's …/global/AllUsers).</summary>
    AllUsers,
    /// <summary>Any caller whose request is signed by a user of this server (AuthenticatedUsers).</summary>
    AuthenticatedUsers,
}

/// <summary>One grant of an ACL.</summary>
/// <param name="UserId">The grantee's user id for <see cref="AclGranteeKind.User"/>; null for the groups.</param>
public sealed record AclGrant(AclGranteeKind Kind, string? UserId, AclPermission Permission)
{
    /// <summary>Whether the grant is to a group of callers this server does not name (AllUsers, AuthenticatedUsers): a public grant.</summary>
    public bool IsPublic => Kind != AclGranteeKind.User;
}

/// <summary>
/// The access control list of a bucket or an object: its owner and its grants, in the order given. A resource without
/// a stored ACL (null) has the default one: its owner has FULL_CONTROL and nobody else has anything.
/// </summary>
/// <param name="Owner">
/// For an object, the user id of its owner when that is not the bucket owner (an object written by a grantee of a bucket
/// whose ownership is ObjectWriter); null means the bucket owner. Unused on a bucket (its owner is
/// <see cref="BucketRecord.Owner"/>).
/// </param>
public sealed record AccessControlList(string? Owner, IReadOnlyList<AclGrant> Grants)
{
    /// <summary>At most this many grants in one ACL, as S3 and COS allow.</summary>
    public const int MaxGrants = 100;

    /// <summary>Whether any grant is public (§1.7: an ACL is public when it grants anything to AllUsers or AuthenticatedUsers).</summary>
    public bool IsPublic => Grants.Any(g => g.IsPublic);

    /// <summary>Equal when the owner and every grant, in order, are.</summary>
    public bool Equals(AccessControlList? other) =>
        other is not null && Owner == other.Owner && Grants.SequenceEqual(other.Grants);

    public override int GetHashCode() => HashCode.Combine(Owner, Grants.Count);
}

/// <summary>A bucket's Object Ownership setting (PUT ?ownershipControls).</summary>
public enum ObjectOwnership
{
    /// <summary>ACLs are off: the bucket owner owns every object and only the owner (and the bucket policy) decide access.</summary>
    BucketOwnerEnforced,
    /// <summary>The bucket owner owns objects written with the bucket-owner-full-control ACL; the writer owns the others.</summary>
    BucketOwnerPreferred,
    /// <summary>The writer owns the objects it writes.</summary>
    ObjectWriter,
}

/// <summary>A bucket's Block Public Access flags (PUT ?publicAccessBlock).</summary>
public sealed record PublicAccessBlock(bool BlockPublicAcls, bool IgnorePublicAcls, bool BlockPublicPolicy, bool RestrictPublicBuckets)
{
    /// <summary>All four flags on: S3's default for new buckets.</summary>
    public static readonly PublicAccessBlock All = new(true, true, true, true);

    /// <summary>The value of the <c>public_access_block</c> column: one bit per flag, in the order above. Part of the stored format.</summary>
    public int Stored => (BlockPublicAcls ? 1 : 0) | (IgnorePublicAcls ? 2 : 0) | (BlockPublicPolicy ? 4 : 0) | (RestrictPublicBuckets ? 8 : 0);

    /// <summary>The flags of a stored <see cref="Stored"/> value.</summary>
    public static PublicAccessBlock FromStored(long stored) => new((stored & 1) != 0, (stored & 2) != 0, (stored & 4) != 0, (stored & 8) != 0);
}

/// <summary>The JSON encoding of an ACL as stored in the <c>acl</c> columns. The property names are part of the stored format.</summary>
internal static class AclJson
{
    // {"o": owner id (absent: none), "g": [{"k": "u"|"all"|"auth", "id": user id (k = u), "p": "READ"|…}, …]}

    public static string? Write(AccessControlList? acl)
    {
        if (acl is null)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            if (acl.Owner is not null)
            {
                w.WriteString("o", acl.Owner);
            }
            w.WriteStartArray("g");
            foreach (var g in acl.Grants)
            {
                w.WriteStartObject();
                w.WriteString("k", g.Kind switch
                {
                    AclGranteeKind.User => "u",
                    AclGranteeKind.AllUsers => "all",
                    _ => "auth",
                });
                if (g.UserId is not null)
                {
                    w.WriteString("id", g.UserId);
                }
                w.WriteString("p", AclPermissions.Name(g.Permission));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static AccessControlList? Read(string? json)
    {
        if (json is null)
        {
            return null;
        }
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var owner = root.TryGetProperty("o", out var o) ? o.GetString() : null;
        var grants = new List<AclGrant>();
        foreach (var g in root.GetProperty("g").EnumerateArray())
        {
            var kind = g.GetProperty("k").GetString() switch
            {
                "u" => AclGranteeKind.User,
                "all" => AclGranteeKind.AllUsers,
                "auth" => AclGranteeKind.AuthenticatedUsers,
                var other => throw new InvalidDataException($"Unknown ACL grantee kind '{other}' in a stored ACL."),
            };
            var id = g.TryGetProperty("id", out var i) ? i.GetString() : null;
            grants.Add(new AclGrant(kind, id, AclPermissions.Parse(g.GetProperty("p").GetString()!)
                ?? throw new InvalidDataException("Unknown ACL permission in a stored ACL.")));
        }
        return new AccessControlList(owner, grants);
    }

    public static string? WriteOwnership(ObjectOwnership? ownership) => ownership?.ToString();

    public static ObjectOwnership? ReadOwnership(string? stored) =>
        stored is null ? null : Enum.Parse<ObjectOwnership>(stored, ignoreCase: false);
}

/// <summary>The wire names of <see cref="AclPermission"/> (READ, WRITE, READ_ACP, WRITE_ACP, FULL_CONTROL).</summary>
public static class AclPermissions
{
    /// <summary>The wire name of a permission.</summary>
    public static string Name(AclPermission p) => p switch
    {
        AclPermission.Read => "READ",
        AclPermission.Write => "WRITE",
        AclPermission.ReadAcp => "READ_ACP",
        AclPermission.WriteAcp => "WRITE_ACP",
        _ => "FULL_CONTROL",
    };

    /// <summary>The permission of a wire name, or null when it is none.</summary>
    public static AclPermission? Parse(string name) => name switch
    {
        "READ" => AclPermission.Read,
        "WRITE" => AclPermission.Write,
        "READ_ACP" => AclPermission.ReadAcp,
        "WRITE_ACP" => AclPermission.WriteAcp,
        "FULL_CONTROL" => AclPermission.FullControl,
        _ => null,
    };
}
