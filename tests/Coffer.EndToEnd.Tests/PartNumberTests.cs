using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>GET and HEAD ?partNumber=N return the bytes of one part, as S3 does.</summary>
[Collection(CofferCollection.Name)]
public sealed class PartNumberTests(CofferFixture f)
{
    [Fact]
    public async Task Part_number_reads_return_exactly_that_part_and_the_part_count()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket("pn");
        await s3.PutBucketAsync(bucket);
        var parts = new[] { RandomNumberGenerator.GetBytes(1024 * 1024), RandomNumberGenerator.GetBytes(1024 * 1024 + 17), RandomNumberGenerator.GetBytes(5) };
        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256 });
        var etags = new List<PartETag>();
        for (var i = 0; i < parts.Length; i++)
        {
            var up = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = i + 1, InputStream = new MemoryStream(parts[i]) });
            etags.Add(new PartETag(i + 1, up.ETag));
        }
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = etags });

        for (var i = 0; i < parts.Length; i++)
        {
            using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "mp", PartNumber = i + 1 });
            using var ms = new MemoryStream();
            await get.ResponseStream.CopyToAsync(ms);
            Assert.Equal(parts[i], ms.ToArray());
            Assert.Equal(3, get.PartsCount);
        }
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = "mp", PartNumber = 2 });
        Assert.Equal(parts[1].Length, head.ContentLength);

        var beyond = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "mp", PartNumber = 4 }));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, beyond.StatusCode);
        Assert.Equal("InvalidPartNumber", beyond.ErrorCode);
    }

    [Fact]
    public async Task A_single_put_object_has_one_part()
    {
        using var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket("pn");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "one", ContentBody = "single" });
        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "one", PartNumber = 1 });
        Assert.Equal("single", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        var two = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "one", PartNumber = 2 }));
        Assert.Equal("InvalidPartNumber", two.ErrorCode);
    }
}
