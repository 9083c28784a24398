using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

public abstract class UserAndBucketContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    private static UserRecord User(string name, string accessKeyId, bool isRoot = false) =>
        new(name, accessKeyId, [1, 2, 3, 0, 255], isRoot, Sample.Instant, UserIds.New());

    [ContractFact]
    public async Task A_user_round_trips_every_field()
    {
        var user = new UserRecord("Zoë", "AKIDEXAMPLE", Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(), true, Sample.Instant, UserIds.New());
        Assert.True(await Store.AddUserAsync(user));

        var read = await Store.GetUserAsync("AKIDEXAMPLE");
        Assert.NotNull(read);
        Assert.Equal(user.Name, read.Name);
        Assert.Equal(user.AccessKeyId, read.AccessKeyId);
        Assert.Equal(user.SealedSecret, read.SealedSecret);
        Assert.True(read.IsRoot);
        Assert.Equal(user.Created.UtcTicks, read.Created.UtcTicks);
        Assert.Equal(user.Id, read.Id);
    }

    [ContractFact]
    public async Task Adding_a_user_with_a_taken_access_key_or_name_returns_false()
    {
        Assert.True(await Store.AddUserAsync(User("alice", "AK1")));
        Assert.False(await Store.AddUserAsync(User("bob", "AK1")));
        Assert.False(await Store.AddUserAsync(User("alice", "AK2")));
        Assert.Equal(["alice"], (await Store.ListUsersAsync()).Select(u => u.Name));
    }

    [ContractFact]
    public async Task Users_are_listed_by_name()
    {
        await Store.AddUserAsync(User("carol", "AK3"));
        await Store.AddUserAsync(User("alice", "AK1"));
        await Store.AddUserAsync(User("bob", "AK2"));
        Assert.Equal(["alice", "bob", "carol"], (await Store.ListUsersAsync()).Select(u => u.Name));
    }

    [ContractFact]
    public async Task A_user_is_removed_by_name_or_by_access_key_id()
    {
        await Store.AddUserAsync(User("alice", "AK1"));
        await Store.AddUserAsync(User("bob", "AK2"));

        Assert.True(await Store.RemoveUserAsync("alice"));
        Assert.True(await Store.RemoveUserAsync("AK2"));
        Assert.False(await Store.RemoveUserAsync("alice"));
        Assert.Empty(await Store.ListUsersAsync());
        Assert.Null(await Store.GetUserAsync("AK1"));
    }

    [ContractFact]
    public async Task Removing_prefers_an_access_key_match_over_a_name_match()
    {
        await Store.AddUserAsync(User("AK2", "AK1"));
        await Store.AddUserAsync(User("bob", "AK2"));

        Assert.True(await Store.RemoveUserAsync("AK2"));
        Assert.Equal(["AK2"], (await Store.ListUsersAsync()).Select(u => u.Name));
    }

    [ContractFact]
    public async Task A_bucket_round_trips_with_and_without_default_encryption()
    {
        var plain = new BucketRecord("plain", "alice", "ap-guangzhou", Sample.Instant);
        var kms = new BucketRecord("kms", "alice", "ap-beijing", Sample.Instant, new BucketEncryption("KMS", "key-1"));
        var aes = new BucketRecord("aes", "alice", "ap-beijing", Sample.Instant, new BucketEncryption("AES256", null));
        foreach (var b in new[] { plain, kms, aes })
        {
            Assert.True(await Store.CreateBucketAsync(b));
            Assert.Equal(b, await Store.GetBucketAsync(b.Name));
        }
    }

    [ContractFact]
    public async Task Creating_an_existing_bucket_returns_false_and_keeps_the_first()
    {
        Assert.True(await CreateBucketAsync("b", owner: "alice"));
        Assert.False(await CreateBucketAsync("b", owner: "bob"));
        Assert.Equal("alice", (await Store.GetBucketAsync("b"))!.Owner);
    }

    [ContractFact]
    public async Task A_missing_bucket_reads_as_null()
    {
        Assert.Null(await Store.GetBucketAsync("nope"));
    }

    [ContractFact]
    public async Task Buckets_are_listed_per_owner_by_name()
    {
        await CreateBucketAsync("zeta", "alice");
        await CreateBucketAsync("alpha", "alice");
        await CreateBucketAsync("beta", "bob");
        await CreateBucketAsync("Gamma", "alice");

        Assert.Equal(["Gamma", "alpha", "zeta"], (await Store.ListBucketsAsync("alice")).Select(b => b.Name));
        Assert.Equal(["beta"], (await Store.ListBucketsAsync("bob")).Select(b => b.Name));
        Assert.Empty(await Store.ListBucketsAsync("carol"));
    }

    [ContractFact]
    public async Task Deleting_a_bucket_reports_not_found_not_empty_and_deleted()
    {
        Assert.Equal(DeleteBucketResult.NotFound, await Store.DeleteBucketAsync("b"));

        await CreateBucketAsync("b");
        await Store.PutObjectAsync(Sample.Object("b", "k"));
        Assert.Equal(DeleteBucketResult.NotEmpty, await Store.DeleteBucketAsync("b"));
        Assert.NotNull(await Store.GetBucketAsync("b"));

        await Store.DeleteObjectAsync("b", "k");
        Assert.Equal(DeleteBucketResult.Deleted, await Store.DeleteBucketAsync("b"));
        Assert.Null(await Store.GetBucketAsync("b"));
    }

    [ContractFact]
    public async Task Bucket_encryption_is_set_replaced_and_removed()
    {
        await CreateBucketAsync("b");

        Assert.True(await Store.SetBucketEncryptionAsync("b", new BucketEncryption("AES256", null)));
        Assert.Equal(new BucketEncryption("AES256", null), (await Store.GetBucketAsync("b"))!.Encryption);

        Assert.True(await Store.SetBucketEncryptionAsync("b", new BucketEncryption("KMS", "k1")));
        Assert.Equal(new BucketEncryption("KMS", "k1"), (await Store.GetBucketAsync("b"))!.Encryption);

        Assert.True(await Store.SetBucketEncryptionAsync("b", null));
        Assert.Null((await Store.GetBucketAsync("b"))!.Encryption);
    }

    [ContractFact]
    public async Task Setting_encryption_on_a_missing_bucket_returns_false()
    {
        Assert.False(await Store.SetBucketEncryptionAsync("nope", new BucketEncryption("AES256", null)));
    }
}
