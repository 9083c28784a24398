using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using static Coffer.EndToEnd.Tests.Infrastructure.SseCases;

namespace Coffer.EndToEnd.Tests;

/// <summary>Every SSE mode through AWSSDK.S3 over HTTPS, with its default checksum settings.</summary>
[Collection(CofferCollection.Name)]
public sealed class SseS3Tests(CofferFixture f)
{

    private static void Apply(PutObjectRequest put, Mode mode, string? kmsKeyId = null)
    {
        switch (mode)
        {
            case Mode.SseS3:
                put.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
                break;
            case Mode.SseKms:
                put.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                put.ServerSideEncryptionKeyManagementServiceKeyId = kmsKeyId;
                put.ServerSideEncryptionKeyManagementServiceEncryptionContext = SseKeys.Context("{\"test\":\"test\"}");
                break;
            case Mode.SseC:
                put.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                put.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
                put.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
                break;
        }
    }

    [Theory]
    [InlineData(Mode.Plain)]
    [InlineData(Mode.SseS3)]
    [InlineData(Mode.SseKms)]
    [InlineData(Mode.SseC)]
    public async Task Every_mode_round_trips_at_segment_boundary_sizes_and_ranges(Mode mode)
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        foreach (var size in new[] { 0, 1, 65_535, 65_536, 65_537, 200_001 })
        {
            var data = RandomNumberGenerator.GetBytes(size);
            var key = $"obj-{size}";
            var put = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(data) };
            Apply(put, mode);
            var putResponse = await s3.PutObjectAsync(put);

            using (var get = await s3.GetObjectAsync(Get(bucket, key, mode)))
            {
                Assert.Equal(data, await ReadAllAsync(get));
                Assert.Equal(putResponse.ETag, get.ETag);
                switch (mode)
                {
                    case Mode.SseS3:
                        Assert.Equal(ServerSideEncryptionMethod.AES256, get.ServerSideEncryptionMethod);
                        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(data)) + "\"", get.ETag);
                        break;
                    case Mode.SseKms:
                        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, get.ServerSideEncryptionMethod);
                        Assert.False(string.IsNullOrEmpty(get.ServerSideEncryptionKeyManagementServiceKeyId));
                        Assert.NotEqual("\"" + Convert.ToHexStringLower(MD5.HashData(data)) + "\"", get.ETag);
                        break;
                    case Mode.SseC:
                        Assert.Equal(ServerSideEncryptionCustomerMethod.AES256, get.ServerSideEncryptionCustomerMethod);
                        Assert.NotEqual("\"" + Convert.ToHexStringLower(MD5.HashData(data)) + "\"", get.ETag);
                        break;
                }
            }

            if (size < 2) continue;
            foreach (var (from, to) in new[] { (0L, 0L), (size - 1L, size - 1L), (Math.Max(0, 65_535L - 3), Math.Min(size - 1L, 65_536L + 3)), (size / 3L, size - 2L) })
            {
                if (from > to) continue;
                using var part = await s3.GetObjectAsync(Get(bucket, key, mode, new ByteRange(from, to)));
                Assert.Equal(data[(int)from..(int)(to + 1)], await ReadAllAsync(part));
            }
        }
    }

    [Fact]
    public async Task Sse_kms_names_the_key_used_default_or_given()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var key = await f.Server.Services.Kms.CreateKeyAsync(await f.RootIdAsync(), "test");

        var withDefault = new PutObjectRequest { BucketName = bucket, Key = "default", ContentBody = "123", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS };
        var r1 = await s3.PutObjectAsync(withDefault);
        Assert.False(string.IsNullOrEmpty(r1.ServerSideEncryptionKeyManagementServiceKeyId));

        var given = new PutObjectRequest { BucketName = bucket, Key = "given", ContentBody = "123" };
        Apply(given, Mode.SseKms, key.KeyId);
        var r2 = await s3.PutObjectAsync(given);
        Assert.Contains(key.KeyId, r2.ServerSideEncryptionKeyManagementServiceKeyId);
        var head = await s3.GetObjectMetadataAsync(bucket, "given");
        Assert.Contains(key.KeyId, head.ServerSideEncryptionKeyManagementServiceKeyId);
        Assert.NotEqual(r1.ServerSideEncryptionKeyManagementServiceKeyId, r2.ServerSideEncryptionKeyManagementServiceKeyId);
    }

    [Fact]
    public async Task Sse_c_object_needs_its_key_on_get_and_head()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var put = new PutObjectRequest { BucketName = bucket, Key = "c", ContentBody = "00000" };
        Apply(put, Mode.SseC);
        await s3.PutObjectAsync(put);

        var noKey = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "c"));
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        Assert.Equal("InvalidRequest", noKey.ErrorCode);
        var headNoKey = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "c"));
        Assert.Equal(HttpStatusCode.BadRequest, headNoKey.StatusCode);

        var wrong = Get(bucket, "c", Mode.SseC);
        wrong.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyB;
        wrong.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyBMd5;
        var wrongKey = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(wrong));
        Assert.Equal(HttpStatusCode.Forbidden, wrongKey.StatusCode);
        Assert.Equal("AccessDenied", wrongKey.ErrorCode);

        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest
        {
            BucketName = bucket,
            Key = "c",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
            ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
        });
        Assert.Equal(5, head.ContentLength);
        Assert.Equal(ServerSideEncryptionCustomerMethod.AES256, head.ServerSideEncryptionCustomerMethod);
        Assert.Equal(SseKeys.KeyAMd5, head.ServerSideEncryptionCustomerProvidedKeyMD5);
    }

    [Fact]
    public async Task Sse_c_headers_on_a_plain_object_are_refused()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "plain", ContentBody = "p" });
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(Get(bucket, "plain", Mode.SseC)));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("InvalidRequest", e.ErrorCode);
    }

    [Fact]
    public async Task Unknown_kms_key_is_refused_and_nothing_stored()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var put = new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" };
        Apply(put, Mode.SseKms, Guid.NewGuid().ToString());
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(put));
        // As for a key the caller may not use: the answer does not tell whether a key exists (docs/kms.md).
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal("AccessDenied", e.ErrorCode);
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "k"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Disabled_and_pending_deletion_keys_refuse_writes_and_reads()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var kms = f.Server.Services.Kms;
        var key = await kms.CreateKeyAsync(await f.RootIdAsync(), "to disable");
        var put = new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "secret" };
        Apply(put, Mode.SseKms, key.KeyId);
        await s3.PutObjectAsync(put);

        await kms.DisableKeyAsync(key.KeyId);
        var read = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"));
        Assert.Equal("KMS.DisabledException", read.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, read.StatusCode);
        var write = new PutObjectRequest { BucketName = bucket, Key = "k2", ContentBody = "x" };
        Apply(write, Mode.SseKms, key.KeyId);
        Assert.Equal("KMS.DisabledException", (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(write))).ErrorCode);

        await kms.EnableKeyAsync(key.KeyId);
        using (var ok = await s3.GetObjectAsync(bucket, "k"))
            Assert.Equal("secret", await new StreamReader(ok.ResponseStream).ReadToEndAsync());

        await kms.ScheduleKeyDeletionAsync(key.KeyId, 7);
        var pending = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"));
        Assert.Equal("KMS.KMSInvalidStateException", pending.ErrorCode);
    }
}
