using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// Access control (the ACL migration): a bucket's ACL, Object Ownership and Block Public Access flags, each set and
/// removed on its own; an object's ACL (with its owner when that is not the bucket owner) is part of its row (an
/// overwrite replaces it, a delete removes it); an upload keeps the ACL given at initiation for its object.
/// </summary>
public abstract class AccessControlContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    private static readonly string Bob = new('b', 64);

    private static readonly AccessControlList PublicRead = new(null,
    [
        new AclGrant(AclGranteeKind.User, new string('a', 64), AclPermission.FullControl),
        new AclGrant(AclGranteeKind.AllUsers, null, AclPermission.Read),
    ]);

    private static readonly AccessControlList WrittenByBob = new(Bob,
    [
        new AclGrant(AclGranteeKind.User, Bob, AclPermission.FullControl),
        new AclGrant(AclGranteeKind.AuthenticatedUsers, null, AclPermission.ReadAcp),
        new AclGrant(AclGranteeKind.User, new string('a', 64), AclPermission.WriteAcp),
        new AclGrant(AclGranteeKind.User, new string('c', 64), AclPermission.Write),
    ]);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
    }

    [ContractFact]
    public async Task A_bucket_without_settings_has_none_and_each_setting_round_trips_on_its_own()
    {
        var bucket = (await Store.GetBucketAsync("b"))!;
        Assert.Null(bucket.Acl);
        Assert.Null(bucket.Ownership);
        Assert.Null(bucket.PublicAccessBlock);
        Assert.False(bucket.AclsDisabled);

        Assert.True(await Store.SetBucketAclAsync("b", PublicRead));
        Assert.True(await Store.SetBucketOwnershipAsync("b", ObjectOwnership.BucketOwnerPreferred));
        Assert.True(await Store.SetPublicAccessBlockAsync("b", new PublicAccessBlock(true, false, true, false)));
        bucket = (await Store.GetBucketAsync("b"))!;
        Assert.Equal(PublicRead, bucket.Acl);
        Assert.Equal(ObjectOwnership.BucketOwnerPreferred, bucket.Ownership);
        Assert.Equal(new PublicAccessBlock(true, false, true, false), bucket.PublicAccessBlock);
        Assert.Equal(bucket, (await Store.ListBucketsAsync("alice")).Single(x => x.Name == "b"));

        Assert.True(await Store.SetBucketOwnershipAsync("b", ObjectOwnership.BucketOwnerEnforced));
        Assert.True((await Store.GetBucketAsync("b"))!.AclsDisabled);
        Assert.True(await Store.SetBucketOwnershipAsync("b", null));
        Assert.True(await Store.SetPublicAccessBlockAsync("b", null));
        bucket = (await Store.GetBucketAsync("b"))!;
        Assert.Null(bucket.Ownership);
        Assert.Null(bucket.PublicAccessBlock);
        Assert.Equal(PublicRead, bucket.Acl);
        Assert.True(await Store.SetBucketAclAsync("b", null));
        Assert.Null((await Store.GetBucketAsync("b"))!.Acl);

        Assert.False(await Store.SetBucketAclAsync("missing", PublicRead));
        Assert.False(await Store.SetBucketOwnershipAsync("missing", ObjectOwnership.ObjectWriter));
        Assert.False(await Store.SetPublicAccessBlockAsync("missing", PublicAccessBlock.All));
    }

    [ContractFact]
    public async Task Every_public_access_block_flag_is_kept_apart_from_the_others()
    {
        foreach (var flags in Enumerable.Range(0, 16).Select(i => PublicAccessBlock.FromStored(i)))
        {
            Assert.True(await Store.SetPublicAccessBlockAsync("b", flags));
            Assert.Equal(flags, (await Store.GetBucketAsync("b"))!.PublicAccessBlock);
        }
    }

    [ContractFact]
    public async Task A_bucket_created_with_settings_has_them_and_they_do_not_touch_its_other_settings()
    {
        await Store.CreateBucketAsync(new BucketRecord("c", "alice", "ap-guangzhou", Sample.Instant, new BucketEncryption("AES256", null),
            Acl: PublicRead, Ownership: ObjectOwnership.BucketOwnerEnforced, PublicAccessBlock: PublicAccessBlock.All));
        var bucket = (await Store.GetBucketAsync("c"))!;
        Assert.Equal(PublicRead, bucket.Acl);
        Assert.Equal(ObjectOwnership.BucketOwnerEnforced, bucket.Ownership);
        Assert.Equal(PublicAccessBlock.All, bucket.PublicAccessBlock);

        Assert.True(await Store.SetBucketAclAsync("c", null));
        Assert.True(await Store.SetBucketTagsAsync("c", [new Tag("a", "b")]));
        bucket = (await Store.GetBucketAsync("c"))!;
        Assert.Equal(new BucketEncryption("AES256", null), bucket.Encryption);
        Assert.Equal(ObjectOwnership.BucketOwnerEnforced, bucket.Ownership);
        Assert.Equal(PublicAccessBlock.All, bucket.PublicAccessBlock);
    }

    [ContractFact]
    public async Task An_object_acl_and_its_owner_round_trip_and_an_overwrite_or_delete_replaces_them()
    {
        await Store.PutObjectAsync(Sample.Object("b", "k") with { Acl = WrittenByBob });
        await Store.PutObjectAsync(Sample.Object("b", "plain"));
        Assert.Equal(WrittenByBob, (await Store.GetObjectAsync("b", "k"))!.Acl);
        Assert.Null((await Store.GetObjectAsync("b", "plain"))!.Acl);
        var listed = await Store.ListObjectsAsync("b", "", null, null, 10);
        Assert.Equal(WrittenByBob, listed.Objects.Single(o => o.Key == "k").Acl);

        await Store.PutObjectAsync(Sample.Object("b", "k"));
        Assert.Null((await Store.GetObjectAsync("b", "k"))!.Acl);

        await Store.PutObjectAsync(Sample.Object("b", "k") with { Acl = PublicRead });
        Assert.Equal(PublicRead, (await Store.DeleteObjectAsync("b", "k"))!.Acl);
        await Store.PutObjectAsync(Sample.Object("b", "k"));
        Assert.Null((await Store.GetObjectAsync("b", "k"))!.Acl);
    }

    [ContractFact]
    public async Task Setting_an_object_acl_changes_only_the_acl_of_an_existing_object()
    {
        var obj = Sample.Object("b", "k") with { Tags = [new Tag("t", "v")] };
        await Store.PutObjectAsync(obj);

        Assert.True(await Store.SetObjectAclAsync("b", "k", WrittenByBob));
        var changed = await Store.GetObjectAsync("b", "k");
        AssertRecord.Equal(obj, changed);
        Assert.Equal(obj.Tags, changed!.Tags);
        Assert.Equal(WrittenByBob, changed.Acl);

        Assert.True(await Store.SetObjectAclAsync("b", "k", null));
        Assert.Null((await Store.GetObjectAsync("b", "k"))!.Acl);

        Assert.False(await Store.SetObjectAclAsync("b", "missing", PublicRead));
        Assert.False(await Store.SetObjectAclAsync("nobucket", "k", PublicRead));
        Assert.Null(await Store.GetObjectAsync("b", "missing"));
    }

    [ContractFact]
    public async Task An_upload_keeps_its_acl_and_completion_gives_it_to_the_object()
    {
        var at = Sample.Instant;
        var upload = new MultipartUpload { UploadId = MultipartUploadIds.New(at), Bucket = "b", Key = "mp", Initiated = at, Owner = Bob, Acl = WrittenByBob };
        var plain = upload with { UploadId = MultipartUploadIds.New(at.AddSeconds(1)), Acl = null };
        await Store.CreateUploadAsync(upload);
        await Store.CreateUploadAsync(plain);

        Assert.Equal(WrittenByBob, (await Store.GetUploadAsync("b", "mp", upload.UploadId))!.Acl);
        Assert.Null((await Store.GetUploadAsync("b", "mp", plain.UploadId))!.Acl);
        var listed = await Store.ListUploadsAsync("b", "", null, null, null, 10);
        Assert.Equal(WrittenByBob, listed.Uploads.Single(u => u.UploadId == upload.UploadId).Acl);

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
            Acl = parts.Upload.Acl,
        };
        Assert.Equal(CompleteUploadStatus.Completed, (await Store.CompleteUploadAsync(upload.UploadId, obj)).Status);
        Assert.Equal(WrittenByBob, (await Store.GetObjectAsync("b", "mp"))!.Acl);
    }
}
