using System.Net;
using System.Net.Http;
using System.Text;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>
/// Bucket policies through real clients (AWSSDK.S3, raw COS-signed and unsigned HTTP): the classic policies of the S3
/// docs as written, each with the request it allows and the one it denies, and what a second user, an anonymous
/// caller, a presigned-URL holder and unsigned headers can and cannot do with them.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class BucketPolicyTests(TenantsFixture t)
{
    private static string Policy(string bucket, string statements) =>
        $$"""{"Version":"2012-10-17","Statement":[{{statements.Replace("BUCKET", bucket, StringComparison.Ordinal)}}]}""";

    /// <summary>A fresh bucket of alice's with reports/q1.csv and other/x in it, and the policy applied.</summary>
    private async Task<string> AliceBucketAsync(string statements)
    {
        using var alice = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("pol");
        await alice.PutBucketAsync(bucket);
        // New buckets block public policies (S3's default); these tests turn it off as an S3 user must before a public policy.
        await alice.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "reports/q1.csv", ContentBody = "q1" });
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "other/x", ContentBody = "x" });
        await alice.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = Policy(bucket, statements) });
        return bucket;
    }

    [Fact]
    public async Task Block_public_access_refuses_a_public_policy_and_restricts_one_already_in_place()
    {
        using var alice = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("pol");
        await alice.PutBucketAsync(bucket);
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "pub/x", ContentBody = "x" });
        var publicRead = Policy(bucket, """{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}""");
        var bobRead = Policy(bucket, """{"Sid":"BobRead","Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}""");

        // A new bucket has every flag on: BlockPublicPolicy refuses the public policy and keeps none; a named user's is fine.
        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => alice.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = publicRead }));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (refused.StatusCode, refused.ErrorCode));
        Assert.Contains("BlockPublicPolicy", refused.Message);
        await alice.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = bobRead });
        using (var bob = t.S3(t.Bob))
            Assert.Equal("x", await new StreamReader((await bob.GetObjectAsync(bucket, "pub/x")).ResponseStream).ReadToEndAsync());

        // Only RestrictPublicBuckets left on: the public policy goes in, but its Allow lets nobody but the owner in.
        await alice.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
        {
            BucketName = bucket,
            PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration { RestrictPublicBuckets = true },
        });
        await alice.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = publicRead });
        using var http = t.Http();
        var url = $"{t.Server.HttpsUrl.ToString().TrimEnd('/')}/{bucket}/pub/x";
        using (var anonymous = await http.GetAsync(url))
            Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);

        // With no flags at all, the same policy lets anyone read.
        await alice.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
        using (var anonymous = await http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, anonymous.StatusCode);
            Assert.Equal("x", await anonymous.Content.ReadAsStringAsync());
        }
    }

    private static async Task<AmazonS3Exception> DeniedAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(call);
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal("AccessDenied", e.ErrorCode);
        return e;
    }

    private static async Task<string> ReadAsync(IAmazonS3 s3, string bucket, string key)
    {
        using var get = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(get.ResponseStream, Encoding.UTF8).ReadToEndAsync();
    }

    // ---------------------------------------------------------------- the API

    [Fact]
    public async Task A_policy_is_stored_as_sent_and_read_back_and_deleted()
    {
        using var alice = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("pol");
        await alice.PutBucketAsync(bucket);
        await AssertNoPolicyAsync(bucket);

        var text = Policy(bucket, """{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}""");
        await alice.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = text });
        Assert.Equal(text, (await alice.GetBucketPolicyAsync(bucket)).Policy);
        Assert.False((await alice.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket })).PolicyStatus.IsPublic);

        await alice.DeleteBucketPolicyAsync(bucket);
        await AssertNoPolicyAsync(bucket);
        await alice.DeleteBucketPolicyAsync(bucket);
    }

    /// <summary>GET ?policy and ?policyStatus answer 404 NoSuchBucketPolicy (AWSSDK.S3 hides that 404, so raw requests).</summary>
    private async Task AssertNoPolicyAsync(string bucket)
    {
        using var wire = new Wire(t.Server);
        foreach (var sub in new[] { "policy", "policyStatus" })
        {
            using var s3 = await wire.SendAsync(new Req("GET", bucket).With((sub, "")), t.Alice, Auth.S3Header);
            Assert.Equal(HttpStatusCode.NotFound, s3.StatusCode);
            Assert.Contains("<Code>NoSuchBucketPolicy</Code>", await s3.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [InlineData("""{"Effect":"Allow","Principal":{"AWS":"nobody-such"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}""", "there is no user 'nobody-such'")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::someone-else/*"}""", "outside this bucket")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:Steal","Resource":"arn:aws:s3:::BUCKET/*"}""", "Policy has invalid action")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*","Condition":{"StringEquals":{"s3:bogus":"x"}}}""", "invalid condition key")]
    public async Task A_bad_policy_is_refused_as_malformed_and_the_old_one_stays(string statement, string message)
    {
        var bucket = await AliceBucketAsync("""{"Sid":"Old","Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/reports/*"}""");
        using var alice = t.S3(t.Alice);
        var before = (await alice.GetBucketPolicyAsync(bucket)).Policy;
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => alice.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = Policy(bucket, statement) }));
        Assert.Equal((HttpStatusCode.BadRequest, "MalformedPolicy"), (e.StatusCode, e.ErrorCode));
        Assert.Contains(message, e.Message);
        Assert.StartsWith("Statement 0", e.Message);
        Assert.Equal(before, (await alice.GetBucketPolicyAsync(bucket)).Policy);
    }

    [Fact]
    public async Task A_policy_over_20_kb_is_refused()
    {
        using var alice = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("pol");
        await alice.PutBucketAsync(bucket);
        var big = Policy(bucket, string.Join(",", Enumerable.Range(0, 200).Select(i =>
            $$"""{"Sid":"S{{i}}","Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/{{i}}/*"}""")));
        Assert.True(Encoding.UTF8.GetByteCount(big) > 20 * 1024);
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => alice.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = big }));
        Assert.Equal("MalformedPolicy", e.ErrorCode);
        await AssertNoPolicyAsync(bucket);
    }

    [Fact]
    public async Task The_owner_can_always_read_and_remove_a_policy_that_denies_her_everything()
    {
        var bucket = await AliceBucketAsync("""{"Sid":"LockOut","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"]}""");
        using var alice = t.S3(t.Alice);
        await DeniedAsync(() => ReadAsync(alice, bucket, "other/x"));
        await DeniedAsync(() => alice.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        await DeniedAsync(() => alice.PutObjectAsync(new() { BucketName = bucket, Key = "new", ContentBody = "n" }));
        Assert.Contains("LockOut", (await alice.GetBucketPolicyAsync(bucket)).Policy);
        await alice.DeleteBucketPolicyAsync(bucket);
        Assert.Equal("x", await ReadAsync(alice, bucket, "other/x"));
    }

    // ---------------------------------------------------------------- the classic policies

    [Fact]
    public async Task Deny_put_without_sse_kms_refuses_plain_and_sse_s3_writes_and_allows_sse_kms()
    {
        var bucket = await AliceBucketAsync("""
            {"Sid":"DenyIncorrectEncryptionHeader","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*",
             "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}
            """);
        using var alice = t.S3(t.Alice);
        await DeniedAsync(() => alice.PutObjectAsync(new() { BucketName = bucket, Key = "plain", ContentBody = "p" }));
        await DeniedAsync(() => alice.PutObjectAsync(new() { BucketName = bucket, Key = "aes", ContentBody = "p", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256 }));
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "kms", ContentBody = "k", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, (await alice.GetObjectMetadataAsync(bucket, "kms")).ServerSideEncryptionMethod);
        // Copies and multipart uploads are PutObject too.
        await DeniedAsync(() => alice.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "other/x", DestinationBucket = bucket, DestinationKey = "copy" }));
        await DeniedAsync(() => alice.InitiateMultipartUploadAsync(bucket, "mpu"));
        var listing = await alice.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.DoesNotContain(listing.S3Objects, o => o.Key is "plain" or "aes" or "copy");
    }

    [Fact]
    public async Task Deny_a_kms_key_other_than_ours_refuses_another_key_and_the_default_key()
    {
        using var kms = t.Kms(t.Alice);
        var ours = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "the bucket's" })).KeyMetadata;
        var other = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "another" })).KeyMetadata;
        var bucket = await AliceBucketAsync($$$"""
            {"Sid":"OnlyOneKmsKey","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*",
             "Condition":{"ArnNotEqualsIfExists":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"{{{ours.Arn}}}"}} }
            """);
        using var alice = t.S3(t.Alice);
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "by-id", ContentBody = "k", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = ours.KeyId });
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "by-arn", ContentBody = "k", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = ours.Arn });
        await DeniedAsync(() => alice.PutObjectAsync(new() { BucketName = bucket, Key = "other", ContentBody = "k", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = other.KeyId }));
        await DeniedAsync(() => alice.PutObjectAsync(new() { BucketName = bucket, Key = "alias", ContentBody = "k", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = "alias/cos/default/alice" }));
        Assert.Equal(ours.KeyId, (await alice.GetObjectMetadataAsync(bucket, "by-id")).ServerSideEncryptionKeyManagementServiceKeyId.Split('/')[^1]);
    }

    [Fact]
    public async Task Deny_sse_c_refuses_customer_keys_and_allows_the_rest()
    {
        var bucket = await AliceBucketAsync("""
            {"Sid":"DenySSEC","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*",
             "Condition":{"Null":{"s3:x-amz-server-side-encryption-customer-algorithm":"false"}}}
            """);
        using var alice = t.S3(t.Alice);
        await DeniedAsync(() => alice.PutObjectAsync(new()
        {
            BucketName = bucket,
            Key = "ssec",
            ContentBody = "c",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
            ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
        }));
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "plain", ContentBody = "p" });
        Assert.Equal("p", await ReadAsync(alice, bucket, "plain"));
    }

    [Fact]
    public async Task Deny_insecure_transport_refuses_plain_http_and_allows_https()
    {
        var bucket = await AliceBucketAsync("""
            {"Sid":"TlsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::BUCKET","arn:aws:s3:::BUCKET/*"],
             "Condition":{"Bool":{"aws:SecureTransport":"false"}}}
            """);
        using var overHttp = t.S3(t.Alice, https: false);
        await DeniedAsync(() => ReadAsync(overHttp, bucket, "other/x"));
        await DeniedAsync(() => overHttp.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        using var overHttps = t.S3(t.Alice);
        Assert.Equal("x", await ReadAsync(overHttps, bucket, "other/x"));
        // The policy calls stay open to the owner, even over plain HTTP.
        Assert.Contains("TlsOnly", (await overHttp.GetBucketPolicyAsync(bucket)).Policy);
    }

    // ---------------------------------------------------------------- another user

    private const string BobReadsReports = """
        {"Sid":"ReadReports","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":["s3:GetObject"],"Resource":"arn:aws:s3:::BUCKET/reports/*"},
        {"Sid":"ListReports","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::BUCKET",
         "Condition":{"StringLike":{"s3:prefix":["reports/*"]}}}
        """;

    [Fact]
    public async Task A_user_allowed_to_read_a_prefix_reads_it_and_nothing_else()
    {
        var bucket = await AliceBucketAsync(BobReadsReports);
        using var bob = t.S3(t.Bob);
        Assert.Equal("q1", await ReadAsync(bob, bucket, "reports/q1.csv"));
        await bob.GetObjectMetadataAsync(bucket, "reports/q1.csv");
        await DeniedAsync(() => ReadAsync(bob, bucket, "other/x"));
        await DeniedAsync(() => bob.PutObjectAsync(new() { BucketName = bucket, Key = "reports/planted", ContentBody = "p" }));
        await DeniedAsync(() => bob.DeleteObjectAsync(bucket, "reports/q1.csv"));
        await DeniedAsync(() => bob.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "reports/q1.csv" }));
        await DeniedAsync(() => bob.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "reports/q1.csv", DestinationBucket = bucket, DestinationKey = "reports/copy" }));
        await DeniedAsync(() => bob.GetBucketPolicyAsync(bucket));
        await DeniedAsync(() => bob.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = Policy(bucket, """{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::BUCKET/*"}""") }));
        await DeniedAsync(() => bob.DeleteBucketPolicyAsync(bucket));
        await DeniedAsync(() => bob.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket }));
        await DeniedAsync(() => bob.DeleteBucketAsync(bucket));
        // carol is named by no statement.
        using var carol = t.S3(t.Carol);
        await DeniedAsync(() => ReadAsync(carol, bucket, "reports/q1.csv"));

        await DeniedAsync(() => bob.DeleteObjectsAsync(new DeleteObjectsRequest { BucketName = bucket, Objects = [new KeyVersion { Key = "reports/q1.csv" }] }));
        using var alice = t.S3(t.Alice);
        Assert.Equal("q1", await ReadAsync(alice, bucket, "reports/q1.csv"));
        Assert.Contains("ReadReports", (await alice.GetBucketPolicyAsync(bucket)).Policy);
    }

    [Fact]
    public async Task A_user_allowed_to_list_with_a_prefix_condition_lists_only_that_prefix()
    {
        var bucket = await AliceBucketAsync(BobReadsReports);
        using var bob = t.S3(t.Bob);
        var listing = await bob.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "reports/" });
        Assert.Equal(["reports/q1.csv"], listing.S3Objects.Select(o => o.Key));
        await DeniedAsync(() => bob.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }));
        await DeniedAsync(() => bob.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "other/" }));
        await DeniedAsync(() => bob.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Prefix = "rep" }));
    }

    [Fact]
    public async Task A_user_allowed_to_write_owns_nothing_and_seals_only_with_his_own_kms_key()
    {
        var bucket = await AliceBucketAsync("""
            {"Sid":"BobWrites","Effect":"Allow","Principal":{"AWS":"bob"},"Action":["s3:PutObject","s3:GetObject"],"Resource":"arn:aws:s3:::BUCKET/inbox/*"}
            """);
        using var aliceKms = t.Kms(t.Alice);
        var alicesKey = (await aliceKms.CreateKeyAsync(new CreateKeyRequest { Description = "alice's" })).KeyMetadata;
        using var bobKms = t.Kms(t.Bob);
        var bobsKey = (await bobKms.CreateKeyAsync(new CreateKeyRequest { Description = "bob's" })).KeyMetadata;
        using var bob = t.S3(t.Bob);

        await bob.PutObjectAsync(new() { BucketName = bucket, Key = "inbox/plain", ContentBody = "p" });
        await bob.PutObjectAsync(new() { BucketName = bucket, Key = "inbox/bobs-key", ContentBody = "b", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = bobsKey.KeyId });
        foreach (var reference in new[] { alicesKey.KeyId, alicesKey.Arn, "alias/cos/default/alice" })
            await DeniedAsync(() => bob.PutObjectAsync(new() { BucketName = bucket, Key = "inbox/alices-key", ContentBody = "a", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = reference }));
        Assert.Equal("b", await ReadAsync(bob, bucket, "inbox/bobs-key"));

        using var alice = t.S3(t.Alice);
        var listing = await alice.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "inbox/", FetchOwner = true });
        Assert.Equal(["inbox/bobs-key", "inbox/plain"], listing.S3Objects.Select(o => o.Key));
        Assert.All(listing.S3Objects, o => Assert.Equal(t.Alice.Id, o.Owner.Id));
        Assert.Equal("p", await ReadAsync(alice, bucket, "inbox/plain"));
    }

    [Fact]
    public async Task A_multi_object_delete_is_decided_key_by_key()
    {
        var bucket = await AliceBucketAsync("""{"Sid":"TmpOnly","Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::BUCKET/tmp/*"}""");
        using var alice = t.S3(t.Alice);
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "tmp/a", ContentBody = "a" });
        using var bob = t.S3(t.Bob);
        var e = await Assert.ThrowsAsync<DeleteObjectsException>(() => bob.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects = [new KeyVersion { Key = "tmp/a" }, new KeyVersion { Key = "other/x" }],
        }));
        Assert.Equal(["tmp/a"], e.Response.DeletedObjects.Select(d => d.Key));
        var refused = Assert.Single(e.Response.DeleteErrors);
        Assert.Equal(("other/x", "AccessDenied"), (refused.Key, refused.Code));
        Assert.Equal("x", await ReadAsync(alice, bucket, "other/x"));
        await DeniedAsync(() => bob.DeleteObjectAsync(bucket, "other/x"));
    }

    // ---------------------------------------------------------------- anonymous callers

    [Fact]
    public async Task Public_read_by_policy_lets_anonymous_callers_read_objects_and_nothing_else()
    {
        var bucket = await AliceBucketAsync("""{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/*"}""");
        using var alice = t.S3(t.Alice);
        Assert.True((await alice.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket })).PolicyStatus.IsPublic);
        await alice.PutObjectAsync(new()
        {
            BucketName = bucket,
            Key = "ssec",
            ContentBody = "secret",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
            ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
        });
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "kms", ContentBody = "kms-data", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS });

        using var http = t.Http();
        var root = t.Server.HttpsUrl.ToString().TrimEnd('/');
        using (var get = await http.GetAsync($"{root}/{bucket}/reports/q1.csv"))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal("q1", await get.Content.ReadAsStringAsync());
        }
        using (var get = await http.GetAsync($"{root}/{bucket}/kms"))
            Assert.Equal("kms-data", await get.Content.ReadAsStringAsync());
        // An SSE-C object still needs its key.
        using (var get = await http.GetAsync($"{root}/{bucket}/ssec"))
        {
            Assert.False(get.IsSuccessStatusCode);
            Assert.DoesNotContain("secret", await get.Content.ReadAsStringAsync());
        }
        using (var put = await http.PutAsync($"{root}/{bucket}/planted", new StringContent("p")))
            Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        using (var delete = await http.DeleteAsync($"{root}/{bucket}/other/x"))
            Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        using (var list = await http.GetAsync($"{root}/{bucket}"))
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        using (var policy = await http.GetAsync($"{root}/{bucket}?policy"))
            Assert.Equal(HttpStatusCode.Forbidden, policy.StatusCode);
        Assert.Equal("x", await ReadAsync(alice, bucket, "other/x"));
    }

    [Fact]
    public async Task Anonymous_writers_allowed_by_policy_own_nothing_and_never_reach_the_kms()
    {
        var bucket = await AliceBucketAsync("""{"Sid":"Drop","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/drop/*"}""");
        using var http = t.Http();
        var root = t.Server.HttpsUrl.ToString().TrimEnd('/');
        using (var put = await http.PutAsync($"{root}/{bucket}/drop/plain", new StringContent("p")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using (var sse = new HttpRequestMessage(HttpMethod.Put, $"{root}/{bucket}/drop/aes") { Content = new StringContent("a") })
        {
            sse.Headers.Add("x-amz-server-side-encryption", "AES256");
            using var put = await http.SendAsync(sse);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        using (var kms = new HttpRequestMessage(HttpMethod.Put, $"{root}/{bucket}/drop/kms") { Content = new StringContent("k") })
        {
            kms.Headers.Add("x-amz-server-side-encryption", "aws:kms");
            using var put = await http.SendAsync(kms);
            Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
            Assert.Contains("AccessDenied", await put.Content.ReadAsStringAsync());
        }
        using (var put = await http.PutAsync($"{root}/{bucket}/elsewhere", new StringContent("p")))
            Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);

        using var alice = t.S3(t.Alice);
        var listing = await alice.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "drop/", FetchOwner = true });
        Assert.Equal(["drop/aes", "drop/plain"], listing.S3Objects.Select(o => o.Key));
        Assert.All(listing.S3Objects, o => Assert.Equal(t.Alice.Id, o.Owner.Id));
        Assert.Equal(ServerSideEncryptionMethod.AES256, (await alice.GetObjectMetadataAsync(bucket, "drop/aes")).ServerSideEncryptionMethod);
    }

    // ---------------------------------------------------------------- presigned URLs and unsigned headers

    [Fact]
    public async Task A_presigned_url_carries_its_signers_identity()
    {
        var bucket = await AliceBucketAsync(BobReadsReports);
        var request = new GetPreSignedUrlRequest { BucketName = bucket, Key = "reports/q1.csv", Verb = HttpVerb.GET, Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Amazon.S3.Protocol.HTTPS };
        using var bob = t.S3(t.Bob);
        using var carol = t.S3(t.Carol);
        using var http = t.Http();
        using (var get = await http.GetAsync(await bob.GetPreSignedURLAsync(request)))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal("q1", await get.Content.ReadAsStringAsync());
        }
        using (var get = await http.GetAsync(await carol.GetPreSignedURLAsync(request)))
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
    }

    [Fact]
    public async Task Unsigned_headers_cannot_turn_a_denied_write_into_an_allowed_one()
    {
        var bucket = await AliceBucketAsync("""
            {"Sid":"KmsOnly","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*",
             "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}
            """);
        using var wire = new Wire(t.Server);
        var put = new Req("PUT", bucket, "sneaky").WithBody("s");
        foreach (var auth in new[] { Auth.S3Header, Auth.S3Presigned })
        {
            using var plain = await wire.SendAsync(put, t.Alice, auth);
            Assert.Equal(HttpStatusCode.Forbidden, plain.StatusCode);
            using var added = await wire.SendAsync(put, t.Alice, auth, tamper: new Tampering { UnsignedHeaders = [new("x-amz-server-side-encryption", "aws:kms")] });
            Assert.False(added.IsSuccessStatusCode);
        }
        // The COS spelling of the header is seen too, and is no way around the signature either.
        using var cos = await wire.SendAsync(put, t.Alice, Auth.S3Header, tamper: new Tampering { UnsignedHeaders = [new("x-cos-server-side-encryption", "cos/kms")] });
        Assert.False(cos.IsSuccessStatusCode);
        using var alice = t.S3(t.Alice);
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<AmazonS3Exception>(() => alice.GetObjectMetadataAsync(bucket, "sneaky"))).StatusCode);
    }

    // ---------------------------------------------------------------- the COS dialect

    private static readonly KeyValuePair<string, string>[] PolicyQuery = [new("policy", "")];
    private static readonly KeyValuePair<string, string>[] Json = [new("Content-Type", "application/json")];

    [Fact]
    public async Task A_cos_policy_is_put_and_read_back_in_its_own_dialect_and_applied()
    {
        using var alice = t.S3(t.Alice);
        var bucket = AttackScene.NewCosBucket("cpol");
        await alice.PutBucketAsync(bucket);
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "pub/a", ContentBody = "a" });
        var policy = $$"""
            {"version":"2.0","statement":[{"principal":{"qcs":["qcs::cam::uin/100000000001:uin/bob"]},"effect":"allow",
              "action":["name/cos:GetObject"],"resource":["qcs::cos:ap-guangzhou:uid/1250000000:{{bucket}}/pub/*"]}]}
            """;
        using var cos = t.Cos(t.Alice);
        using (var put = await cos.SendAsync(HttpMethod.Put, bucket, null, PolicyQuery, Json, Encoding.UTF8.GetBytes(policy)))
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        using (var get = await cos.SendAsync(HttpMethod.Get, bucket, null, PolicyQuery))
            Assert.Equal(policy, await get.Content.ReadAsStringAsync());

        using var bobCos = t.Cos(t.Bob);
        using (var get = await bobCos.SendAsync(HttpMethod.Get, bucket, "pub/a"))
            Assert.Equal("a", await get.Content.ReadAsStringAsync());
        // COS names HEAD Object as its own action: GetObject does not grant it.
        using (var head = await bobCos.SendAsync(HttpMethod.Head, bucket, "pub/a"))
            Assert.Equal(HttpStatusCode.Forbidden, head.StatusCode);
        using (var get = await bobCos.SendAsync(HttpMethod.Get, bucket, null, PolicyQuery))
        {
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
            Assert.Contains("<Code>AccessDenied</Code>", await get.Content.ReadAsStringAsync());
        }
        using (var bad = await cos.SendAsync(HttpMethod.Put, bucket, null, PolicyQuery, Json, """{"version":"2.0","statement":[{"effect":"allow"}]}"""u8.ToArray()))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("<Code>MalformedPolicy</Code>", await bad.Content.ReadAsStringAsync());
        }
        using (var delete = await cos.SendAsync(HttpMethod.Delete, bucket, null, PolicyQuery))
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using (var none = await cos.SendAsync(HttpMethod.Get, bucket, null, PolicyQuery))
        {
            Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
            Assert.Contains("<Code>NoSuchBucketPolicy</Code>", await none.Content.ReadAsStringAsync());
        }
    }
}
