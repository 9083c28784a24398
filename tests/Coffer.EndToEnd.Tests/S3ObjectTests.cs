using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

[Collection(CofferCollection.Name)]
public sealed class S3ObjectTests(CofferFixture f)
{
    private async Task<(AmazonS3Client S3, string Bucket)> NewBucketAsync(bool https = false, bool virtualHosted = false)
    {
        var s3 = Clients.S3(f, https, virtualHosted);
        var bucket = CofferFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        return (s3, bucket);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task Put_get_head_round_trip_keeps_bytes_metadata_and_headers(bool https, bool virtualHosted)
    {
        var (s3, bucket) = await NewBucketAsync(https, virtualHosted);
        using var _ = s3;
        var data = RandomNumberGenerator.GetBytes(300_000);
        var put = new PutObjectRequest
        {
            BucketName = bucket,
            Key = "dir/file name+ü.bin",
            InputStream = new MemoryStream(data),
            ContentType = "application/x-test",
        };
        put.Metadata["color"] = "blue";
        put.Headers.CacheControl = "max-age=60";
        put.Headers.ContentDisposition = "attachment; filename=\"x.bin\"";
        var putResponse = await s3.PutObjectAsync(put);
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(data)) + "\"", putResponse.ETag);

        using var get = await s3.GetObjectAsync(bucket, "dir/file name+ü.bin");
        using var copy = new MemoryStream();
        await get.ResponseStream.CopyToAsync(copy);
        Assert.Equal(data, copy.ToArray());
        Assert.Equal(putResponse.ETag, get.ETag);
        Assert.Equal("application/x-test", get.Headers.ContentType);
        Assert.Equal("blue", get.Metadata["color"]);
        Assert.Equal("max-age=60", get.Headers.CacheControl);
        Assert.Equal("attachment; filename=\"x.bin\"", get.Headers.ContentDisposition);

        var head = await s3.GetObjectMetadataAsync(bucket, "dir/file name+ü.bin");
        Assert.Equal(data.Length, head.ContentLength);
        Assert.Equal(putResponse.ETag, head.ETag);
    }

    [Fact]
    public async Task Empty_and_one_byte_objects_round_trip()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        foreach (var body in new[] { "", "x" })
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "o" + body.Length, ContentBody = body });
            using var get = await s3.GetObjectAsync(bucket, "o" + body.Length);
            Assert.Equal(body, await new StreamReader(get.ResponseStream).ReadToEndAsync());
        }
    }

    [Fact]
    public async Task Overwrite_replaces_content_and_delete_removes_it()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "first" });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "second version" });
        using (var get = await s3.GetObjectAsync(bucket, "k"))
            Assert.Equal("second version", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        await s3.DeleteObjectAsync(bucket, "k");
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"));
        Assert.Equal("NoSuchKey", e.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        await s3.DeleteObjectAsync(bucket, "k"); // deleting a missing key succeeds
    }

    [Fact]
    public async Task Range_reads_return_206_with_content_range_and_416_when_unsatisfiable()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var data = RandomNumberGenerator.GetBytes(200_000);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "r", InputStream = new MemoryStream(data) });

        foreach (var (from, to) in new[] { (0L, 0L), (65535L, 65537L), (1000L, 199_999L), (131_071L, 131_072L) })
        {
            using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "r", ByteRange = new ByteRange(from, to) });
            using var ms = new MemoryStream();
            await get.ResponseStream.CopyToAsync(ms);
            Assert.Equal(data[(int)from..(int)(to + 1)], ms.ToArray());
            Assert.Equal(HttpStatusCode.PartialContent, get.HttpStatusCode);
            Assert.Equal($"bytes {from}-{to}/{data.Length}", get.ContentRange);
        }

        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "r", ByteRange = new ByteRange(300_000, 300_010) }));
        Assert.Equal("InvalidRange", e.ErrorCode);
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, e.StatusCode);
    }

    [Fact]
    public async Task Conditional_gets_answer_304_and_412()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var put = await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "c", ContentBody = "conditional" });

        var notModified = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", EtagToNotMatch = put.ETag }));
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        var failed = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", EtagToMatch = "\"0000\"" }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, failed.StatusCode);
        Assert.Equal("PreconditionFailed", failed.ErrorCode);
        var unmodified = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", UnmodifiedSinceDate = DateTime.UtcNow.AddDays(-1) }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, unmodified.StatusCode);
        var modifiedSince = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", ModifiedSinceDate = DateTime.UtcNow.AddDays(1) }));
        Assert.Equal(HttpStatusCode.NotModified, modifiedSince.StatusCode);

        using var ok = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "c", EtagToMatch = put.ETag });
        Assert.Equal(HttpStatusCode.OK, ok.HttpStatusCode);
    }

    [Fact]
    public async Task Response_overrides_replace_the_stored_headers_on_get()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "o", ContentBody = "x", ContentType = "text/plain" });
        var request = new GetObjectRequest { BucketName = bucket, Key = "o" };
        request.ResponseHeaderOverrides.ContentType = "application/json";
        request.ResponseHeaderOverrides.ContentDisposition = "inline";
        using var get = await s3.GetObjectAsync(request);
        Assert.Equal("application/json", get.Headers.ContentType);
        Assert.Equal("inline", get.Headers.ContentDisposition);
    }

    [Fact]
    public async Task Content_md5_mismatch_is_bad_digest_and_stores_nothing()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = "md5",
            ContentBody = "hello",
            MD5Digest = Convert.ToBase64String(MD5.HashData("other"u8)),
        }));
        Assert.Equal("BadDigest", e.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "md5"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Listing_v1_and_v2_page_through_prefixes_and_delimiters()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var keys = new[] { "a/1", "a/2", "a/b/3", "b", "c d", "c+e", "z/ü" };
        foreach (var key in keys)
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = key });

        var v2 = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Delimiter = "/" });
        Assert.Equal(new[] { "b", "c d", "c+e" }, v2.S3Objects.Select(o => o.Key));
        Assert.Equal(new[] { "a/", "z/" }, v2.CommonPrefixes);

        var all = new List<string>();
        string? token = null;
        do
        {
            var page = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 2, ContinuationToken = token });
            all.AddRange(page.S3Objects.Select(o => o.Key));
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        } while (token is not null);
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), all);

        var v1 = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Prefix = "a/", Delimiter = "/", MaxKeys = 1 });
        Assert.True(v1.IsTruncated);
        Assert.Equal("a/1", Assert.Single(v1.S3Objects).Key);
        var v1next = await s3.ListObjectsAsync(new ListObjectsRequest { BucketName = bucket, Prefix = "a/", Delimiter = "/", Marker = v1.NextMarker });
        Assert.Equal(new[] { "a/2" }, v1next.S3Objects.Select(o => o.Key));
        Assert.Equal(new[] { "a/b/" }, v1next.CommonPrefixes);

        var versions = await s3.ListVersionsAsync(bucket);
        Assert.Equal(keys.Length, versions.Versions.Count);
        Assert.All(versions.Versions, v => Assert.True(v.IsLatest));
    }

    [Fact]
    public async Task Multi_object_delete_removes_what_it_names_and_reports_each_key()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        foreach (var key in new[] { "d1", "d2", "keep" })
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = key });
        var result = await s3.DeleteObjectsAsync(new DeleteObjectsRequest
        {
            BucketName = bucket,
            Objects = [new KeyVersion { Key = "d1" }, new KeyVersion { Key = "d2" }, new KeyVersion { Key = "never-existed" }],
        });
        Assert.Equal(3, result.DeletedObjects.Count);
        var left = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(new[] { "keep" }, left.S3Objects.Select(o => o.Key));
    }

    [Theory]
    [InlineData("a//b")]
    [InlineData("trailing/")]
    [InlineData("%41 percent")]
    public async Task Unusual_keys_are_stored_byte_exact(string key)
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "exact" });
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(key, Assert.Single(list.S3Objects).Key);
        using var get = await s3.GetObjectAsync(bucket, key);
        Assert.Equal("exact", await new StreamReader(get.ResponseStream).ReadToEndAsync());
    }

    [Fact]
    public async Task Presigned_urls_work_until_they_expire()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p", ContentBody = "presigned" });
        using var http = Clients.Http(f, f.HttpUrl.Port);

        string url = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = bucket, Key = "p", Expires = DateTime.UtcNow.AddMinutes(5), Protocol = Amazon.S3.Protocol.HTTP });
        Assert.Equal("presigned", await http.GetStringAsync(url));

        string expired = await s3.GetPreSignedURLAsync(new GetPreSignedUrlRequest { BucketName = bucket, Key = "p", Expires = DateTime.UtcNow.AddSeconds(1), Protocol = Amazon.S3.Protocol.HTTP });
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var response = await http.GetAsync(expired);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("AccessDenied", await response.ErrorCodeAsync());

        var tampered = url.Replace("/p?", "/q?");
        var bad = await http.GetAsync(tampered);
        Assert.Equal(HttpStatusCode.Forbidden, bad.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", await bad.ErrorCodeAsync());
    }

    [Fact]
    public async Task Wrong_secret_and_unknown_key_are_refused()
    {
        using var wrongSecret = Clients.S3(f, secretKey: "not-the-secret");
        var e1 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => wrongSecret.ListBucketsAsync());
        Assert.Equal("SignatureDoesNotMatch", e1.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, e1.StatusCode);

        using var unknown = Clients.S3(f, accessKey: "AKIDUNKNOWN", secretKey: "x");
        var e2 = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => unknown.ListBucketsAsync());
        Assert.Equal("InvalidAccessKeyId", e2.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, e2.StatusCode);
    }

    [Fact]
    public async Task Anonymous_requests_are_refused_with_an_xml_error()
    {
        using var http = Clients.Http(f, f.HttpUrl.Port);
        var response = await http.GetAsync(new Uri(f.HttpUrl, "/"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("AccessDenied", await response.ErrorCodeAsync());
        Assert.NotNull(response.Header("x-amz-request-id"));
        Assert.NotNull(response.Headers.Date);
    }

    [Fact]
    public async Task Unknown_sub_resources_are_not_implemented_not_500()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetBucketWebsiteAsync(new GetBucketWebsiteRequest { BucketName = bucket }));
        Assert.Equal("NotImplemented", e.ErrorCode);
        Assert.Equal(HttpStatusCode.NotImplemented, e.StatusCode);
    }

    [Fact]
    public async Task Keys_too_long_or_with_control_characters_are_refused()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var tooLong = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = new string('k', 1025), ContentBody = "x" }));
        Assert.Equal("KeyTooLongError", tooLong.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        var control = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "bell\u0007", ContentBody = "x" }));
        Assert.Equal("InvalidObjectName", control.ErrorCode);
        var list = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Empty(list.S3Objects ?? []);
    }

    [Fact]
    public async Task Too_much_metadata_is_refused()
    {
        var (s3, bucket) = await NewBucketAsync();
        using var _ = s3;
        var put = new PutObjectRequest { BucketName = bucket, Key = "m", ContentBody = "x" };
        put.Metadata["big"] = new string('v', 2100);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(put));
        Assert.Equal("MetadataTooLarge", e.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
    }
}
