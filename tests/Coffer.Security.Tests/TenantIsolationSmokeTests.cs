using System.Net;
using Amazon.S3;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>The baseline every attack table builds on: a second user cannot reach the first user's bucket.</summary>
[Collection(TenantsCollection.Name)]
public sealed class TenantIsolationSmokeTests(TenantsFixture t)
{
    [Fact]
    public async Task A_second_user_cannot_list_the_first_users_bucket()
    {
        using var alice = t.S3(t.Alice);
        using var bob = t.S3(t.Bob);
        var bucket = Coffer.EndToEnd.Tests.Infrastructure.CofferFixture.NewBucket("iso");
        await alice.PutBucketAsync(bucket);
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "k", ContentBody = "alice's" });

        var denied = await Assert.ThrowsAsync<AmazonS3Exception>(() => bob.ListObjectsV2Async(new() { BucketName = bucket }));
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Equal("AccessDenied", denied.ErrorCode);
    }
}
