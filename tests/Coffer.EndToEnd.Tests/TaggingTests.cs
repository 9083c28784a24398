using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>Object and bucket tagging through AWSSDK.S3 (the S3 dialect): the calls, the headers on writes and reads, and every rejection.</summary>
[Collection(CofferCollection.Name)]
public sealed class TaggingTests(CofferFixture f)
{
    private const int MiB = 1024 * 1024;

    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync()
    {
        var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket("tag");
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    private static List<Tag> Tags(params (string Key, string Value)[] pairs) => pairs.Select(p => new Tag { Key = p.Key, Value = p.Value }).ToList();

    private static IEnumerable<(string, string)> Pairs(IEnumerable<Tag>? tags) => (tags ?? []).Select(t => (t.Key, t.Value ?? ""));

    private static async Task<IEnumerable<(string, string)>> ObjectTagsAsync(AmazonS3Client s3, string bucket, string key) =>
        Pairs((await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = key })).Tagging);

    private static Task PutTagsAsync(AmazonS3Client s3, string bucket, string key, List<Tag> tags) =>
        s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = key, Tagging = new Tagging { TagSet = tags } });

    private static async Task<AmazonS3Exception> RefusedAsync(Func<Task> call, HttpStatusCode status, string code, string? messagePart = null)
    {
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(call);
        Assert.Equal(status, e.StatusCode);
        Assert.Equal(code, e.ErrorCode);
        if (messagePart is not null)
            Assert.Contains(messagePart, e.Message);
        return e;
    }

    [Fact]
    public async Task Object_tags_are_put_read_replaced_and_deleted_and_counted_on_get_and_head()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "hello" });

        // An untagged object: an empty TagSet, and no count header.
        Assert.Empty(await ObjectTagsAsync(s3, bucket, "k"));
        using (var plain = await s3.GetObjectAsync(bucket, "k"))
            Assert.False(plain.TagCount > 0);

        await PutTagsAsync(s3, bucket, "k", Tags(("project", "blue"), ("Ünï cøde", "a+b-c=d.e_f:g/h@i"), ("empty", "")));
        Assert.Equal([("project", "blue"), ("Ünï cøde", "a+b-c=d.e_f:g/h@i"), ("empty", "")], await ObjectTagsAsync(s3, bucket, "k"));
        using (var get = await s3.GetObjectAsync(bucket, "k"))
        {
            Assert.Equal(3, get.TagCount);
            Assert.Equal("hello", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        }
        Assert.Equal(3, (await s3.GetObjectMetadataAsync(bucket, "k")).TagsCount);

        // PUT replaces the whole set; DELETE clears it (204) and leaves the object.
        await PutTagsAsync(s3, bucket, "k", Tags(("only", "one")));
        Assert.Equal([("only", "one")], await ObjectTagsAsync(s3, bucket, "k"));
        var deleted = await s3.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = bucket, Key = "k" });
        Assert.Equal(HttpStatusCode.NoContent, deleted.HttpStatusCode);
        Assert.Empty(await ObjectTagsAsync(s3, bucket, "k"));
        Assert.False((await s3.GetObjectMetadataAsync(bucket, "k")).TagsCount > 0);
        Assert.Equal(5, (await s3.GetObjectMetadataAsync(bucket, "k")).ContentLength);
    }

    [Fact]
    public async Task Tags_sent_with_put_belong_to_that_version_an_overwrite_replaces_them_and_a_delete_removes_them()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v1", TagSet = Tags(("a b", "c+d=e/f"), ("k2", "")) });
        Assert.Equal([("a b", "c+d=e/f"), ("k2", "")], await ObjectTagsAsync(s3, bucket, "k"));

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v2" });
        Assert.Empty(await ObjectTagsAsync(s3, bucket, "k"));

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v3", TagSet = Tags(("x", "y")) });
        await s3.DeleteObjectAsync(bucket, "k");
        await RefusedAsync(() => ObjectTagsAsync(s3, bucket, "k"), HttpStatusCode.NotFound, "NoSuchKey");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v4" });
        Assert.Empty(await ObjectTagsAsync(s3, bucket, "k"));
    }

    [Fact]
    public async Task Copy_copies_the_source_tags_by_default_and_takes_the_requests_with_replace()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", ContentBody = "data", TagSet = Tags(("from", "source")) });

        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "copied" });
        Assert.Equal([("from", "source")], await ObjectTagsAsync(s3, bucket, "copied"));

        // COPY (explicit) ignores a tagging header; REPLACE takes it, or none.
        await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = "src",
            DestinationBucket = bucket,
            DestinationKey = "copy-explicit",
            TaggingDirective = TaggingDirective.COPY,
            TagSet = Tags(("ignored", "yes")),
        });
        Assert.Equal([("from", "source")], await ObjectTagsAsync(s3, bucket, "copy-explicit"));
        await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = "src",
            DestinationBucket = bucket,
            DestinationKey = "replaced",
            TaggingDirective = TaggingDirective.REPLACE,
            TagSet = Tags(("new", "tag")),
        });
        Assert.Equal([("new", "tag")], await ObjectTagsAsync(s3, bucket, "replaced"));
        await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = "src",
            DestinationBucket = bucket,
            DestinationKey = "cleared",
            TaggingDirective = TaggingDirective.REPLACE,
        });
        Assert.Empty(await ObjectTagsAsync(s3, bucket, "cleared"));
        Assert.Equal([("from", "source")], await ObjectTagsAsync(s3, bucket, "src"));

        // A storage-class change onto itself (a rewrite of the row) keeps the tags.
        await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = "src",
            DestinationBucket = bucket,
            DestinationKey = "src",
            StorageClass = S3StorageClass.StandardInfrequentAccess,
        });
        Assert.Equal([("from", "source")], await ObjectTagsAsync(s3, bucket, "src"));
    }

    [Fact]
    public async Task Tags_given_at_multipart_initiation_land_on_the_object_at_completion()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp", TagSet = Tags(("stage", "raw"), ("team", "x")) });
        var data = RandomNumberGenerator.GetBytes(5 * MiB + 10);
        var etags = new List<PartETag>();
        for (var (n, offset) = (1, 0); offset < data.Length; n++, offset += 5 * MiB)
        {
            var length = Math.Min(5 * MiB, data.Length - offset);
            var part = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = n, InputStream = new MemoryStream(data, offset, length) });
            etags.Add(new PartETag(n, part.ETag));
        }
        // Not an object before completion.
        await RefusedAsync(() => ObjectTagsAsync(s3, bucket, "mp"), HttpStatusCode.NotFound, "NoSuchKey");
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = etags });

        Assert.Equal([("stage", "raw"), ("team", "x")], await ObjectTagsAsync(s3, bucket, "mp"));
        Assert.Equal(2, (await s3.GetObjectMetadataAsync(bucket, "mp")).TagsCount);
    }

    [Fact]
    public async Task Bucket_tags_are_put_read_and_deleted_and_a_bucket_without_tags_answers_NoSuchTagSet()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await RefusedAsync(() => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }), HttpStatusCode.NotFound, "NoSuchTagSet");

        var fifty = Enumerable.Range(0, 50).Select(i => new Tag { Key = $"k{i:D2}", Value = new string('v', 256) }).ToList();
        var put = await s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = fifty });
        Assert.Equal(HttpStatusCode.NoContent, put.HttpStatusCode);
        Assert.Equal(Pairs(fifty), Pairs((await s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket })).TagSet));

        await s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = Tags(("cost-center", "42")) });
        Assert.Equal([("cost-center", "42")], Pairs((await s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket })).TagSet));

        var deleted = await s3.DeleteBucketTaggingAsync(new DeleteBucketTaggingRequest { BucketName = bucket });
        Assert.Equal(HttpStatusCode.NoContent, deleted.HttpStatusCode);
        await RefusedAsync(() => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }), HttpStatusCode.NotFound, "NoSuchTagSet");

        // Bucket tags are not object tags.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });
        await s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = Tags(("b", "1")) });
        Assert.Empty(await ObjectTagsAsync(s3, bucket, "k"));
    }

    [Fact]
    public async Task The_limits_accept_the_largest_valid_tags()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });
        var ten = Enumerable.Range(0, 10).Select(i => new Tag { Key = new string((char)('a' + i), 128), Value = new string('é', 256) }).ToList();
        await PutTagsAsync(s3, bucket, "k", ten);
        Assert.Equal(Pairs(ten), await ObjectTagsAsync(s3, bucket, "k"));
        // 128 characters that take 4 UTF-8 bytes each (and two UTF-16 units) count as 128.
        var wide = string.Concat(Enumerable.Repeat("𝒜", 128));
        await PutTagsAsync(s3, bucket, "k", Tags((wide, "")));
        Assert.Equal([(wide, "")], await ObjectTagsAsync(s3, bucket, "k"));
    }

    /// <summary>One invalid tag each: key, value, and which of the two the message names.</summary>
    public static TheoryData<string, string, string> InvalidTags => new()
    {
        { "", "v", "TagKey" },
        { new string('k', 129), "v", "TagKey" },
        { "k", new string('v', 257), "TagValue" },
        { "a*b", "v", "TagKey" },
        { "k", "a#b", "TagValue" },
        { "k", "a\tb", "TagValue" },
        { "aws:createdBy", "v", "TagKey" },
        { "AWS:x", "v", "TagKey" },
    };

    [Theory]
    [MemberData(nameof(InvalidTags))]
    public async Task Invalid_tags_are_refused_with_InvalidTag_on_tagging_put_copy_initiate_and_bucket_tagging(string key, string value, string which)
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", TagSet = Tags(("keep", "me")) });

        await RefusedAsync(() => PutTagsAsync(s3, bucket, "k", Tags((key, value))), HttpStatusCode.BadRequest, "InvalidTag", which);
        Assert.Equal([("keep", "me")], await ObjectTagsAsync(s3, bucket, "k"));

        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "new", ContentBody = "x", TagSet = Tags((key, value)) }),
            HttpStatusCode.BadRequest, "InvalidTag", which);
        await RefusedAsync(() => s3.GetObjectMetadataAsync(bucket, "new"), HttpStatusCode.NotFound, "NotFound");
        await RefusedAsync(() => s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = "k",
            DestinationBucket = bucket,
            DestinationKey = "copy",
            TaggingDirective = TaggingDirective.REPLACE,
            TagSet = Tags((key, value)),
        }), HttpStatusCode.BadRequest, "InvalidTag", which);
        await RefusedAsync(() => s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp", TagSet = Tags((key, value)) }),
            HttpStatusCode.BadRequest, "InvalidTag", which);
        await RefusedAsync(() => s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = Tags((key, value)) }),
            HttpStatusCode.BadRequest, "InvalidTag", which);
        Assert.Empty((await s3.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
    }

    [Fact]
    public async Task Duplicate_keys_are_refused_and_keys_are_case_sensitive()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });
        await RefusedAsync(() => PutTagsAsync(s3, bucket, "k", Tags(("dup", "1"), ("dup", "2"))), HttpStatusCode.BadRequest, "InvalidTag", "same key");
        await RefusedAsync(() => s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = Tags(("dup", "1"), ("dup", "2")) }),
            HttpStatusCode.BadRequest, "InvalidTag", "'dup'");
        await PutTagsAsync(s3, bucket, "k", Tags(("Dup", "1"), ("dup", "2")));
        Assert.Equal([("Dup", "1"), ("dup", "2")], await ObjectTagsAsync(s3, bucket, "k"));
    }

    [Fact]
    public async Task More_than_10_object_tags_or_50_bucket_tags_are_refused_with_BadRequest()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });
        var eleven = Enumerable.Range(0, 11).Select(i => new Tag { Key = $"k{i}", Value = "v" }).ToList();
        await RefusedAsync(() => PutTagsAsync(s3, bucket, "k", eleven), HttpStatusCode.BadRequest, "BadRequest", "Object tags cannot be greater than 10");
        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k2", ContentBody = "x", TagSet = eleven }),
            HttpStatusCode.BadRequest, "BadRequest", "greater than 10");
        var fiftyOne = Enumerable.Range(0, 51).Select(i => new Tag { Key = $"k{i}", Value = "v" }).ToList();
        await RefusedAsync(() => s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = fiftyOne }),
            HttpStatusCode.BadRequest, "BadRequest", "Bucket tag count cannot be greater than 50");
        await RefusedAsync(() => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }), HttpStatusCode.NotFound, "NoSuchTagSet");
    }

    [Fact]
    public async Task A_tagging_header_that_does_not_parse_is_InvalidArgument_and_a_bad_directive_too()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        foreach (var header in new[] { "a=%zz", "a=b&&c=d", "k=%FF%FE" })
        {
            var put = new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" };
            put.Headers["x-amz-tagging"] = header;
            await RefusedAsync(() => s3.PutObjectAsync(put), HttpStatusCode.BadRequest, "InvalidArgument", "x-amz-tagging");
        }
        await RefusedAsync(() => s3.GetObjectMetadataAsync(bucket, "k"), HttpStatusCode.NotFound, "NotFound");

        var bare = new PutObjectRequest { BucketName = bucket, Key = "bare", ContentBody = "x" };
        bare.Headers["x-amz-tagging"] = "flag&k=v+w";
        await s3.PutObjectAsync(bare);
        Assert.Equal([("flag", ""), ("k", "v w")], await ObjectTagsAsync(s3, bucket, "bare"));

        var copy = new CopyObjectRequest { SourceBucket = bucket, SourceKey = "bare", DestinationBucket = bucket, DestinationKey = "c" };
        copy.Headers["x-amz-tagging-directive"] = "MERGE";
        await RefusedAsync(() => s3.CopyObjectAsync(copy), HttpStatusCode.BadRequest, "InvalidArgument", "tagging directive");
    }

    [Fact]
    public async Task Tagging_a_missing_object_or_version_is_not_found()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await RefusedAsync(() => PutTagsAsync(s3, bucket, "missing", Tags(("a", "b"))), HttpStatusCode.NotFound, "NoSuchKey");
        await RefusedAsync(() => s3.DeleteObjectTaggingAsync(new DeleteObjectTaggingRequest { BucketName = bucket, Key = "missing" }), HttpStatusCode.NotFound, "NoSuchKey");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });
        await RefusedAsync(() => s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = "3HL4kqtJlcpXroDTDmJ" }),
            HttpStatusCode.NotFound, "NoSuchVersion");
        Assert.Empty(Pairs((await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = "k", VersionId = "null" })).Tagging));
        await RefusedAsync(() => s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8], Key = "k" }),
            HttpStatusCode.NotFound, "NoSuchBucket");
    }
}
