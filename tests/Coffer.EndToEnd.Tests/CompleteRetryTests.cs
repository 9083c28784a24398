using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// CompleteMultipartUpload sent again after it succeeded (an SDK retrying after a lost answer), through AWSSDK.S3:
/// the same answer while the object it made is the key's current one, NoSuchUpload otherwise.
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class CompleteRetryTests(CofferFixture f)
{
    private const int MiB = 1024 * 1024;

    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync(bool https = false)
    {
        var s3 = Clients.S3(f, https);
        var bucket = CofferFixture.NewBucket("retry");
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    private static async Task<CompleteMultipartUploadRequest> UploadAsync(AmazonS3Client s3, string bucket, string key, Action<InitiateMultipartUploadRequest>? initiate = null,
        Action<UploadPartRequest>? part = null)
    {
        var init = new InitiateMultipartUploadRequest { BucketName = bucket, Key = key };
        initiate?.Invoke(init);
        var upload = await s3.InitiateMultipartUploadAsync(init);
        var etags = new List<PartETag>();
        foreach (var (number, size) in new[] { (1, MiB), (2, 100) })
        {
            var request = new UploadPartRequest
            {
                BucketName = bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartNumber = number,
                InputStream = new MemoryStream(SeededData.Bytes((ulong)number, 0, size)),
            };
            part?.Invoke(request);
            etags.Add(new PartETag(number, (await s3.UploadPartAsync(request)).ETag));
        }
        return new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = etags };
    }

    private static async Task<AmazonS3Exception> NoSuchUploadAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(call);
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchUpload"), (e.StatusCode, e.ErrorCode));
        return e;
    }

    [Fact]
    public async Task A_repeated_complete_answers_the_same_result_while_its_object_is_current()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var complete = await UploadAsync(s3, bucket, "mp");
        var first = await s3.CompleteMultipartUploadAsync(complete);
        var lastModified = (await s3.GetObjectMetadataAsync(bucket, "mp")).LastModified;

        var again = await s3.CompleteMultipartUploadAsync(complete);
        Assert.Equal(HttpStatusCode.OK, again.HttpStatusCode);
        Assert.Equal((first.ETag, first.Location, first.BucketName, first.Key), (again.ETag, again.Location, again.BucketName, again.Key));
        // Nothing was written a second time.
        Assert.Equal(lastModified, (await s3.GetObjectMetadataAsync(bucket, "mp")).LastModified);

        // Tags change the object's metadata, not which object it is.
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "mp", Tagging = new Tagging { TagSet = [new Tag { Key = "a", Value = "b" }] } });
        Assert.Equal(first.ETag, (await s3.CompleteMultipartUploadAsync(complete)).ETag);

        // Another part list is not this completion: NoSuchUpload.
        var fewer = new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = complete.UploadId, PartETags = [complete.PartETags[0]] };
        await NoSuchUploadAsync(() => s3.CompleteMultipartUploadAsync(fewer));
        // Under another key, the upload id means nothing.
        var elsewhere = new CompleteMultipartUploadRequest { BucketName = bucket, Key = "other", UploadId = complete.UploadId, PartETags = complete.PartETags };
        await NoSuchUploadAsync(() => s3.CompleteMultipartUploadAsync(elsewhere));
        // The upload itself is gone: its parts cannot be listed, nor can it be aborted.
        await NoSuchUploadAsync(() => s3.ListPartsAsync(bucket, "mp", complete.UploadId));
    }

    [Fact]
    public async Task Once_the_object_is_overwritten_or_deleted_a_repeat_is_no_such_upload()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var overwritten = await UploadAsync(s3, bucket, "over");
        await s3.CompleteMultipartUploadAsync(overwritten);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "over", ContentBody = "newer" });
        await NoSuchUploadAsync(() => s3.CompleteMultipartUploadAsync(overwritten));

        var deleted = await UploadAsync(s3, bucket, "gone");
        await s3.CompleteMultipartUploadAsync(deleted);
        await s3.DeleteObjectAsync(bucket, "gone");
        await NoSuchUploadAsync(() => s3.CompleteMultipartUploadAsync(deleted));

        // A newer upload into the key: the older upload's repeat no longer matches the current object.
        var older = await UploadAsync(s3, bucket, "twice");
        await s3.CompleteMultipartUploadAsync(older);
        var newer = await UploadAsync(s3, bucket, "twice");
        var newerResult = await s3.CompleteMultipartUploadAsync(newer);
        await NoSuchUploadAsync(() => s3.CompleteMultipartUploadAsync(older));
        Assert.Equal(newerResult.ETag, (await s3.CompleteMultipartUploadAsync(newer)).ETag);
    }

    [Fact]
    public async Task Two_completes_racing_on_one_upload_both_succeed_with_one_object()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var complete = await UploadAsync(s3, bucket, "race");
        var results = await Task.WhenAll(s3.CompleteMultipartUploadAsync(complete), s3.CompleteMultipartUploadAsync(complete));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.HttpStatusCode));
        Assert.Equal(results[0].ETag, results[1].ETag);
        Assert.Equal(results[0].ETag, (await s3.GetObjectMetadataAsync(bucket, "race")).ETag);
    }

    [Fact]
    public async Task A_repeated_complete_of_an_sse_c_upload_takes_its_key_again_and_refuses_a_wrong_one()
    {
        var (s3, bucket) = await NewBucketAsync(https: true);
        using var _ = s3;
        var complete = await UploadAsync(s3, bucket, "c",
            init =>
            {
                init.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                init.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
            },
            part =>
            {
                part.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                part.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
            });
        var first = await s3.CompleteMultipartUploadAsync(complete);

        complete.SSECustomerAlgorithm = ServerSideEncryptionCustomerMethod.AES256;
        complete.SSECustomerKey = SseKeys.KeyA;
        complete.SSECustomerKeyMD5 = SseKeys.KeyAMd5;
        var again = await s3.CompleteMultipartUploadAsync(complete);
        Assert.Equal(first.ETag, again.ETag);

        complete.SSECustomerKey = SseKeys.KeyB;
        complete.SSECustomerKeyMD5 = SseKeys.KeyBMd5;
        var wrong = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(complete));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
    }
}
