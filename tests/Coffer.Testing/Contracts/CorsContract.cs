using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>CORS (the buckets' <c>cors</c> column): a bucket's configuration round-trips whole, rule order and all, and is removed with null.</summary>
public abstract class CorsContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    /// <summary>A configuration that uses every field, a rule with only the required ones, and Unicode.</summary>
    public static readonly BucketCors Full = new(
    [
        new CorsRule("uploads ünïcode", ["https://app.example.com", "https://*.example.org"], ["PUT", "POST", "GET"],
            ["x-amz-*", "content-type"], ["ETag", "x-amz-version-id", "x-amz-server-side-encryption"], 3000),
        new CorsRule(null, ["*"], ["GET"], [], [], null),
    ]);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
    }

    [ContractFact]
    public async Task A_configuration_round_trips_whole_and_is_removed_with_null()
    {
        Assert.Null((await Store.GetBucketAsync("b"))!.Cors);
        Assert.True(await Store.SetBucketCorsAsync("b", Full));
        Assert.Equal(Full, (await Store.GetBucketAsync("b"))!.Cors);
        Assert.Equal(Full, (await Store.ListBucketsAsync("alice")).Single().Cors);

        var replaced = new BucketCors([new CorsRule("one", ["http://localhost:8080"], ["DELETE", "HEAD"], ["*"], [], 0)]);
        Assert.True(await Store.SetBucketCorsAsync("b", replaced));
        Assert.Equal(replaced, (await Store.GetBucketAsync("b"))!.Cors);
        Assert.NotEqual(Full, replaced);

        Assert.True(await Store.SetBucketCorsAsync("b", null));
        Assert.Null((await Store.GetBucketAsync("b"))!.Cors);
        Assert.False(await Store.SetBucketCorsAsync("missing", Full));
    }

    [ContractFact]
    public async Task The_cors_configuration_leaves_the_other_bucket_settings_alone_and_they_leave_it()
    {
        await Store.SetBucketEncryptionAsync("b", new BucketEncryption("AES256", null));
        await Store.SetBucketLifecycleAsync("b", LifecycleContract<TStore>.Full);
        await Store.SetBucketCorsAsync("b", Full);
        await Store.SetBucketTagsAsync("b", [new Tag("team", "x")]);
        var bucket = (await Store.GetBucketAsync("b"))!;
        Assert.Equal(new BucketEncryption("AES256", null), bucket.Encryption);
        Assert.Equal(LifecycleContract<TStore>.Full, bucket.Lifecycle);
        Assert.Equal([new Tag("team", "x")], bucket.Tags);
        Assert.Equal(Full, bucket.Cors);
        await Store.SetBucketLifecycleAsync("b", null);
        Assert.Equal(Full, (await Store.GetBucketAsync("b"))!.Cors);
    }

    [ContractFact]
    public async Task A_bucket_created_with_a_configuration_keeps_it()
    {
        Assert.True(await Store.CreateBucketAsync(new BucketRecord("c", "alice", "r", DateTimeOffset.UnixEpoch, Cors: Full)));
        Assert.Equal(Full, (await Store.GetBucketAsync("c"))!.Cors);
    }
}
