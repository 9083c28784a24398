using System.Net;
using System.Text;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Security.Tests.Infrastructure;
using Coffer.Storage;

namespace Coffer.Security.Tests;

/// <summary>
/// SSE-KMS writes through S3 and COS, and bucket default encryption, take only the caller's own keys. Any other
/// reference — another user's key by id, ARN or alias, its default key, the SSE-COS key, a key that does not exist —
/// is 403 AccessDenied with one and the same message, so the answer never confirms that someone else's key exists.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class KmsSseForeignKeyTests(TenantsFixture t)
{
    private const string Missing = "00000000-0000-4000-8000-000000000000";

    /// <summary>Bob's key: a customer key with an alias of his, and the key id.</summary>
    private async Task<(string KeyId, string Alias)> BobsKeyAsync()
    {
        using var bob = t.Kms(t.Bob);
        var keyId = (await bob.CreateKeyAsync(new CreateKeyRequest { Description = "bob's" })).KeyMetadata.KeyId;
        var alias = "alias/bob-" + Guid.NewGuid().ToString("N")[..8];
        await bob.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = keyId });
        return (keyId, alias);
    }

    /// <summary>Every way alice could name a key that is not hers; the last is a key that does not exist.</summary>
    private async Task<List<string>> ForeignReferencesAsync()
    {
        var (keyId, alias) = await BobsKeyAsync();
        using (var bobS3 = t.S3(t.Bob))
        {
            var bucket = CofferFixture.NewBucket("bobdk");
            await bobS3.PutBucketAsync(bucket);
            await bobS3.PutObjectAsync(new() { BucketName = bucket, Key = "k", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS });
        }
        var bobsDefault = (await t.Server.Server.Services.Kms.DescribeOwnKeyAsync(await IdOfAsync("bob"), "alias/cos/default/bob")).KeyId;
        var service = (await t.Server.Server.Services.Kms.GetOrCreateServiceKeyAsync()).KeyId;
        return
        [
            keyId, $"arn:aws:kms:{CofferFixture.Region}:000000000000:key/{keyId}", alias, bobsDefault, "alias/cos/default/bob",
            service, "alias/coffer/sse-cos", Missing,
        ];
    }

    private async Task<string> IdOfAsync(string name) =>
        (await t.Server.Server.Services.Store.ListUsersAsync()).Single(u => u.Name == name).Id;

    private static void AssertRefused(AmazonS3Exception e, string reference, AmazonS3Exception missing)
    {
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal("AccessDenied", e.ErrorCode);
        // Code, status and message as for a key that does not exist at all (the message names what was asked for).
        Assert.Equal(missing.StatusCode, e.StatusCode);
        Assert.Equal(missing.ErrorCode, e.ErrorCode);
        Assert.Equal(missing.Message.Replace(Missing, "<key>", StringComparison.Ordinal), e.Message.Replace(reference, "<key>", StringComparison.Ordinal));
    }

    private static async Task<AmazonS3Exception> RefusedAsync(Func<string, Task> write, string reference) =>
        await Assert.ThrowsAsync<AmazonS3Exception>(() => write(reference));

    [Fact]
    public async Task Put_copy_initiate_and_bucket_default_refuse_keys_that_are_not_the_callers()
    {
        var references = await ForeignReferencesAsync();
        using var s3 = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("fk");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new() { BucketName = bucket, Key = "src", ContentBody = "alice's" });

        var writes = new Dictionary<string, Func<string, Task>>
        {
            ["PutObject"] = key => s3.PutObjectAsync(new() { BucketName = bucket, Key = "put", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key }),
            ["CopyObject"] = key => s3.CopyObjectAsync(new() { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "copy", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key }),
            ["CreateMultipartUpload"] = key => s3.InitiateMultipartUploadAsync(new() { BucketName = bucket, Key = "mpu", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key }),
            ["PutBucketEncryption"] = key => s3.PutBucketEncryptionAsync(new()
            {
                BucketName = bucket,
                ServerSideEncryptionConfiguration = new() { ServerSideEncryptionRules = [new() { ServerSideEncryptionByDefault = new() { ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = key } }] },
            }),
        };
        foreach (var (operation, write) in writes)
        {
            var missing = await RefusedAsync(write, Missing);
            foreach (var reference in references)
            {
                var e = await RefusedAsync(write, reference);
                try
                {
                    AssertRefused(e, reference, missing);
                }
                catch (Exception failure)
                {
                    throw new InvalidOperationException($"{operation} with {reference}: {failure.Message}", failure);
                }
            }
        }

        // Nothing was written under any of them, and the bucket has no default encryption.
        var listed = await s3.ListObjectsV2Async(new() { BucketName = bucket });
        Assert.Equal(["src"], listed.S3Objects.Select(o => o.Key));
        Assert.Empty((await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket })).MultipartUploads ?? []);
        Assert.Null((await t.Server.Server.Services.Store.GetBucketAsync(bucket))!.Encryption);
    }

    [Fact]
    public async Task Cos_put_refuses_another_users_key_as_a_missing_one()
    {
        var (keyId, alias) = await BobsKeyAsync();
        using var cos = t.Cos(t.Alice);
        var bucket = CosRawClient.NewBucket();
        using (var created = await cos.SendAsync(HttpMethod.Put, bucket))
            Assert.Equal(HttpStatusCode.OK, created.StatusCode);

        async Task<(HttpStatusCode Status, string Body)> PutAsync(string key)
        {
            using var response = await cos.SendAsync(HttpMethod.Put, bucket, "o", headers:
                [new("x-cos-server-side-encryption", "cos/kms"), new("x-cos-server-side-encryption-cos-kms-key-id", key)], body: Encoding.UTF8.GetBytes("x"));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var missing = await PutAsync(Missing);
        foreach (var reference in new[] { keyId, alias })
        {
            var (status, body) = await PutAsync(reference);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Contains("<Code>AccessDenied</Code>", body, StringComparison.Ordinal);
            Assert.Equal(missing.Status, status);
            Assert.Equal(Message(missing.Body).Replace(Missing, "<key>", StringComparison.Ordinal), Message(body).Replace(reference, "<key>", StringComparison.Ordinal));
        }

        static string Message(string body)
        {
            var start = body.IndexOf("<Message>", StringComparison.Ordinal) + "<Message>".Length;
            return body[start..body.IndexOf("</Message>", StringComparison.Ordinal)];
        }
    }

    [Fact]
    public async Task A_bucket_default_naming_a_key_the_owner_cannot_use_does_not_let_writes_use_it()
    {
        var (bobsKey, _) = await BobsKeyAsync();
        using var s3 = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("fkd");
        await s3.PutBucketAsync(bucket);
        // As a configuration stored before keys were checked would be: bob's key as alice's bucket default.
        Assert.True(await t.Server.Server.Services.Store.SetBucketEncryptionAsync(bucket, new BucketEncryption("KMS", bobsKey)));

        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new() { BucketName = bucket, Key = "k", ContentBody = "x" }));
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal("AccessDenied", e.ErrorCode);
        var initiate = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.InitiateMultipartUploadAsync(new() { BucketName = bucket, Key = "m" }));
        Assert.Equal("AccessDenied", initiate.ErrorCode);
        Assert.Empty((await s3.ListObjectsV2Async(new() { BucketName = bucket })).S3Objects ?? []);

        // Alice's own key is fine, as is her default key.
        using var alice = t.Kms(t.Alice);
        var own = (await alice.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var put = await s3.PutObjectAsync(new() { BucketName = bucket, Key = "own", ContentBody = "x", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = own });
        Assert.Equal(own, put.ServerSideEncryptionKeyManagementServiceKeyId);
    }
}
