using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>GetObjectAttributes (<c>GET /key?attributes</c>) through AWSSDK.S3: each attribute, part paging, SSE-C, and the refusals.</summary>
[Collection(CofferCollection.Name)]
public sealed class GetObjectAttributesTests(CofferFixture f)
{
    private const int MiB = 1024 * 1024;

    private static readonly List<ObjectAttributes> All =
        [ObjectAttributes.ETag, ObjectAttributes.Checksum, ObjectAttributes.ObjectParts, ObjectAttributes.StorageClass, ObjectAttributes.ObjectSize];

    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync(bool https = false)
    {
        var s3 = Clients.S3(f, https);
        var bucket = CofferFixture.NewBucket("attr");
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    private static Task<GetObjectAttributesResponse> AttributesAsync(AmazonS3Client s3, string bucket, string key, List<ObjectAttributes>? wanted = null,
        int? maxParts = null, int? marker = null) =>
        s3.GetObjectAttributesAsync(new GetObjectAttributesRequest
        {
            BucketName = bucket,
            Key = key,
            ObjectAttributes = wanted ?? All,
            MaxParts = maxParts,
            PartNumberMarker = marker,
        });

    [Fact]
    public async Task A_single_put_answers_etag_unquoted_size_class_and_its_full_object_checksum_and_no_parts()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var put = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = "k",
            ContentBody = "hello world",
            ChecksumAlgorithm = ChecksumAlgorithm.CRC32,
            StorageClass = S3StorageClass.StandardInfrequentAccess,
        });

        var attributes = await AttributesAsync(s3, bucket, "k");
        Assert.Equal(put.ETag.Trim('"'), attributes.ETag);
        Assert.Equal(11, attributes.ObjectSize);
        Assert.Equal(S3StorageClass.StandardInfrequentAccess, attributes.StorageClass);
        Assert.Equal("DUoRhQ==", attributes.Checksum.ChecksumCRC32);
        Assert.Equal(ChecksumType.FULL_OBJECT, attributes.Checksum.ChecksumType);
        Assert.Null(attributes.ObjectParts);
        Assert.True(attributes.LastModified > DateTime.UtcNow.AddMinutes(-5));

        // Only what was asked for comes back.
        var some = await AttributesAsync(s3, bucket, "k", [ObjectAttributes.ObjectSize]);
        Assert.Equal(11, some.ObjectSize);
        Assert.Null(some.ETag);
        Assert.Null(some.StorageClass);
        Assert.Null(some.Checksum);
    }

    [Fact]
    public async Task A_multipart_object_lists_its_parts_in_pages()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var sizes = new[] { MiB, MiB + 7, 10 };
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "mp");
        var etags = new List<PartETag>();
        for (var i = 0; i < sizes.Length; i++)
        {
            var part = await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket,
                Key = "mp",
                UploadId = upload.UploadId,
                PartNumber = i + 1,
                InputStream = new MemoryStream(SeededData.Bytes((ulong)i, 0, sizes[i])),
            });
            etags.Add(new PartETag(i + 1, part.ETag));
        }
        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = upload.UploadId, PartETags = etags });

        var all = await AttributesAsync(s3, bucket, "mp");
        Assert.Equal(done.ETag.Trim('"'), all.ETag);
        Assert.EndsWith("-3", all.ETag);
        Assert.Equal(sizes.Sum(), all.ObjectSize);
        Assert.Equal(3, all.ObjectParts.TotalPartsCount);
        Assert.False(all.ObjectParts.IsTruncated);
        Assert.Equal(sizes.Select((size, i) => (i + 1, (long)size)), all.ObjectParts.Parts.Select(p => (p.PartNumber ?? 0, p.Size ?? 0)));

        var first = await AttributesAsync(s3, bucket, "mp", [ObjectAttributes.ObjectParts], maxParts: 2);
        Assert.True(first.ObjectParts.IsTruncated);
        Assert.Equal(2, first.ObjectParts.MaxParts);
        Assert.Equal(2, first.ObjectParts.NextPartNumberMarker);
        Assert.Equal([1, 2], first.ObjectParts.Parts.Select(p => p.PartNumber ?? 0));
        var rest = await AttributesAsync(s3, bucket, "mp", [ObjectAttributes.ObjectParts], maxParts: 2, marker: 2);
        Assert.False(rest.ObjectParts.IsTruncated);
        Assert.Equal(3, Assert.Single(rest.ObjectParts.Parts).PartNumber);
    }

    [Fact]
    public async Task An_sse_c_object_needs_its_key_and_the_right_one()
    {
        var (s3, bucket) = await NewBucketAsync(https: true);
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = "c",
            ContentBody = "secret",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
        });

        var withKey = await s3.GetObjectAttributesAsync(new GetObjectAttributesRequest
        {
            BucketName = bucket,
            Key = "c",
            ObjectAttributes = All,
            SSECustomerAlgorithm = ServerSideEncryptionCustomerMethod.AES256,
            SSECustomerKey = SseKeys.KeyA,
            SSECustomerKeyMD5 = SseKeys.KeyAMd5,
        });
        Assert.Equal(6, withKey.ObjectSize);

        var noKey = await Assert.ThrowsAsync<AmazonS3Exception>(() => AttributesAsync(s3, bucket, "c"));
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        var wrongKey = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectAttributesAsync(new GetObjectAttributesRequest
        {
            BucketName = bucket,
            Key = "c",
            ObjectAttributes = All,
            SSECustomerAlgorithm = ServerSideEncryptionCustomerMethod.AES256,
            SSECustomerKey = SseKeys.KeyB,
            SSECustomerKeyMD5 = SseKeys.KeyBMd5,
        }));
        Assert.Equal(HttpStatusCode.Forbidden, wrongKey.StatusCode);
    }

    [Fact]
    public async Task A_missing_key_an_unknown_attribute_a_bad_max_parts_and_another_version_are_refused()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" });

        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => AttributesAsync(s3, bucket, "missing"));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchKey"), (missing.StatusCode, missing.ErrorCode));
        var unknown = await Assert.ThrowsAsync<AmazonS3Exception>(() => AttributesAsync(s3, bucket, "k", [new ObjectAttributes("Owner")]));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (unknown.StatusCode, unknown.ErrorCode));
        var badMax = await Assert.ThrowsAsync<AmazonS3Exception>(() => AttributesAsync(s3, bucket, "k", maxParts: -1));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (badMax.StatusCode, badMax.ErrorCode));
        var version = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectAttributesAsync(new GetObjectAttributesRequest
        {
            BucketName = bucket,
            Key = "k",
            ObjectAttributes = All,
            VersionId = "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd",
        }));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchVersion"), (version.StatusCode, version.ErrorCode));
        Assert.Equal(1, (await s3.GetObjectAttributesAsync(new GetObjectAttributesRequest { BucketName = bucket, Key = "k", ObjectAttributes = All, VersionId = "null" })).ObjectSize);
    }
}
