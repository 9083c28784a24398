using Coffer.Server.Access;
using Coffer.Server.Routing;

namespace Coffer.Server.Tests;

public sealed class AccessActionsTests
{
    // Every operation but the CORS preflight, which is answered from the bucket's CORS rules before authentication.
    public static TheoryData<Operation> Operations() => [.. Enum.GetValues<Operation>().Where(o => o != Operation.PreflightCors)];

    [Theory]
    [MemberData(nameof(Operations))]
    public void Every_operation_names_the_s3_action_a_policy_or_acl_is_checked_against(Operation operation)
    {
        var action = AccessActions.Of(operation);
        Assert.StartsWith("s3:", action);
        Assert.DoesNotContain('*', action);
    }

    [Theory]
    [InlineData(Operation.GetObject, "s3:GetObject")]
    [InlineData(Operation.HeadObject, "s3:GetObject")]
    [InlineData(Operation.PutObject, "s3:PutObject")]
    [InlineData(Operation.CopyObject, "s3:PutObject")]
    [InlineData(Operation.UploadPart, "s3:PutObject")]
    [InlineData(Operation.ListObjectsV2, "s3:ListBucket")]
    [InlineData(Operation.HeadBucket, "s3:ListBucket")]
    [InlineData(Operation.DeleteObjects, "s3:DeleteObject")]
    [InlineData(Operation.PutBucketEncryption, "s3:PutEncryptionConfiguration")]
    [InlineData(Operation.DeleteBucketLifecycle, "s3:PutLifecycleConfiguration")]
    public void Operations_map_to_the_actions_s3_documents(Operation operation, string action) =>
        Assert.Equal(action, AccessActions.Of(operation));

    [Theory]
    [InlineData(Operation.GetObject, "s3:GetObjectVersion")]
    [InlineData(Operation.HeadObject, "s3:GetObjectVersion")]
    [InlineData(Operation.DeleteObject, "s3:DeleteObjectVersion")]
    [InlineData(Operation.GetObjectTagging, "s3:GetObjectVersionTagging")]
    [InlineData(Operation.PutObjectTagging, "s3:PutObjectVersionTagging")]
    [InlineData(Operation.DeleteObjectTagging, "s3:DeleteObjectVersionTagging")]
    [InlineData(Operation.GetObjectAcl, "s3:GetObjectVersionAcl")]
    [InlineData(Operation.PutObjectAcl, "s3:PutObjectVersionAcl")]
    [InlineData(Operation.GetObjectAttributes, "s3:GetObjectVersionAttributes")]
    [InlineData(Operation.PutObject, "s3:PutObject")]
    [InlineData(Operation.RestoreObject, "s3:RestoreObject")]
    public void A_call_that_names_a_version_needs_the_version_action(Operation operation, string action)
    {
        Assert.Equal(action, AccessActions.Of(operation, namesVersion: true));
        Assert.Equal(AccessActions.Of(operation), AccessActions.Of(operation, namesVersion: false));
        // COS policies have no version actions: they check the operation's own.
        Assert.Equal(PolicyActions.CosActionOf(operation, AccessActions.Of(operation)), PolicyActions.CosActionOf(operation, action));
    }

    [Fact]
    public void Bucket_versioning_maps_to_its_actions()
    {
        Assert.Equal("s3:PutBucketVersioning", AccessActions.Of(Operation.PutBucketVersioning));
        Assert.Equal("cos:putbucketversioning", PolicyActions.CosActionOf(Operation.PutBucketVersioning, "s3:PutBucketVersioning"));
    }

    [Fact]
    public void The_preflight_names_no_action_because_nothing_authorizes_it() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => AccessActions.Of(Operation.PreflightCors));
}
