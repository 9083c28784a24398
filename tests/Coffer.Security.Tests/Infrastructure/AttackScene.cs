using System.Net;
using System.Text;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.Security.Tests.Infrastructure;

/// <summary>
/// What the attacks aim at, made once per server: alice's bucket (named COS style so both
/// families address it) holding a plain object, an SSE-C object and a multipart upload in
/// progress; and bob's own bucket, from which he tries to reach into hers.
/// </summary>
public sealed class AttackScene
{
    public const string Object = "payroll.csv";
    public const string SsecObject = "ssec.bin";
    public const string ArchivedObject = "archive.bin";
    public const string UploadKey = "big.bin";
    public const string Content = "name,salary\nalice,100\n";

    /// <summary>Users the admin rows add are named with this prefix; none may exist after an attack.</summary>
    public const string PlantedUserPrefix = "planted-";

    /// <summary>The user the admin rows try to remove; it must exist after an attack.</summary>
    public const string VictimUser = "victim";

    public required string Bucket { get; init; }
    public required string BobBucket { get; init; }
    public required string UploadId { get; init; }
    public required string BobUploadId { get; init; }

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<TenantsFixture, AttackScene> Scenes = [];

    public static async Task<AttackScene> GetAsync(TenantsFixture t)
    {
        await Gate.WaitAsync();
        try
        {
            if (Scenes.TryGetValue(t, out var scene))
                return scene;
            scene = await CreateAsync(t);
            Scenes[t] = scene;
            return scene;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>A scene of its own, for a test that changes it.</summary>
    public static Task<AttackScene> CreateFreshAsync(TenantsFixture t) => CreateAsync(t);

    public static string NewCosBucket(string hint) => hint + Guid.NewGuid().ToString("N")[..10] + "-1250000000";

    private static async Task<AttackScene> CreateAsync(TenantsFixture t)
    {
        using var alice = t.S3(t.Alice);
        using var bob = t.S3(t.Bob);
        var bucket = NewCosBucket("alice");
        var bobBucket = NewCosBucket("bob");
        await alice.PutBucketAsync(bucket);
        await bob.PutBucketAsync(bobBucket);
        await alice.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = Object, ContentBody = Content, TagSet = [new Tag { Key = "owner", Value = "alice" }] });
        await alice.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = [new Tag { Key = "team", Value = "alice" }] });
        await alice.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest { BucketName = bucket, Configuration = new LifecycleConfiguration { Rules = [KeptRule] } });
        await alice.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = KeptPolicy(bucket) });
        await alice.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = SsecObject,
            ContentBody = Content,
            ServerSideEncryptionCustomerMethod = Amazon.S3.ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
            ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
        });
        await alice.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = ArchivedObject, ContentBody = Content, StorageClass = Amazon.S3.S3StorageClass.Glacier });
        var upload = await alice.InitiateMultipartUploadAsync(bucket, UploadKey);
        var bobUpload = await bob.InitiateMultipartUploadAsync(bobBucket, UploadKey);
        return new AttackScene { Bucket = bucket, BobBucket = bobBucket, UploadId = upload.UploadId, BobUploadId = bobUpload.UploadId };
    }

    /// <summary>Alice's bucket policy: it grants alice (the owner) what she has anyway, so it lets no attacker in.</summary>
    public static string KeptPolicy(string bucket) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Sid":"alice-keeps","Effect":"Allow","Principal":{"AWS":"alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::{{bucket}}/nothing-here/*"}]}""";

    /// <summary>Alice's lifecycle rule: it names nothing the scene holds (a prefix no key has), so it never acts.</summary>
    private static readonly LifecycleRule KeptRule = new()
    {
        Id = "alice-keeps",
        Filter = new LifecycleFilter { Prefix = "nothing-here/" },
        Status = Amazon.S3.LifecycleRuleStatus.Enabled,
        Expiration = new LifecycleRuleExpiration { Days = 3650 },
    };

    /// <summary>Proves an attack left alice's things as they were: object bytes and tags, SSE-C object, upload, bucket tags, lifecycle, policy and access settings, no default encryption, no CORS configuration, nothing added.</summary>
    public async Task AssertIntactAsync(TenantsFixture t)
    {
        using var alice = t.S3(t.Alice);
        using (var get = await alice.GetObjectAsync(Bucket, Object))
            Assert.Equal(Content, await new StreamReader(get.ResponseStream, Encoding.UTF8).ReadToEndAsync());
        Assert.Equal("STANDARD", (await alice.GetObjectMetadataAsync(Bucket, Object)).StorageClass?.Value ?? "STANDARD");
        var tags = (await alice.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = Bucket, Key = Object })).Tagging ?? [];
        Assert.Equal([("owner", "alice")], tags.Select(x => (x.Key, x.Value)));
        var bucketTags = (await alice.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = Bucket })).TagSet ?? [];
        Assert.Equal([("team", "alice")], bucketTags.Select(x => (x.Key, x.Value)));
        var lifecycle = (await alice.GetLifecycleConfigurationAsync(Bucket)).Configuration.Rules.Single();
        var prefix = Assert.IsType<LifecyclePrefixPredicate>(lifecycle.Filter.LifecycleFilterPredicate).Prefix;
        Assert.Equal(("alice-keeps", "nothing-here/", 3650), (lifecycle.Id, prefix, lifecycle.Expiration.Days ?? 0));
        using (var get = await alice.GetObjectAsync(new GetObjectRequest
        {
            BucketName = Bucket,
            Key = SsecObject,
            ServerSideEncryptionCustomerMethod = Amazon.S3.ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
            ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
        }))
            Assert.Equal(Content, await new StreamReader(get.ResponseStream, Encoding.UTF8).ReadToEndAsync());
        var parts = await alice.ListPartsAsync(Bucket, UploadKey, UploadId);
        Assert.Empty(parts.Parts ?? []);
        var listing = await alice.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket });
        Assert.Equal([ArchivedObject, Object, SsecObject], listing.S3Objects.Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.Equal(KeptPolicy(Bucket), (await alice.GetBucketPolicyAsync(Bucket)).Policy);
        using var wire = new Wire(t.Server);
        using var encryption = await wire.SendAsync(new Req("GET", Bucket).With(("encryption", "")), t.Alice, Auth.S3Header);
        Assert.Equal(HttpStatusCode.NotFound, encryption.StatusCode);
        // Access settings: ACLs off (BucketOwnerEnforced), every Block Public Access flag on, the owner alone in the ACLs.
        var stored = (await t.Server.Server.Services.Store.GetBucketAsync(Bucket))!;
        Assert.Equal(Coffer.Storage.ObjectOwnership.BucketOwnerEnforced, stored.Ownership);
        Assert.Equal(Coffer.Storage.PublicAccessBlock.All, stored.PublicAccessBlock);
        Assert.Null(stored.Acl);
        Assert.Null((await t.Server.Server.Services.Store.GetObjectAsync(Bucket, Object))!.Acl);
        using var cors = await wire.SendAsync(new Req("GET", Bucket).With(("cors", "")), t.Alice, Auth.S3Header);
        Assert.Equal(HttpStatusCode.NotFound, cors.StatusCode);
        var users = await t.Server.Server.Services.Store.ListUsersAsync();
        Assert.Contains(users, u => u.Name == VictimUser);
        Assert.DoesNotContain(users, u => u.Name.StartsWith(PlantedUserPrefix, StringComparison.Ordinal));
    }
}
