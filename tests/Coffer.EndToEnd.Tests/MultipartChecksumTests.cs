using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// S3 multipart checksums through AWSSDK.S3: the algorithm and type set at initiation, per-part checksums in the
/// Complete body checked against what each part was stored with, and the COMPOSITE / FULL_OBJECT object checksum.
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class MultipartChecksumTests(CofferFixture f)
{
    private const int MiB = 1024 * 1024;

    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync()
    {
        var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket("cks");
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    private static async Task<(string UploadId, List<UploadPartResponse> Parts, byte[][] Data)> UploadAsync(AmazonS3Client s3, string bucket, string key,
        ChecksumAlgorithm algorithm, ChecksumType? type = null)
    {
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key, ChecksumAlgorithm = algorithm, ChecksumType = type });
        Assert.Equal(algorithm, init.ChecksumAlgorithm);
        byte[][] data = [SeededData.Bytes(1, 0, MiB), SeededData.Bytes(2, 0, MiB + 3), SeededData.Bytes(3, 0, 1000)];
        var parts = new List<UploadPartResponse>();
        for (var i = 0; i < data.Length; i++)
            parts.Add(await s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket,
                Key = key,
                UploadId = init.UploadId,
                PartNumber = i + 1,
                InputStream = new MemoryStream(data[i]),
                ChecksumAlgorithm = algorithm,
            }));
        return (init.UploadId, parts, data);
    }

    [Fact]
    public async Task A_sha256_upload_completes_with_the_composite_checksum_reported_as_s3_reports_it()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var (uploadId, parts, data) = await UploadAsync(s3, bucket, "sha", ChecksumAlgorithm.SHA256);
        var partSums = data.Select(d => SHA256.HashData(d)).ToList();
        Assert.Equal(partSums.Select(Convert.ToBase64String), parts.Select(p => p.ChecksumSHA256));
        var expected = Convert.ToBase64String(SHA256.HashData(partSums.SelectMany(x => x).ToArray())) + "-3";

        var listed = await s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "sha", UploadId = uploadId });
        Assert.Equal(ChecksumAlgorithm.SHA256, listed.ChecksumAlgorithm);
        Assert.Equal(parts.Select(p => p.ChecksumSHA256), listed.Parts.Select(p => p.ChecksumSHA256));

        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "sha",
            UploadId = uploadId,
            PartETags = parts.Select((p, i) => new PartETag(p, true) { PartNumber = i + 1 }).ToList(),
        });
        Assert.Equal(expected, done.ChecksumSHA256);
        Assert.Equal(ChecksumType.COMPOSITE, done.ChecksumType);

        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "sha", ChecksumMode = ChecksumMode.ENABLED });
        Assert.Equal(expected, head.ChecksumSHA256);
        Assert.Equal(ChecksumType.COMPOSITE, head.ChecksumType);
        var attributes = await s3.GetObjectAttributesAsync(new GetObjectAttributesRequest { BucketName = bucket, Key = "sha", ObjectAttributes = [ObjectAttributes.Checksum] });
        Assert.Equal(expected[..^2], attributes.Checksum.ChecksumSHA256);
        Assert.Equal(ChecksumType.COMPOSITE, attributes.Checksum.ChecksumType);

        // The SDK skips validating a composite value (it has "-N"): a whole download works.
        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "sha", ChecksumMode = ChecksumMode.ENABLED });
        var read = new MemoryStream();
        await get.ResponseStream.CopyToAsync(read);
        Assert.Equal(data.SelectMany(d => d).ToArray(), read.ToArray());
    }

    [Fact]
    public async Task A_crc32_full_object_upload_gets_the_crc_of_the_whole_object()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var (uploadId, parts, data) = await UploadAsync(s3, bucket, "crc", ChecksumAlgorithm.CRC32, ChecksumType.FULL_OBJECT);
        var crc = new System.IO.Hashing.Crc32();
        foreach (var d in data)
            crc.Append(d);
        var expected = Convert.ToBase64String(crc.GetCurrentHash().Reverse().ToArray());

        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "crc",
            UploadId = uploadId,
            PartETags = parts.Select((p, i) => new PartETag(p, true) { PartNumber = i + 1 }).ToList(),
        });
        Assert.Equal(expected, done.ChecksumCRC32);
        Assert.Equal(ChecksumType.FULL_OBJECT, done.ChecksumType);
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "crc", ChecksumMode = ChecksumMode.ENABLED });
        Assert.Equal((expected, ChecksumType.FULL_OBJECT), (head.ChecksumCRC32, head.ChecksumType));
    }

    [Fact]
    public async Task Wrong_or_missing_part_checksums_and_bad_combinations_are_refused_with_s3s_codes()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var (uploadId, parts, _) = await UploadAsync(s3, bucket, "k", ChecksumAlgorithm.SHA256);
        var etags = parts.Select((p, i) => new PartETag(p, true) { PartNumber = i + 1 }).ToList();

        var wrong = etags.Select(e => new PartETag(e.PartNumber ?? 0, e.ETag) { ChecksumSHA256 = e.ChecksumSHA256 }).ToList();
        wrong[1].ChecksumSHA256 = wrong[0].ChecksumSHA256;
        var e1 = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "k", UploadId = uploadId, PartETags = wrong }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidPart"), (e1.StatusCode, e1.ErrorCode));

        var missing = etags.Select(e => new PartETag(e.PartNumber ?? 0, e.ETag)).ToList();
        var e2 = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "k", UploadId = uploadId, PartETags = missing }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (e2.StatusCode, e2.ErrorCode));

        // A part sent with another algorithm than the upload's is refused and not stored.
        var e3 = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket,
            Key = "k",
            UploadId = uploadId,
            PartNumber = 4,
            InputStream = new MemoryStream([1, 2, 3]),
            ChecksumAlgorithm = ChecksumAlgorithm.CRC32,
        }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (e3.StatusCode, e3.ErrorCode));
        Assert.Equal(3, (await s3.ListPartsAsync(bucket, "k", uploadId)).Parts.Count);

        // The upload is still whole: the right list completes it.
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "k", UploadId = uploadId, PartETags = etags });

        var e4 = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "x",
            ChecksumAlgorithm = ChecksumAlgorithm.SHA256,
            ChecksumType = ChecksumType.FULL_OBJECT,
        }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (e4.StatusCode, e4.ErrorCode));
        var e5 = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "x",
            ChecksumAlgorithm = ChecksumAlgorithm.CRC64NVME,
            ChecksumType = ChecksumType.COMPOSITE,
        }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (e5.StatusCode, e5.ErrorCode));
    }

    [Fact]
    public async Task Per_part_checksums_are_checked_even_when_the_upload_named_no_algorithm()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var init = await s3.InitiateMultipartUploadAsync(bucket, "plain");
        var part = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket,
            Key = "plain",
            UploadId = init.UploadId,
            PartNumber = 1,
            InputStream = new MemoryStream(SeededData.Bytes(9, 0, 100)),
            ChecksumAlgorithm = ChecksumAlgorithm.CRC32C,
        });
        var bad = new PartETag(1, part.ETag) { ChecksumCRC32C = "AAAAAA==" };
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "plain", UploadId = init.UploadId, PartETags = [bad] }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidPart"), (e.StatusCode, e.ErrorCode));

        var done = await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "plain", UploadId = init.UploadId, PartETags = [new PartETag(part, true)] });
        Assert.Null(done.ChecksumCRC32C);
    }
}
