using Coffer.Sdk.Tests.Infrastructure;
using static Coffer.Sdk.Tests.Infrastructure.TestData;

namespace Coffer.Sdk.Tests;

/// <summary>Object and bucket tagging through the SDK against a real server, with both signatures.</summary>
[Collection(ServerCollection.Name)]
public sealed class TaggingTests(ServerFixture fixture)
{
    public static TheoryData<SignatureVersion> Signatures => new() { SignatureVersion.CosV5, SignatureVersion.SigV4 };

    private static readonly CosTag[] Two = [new("project", "blue"), new("stage", "raw data")];

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Object_tagging_round_trips_and_the_count_is_on_get_and_head(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var put = new PutObjectRequest { Bucket = bucket, Key = "k", Body = "tagged" };
        foreach (var tag in Two)
            put.Tagging.Add(tag);
        await client.PutObjectAsync(put);

        Assert.Equal(Two, (await client.GetObjectTaggingAsync(bucket, "k")).TagSet);
        Assert.Equal(2, (await client.HeadObjectAsync(bucket, "k")).TaggingCount);
        await using (var get = await client.GetObjectAsync(bucket, "k"))
            Assert.Equal(2, get.TaggingCount);

        await client.PutObjectTaggingAsync(bucket, "k", [new CosTag("腾讯云", "a+b=c")]);
        Assert.Equal([new CosTag("腾讯云", "a+b=c")], (await client.GetObjectTaggingAsync(bucket, "k")).TagSet);
        await client.DeleteObjectTaggingAsync(bucket, "k");
        Assert.Empty((await client.GetObjectTaggingAsync(bucket, "k", versionId: "null")).TagSet);
        Assert.Equal(0, (await client.HeadObjectAsync(bucket, "k")).TaggingCount);

        var missing = await Assert.ThrowsAsync<CofferException>(() => client.PutObjectTaggingAsync(bucket, "missing", Two));
        Assert.Equal(ErrorCodes.NoSuchKey, missing.Code);
        var tooMany = await Assert.ThrowsAsync<CofferException>(() => client.PutObjectTaggingAsync(bucket, "k", Enumerable.Range(0, 11).Select(i => new CosTag($"k{i}", "v"))));
        Assert.Equal((ErrorCodes.BadRequest, 400), (tooMany.Code, tooMany.StatusCode));
        var invalid = await Assert.ThrowsAsync<CofferException>(() => client.PutObjectTaggingAsync(bucket, "k", [new CosTag("aws:reserved", "v")]));
        Assert.Equal(ErrorCodes.InvalidTag, invalid.Code);
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Bucket_tagging_round_trips_and_a_bucket_without_tags_is_NoSuchTagSet(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var none = await Assert.ThrowsAsync<CofferException>(() => client.GetBucketTaggingAsync(bucket));
        Assert.Equal((ErrorCodes.NoSuchTagSet, 404), (none.Code, none.StatusCode));

        await client.PutBucketTaggingAsync(bucket, Two);
        Assert.Equal(Two, (await client.GetBucketTaggingAsync(bucket)).TagSet);
        await client.DeleteBucketTaggingAsync(bucket);
        await Assert.ThrowsAsync<CofferException>(() => client.GetBucketTaggingAsync(bucket));
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Copy_takes_the_source_tags_or_with_Replaced_the_requests_and_multipart_initiate_takes_tags(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var put = new PutObjectRequest { Bucket = bucket, Key = "src", Body = "data" };
        put.Tagging.Add(new CosTag("from", "source"));
        await client.PutObjectAsync(put);

        await client.CopyObjectAsync(new CopyObjectRequest { Bucket = bucket, Key = "copied", CopySource = new CopySource(bucket, "src") });
        Assert.Equal([new CosTag("from", "source")], (await client.GetObjectTaggingAsync(bucket, "copied")).TagSet);
        var replace = new CopyObjectRequest { Bucket = bucket, Key = "replaced", CopySource = new CopySource(bucket, "src"), TaggingDirective = "Replaced" };
        replace.Tagging.Add(new CosTag("new", "1"));
        await client.CopyObjectAsync(replace);
        Assert.Equal([new CosTag("new", "1")], (await client.GetObjectTaggingAsync(bucket, "replaced")).TagSet);

        var init = new CreateMultipartUploadRequest { Bucket = bucket, Key = "mp" };
        init.Tagging.Add(new CosTag("mp", "yes"));
        var created = await client.CreateMultipartUploadAsync(init);
        var part = await client.UploadPartAsync(new UploadPartRequest { Bucket = bucket, Key = "mp", UploadId = created.UploadId, PartNumber = 1, Body = "p" });
        var complete = new CompleteMultipartUploadRequest { Bucket = bucket, Key = "mp", UploadId = created.UploadId };
        complete.Parts.Add(new CompletedPart(1, part.ETag!));
        await client.CompleteMultipartUploadAsync(complete);
        Assert.Equal([new CosTag("mp", "yes")], (await client.GetObjectTaggingAsync(bucket, "mp")).TagSet);
    }

    [Fact]
    public async Task The_transfer_managers_multipart_copy_carries_the_source_tags_and_upload_file_sends_its_own()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        var put = new PutObjectRequest { Bucket = bucket, Key = "src", Body = Bytes(2 * MiB + 1) };
        foreach (var tag in Two)
            put.Tagging.Add(tag);
        await client.PutObjectAsync(put);

        var copied = await client.CopyAsync(new CopyRequest { Bucket = bucket, Key = "dst", CopySource = new CopySource(bucket, "src"), CopyThreshold = MiB, PartSize = MiB });
        Assert.True(copied.Multipart);
        Assert.Equal(Two, (await client.GetObjectTaggingAsync(bucket, "dst")).TagSet);

        var replaced = new CopyRequest { Bucket = bucket, Key = "dst2", CopySource = new CopySource(bucket, "src"), CopyThreshold = MiB, PartSize = MiB, TaggingDirective = "Replaced" };
        replaced.Tagging.Add(new CosTag("mine", "only"));
        await client.CopyAsync(replaced);
        Assert.Equal([new CosTag("mine", "only")], (await client.GetObjectTaggingAsync(bucket, "dst2")).TagSet);

        var (path, _) = await FileAsync(fixture, 2 * MiB + 3);
        var upload = new UploadFileRequest { Bucket = bucket, Key = "file", LocalFilePath = path, MultipartThreshold = MiB, PartSize = MiB };
        upload.Tagging.Add(new CosTag("uploaded", "by sdk"));
        Assert.True((await client.UploadFileAsync(upload)).Multipart);
        Assert.Equal([new CosTag("uploaded", "by sdk")], (await client.GetObjectTaggingAsync(bucket, "file")).TagSet);
    }
}
