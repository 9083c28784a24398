using Coffer.Protocol;
using Coffer.Server.Access;
using Coffer.Storage;

namespace Coffer.Server.Tests;

public sealed class AclRulesTests
{
    private static readonly string Id = new('a', 64);
    private static readonly string Other = new('b', 64);

    [Theory]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("qcs::cam::uin/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:uin/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void A_grantee_id_in_any_family_form_is_the_user_id(string id) =>
        Assert.Equal(Id, Acls.UserIdOf(id, "test"));

    [Theory]
    [InlineData("100000000001")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("qcs::cam::uin/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:uin/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")]
    public void An_id_that_names_no_user_or_two_users_is_invalid(string id)
    {
        var e = Assert.Throws<CofferException>(() => Acls.UserIdOf(id, "test"));
        Assert.Equal(ErrorCode.InvalidArgument, e.Error);
        Assert.Contains("Invalid id", e.Message);
    }

    [Fact]
    public void A_grant_header_lists_users_and_groups_of_both_families()
    {
        var grants = Acls.ParseGrantHeader($"id=\"{Id}\", uri=\"http://acs.amazonaws.com/groups/global/AllUsers\",uri=http://cam.qcloud.com/groups/global/AuthenticatedUsers",
            AclPermission.Read, ProtocolFamily.S3, "x-amz-grant-read").ToList();
        Assert.Equal(
        [
            new AclGrant(AclGranteeKind.User, Id, AclPermission.Read),
            new AclGrant(AclGranteeKind.AllUsers, null, AclPermission.Read),
            new AclGrant(AclGranteeKind.AuthenticatedUsers, null, AclPermission.Read),
        ], grants);
    }

    [Theory]
    [InlineData("emailAddress=\"a@example.com\"")]
    [InlineData("uri=\"http://acs.amazonaws.com/groups/s3/LogDelivery\"")]
    [InlineData("name=\"x\"")]
    [InlineData("just-a-name")]
    public void Unsupported_or_malformed_grantees_are_invalid_arguments(string header)
    {
        var e = Assert.Throws<CofferException>(() => Acls.ParseGrantHeader(header, AclPermission.Read, ProtocolFamily.S3, "x-amz-grant-read").ToList());
        Assert.Equal(ErrorCode.InvalidArgument, e.Error);
    }

    [Fact]
    public void Canned_acls_grant_the_owner_full_control_and_their_group_or_the_bucket_owner()
    {
        Assert.Equal([new AclGrant(AclGranteeKind.User, Id, AclPermission.FullControl)], Acls.GrantsOf(new AclSpec("private", null), Id, Id));
        Assert.Equal(
            [new AclGrant(AclGranteeKind.User, Id, AclPermission.FullControl), new AclGrant(AclGranteeKind.AllUsers, null, AclPermission.Read), new AclGrant(AclGranteeKind.AllUsers, null, AclPermission.Write)],
            Acls.GrantsOf(new AclSpec("public-read-write", null), Id, Id));
        Assert.Equal(
            [new AclGrant(AclGranteeKind.User, Other, AclPermission.FullControl), new AclGrant(AclGranteeKind.User, Id, AclPermission.FullControl)],
            Acls.GrantsOf(new AclSpec("bucket-owner-full-control", null), Other, Id));
        // The bucket owner's own object: bucket-owner-read adds nothing.
        Assert.Single(Acls.GrantsOf(new AclSpec("bucket-owner-read", null), Id, Id));
    }

    [Fact]
    public void Evaluation_matches_grantees_and_ignores_public_grants_when_asked()
    {
        var alice = new UserRecord("alice", "AK1", [], false, DateTimeOffset.UnixEpoch, Id);
        var bob = new UserRecord("bob", "AK2", [], false, DateTimeOffset.UnixEpoch, Other);
        AclGrant[] grants = [new(AclGranteeKind.AuthenticatedUsers, null, AclPermission.Read), new(AclGranteeKind.User, Other, AclPermission.WriteAcp)];
        Assert.True(AclEvaluation.Grants(grants, alice, AclPermission.Read, ignorePublic: false));
        Assert.False(AclEvaluation.Grants(grants, null, AclPermission.Read, ignorePublic: false));
        Assert.False(AclEvaluation.Grants(grants, alice, AclPermission.Read, ignorePublic: true));
        Assert.True(AclEvaluation.Grants(grants, bob, AclPermission.WriteAcp, ignorePublic: true));
        Assert.False(AclEvaluation.Grants(grants, alice, AclPermission.WriteAcp, ignorePublic: false));
        Assert.True(AclEvaluation.Grants([new(AclGranteeKind.AllUsers, null, AclPermission.FullControl)], null, AclPermission.ReadAcp, ignorePublic: false));

        var enforced = new BucketRecord("b", Id, "r", DateTimeOffset.UnixEpoch, Acl: new AccessControlList(null, [.. grants]), Ownership: ObjectOwnership.BucketOwnerEnforced);
        Assert.False(AclEvaluation.BucketAllows(enforced, alice, AclPermission.Read));
        Assert.True(AclEvaluation.BucketAllows(enforced with { Ownership = ObjectOwnership.ObjectWriter }, alice, AclPermission.Read));
    }
}
