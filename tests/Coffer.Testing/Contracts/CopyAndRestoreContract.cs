using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>The two writes CopyObject and RestoreObject need: a put that shares blobs safely, and a compare-and-set of the restore state.</summary>
public abstract class CopyAndRestoreContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    private static readonly RestoreState Started = new(Sample.Instant, "Expedited", 1, Sample.Instant.AddMinutes(5), Sample.Instant.AddDays(1));

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
        await CreateBucketAsync("c");
    }

    [ContractFact]
    public void Restore_state_is_ongoing_before_ready_restored_until_expiry_then_expired()
    {
        Assert.True(Started.IsOngoing(Started.ReadyAt.AddTicks(-1)));
        Assert.False(Started.IsRestored(Started.ReadyAt.AddTicks(-1)));
        Assert.True(Started.IsRestored(Started.ReadyAt));
        Assert.False(Started.IsOngoing(Started.ReadyAt));
        Assert.True(Started.IsRestored(Started.ExpiresAt.AddTicks(-1)));
        Assert.False(Started.IsRestored(Started.ExpiresAt));
        Assert.True(Started.IsExpired(Started.ExpiresAt));
    }

    [ContractFact]
    public async Task Update_restore_sets_only_the_restore_state()
    {
        var obj = Sample.Object("b", "k") with { StorageClass = "ARCHIVE" };
        await Store.PutObjectAsync(obj);

        Assert.True(await Store.UpdateRestoreAsync(obj, Started));

        AssertRecord.Equal(obj with { Restore = Started }, await Store.GetObjectAsync("b", "k"));
    }

    [ContractFact]
    public async Task Of_two_restores_from_the_same_read_exactly_one_wins()
    {
        var obj = Sample.Object("b", "k") with { StorageClass = "ARCHIVE" };
        await Store.PutObjectAsync(obj);
        var other = Started with { Tier = "Bulk", ReadyAt = Sample.Instant.AddHours(12) };

        var results = await Task.WhenAll(Store.UpdateRestoreAsync(obj, Started), Store.UpdateRestoreAsync(obj, other));

        Assert.Single(results, r => r);
        var stored = (await Store.GetObjectAsync("b", "k"))!.Restore;
        Assert.Equal(results[0] ? Started : other, stored);
    }

    [ContractFact]
    public async Task Update_restore_compares_the_previous_state()
    {
        var obj = Sample.Object("b", "k") with { StorageClass = "ARCHIVE", Restore = Started };
        await Store.PutObjectAsync(obj);
        var extended = Started with { Days = 3, ExpiresAt = Started.ExpiresAt.AddDays(2) };

        Assert.False(await Store.UpdateRestoreAsync(obj with { Restore = null }, extended));
        Assert.True(await Store.UpdateRestoreAsync(obj, extended));
        Assert.False(await Store.UpdateRestoreAsync(obj, extended));
        Assert.Equal(extended, (await Store.GetObjectAsync("b", "k"))!.Restore);
    }

    [ContractFact]
    public async Task Update_restore_refuses_an_object_overwritten_or_deleted_meanwhile()
    {
        var obj = Sample.Object("b", "k") with { StorageClass = "ARCHIVE" };
        await Store.PutObjectAsync(obj);
        var overwritten = obj with { ETag = "0123456789abcdef0123456789abcdef", LastModified = obj.LastModified.AddSeconds(1) };
        await Store.PutObjectAsync(overwritten);

        Assert.False(await Store.UpdateRestoreAsync(obj, Started));
        Assert.Null((await Store.GetObjectAsync("b", "k"))!.Restore);

        await Store.DeleteObjectAsync("b", "k");
        Assert.False(await Store.UpdateRestoreAsync(overwritten, Started));
        Assert.Null(await Store.GetObjectAsync("b", "k"));
    }

    [ContractFact]
    public async Task A_copy_shares_its_source_blobs_and_they_outlive_the_source()
    {
        var source = Sample.Object("b", "src", Sample.BlobId(), Sample.BlobId());
        await Store.PutObjectAsync(source);
        var copy = source with { Bucket = "c", Key = "dst" };

        Assert.Empty((await Store.PutObjectSharingBlobsAsync(copy))!);
        Assert.Empty(await Store.PutObjectAsync(Sample.Object("b", "src")));

        foreach (var id in Sample.BlobIdsOf(source))
            Assert.True(await Store.IsBlobReferencedAsync(id));
        AssertRecord.Equal(copy, await Store.GetObjectAsync("c", "dst"));
    }

    [ContractFact]
    public async Task A_copy_onto_itself_reclaims_nothing()
    {
        var obj = Sample.Object("b", "k");
        await Store.PutObjectAsync(obj);

        var replaced = await Store.PutObjectSharingBlobsAsync(obj with { Encryption = new ObjectEncryption(SseMode.Customer, [1, 2, 3]) });

        Assert.Empty(replaced!);
        Assert.Equal(SseMode.Customer, (await Store.GetObjectAsync("b", "k"))!.Encryption.Mode);
    }

    [ContractFact]
    public async Task A_copy_of_blobs_nobody_refers_to_any_more_writes_nothing()
    {
        var source = Sample.Object("b", "src");
        await Store.PutObjectAsync(source);
        var existing = Sample.Object("c", "dst");
        await Store.PutObjectAsync(existing);
        Assert.Equal(Sample.BlobIdsOf(source), (await Store.PutObjectAsync(Sample.Object("b", "src")))); // overwritten: its blob is due for reclaim

        Assert.Null(await Store.PutObjectSharingBlobsAsync(source with { Bucket = "c", Key = "dst" }));

        AssertRecord.Equal(existing, await Store.GetObjectAsync("c", "dst"));
        Assert.False(await Store.IsBlobReferencedAsync(Sample.BlobIdsOf(source).Single()));
    }
}
