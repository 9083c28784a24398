using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Storage;
using static Coffer.EndToEnd.Tests.Infrastructure.SseCases;

namespace Coffer.EndToEnd.Tests;

/// <summary>CopyObject through AWSSDK.S3 over HTTPS: every SSE transition, metadata, storage class, conditions and every refusal.</summary>
[Collection(CofferCollection.Name)]
public sealed class CopyTests(CofferFixture f)
{

    private static readonly byte[] Data = RandomNumberGenerator.GetBytes(200_001);
    private static readonly string DataMd5 = "\"" + Convert.ToHexStringLower(MD5.HashData(Data)) + "\"";

    public static TheoryData<Mode, Mode> Transitions()
    {
        var data = new TheoryData<Mode, Mode>();
        foreach (var from in Enum.GetValues<Mode>())
            foreach (var to in Enum.GetValues<Mode>())
                data.Add(from, to);
        return data;
    }

    [Theory]
    [MemberData(nameof(Transitions))]
    public async Task Every_sse_transition_copies_and_reads_back_only_with_the_right_key(Mode from, Mode to)
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutAsync(s3, bucket, "src", from);
        var copy = Copy(bucket, "src", bucket, "dst", from);
        ApplyDestination(copy, to);

        var result = await s3.CopyObjectAsync(copy);

        using (var get = await s3.GetObjectAsync(Get(bucket, "dst", to == Mode.SseC ? SseKeys.KeyB : null)))
        {
            Assert.Equal(Data, await ReadAllAsync(get));
            Assert.Equal(result.ETag, get.ETag);
            Assert.Equal(to is Mode.Plain or Mode.SseS3, get.ETag == DataMd5);
        }
        AssertReportedMode(to, result.ServerSideEncryptionMethod, result.ServerSideEncryptionCustomerMethod);
        await AssertOnlyItsKeyOpensAsync(s3, bucket, "dst", to == Mode.SseC ? SseKeys.KeyB : null);
        using (var source = await s3.GetObjectAsync(Get(bucket, "src", from == Mode.SseC ? SseKeys.KeyA : null)))
            Assert.Equal(Data, await ReadAllAsync(source));

        // Encrypted to encrypted (and plain to plain) shares the stored data; otherwise it is rewritten.
        var (src, dst) = (await RecordAsync(bucket, "src"), await RecordAsync(bucket, "dst"));
        var shares = (from == Mode.Plain) == (to == Mode.Plain);
        Assert.Equal(shares, src.Streams.Select(x => x.BlobId).SequenceEqual(dst.Streams.Select(x => x.BlobId)));
        Assert.Equal(src.Crc64, dst.Crc64);
    }

    [Fact]
    public async Task Sse_c_source_without_its_copy_source_key_is_refused_and_nothing_is_written()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutAsync(s3, bucket, "src", Mode.SseC);

        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(Copy(bucket, "src", bucket, "dst", Mode.Plain)));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("InvalidRequest", e.ErrorCode);
        await AssertMissingAsync(s3, bucket, "dst");
    }

    [Fact]
    public async Task Sse_c_source_with_the_wrong_copy_source_key_is_denied()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutAsync(s3, bucket, "src", Mode.SseC);
        var copy = Copy(bucket, "src", bucket, "dst", Mode.SseC);
        copy.CopySourceServerSideEncryptionCustomerProvidedKey = SseKeys.KeyB;
        copy.CopySourceServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyBMd5;

        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(copy));

        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal("AccessDenied", e.ErrorCode);
        await AssertMissingAsync(s3, bucket, "dst");
    }

    [Fact]
    public async Task Copy_source_key_headers_for_a_source_that_is_not_sse_c_are_refused()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutAsync(s3, bucket, "src", Mode.SseS3);

        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(Copy(bucket, "src", bucket, "dst", Mode.SseC)));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("InvalidRequest", e.ErrorCode);
        await AssertMissingAsync(s3, bucket, "dst");
    }

    [Fact]
    public async Task Destination_encryption_comes_from_the_request_or_the_bucket_default_never_from_the_source()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var defaulted = await NewBucketAsync(s3);
        await s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = defaulted,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules = [new ServerSideEncryptionRule { ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault { ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AES256 } }],
            },
        });
        await PutAsync(s3, bucket, "kms", Mode.SseKms);

        var plain = await s3.CopyObjectAsync(Copy(bucket, "kms", bucket, "plain", Mode.SseKms));
        var fromDefault = await s3.CopyObjectAsync(Copy(bucket, "kms", defaulted, "defaulted", Mode.SseKms));

        AssertReportedMode(Mode.Plain, plain.ServerSideEncryptionMethod, plain.ServerSideEncryptionCustomerMethod);
        Assert.Equal(SseMode.None, (await RecordAsync(bucket, "plain")).Encryption.Mode);
        Assert.Equal(DataMd5, plain.ETag);
        Assert.Equal(ServerSideEncryptionMethod.AES256, fromDefault.ServerSideEncryptionMethod);
        Assert.Equal(ServerSideEncryptionMethod.AES256, (await s3.GetObjectMetadataAsync(defaulted, "defaulted")).ServerSideEncryptionMethod);
        Assert.Equal(DataMd5, fromDefault.ETag);
    }

    [Fact]
    public async Task A_copy_to_another_bucket_keeps_an_encoded_key_exact()
    {
        using var s3 = Clients.S3(f, https: true);
        var (from, to) = (await NewBucketAsync(s3), await NewBucketAsync(s3));
        const string key = "dir/a b+c%/日本語 ü?.txt";
        await PutAsync(s3, from, key, Mode.SseKms);

        await s3.CopyObjectAsync(Copy(from, key, to, key + ".copy", Mode.SseKms));

        using var get = await s3.GetObjectAsync(to, key + ".copy");
        Assert.Equal(Data, await ReadAllAsync(get));
        Assert.Equal(key + ".copy", (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = to })).S3Objects.Single().Key);
    }

    [Fact]
    public async Task Metadata_is_copied_by_default_and_replaced_with_REPLACE()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var put = new PutObjectRequest { BucketName = bucket, Key = "src", ContentBody = "m", ContentType = "text/plain" };
        put.Metadata.Add("color", "blue");
        put.Headers.ContentDisposition = "attachment";
        await s3.PutObjectAsync(put);

        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "copied", ContentType = "ignored/type" });
        var replace = new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = "src",
            DestinationBucket = bucket,
            DestinationKey = "replaced",
            MetadataDirective = S3MetadataDirective.REPLACE,
            ContentType = "application/json",
        };
        replace.Metadata.Add("shape", "round");
        await s3.CopyObjectAsync(replace);

        var copied = await s3.GetObjectMetadataAsync(bucket, "copied");
        Assert.Equal("text/plain", copied.Headers.ContentType);
        Assert.Equal("attachment", copied.Headers.ContentDisposition);
        Assert.Equal("blue", copied.Metadata["color"]);
        var replaced = await s3.GetObjectMetadataAsync(bucket, "replaced");
        Assert.Equal("application/json", replaced.Headers.ContentType);
        Assert.Null(replaced.Headers.ContentDisposition);
        Assert.Equal("round", replaced.Metadata["shape"]);
        Assert.DoesNotContain("x-amz-meta-color", replaced.Metadata.Keys);
    }

    [Fact]
    public async Task Storage_class_comes_from_the_request_and_defaults_to_standard()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "ia", ContentBody = "x", StorageClass = S3StorageClass.StandardInfrequentAccess });

        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "ia", DestinationBucket = bucket, DestinationKey = "standard" });
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "ia", DestinationBucket = bucket, DestinationKey = "glacier", StorageClass = S3StorageClass.Glacier });

        Assert.Equal("STANDARD_IA", (await s3.GetObjectMetadataAsync(bucket, "ia")).StorageClass?.Value);
        Assert.Null((await s3.GetObjectMetadataAsync(bucket, "standard")).StorageClass?.Value);
        Assert.Equal("GLACIER", (await s3.GetObjectMetadataAsync(bucket, "glacier")).StorageClass?.Value);
        var listed = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.ToDictionary(o => o.Key, o => o.StorageClass.Value);
        Assert.Equal("GLACIER", listed["glacier"]);
        Assert.Equal("STANDARD", listed["standard"]);
        Assert.Equal("ARCHIVE", (await RecordAsync(bucket, "glacier")).StorageClass);
    }

    [Fact]
    public async Task Copy_source_conditions_that_fail_answer_412_and_write_nothing()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var etag = (await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", ContentBody = "c" })).ETag;
        var past = DateTime.UtcNow.AddDays(-1);
        var future = DateTime.UtcNow.AddDays(1);
        Action<CopyObjectRequest>[] failing =
        [
            c => c.ETagToMatch = "\"00000000000000000000000000000000\"",
            c => c.ETagToNotMatch = etag,
            c => c.ModifiedSinceDate = future,
            c => c.UnmodifiedSinceDate = past,
        ];

        foreach (var condition in failing)
        {
            var copy = new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "dst" };
            condition(copy);
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(copy));
            Assert.Equal(HttpStatusCode.PreconditionFailed, e.StatusCode);
            Assert.Equal("PreconditionFailed", e.ErrorCode);
        }
        await AssertMissingAsync(s3, bucket, "dst");

        await s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = bucket,
            SourceKey = "src",
            DestinationBucket = bucket,
            DestinationKey = "dst",
            ETagToMatch = etag,
            ETagToNotMatch = "\"other\"",
            ModifiedSinceDate = past,
            UnmodifiedSinceDate = future,
        });
        Assert.Equal(etag, (await s3.GetObjectMetadataAsync(bucket, "dst")).ETag);
    }

    [Fact]
    public async Task Copying_an_object_onto_itself_without_a_change_is_refused()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutAsync(s3, bucket, "plain", Mode.Plain);
        await PutAsync(s3, bucket, "c", Mode.SseC);
        var before = await RecordAsync(bucket, "c");
        var sameKey = Copy(bucket, "c", bucket, "c", Mode.SseC);
        ApplyDestination(sameKey, Mode.SseC, SseKeys.KeyA);

        foreach (var unchanged in new[] { Copy(bucket, "plain", bucket, "plain", Mode.Plain), sameKey })
        {
            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(unchanged));
            Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
            Assert.Equal("InvalidRequest", e.ErrorCode);
        }
        Assert.Equal(before.Encryption.SealedKey, (await RecordAsync(bucket, "c")).Encryption.SealedKey);

        var replace = Copy(bucket, "plain", bucket, "plain", Mode.Plain);
        replace.MetadataDirective = S3MetadataDirective.REPLACE;
        replace.ContentType = "text/csv";
        await s3.CopyObjectAsync(replace);
        var reclass = Copy(bucket, "plain", bucket, "plain", Mode.Plain);
        reclass.StorageClass = S3StorageClass.StandardInfrequentAccess;
        await s3.CopyObjectAsync(reclass);
        var encrypt = Copy(bucket, "plain", bucket, "plain", Mode.Plain);
        ApplyDestination(encrypt, Mode.SseS3);
        await s3.CopyObjectAsync(encrypt);

        var head = await s3.GetObjectMetadataAsync(bucket, "plain");
        Assert.Equal(ServerSideEncryptionMethod.AES256, head.ServerSideEncryptionMethod);
        Assert.Equal("STANDARD", (await RecordAsync(bucket, "plain")).StorageClass);
        Assert.Equal("text/csv", head.Headers.ContentType);
        using var get = await s3.GetObjectAsync(bucket, "plain");
        Assert.Equal(Data, await ReadAllAsync(get));
    }

    [Fact]
    public async Task Changing_the_customer_key_in_place_reseals_only_the_object_key()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await PutAsync(s3, bucket, "c", Mode.SseC);
        var before = await RecordAsync(bucket, "c");
        var blobId = before.Streams.Single().BlobId;
        var path = Directory.EnumerateFiles(f.Server.Services.Folder.BlobRoot, blobId, SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(path);
        var written = File.GetLastWriteTimeUtc(path);
        var copy = Copy(bucket, "c", bucket, "c", Mode.SseC);
        ApplyDestination(copy, Mode.SseC);

        var result = await s3.CopyObjectAsync(copy);

        var after = await RecordAsync(bucket, "c");
        Assert.Equal(before.Streams, after.Streams);
        Assert.NotEqual(before.Encryption.SealedKey, after.Encryption.SealedKey);
        Assert.Equal(path, Directory.EnumerateFiles(f.Server.Services.Folder.BlobRoot, blobId, SearchOption.AllDirectories).Single());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        Assert.Equal(before.ETag, after.ETag);
        Assert.Equal(SseKeys.KeyBMd5, result.ServerSideEncryptionCustomerProvidedKeyMD5);
        await AssertOnlyItsKeyOpensAsync(s3, bucket, "c", SseKeys.KeyB);
    }

    [Fact]
    public async Task Moving_an_object_to_another_kms_key_in_place_rewraps_without_rewriting()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var cmk = await f.Server.Services.Kms.CreateKeyAsync(await f.RootIdAsync(), "rewrap target");
        await PutAsync(s3, bucket, "k", Mode.SseKms);
        var before = await RecordAsync(bucket, "k");
        var copy = Copy(bucket, "k", bucket, "k", Mode.SseKms);
        ApplyDestination(copy, Mode.SseKms);
        copy.ServerSideEncryptionKeyManagementServiceKeyId = cmk.KeyId;

        var result = await s3.CopyObjectAsync(copy);

        var after = await RecordAsync(bucket, "k");
        Assert.Equal(before.Streams, after.Streams);
        Assert.Equal(cmk.KeyId, after.Encryption.KmsKeyId);
        Assert.Contains(cmk.KeyId, result.ServerSideEncryptionKeyManagementServiceKeyId);
        using var get = await s3.GetObjectAsync(bucket, "k");
        Assert.Equal(Data, await ReadAllAsync(get));
    }

    [Fact]
    public async Task A_multipart_source_keeps_its_etag_when_shared_and_gets_an_md5_when_rewritten()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p1", InputStream = new MemoryStream(Data[..100_000]) });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p2", InputStream = new MemoryStream(Data[100_000..]) });
        // Stitched into one two-stream record, as a completed multipart upload is stored.
        var crc = new Coffer.Protocol.Checksums.Crc64Xz();
        crc.Append(Data);
        var multi = (await RecordAsync(bucket, "p1")) with
        {
            Key = "multi",
            Size = Data.Length,
            ETag = "0123456789abcdef0123456789abcdef-2",
            Crc64 = crc.Value,
            Checksums = new Dictionary<string, string>(),
            Streams = [.. (await RecordAsync(bucket, "p1")).Streams, .. (await RecordAsync(bucket, "p2")).Streams],
        };
        await f.Server.Services.Store.PutObjectAsync(multi);

        var shared = await s3.CopyObjectAsync(Copy(bucket, "multi", bucket, "shared", Mode.Plain));
        var rewriteRequest = Copy(bucket, "multi", bucket, "rewritten", Mode.Plain);
        ApplyDestination(rewriteRequest, Mode.SseS3);
        var rewritten = await s3.CopyObjectAsync(rewriteRequest);

        Assert.Equal("\"" + multi.ETag + "\"", shared.ETag);
        Assert.Equal(multi.Streams, (await RecordAsync(bucket, "shared")).Streams);
        Assert.Equal(DataMd5, rewritten.ETag);
        Assert.Single((await RecordAsync(bucket, "rewritten")).Streams);
        foreach (var key in new[] { "shared", "rewritten" })
        {
            using var get = await s3.GetObjectAsync(bucket, key);
            Assert.Equal(Data, await ReadAllAsync(get));
        }
    }

    [Fact]
    public async Task An_unrestored_archive_source_is_refused_with_InvalidObjectState()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        foreach (var storageClass in new[] { S3StorageClass.Glacier, S3StorageClass.DeepArchive })
        {
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "cold", ContentBody = "ice", StorageClass = storageClass });

            var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(Copy(bucket, "cold", bucket, "warm", Mode.Plain)));

            Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
            Assert.Equal("InvalidObjectState", e.ErrorCode);
            await AssertMissingAsync(s3, bucket, "warm");
        }
    }

    [Fact]
    public async Task A_source_over_5_GiB_is_EntityTooLarge()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var huge = new ObjectRecord
        {
            Bucket = bucket,
            Key = "huge",
            Size = 5L * 1024 * 1024 * 1024 + 1,
            ETag = "00000000000000000000000000000000-2",
            Crc64 = 0,
            LastModified = DateTimeOffset.UtcNow,
            Streams = [new ObjectStream(RandomNumberGenerator.GetHexString(32, true), 5L * 1024 * 1024 * 1024 + 1, "object", 0, "")],
        };
        await f.Server.Services.Store.PutObjectAsync(huge);

        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(Copy(bucket, "huge", bucket, "dst", Mode.Plain)));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("EntityTooLarge", e.ErrorCode);
        await AssertMissingAsync(s3, bucket, "dst");
    }

    [Fact]
    public async Task A_missing_source_key_or_bucket_is_not_found()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);

        var noKey = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(Copy(bucket, "nothing", bucket, "dst", Mode.Plain)));
        var noBucket = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CopyObjectAsync(Copy(CofferFixture.NewBucket(), "k", bucket, "dst", Mode.Plain)));

        Assert.Equal((HttpStatusCode.NotFound, "NoSuchKey"), (noKey.StatusCode, noKey.ErrorCode));
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchBucket"), (noBucket.StatusCode, noBucket.ErrorCode));
        await AssertMissingAsync(s3, bucket, "dst");
    }

    // ---------------------------------------------------------------- helpers

    private static async Task<string> NewBucketAsync(AmazonS3Client s3)
    {
        var bucket = CofferFixture.NewBucket("copy");
        await s3.PutBucketAsync(bucket);
        return bucket;
    }

    private static async Task PutAsync(AmazonS3Client s3, string bucket, string key, Mode mode)
    {
        var put = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(Data) };
        switch (mode)
        {
            case Mode.SseS3:
                put.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
                break;
            case Mode.SseKms:
                put.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                put.ServerSideEncryptionKeyManagementServiceEncryptionContext = SseKeys.Context("{\"source\":\"yes\"}");
                break;
            case Mode.SseC:
                put.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                put.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
                put.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
                break;
        }
        await s3.PutObjectAsync(put);
    }

    /// <summary>A copy request; an SSE-C source gets its key (KeyA) in the copy-source headers.</summary>
    private static CopyObjectRequest Copy(string fromBucket, string fromKey, string toBucket, string toKey, Mode source)
    {
        var copy = new CopyObjectRequest { SourceBucket = fromBucket, SourceKey = fromKey, DestinationBucket = toBucket, DestinationKey = toKey };
        if (source == Mode.SseC)
        {
            copy.CopySourceServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            copy.CopySourceServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
            copy.CopySourceServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
        }
        return copy;
    }

    /// <summary>The destination's SSE headers; SSE-C uses <paramref name="customerKey"/> (KeyB, another key than the source's).</summary>
    private static void ApplyDestination(CopyObjectRequest copy, Mode mode, string customerKey = SseKeys.KeyB)
    {
        switch (mode)
        {
            case Mode.SseS3:
                copy.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
                break;
            case Mode.SseKms:
                copy.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                copy.ServerSideEncryptionKeyManagementServiceEncryptionContext = SseKeys.Context("{\"destination\":\"yes\"}");
                break;
            case Mode.SseC:
                copy.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                copy.ServerSideEncryptionCustomerProvidedKey = customerKey;
                copy.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.Md5Of(customerKey);
                break;
        }
    }

    private static GetObjectRequest Get(string bucket, string key, string? customerKey)
    {
        var get = new GetObjectRequest { BucketName = bucket, Key = key };
        if (customerKey is not null)
        {
            get.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            get.ServerSideEncryptionCustomerProvidedKey = customerKey;
            get.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.Md5Of(customerKey);
        }
        return get;
    }

    private static void AssertReportedMode(Mode mode, ServerSideEncryptionMethod? sse, ServerSideEncryptionCustomerMethod? customer)
    {
        var reported = sse == ServerSideEncryptionMethod.AES256 ? Mode.SseS3
            : sse == ServerSideEncryptionMethod.AWSKMS ? Mode.SseKms
            : customer == ServerSideEncryptionCustomerMethod.AES256 ? Mode.SseC
            : Mode.Plain;
        Assert.Equal(mode, reported);
    }

    /// <summary>An SSE-C object opens with its key only (no key: 400, wrong key: 403); any other object refuses SSE-C headers (400).</summary>
    private static async Task AssertOnlyItsKeyOpensAsync(AmazonS3Client s3, string bucket, string key, string? customerKey)
    {
        if (customerKey is null)
        {
            var refused = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(Get(bucket, key, SseKeys.KeyB)));
            Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (refused.StatusCode, refused.ErrorCode));
            return;
        }
        var none = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, key));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (none.StatusCode, none.ErrorCode));
        var wrong = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(Get(bucket, key, customerKey == SseKeys.KeyA ? SseKeys.KeyB : SseKeys.KeyA)));
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (wrong.StatusCode, wrong.ErrorCode));
        using var right = await s3.GetObjectAsync(Get(bucket, key, customerKey));
        Assert.Equal(Data, await ReadAllAsync(right));
    }

    private static async Task AssertMissingAsync(AmazonS3Client s3, string bucket, string key)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, key));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    private async Task<ObjectRecord> RecordAsync(string bucket, string key) =>
        await f.Server.Services.Store.GetObjectAsync(bucket, key) ?? throw new InvalidOperationException($"{bucket}/{key} is missing");

}
