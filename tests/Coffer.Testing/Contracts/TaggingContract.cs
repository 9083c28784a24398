using System.Security.Cryptography;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// Tags (schema version 9): an object's tags are part of its row (an overwrite replaces them, a delete removes
/// them, a restore or a rekey keeps them), an upload keeps the tags given at initiation for its object, and a
/// bucket has a tag set of its own.
/// </summary>
public abstract class TaggingContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore, IRekeyJobStore
{
    private static readonly Tag[] Two = [new("project", "blue"), new("Ünïcode key", "välue with / and @")];

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
    }

    [ContractFact]
    public async Task Object_tags_round_trip_in_the_order_given_and_an_untagged_object_has_none()
    {
        await Store.PutObjectAsync(Sample.Object("b", "tagged") with { Tags = Two.Reverse().ToArray() });
        await Store.PutObjectAsync(Sample.Object("b", "plain"));

        Assert.Equal(Two.Reverse(), (await Store.GetObjectAsync("b", "tagged"))!.Tags);
        Assert.Empty((await Store.GetObjectAsync("b", "plain"))!.Tags);
        var listed = await Store.ListObjectsAsync("b", "", null, null, 10);
        Assert.Equal(Two.Reverse(), listed.Objects.Single(o => o.Key == "tagged").Tags);
    }

    [ContractFact]
    public async Task An_overwrite_replaces_the_tags_and_a_delete_removes_them()
    {
        await Store.PutObjectAsync(Sample.Object("b", "k") with { Tags = Two });
        await Store.PutObjectAsync(Sample.Object("b", "k") with { Tags = [new Tag("only", "")] });
        Assert.Equal([new Tag("only", "")], (await Store.GetObjectAsync("b", "k"))!.Tags);

        await Store.PutObjectAsync(Sample.Object("b", "k"));
        Assert.Empty((await Store.GetObjectAsync("b", "k"))!.Tags);

        await Store.PutObjectAsync(Sample.Object("b", "k") with { Tags = Two });
        Assert.Equal(Two, (await Store.DeleteObjectAsync("b", "k"))!.Tags);
        await Store.PutObjectAsync(Sample.Object("b", "k"));
        Assert.Empty((await Store.GetObjectAsync("b", "k"))!.Tags);
    }

    [ContractFact]
    public async Task Setting_object_tags_changes_only_the_tags_of_an_existing_object()
    {
        var obj = Sample.Object("b", "k") with { UserMetadata = new Dictionary<string, string> { ["color"] = "red" } };
        await Store.PutObjectAsync(obj);

        Assert.True(await Store.SetObjectTagsAsync("b", "k", Two));
        var tagged = await Store.GetObjectAsync("b", "k");
        AssertRecord.Equal(obj, tagged);
        Assert.Equal(Two, tagged!.Tags);

        Assert.True(await Store.SetObjectTagsAsync("b", "k", []));
        Assert.Empty((await Store.GetObjectAsync("b", "k"))!.Tags);

        Assert.False(await Store.SetObjectTagsAsync("b", "missing", Two));
        Assert.False(await Store.SetObjectTagsAsync("nobucket", "k", Two));
        Assert.Null(await Store.GetObjectAsync("b", "missing"));
    }

    [ContractFact]
    public async Task A_restore_a_rekey_and_a_copy_that_shares_blobs_keep_or_set_the_tags()
    {
        var sealedKey = RandomNumberGenerator.GetBytes(60);
        var obj = Sample.Object("b", "k") with { StorageClass = "ARCHIVE", Tags = Two, Encryption = new ObjectEncryption(SseMode.Kms, sealedKey, "key-a") };
        await Store.PutObjectAsync(obj);

        var restore = new RestoreState(Sample.Instant, "Standard", 1, Sample.Instant.AddHours(1), Sample.Instant.AddDays(1));
        Assert.True(await Store.UpdateRestoreAsync(obj, restore));
        Assert.True(await Store.TryReplaceObjectEncryptionAsync("b", "k", sealedKey, new ObjectEncryption(SseMode.Kms, RandomNumberGenerator.GetBytes(60), "key-b")));
        Assert.Equal(Two, (await Store.GetObjectAsync("b", "k"))!.Tags);

        var copy = obj with { Key = "copy", Tags = [new Tag("copied", "yes")] };
        Assert.NotNull(await Store.PutObjectSharingBlobsAsync(copy));
        Assert.Equal([new Tag("copied", "yes")], (await Store.GetObjectAsync("b", "copy"))!.Tags);
        Assert.Equal(Two, (await Store.GetObjectAsync("b", "k"))!.Tags);
    }

    [ContractFact]
    public async Task An_upload_keeps_its_tags_and_completion_gives_them_to_the_object()
    {
        var at = Sample.Instant;
        var upload = new MultipartUpload { UploadId = MultipartUploadIds.New(at), Bucket = "b", Key = "mp", Initiated = at, Owner = "alice", Tags = Two };
        var plain = upload with { UploadId = MultipartUploadIds.New(at.AddSeconds(1)), Tags = [] };
        await Store.CreateUploadAsync(upload);
        await Store.CreateUploadAsync(plain);

        Assert.Equal(Two, (await Store.GetUploadAsync("b", "mp", upload.UploadId))!.Tags);
        Assert.Empty((await Store.GetUploadAsync("b", "mp", plain.UploadId))!.Tags);
        var listed = await Store.ListUploadsAsync("b", "", null, null, null, 10);
        Assert.Equal(Two, listed.Uploads.Single(u => u.UploadId == upload.UploadId).Tags);

        var part = new MultipartPart(1, new ObjectStream(Sample.BlobId(), 5, "part:1:x", 61, "00112233445566778899aabbccddeeff"), $"{1:x32}", 7, at);
        await Store.PutPartAsync("b", "mp", upload.UploadId, part);
        var parts = (await Store.ListPartsAsync("b", "mp", upload.UploadId, 0, 10))!;
        var obj = new ObjectRecord
        {
            Bucket = "b",
            Key = "mp",
            Size = 5,
            ETag = $"{0:x32}-1",
            Crc64 = 7,
            LastModified = at,
            Streams = [part.Stream],
            Tags = parts.Upload.Tags,
        };
        Assert.Equal(CompleteUploadStatus.Completed, (await Store.CompleteUploadAsync(upload.UploadId, obj)).Status);
        Assert.Equal(Two, (await Store.GetObjectAsync("b", "mp"))!.Tags);
    }

    [ContractFact]
    public async Task Bucket_tags_round_trip_and_are_removed_by_null_or_an_empty_set()
    {
        Assert.Null((await Store.GetBucketAsync("b"))!.Tags);
        var fifty = Enumerable.Range(0, 50).Select(i => new Tag($"key-{i:D2}", new string('v', 256))).ToArray();

        Assert.True(await Store.SetBucketTagsAsync("b", fifty));
        Assert.Equal(fifty, (await Store.GetBucketAsync("b"))!.Tags);
        Assert.Equal(fifty, (await Store.ListBucketsAsync("alice")).Single(x => x.Name == "b").Tags);

        Assert.True(await Store.SetBucketTagsAsync("b", Two));
        Assert.Equal(Two, (await Store.GetBucketAsync("b"))!.Tags);
        Assert.True(await Store.SetBucketTagsAsync("b", []));
        Assert.Null((await Store.GetBucketAsync("b"))!.Tags);
        Assert.True(await Store.SetBucketTagsAsync("b", Two));
        Assert.True(await Store.SetBucketTagsAsync("b", null));
        Assert.Null((await Store.GetBucketAsync("b"))!.Tags);

        Assert.False(await Store.SetBucketTagsAsync("missing", Two));
    }

    [ContractFact]
    public async Task A_bucket_created_with_tags_has_them_and_tags_do_not_touch_its_encryption()
    {
        await Store.CreateBucketAsync(new BucketRecord("c", "alice", "ap-guangzhou", Sample.Instant, new BucketEncryption("AES256", null), Two));
        var bucket = (await Store.GetBucketAsync("c"))!;
        Assert.Equal(Two, bucket.Tags);

        Assert.True(await Store.SetBucketTagsAsync("c", [new Tag("a", "b")]));
        Assert.Equal(new BucketEncryption("AES256", null), (await Store.GetBucketAsync("c"))!.Encryption);
        Assert.True(await Store.SetBucketEncryptionAsync("c", null));
        Assert.Equal([new Tag("a", "b")], (await Store.GetBucketAsync("c"))!.Tags);
    }
}
