using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// Bucket policies (schema version 14): the policy text round-trips byte for byte (both dialects, Unicode), is
/// replaced and removed with null, and leaves the bucket's other settings alone.
/// </summary>
public abstract class PolicyContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    /// <summary>An AWS-dialect policy with odd spacing and non-ASCII text, which must come back exactly as stored.</summary>
    public const string Aws = "{ \"Version\":\"2012-10-17\",\n \"Statement\":[{\"Sid\":\"ünï\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}";

    /// <summary>A COS-dialect policy.</summary>
    public const string Cos = "{\"version\":\"2.0\",\"statement\":[{\"principal\":{\"qcs\":[\"qcs::cam::anyone:anyone\"]},\"effect\":\"allow\",\"action\":[\"name/cos:GetObject\"],\"resource\":[\"qcs::cos:ap-guangzhou:uid/1250000000:b/*\"]}]}";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
    }

    [ContractFact]
    public async Task A_policy_round_trips_exactly_and_is_replaced_and_removed_with_null()
    {
        Assert.Null((await Store.GetBucketAsync("b"))!.Policy);
        Assert.True(await Store.SetBucketPolicyAsync("b", Aws));
        Assert.Equal(Aws, (await Store.GetBucketAsync("b"))!.Policy);
        Assert.Equal(Aws, (await Store.ListBucketsAsync("alice")).Single().Policy);

        Assert.True(await Store.SetBucketPolicyAsync("b", Cos));
        Assert.Equal(Cos, (await Store.GetBucketAsync("b"))!.Policy);

        Assert.True(await Store.SetBucketPolicyAsync("b", null));
        Assert.Null((await Store.GetBucketAsync("b"))!.Policy);
    }

    [ContractFact]
    public async Task Setting_the_policy_of_a_missing_bucket_answers_false_and_creates_nothing()
    {
        Assert.False(await Store.SetBucketPolicyAsync("missing", Aws));
        Assert.Null(await Store.GetBucketAsync("missing"));
    }

    [ContractFact]
    public async Task The_policy_leaves_the_other_bucket_settings_alone_and_they_leave_it_alone()
    {
        await Store.SetBucketEncryptionAsync("b", new BucketEncryption("AES256", null));
        await Store.SetBucketPolicyAsync("b", Aws);
        await Store.SetBucketTagsAsync("b", [new Tag("team", "x")]);
        await Store.SetBucketLifecycleAsync("b", LifecycleContract<TStore>.Full);
        var bucket = (await Store.GetBucketAsync("b"))!;
        Assert.Equal(new BucketEncryption("AES256", null), bucket.Encryption);
        Assert.Equal([new Tag("team", "x")], bucket.Tags);
        Assert.Equal(Aws, bucket.Policy);

        await Store.SetBucketPolicyAsync("b", null);
        Assert.Equal(new BucketEncryption("AES256", null), (await Store.GetBucketAsync("b"))!.Encryption);
    }

    [ContractFact]
    public async Task A_deleted_and_recreated_bucket_has_no_policy()
    {
        await Store.SetBucketPolicyAsync("b", Aws);
        Assert.Equal(DeleteBucketResult.Deleted, await Store.DeleteBucketAsync("b"));
        await CreateBucketAsync("b");
        Assert.Null((await Store.GetBucketAsync("b"))!.Policy);
    }
}
