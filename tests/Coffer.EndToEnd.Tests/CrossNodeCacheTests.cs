using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server.Hosting;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Two nodes (two servers on one SQLite database file and one blob directory, with one root key): a change made
/// through node A takes effect on node B within the bound docs/caches-and-jobs.md states — a removed user and a
/// disabled KMS key within 2 s (the credential cache's and the key-state cache's lifetimes), a bucket's default
/// encryption at B's next request (not cached).
/// </summary>
public sealed class CrossNodeCacheTests : IAsyncLifetime
{
    /// <summary>The stated bound for a removed user (CredentialStore's lifetime), plus scheduling slack.</summary>
    private static readonly TimeSpan CredentialBound = TimeSpan.FromSeconds(2) + TimeSpan.FromMilliseconds(300);

    /// <summary>The stated bound for a KMS key's state (KeyManager's key-state lifetime), plus scheduling slack.</summary>
    internal static readonly TimeSpan KeyStateBound = Coffer.Crypto.Kms.KeyManager.KeyStateLifetime + TimeSpan.FromSeconds(1);

    /// <summary>
    /// Calls <paramref name="call"/> until it is refused, at most until <paramref name="bound"/> has passed since
    /// <paramref name="since"/>; fails the test when it is still served then.
    /// </summary>
    internal static async Task<AmazonS3Exception> RefusedWithinAsync(Func<Task> call, DateTime since, TimeSpan bound)
    {
        while (true)
        {
            try
            {
                await call();
            }
            catch (AmazonS3Exception refused)
            {
                return refused;
            }
            Assert.True(DateTime.UtcNow - since < bound, $"still served {bound.TotalSeconds} s after the change");
            await Task.Delay(100);
        }
    }

    private readonly string _shared = Path.Combine(Path.GetTempPath(), "coffer-nodes-" + Guid.NewGuid().ToString("N"));
    private CofferFixture _a = null!;
    private CofferFixture _b = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_shared);
        _a = new CofferFixture { Configure = Share };
        await _a.InitializeAsync();
        _b = new CofferFixture { DataDirectory = CofferFixture.DataFolderWithRootKey(_a.RootKeyFile(), Path.Combine(_shared, "node-b")), Configure = Share };
        await _b.InitializeAsync();
    }

    private void Share(Coffer.Server.CofferServerOptions options)
    {
        options.Metadata = "sqlite:" + Path.Combine(_shared, "meta.db");
        options.Blobs = "file:" + Path.Combine(_shared, "blobs");
    }

    public async Task DisposeAsync()
    {
        await _b.DisposeAsync();
        await _a.DisposeAsync();
        try { Directory.Delete(_shared, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public async Task A_user_removed_on_one_node_is_refused_by_the_other_within_the_bound()
    {
        var (accessKey, secretKey) = (await Credentials.AddUserAsync(_a.Server.Services.Store, _a.Server.Services.RootKey, "nodes-" + Guid.NewGuid().ToString("N")[..8]))!.Value;
        using var throughB = Clients.S3(_b, accessKey: accessKey, secretKey: secretKey);
        await throughB.ListBucketsAsync();   // B now has the user in its credential cache

        Assert.True(await _a.Server.Services.Store.RemoveUserAsync(accessKey));
        await Task.Delay(CredentialBound);
        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => throughB.ListBucketsAsync());
        Assert.Equal("InvalidAccessKeyId", refused.ErrorCode);
    }

    [Fact]
    public async Task A_kms_key_disabled_on_one_node_is_refused_by_the_other_within_the_bound()
    {
        using var kmsA = KmsLifeTests.Kms(_a);
        var keyId = (await kmsA.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        using var s3A = Clients.S3(_a, https: true);
        using var s3B = Clients.S3(_b, https: true);
        var bucket = CofferFixture.NewBucket("kms");
        await s3B.PutBucketAsync(bucket);
        PutObjectRequest Put(string key) => new()
        {
            BucketName = bucket,
            Key = key,
            ContentBody = "secret",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = keyId,
        };
        await s3B.PutObjectAsync(Put("first"));   // B caches the key's state and a bucket key under it
        Assert.Equal("secret", await KmsLifeTests.ReadAsync(s3B, bucket, "first"));
        Assert.Equal("secret", await KmsLifeTests.ReadAsync(s3A, bucket, "first"));   // A has it cached too
        Assert.True(_b.Server.Services.Envelope.CachedCount > 0);

        await kmsA.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });
        var disabled = DateTime.UtcNow;
        // A, where the change was made, refuses the very next request.
        Assert.Equal("KMS.DisabledException", (await Assert.ThrowsAsync<AmazonS3Exception>(() => s3A.GetObjectAsync(bucket, "first"))).ErrorCode);
        // B within the key-state lifetime, GET and PUT alike.
        var get = await RefusedWithinAsync(() => KmsLifeTests.ReadAsync(s3B, bucket, "first"), disabled, KeyStateBound);
        Assert.Equal("KMS.DisabledException", get.ErrorCode);
        var put = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3B.PutObjectAsync(Put("second")));
        Assert.Equal("KMS.DisabledException", put.ErrorCode);
        // B saw no key event (the change was A's), yet its bucket keys under the CMK are gone from memory.
        Assert.Equal(0, _b.Server.Services.Envelope.CachedCount);

        // Enabling is seen at once everywhere: a refused key's state is not cached.
        await kmsA.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId });
        Assert.Equal("secret", await KmsLifeTests.ReadAsync(s3B, bucket, "first"));
    }

    [Fact]
    public Task A_bucket_default_encryption_changed_on_one_node_applies_to_puts_through_the_other_at_once() =>
        BucketDefaultEncryptionChangedOnAAppliesOnBAsync(_a, _b);

    /// <summary>
    /// A bucket's default encryption set through node A applies to the next PUT through node B, which had put an
    /// object into the bucket before (bucket settings are not cached): shared by the SQLite and PostgreSQL tests.
    /// </summary>
    internal static async Task BucketDefaultEncryptionChangedOnAAppliesOnBAsync(CofferFixture a, CofferFixture b)
    {
        using var s3A = Clients.S3(a, https: true);
        using var s3B = Clients.S3(b, https: true);
        var bucket = CofferFixture.NewBucket("def");
        await s3A.PutBucketAsync(bucket);
        var before = await s3B.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "before", ContentBody = "x" });
        Assert.NotEqual(ServerSideEncryptionMethod.AWSKMS, before.ServerSideEncryptionMethod);

        await s3A.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = bucket,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules = [new ServerSideEncryptionRule { ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault { ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AWSKMS } }],
            },
        });
        var after = await s3B.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "after", ContentBody = "x" });
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, after.ServerSideEncryptionMethod);
        Assert.Equal(Coffer.Storage.SseMode.Kms, (await b.Server.Services.Store.GetObjectAsync(bucket, "after"))!.Encryption.Mode);
        Assert.Equal(Coffer.Storage.SseMode.Kms, (await a.Server.Services.Store.GetObjectAsync(bucket, "after"))!.Encryption.Mode);
    }
}
