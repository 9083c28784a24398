using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// Lifecycle (schema version 12): a bucket's configuration round-trips whole, the job pages through the buckets that
/// have one, and its two writes are compare-and-sets that leave alone an object written or retagged since it was read.
/// </summary>
public abstract class LifecycleContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    /// <summary>A configuration that uses every field, Unicode and sub-millisecond-free dates included.</summary>
    public static readonly BucketLifecycle Full = new(
    [
        new LifecycleRule
        {
            Id = "logs ünïcode",
            Enabled = true,
            Prefix = "logs/",
            Tags = [new Tag("t", "1"), new Tag("Ü", "")],
            SizeGreaterThan = 1024,
            SizeLessThan = 1L << 40,
            Expiration = new LifecycleExpiration(Days: 365),
            Transitions = [new LifecycleTransition(30, null, "STANDARD_IA"), new LifecycleTransition(90, null, "GLACIER")],
            NoncurrentExpiration = new NoncurrentExpiration(90, 3),
            NoncurrentTransitions = [new NoncurrentTransition(30, "DEEP_ARCHIVE", 2)],
        },
        new LifecycleRule { Id = "legacy", LegacyPrefix = true, Prefix = "old/", Expiration = new LifecycleExpiration(Date: new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero)) },
        new LifecycleRule { Id = "cleanup", Enabled = true, Expiration = new LifecycleExpiration(ExpiredObjectDeleteMarker: true), AbortIncompleteUploadDays = 7 },
    ], BucketLifecycle.VariesByStorageClass);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
    }

    [ContractFact]
    public async Task A_configuration_round_trips_whole_and_is_removed_with_null()
    {
        Assert.Null((await Store.GetBucketAsync("b"))!.Lifecycle);
        Assert.True(await Store.SetBucketLifecycleAsync("b", Full));
        Assert.Equal(Full, (await Store.GetBucketAsync("b"))!.Lifecycle);
        Assert.Equal(Full, (await Store.ListBucketsAsync("alice")).Single().Lifecycle);

        var replaced = new BucketLifecycle([new LifecycleRule { Id = "one", Enabled = true, Expiration = new LifecycleExpiration(Days: 1) }], BucketLifecycle.Cos64K);
        Assert.True(await Store.SetBucketLifecycleAsync("b", replaced));
        Assert.Equal(replaced, (await Store.GetBucketAsync("b"))!.Lifecycle);
        Assert.NotEqual(Full, replaced);

        Assert.True(await Store.SetBucketLifecycleAsync("b", null));
        Assert.Null((await Store.GetBucketAsync("b"))!.Lifecycle);
        Assert.False(await Store.SetBucketLifecycleAsync("missing", Full));
    }

    [ContractFact]
    public async Task The_lifecycle_leaves_the_other_bucket_settings_alone()
    {
        await Store.SetBucketEncryptionAsync("b", new BucketEncryption("AES256", null));
        await Store.SetBucketTagsAsync("b", [new Tag("team", "x")]);
        await Store.SetBucketLifecycleAsync("b", Full);
        var bucket = (await Store.GetBucketAsync("b"))!;
        Assert.Equal(new BucketEncryption("AES256", null), bucket.Encryption);
        Assert.Equal([new Tag("team", "x")], bucket.Tags);
        await Store.SetBucketTagsAsync("b", null);
        Assert.Equal(Full, (await Store.GetBucketAsync("b"))!.Lifecycle);
    }

    [ContractFact]
    public async Task Buckets_with_a_lifecycle_are_paged_by_name_and_the_others_are_not_listed()
    {
        foreach (var name in new[] { "c", "d", "e", "f" })
            await CreateBucketAsync(name, owner: name == "e" ? "bob" : "alice");
        foreach (var name in new[] { "b", "d", "e", "f" })
            await Store.SetBucketLifecycleAsync(name, Full);

        var first = await Store.ListBucketsWithLifecycleAsync(null, 2);
        Assert.Equal(["b", "d"], first.Select(b => b.Name));
        Assert.Equal(Full, first[0].Lifecycle);
        var second = await Store.ListBucketsWithLifecycleAsync("d", 2);
        Assert.Equal(["e", "f"], second.Select(b => b.Name));
        Assert.Empty(await Store.ListBucketsWithLifecycleAsync("f", 2));
    }

    [ContractFact]
    public async Task A_conditional_delete_removes_the_object_it_read_and_nothing_written_or_retagged_since()
    {
        var read = Sample.Object("b", "k") with { Tags = [new Tag("t", "1")] };
        await Store.PutObjectAsync(read);

        // Retagged since it was read: kept.
        await Store.SetObjectTagsAsync("b", "k", [new Tag("t", "2")]);
        Assert.Null(await Store.DeleteObjectIfUnchangedAsync(read));
        await Store.SetObjectTagsAsync("b", "k", read.Tags);

        // Overwritten since (a new version): kept.
        var newer = read with { LastModified = read.LastModified.AddTicks(1), Streams = Sample.Object("b", "k").Streams };
        await Store.PutObjectAsync(newer);
        Assert.Null(await Store.DeleteObjectIfUnchangedAsync(read));
        AssertRecord.Equal(newer, await Store.GetObjectAsync("b", "k"));

        // Unchanged: deleted, and its blob is no longer referenced.
        var deleted = await Store.DeleteObjectIfUnchangedAsync(newer);
        AssertRecord.Equal(newer, deleted);
        Assert.Null(await Store.GetObjectAsync("b", "k"));
        Assert.False(await Store.IsBlobReferencedAsync(newer.Streams[0].BlobId));
        Assert.Null(await Store.DeleteObjectIfUnchangedAsync(newer));
    }

    [ContractFact]
    public async Task A_storage_class_change_applies_only_to_the_version_class_and_tags_it_read()
    {
        var read = Sample.Object("b", "k") with { Tags = [new Tag("t", "1")] };
        await Store.PutObjectAsync(read);

        Assert.False(await Store.UpdateStorageClassAsync(read with { StorageClass = "STANDARD_IA" }, "ARCHIVE"));
        Assert.False(await Store.UpdateStorageClassAsync(read with { Tags = [] }, "ARCHIVE"));
        Assert.False(await Store.UpdateStorageClassAsync(read with { ETag = "other" }, "ARCHIVE"));
        Assert.Equal("STANDARD", (await Store.GetObjectAsync("b", "k"))!.StorageClass);

        Assert.True(await Store.UpdateStorageClassAsync(read, "ARCHIVE"));
        var moved = await Store.GetObjectAsync("b", "k");
        AssertRecord.Equal(read with { StorageClass = "ARCHIVE" }, moved);
        Assert.Equal(read.Tags, moved!.Tags);
        Assert.False(await Store.UpdateStorageClassAsync(read, "DEEP_ARCHIVE"));
        Assert.False(await Store.UpdateStorageClassAsync(Sample.Object("b", "missing"), "ARCHIVE"));
    }
}
