using System.Diagnostics;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Conditional writes through AWSSDK.S3: <c>If-None-Match: *</c> and <c>If-Match</c> on PutObject, CopyObject
/// (the destination) and CompleteMultipartUpload, their refusals, and two writers racing on one key.
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class ConditionalWriteTests(CofferFixture f)
{
    private const int MiB = 1024 * 1024;

    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync()
    {
        var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket("cond");
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    private static async Task<AmazonS3Exception> RefusedAsync(Func<Task> call, HttpStatusCode status, string code)
    {
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(call);
        Assert.Equal(status, e.StatusCode);
        Assert.Equal(code, e.ErrorCode);
        return e;
    }

    private static async Task<string> ReadAsync(AmazonS3Client s3, string bucket, string key)
    {
        using var get = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(get.ResponseStream).ReadToEndAsync();
    }

    [Fact]
    public async Task Put_with_if_none_match_star_creates_once_then_answers_412_and_keeps_the_first_object()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var first = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "first", IfNoneMatch = "*" });
        Assert.Equal(HttpStatusCode.OK, first.HttpStatusCode);

        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "second", IfNoneMatch = "*" }),
            HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        Assert.Equal("first", await ReadAsync(s3, bucket, "k"));
        Assert.Equal(first.ETag, (await s3.GetObjectMetadataAsync(bucket, "k")).ETag);
    }

    [Fact]
    public async Task Put_with_if_match_overwrites_only_the_named_etag_and_a_missing_key_is_404()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", IfMatch = "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"" }),
            HttpStatusCode.NotFound, "NoSuchKey");
        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", IfMatch = "*" }),
            HttpStatusCode.NotFound, "NoSuchKey");

        var v1 = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v1" });
        var v2 = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v2", IfMatch = v1.ETag });
        Assert.Equal("v2", await ReadAsync(s3, bucket, "k"));

        // The first ETag is stale now: a writer that read v1 loses, and v2 stays.
        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v3", IfMatch = v1.ETag }),
            HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        Assert.Equal("v2", await ReadAsync(s3, bucket, "k"));
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v3", IfMatch = v2.ETag.Trim('"') });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v4", IfMatch = "*" });
        Assert.Equal("v4", await ReadAsync(s3, bucket, "k"));
    }

    [Fact]
    public async Task Unsupported_condition_forms_on_a_write_are_refused_and_write_nothing()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var etag = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "kept" })).ETag;

        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", IfNoneMatch = etag }),
            HttpStatusCode.NotImplemented, "NotImplemented");
        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", IfNoneMatch = "*", IfMatch = etag }),
            HttpStatusCode.NotImplemented, "NotImplemented");
        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", IfMatch = $"{etag}, \"abc\"" }),
            HttpStatusCode.BadRequest, "InvalidArgument");
        Assert.Equal("kept", await ReadAsync(s3, bucket, "k"));
    }

    [Fact]
    public async Task Copy_checks_its_conditions_against_the_destination()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", ContentBody = "source" });
        var dst = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "dst", ContentBody = "destination" });

        await RefusedAsync(() => s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst", IfNoneMatch = "*" }),
            HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        await RefusedAsync(() => s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst", IfMatch = "\"00000000000000000000000000000000\"" }),
            HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        Assert.Equal("destination", await ReadAsync(s3, bucket, "dst"));

        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst", IfMatch = dst.ETag });
        Assert.Equal("source", await ReadAsync(s3, bucket, "dst"));
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "new", IfNoneMatch = "*" });
        Assert.Equal("source", await ReadAsync(s3, bucket, "new"));
    }

    [Fact]
    public async Task Complete_with_if_none_match_is_refused_over_an_existing_object_and_the_upload_can_complete_later()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var data = SeededData.Bytes(41, 0, MiB + 10);
        var upload = await s3.InitiateMultipartUploadAsync(bucket, "mp");
        var part = await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket,
            Key = "mp",
            UploadId = upload.UploadId,
            PartNumber = 1,
            InputStream = new MemoryStream(data),
        });
        var complete = new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "mp",
            UploadId = upload.UploadId,
            PartETags = [new PartETag(1, part.ETag)],
            IfNoneMatch = "*",
        };

        // Another writer creates the key while the upload runs: the conditional Complete loses, the upload stays.
        var other = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "mp", ContentBody = "other writer" });
        await RefusedAsync(() => s3.CompleteMultipartUploadAsync(complete), HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        Assert.Equal("other writer", await ReadAsync(s3, bucket, "mp"));
        Assert.Single((await s3.ListPartsAsync(bucket, "mp", upload.UploadId)).Parts);

        complete.IfNoneMatch = null;
        complete.IfMatch = "\"ffffffffffffffffffffffffffffffff\"";
        await RefusedAsync(() => s3.CompleteMultipartUploadAsync(complete), HttpStatusCode.PreconditionFailed, "PreconditionFailed");
        complete.IfMatch = other.ETag;
        await s3.CompleteMultipartUploadAsync(complete);
        using var get = await s3.GetObjectAsync(bucket, "mp");
        var read = new MemoryStream();
        await get.ResponseStream.CopyToAsync(read);
        Assert.Equal(data, read.ToArray());
    }

    [Fact]
    public async Task Of_two_puts_racing_with_if_none_match_star_exactly_one_wins_and_the_losers_data_is_reclaimed()
    {
        var scaled = new CofferFixture { TimeScale = 100 };
        await scaled.InitializeAsync();
        try
        {
            using var s3 = Clients.S3(scaled);
            var bucket = CofferFixture.NewBucket("race");
            await s3.PutBucketAsync(bucket);
            const int Keys = 8;
            for (var i = 0; i < Keys; i++)
            {
                // Past the inline limit, so every write's data is a blob of its own.
                var bodies = new[] { SeededData.Bytes((ulong)(2 * i), 0, 100_000), SeededData.Bytes((ulong)(2 * i + 1), 0, 100_000) };
                var outcomes = await Task.WhenAll(bodies.Select(async body =>
                {
                    try
                    {
                        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"k{i}", InputStream = new MemoryStream(body), IfNoneMatch = "*" });
                        return HttpStatusCode.OK;
                    }
                    catch (AmazonS3Exception e)
                    {
                        Assert.Equal("PreconditionFailed", e.ErrorCode);
                        return e.StatusCode;
                    }
                }));
                Assert.Single(outcomes, HttpStatusCode.OK);
                Assert.Single(outcomes, HttpStatusCode.PreconditionFailed);

                using var get = await s3.GetObjectAsync(bucket, $"k{i}");
                var read = new MemoryStream();
                await get.ResponseStream.CopyToAsync(read);
                Assert.Equal(bodies[Array.IndexOf(outcomes, HttpStatusCode.OK)], read.ToArray());
            }

            // One blob per key once the scaled grace has passed: a losing write leaves no data behind.
            var blobs = Path.Combine(scaled.DataDirectory, "blobs");
            var watch = Stopwatch.StartNew();
            while (Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Count() > Keys && watch.Elapsed < TimeSpan.FromSeconds(10))
                await Task.Delay(20);
            Assert.Equal(Keys, Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Count());
        }
        finally
        {
            await scaled.DisposeAsync();
        }
    }
}
