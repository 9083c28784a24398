using System.Net;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>
/// Owners are stable user ids, not names: a user removed and added again under the same name is a new user, with a
/// new id, and gets none of the old user's buckets, KMS keys, aliases or uploads.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class OwnerIdTests(TenantsFixture t)
{
    [Fact]
    public async Task A_name_removed_and_added_again_inherits_nothing()
    {
        var services = t.Server.Server.Services;
        var name = "dave" + Guid.NewGuid().ToString("N")[..8];
        var old = await t.AddAsync(name);
        var oldId = (await services.Store.ListUsersAsync()).Single(u => u.Name == name).Id;

        var bucket = CofferFixture.NewBucket("own");
        string oldKey, oldDefaultKey, uploadId;
        var alias = "alias/app-" + Guid.NewGuid().ToString("N")[..8];
        using (var s3 = t.S3(old))
        using (var kms = t.Kms(old))
        {
            await s3.PutBucketAsync(bucket);
            oldKey = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = oldKey });
            oldDefaultKey = (await s3.PutObjectAsync(new() { BucketName = bucket, Key = "secret", ContentBody = "old dave's", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS })).ServerSideEncryptionKeyManagementServiceKeyId;
            uploadId = (await s3.InitiateMultipartUploadAsync(new() { BucketName = bucket, Key = "mpu" })).UploadId;
        }

        Assert.True(await services.Store.RemoveUserAsync(name));
        var again = await t.AddAsync(name);
        var newId = (await services.Store.ListUsersAsync()).Single(u => u.Name == name).Id;
        Assert.NotEqual(oldId, newId);

        using var s3New = t.S3(again);
        using var kmsNew = t.Kms(again);
        var listed = await s3New.ListBucketsAsync();
        Assert.Empty(listed.Buckets ?? []);
        Assert.Equal(newId, listed.Owner.Id);
        Assert.Equal(name, listed.Owner.DisplayName);

        foreach (var denied in new Func<Task>[]
        {
            () => s3New.GetObjectAsync(bucket, "secret"),
            () => s3New.ListObjectsV2Async(new() { BucketName = bucket }),
            () => s3New.DeleteObjectAsync(bucket, "secret"),
            () => s3New.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "mpu", UploadId = uploadId }),
            () => s3New.AbortMultipartUploadAsync(bucket, "mpu", uploadId),
        })
        {
            var e = await Assert.ThrowsAsync<AmazonS3Exception>(denied);
            Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
            Assert.Equal("AccessDenied", e.ErrorCode);
        }
        var taken = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3New.PutBucketAsync(bucket));
        Assert.Equal("BucketAlreadyExists", taken.ErrorCode);

        Assert.Empty((await kmsNew.ListKeysAsync(new ListKeysRequest())).Keys ?? []);
        Assert.Empty((await kmsNew.ListAliasesAsync(new ListAliasesRequest())).Aliases ?? []);
        foreach (var reference in new[] { oldKey, alias, oldDefaultKey, $"alias/cos/default/{name}" })
            await Assert.ThrowsAsync<NotFoundException>(() => kmsNew.DescribeKeyAsync(new DescribeKeyRequest { KeyId = reference }));

        // The new user's default key is a new key, not the old user's.
        var ownBucket = CofferFixture.NewBucket("own2");
        await s3New.PutBucketAsync(ownBucket);
        var newDefault = (await s3New.PutObjectAsync(new() { BucketName = ownBucket, Key = "k", ContentBody = "new dave's", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS })).ServerSideEncryptionKeyManagementServiceKeyId;
        Assert.NotEqual(oldDefaultKey, newDefault);
        var sseWithOld = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3New.PutObjectAsync(new() { BucketName = ownBucket, Key = "o", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = oldKey }));
        Assert.Equal("AccessDenied", sseWithOld.ErrorCode);
        Assert.Equal([ownBucket], (await s3New.ListBucketsAsync()).Buckets.Select(b => b.BucketName));

        // The old bucket still belongs to the old id.
        Assert.Equal(oldId, (await services.Store.GetBucketAsync(bucket))!.Owner);
    }

    [Fact]
    public async Task Owner_elements_show_the_stable_id_and_the_name()
    {
        var services = t.Server.Server.Services;
        var aliceId = (await services.Store.ListUsersAsync()).Single(u => u.Name == "alice").Id;
        Assert.Matches("^[0-9a-f]{64}$", aliceId);
        using var s3 = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("oid");
        await s3.PutBucketAsync(bucket);
        Assert.Equal(aliceId, (await services.Store.GetBucketAsync(bucket))!.Owner);

        var buckets = await s3.ListBucketsAsync();
        Assert.Equal(aliceId, buckets.Owner.Id);
        Assert.Equal("alice", buckets.Owner.DisplayName);

        var uploadId = (await s3.InitiateMultipartUploadAsync(new() { BucketName = bucket, Key = "m" })).UploadId;
        var parts = await s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "m", UploadId = uploadId });
        Assert.Equal(aliceId, parts.Initiator.Id);
        Assert.Equal("alice", parts.Initiator.DisplayName);
        Assert.Equal(aliceId, parts.Owner.Id);

        using var kms = t.Kms(t.Alice);
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        Assert.Equal(aliceId, (await services.Store.GetKeyAsync(key))!.Owner);
    }
}
