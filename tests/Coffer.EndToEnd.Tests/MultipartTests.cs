using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using Coffer.EndToEnd.Tests.Infrastructure;
using Xunit.Abstractions;
using static Coffer.EndToEnd.Tests.Infrastructure.SseCases;

namespace Coffer.EndToEnd.Tests;

/// <summary>Multipart uploads through AWSSDK.S3 over HTTPS, low-level API and TransferUtility, in every SSE mode.</summary>
[Collection(CofferCollection.Name)]
public sealed class MultipartTests(CofferFixture f, ITestOutputHelper output)
{

    private const int MiB = 1024 * 1024;
    private const int Segment = 64 * 1024;
    private static readonly string KmsContext = SseKeys.Context("{\"project\":\"multipart\"}");

    // ------------------------------------------------------------------ round trips

    [Theory]
    [InlineData(Mode.Plain)]
    [InlineData(Mode.SseS3)]
    [InlineData(Mode.SseKms)]
    [InlineData(Mode.SseC)]
    public async Task Parts_sent_in_parallel_and_out_of_order_complete_into_an_object_that_reads_back_whole_and_by_ranges(Mode mode)
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        // Exactly the 1 MiB minimum (16 segments), one crossing a segment boundary by a byte, a short last part.
        int[] sizes = [MiB, MiB + Segment + 1, Segment + 1];
        var parts = sizes.Select((size, i) => SeededData.Bytes((ulong)i + 1, 0, size)).ToArray();
        var data = parts.SelectMany(p => p).ToArray();

        var uploadId = await InitiateAsync(s3, bucket, "obj", mode);
        var responses = await Task.WhenAll(Enumerable.Range(0, parts.Length).Reverse()
            .Select(i => Task.Run(() => UploadPartAsync(s3, bucket, "obj", uploadId, i + 1, parts[i], mode))));
        var etags = responses.OrderBy(r => r.PartNumber).Select(r => r.ETag).ToList();
        for (var i = 0; i < parts.Length; i++)
        {
            var md5 = Quoted(MD5.HashData(parts[i]));
            if (mode is Mode.Plain or Mode.SseS3) Assert.Equal(md5, etags[i]);
            else Assert.NotEqual(md5, etags[i]);
        }

        var complete = await CompleteAsync(s3, bucket, "obj", uploadId, etags);
        var s3Formula = "\"" + SeededData.MultipartETag(parts.Select(MD5.HashData)) + "\"";
        if (mode is Mode.Plain or Mode.SseS3) Assert.Equal(s3Formula, complete.ETag);
        else
        {
            Assert.NotEqual(s3Formula, complete.ETag);
            Assert.EndsWith("-3\"", complete.ETag);
        }
        var stored = await f.Server.Services.Store.GetObjectAsync(bucket, "obj");
        Assert.Equal(SeededData.Crc64(data), stored!.Crc64);
        Assert.Equal(3, stored.Streams.Count);

        using (var get = await s3.GetObjectAsync(Get(bucket, "obj", mode)))
        {
            Assert.Equal(data, await ReadAllAsync(get));
            Assert.Equal(complete.ETag, get.ETag);
            AssertSse(mode, get.ServerSideEncryptionMethod, get.ServerSideEncryptionCustomerMethod);
        }
        await AssertRangesAsync(s3, bucket, "obj", mode, data, sizes);
    }

    [Theory]
    [InlineData(Mode.Plain)]
    [InlineData(Mode.SseS3)]
    [InlineData(Mode.SseKms)]
    [InlineData(Mode.SseC)]
    public async Task Transfer_utility_uploads_in_parallel_parts_and_downloads_intact(Mode mode)
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        const long size = 17L * MiB + 12_345;
        var source = Path.Combine(f.DataDirectory, "..", $"tu-up-{Guid.NewGuid():N}");
        var target = source + ".down";
        try
        {
            await using (var file = File.Create(source))
            await using (var generated = SeededData.Open(42, 0, size))
                await generated.CopyToAsync(file);

            using var transfer = new TransferUtility(s3, new TransferUtilityConfig { ConcurrentServiceRequests = 4 });
            var upload = new TransferUtilityUploadRequest { BucketName = bucket, Key = "big", FilePath = source, PartSize = 5 * MiB };
            switch (mode)
            {
                case Mode.SseS3: upload.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256; break;
                case Mode.SseKms:
                    upload.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                    upload.ServerSideEncryptionKeyManagementServiceKeyId = (await f.Server.Services.Kms.CreateKeyAsync(await f.RootIdAsync(), "tu")).KeyId;
                    break;
                case Mode.SseC:
                    upload.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                    upload.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
                    upload.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
                    break;
            }
            await transfer.UploadAsync(upload);

            var download = new TransferUtilityDownloadRequest { BucketName = bucket, Key = "big", FilePath = target };
            if (mode == Mode.SseC)
            {
                download.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                download.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
                download.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
            }
            await transfer.DownloadAsync(download);

            Assert.Equal(size, new FileInfo(target).Length);
            Assert.Equal(await HashFileAsync(source), await HashFileAsync(target));
            var stored = await f.Server.Services.Store.GetObjectAsync(bucket, "big");
            Assert.Equal(4, stored!.Streams.Count);
            Assert.EndsWith("-4", stored.ETag);
        }
        finally
        {
            File.Delete(source);
            File.Delete(target);
        }
    }

    [Theory]
    [InlineData(Mode.Plain)]
    [InlineData(Mode.SseC)]
    public async Task Part_sizes_at_and_around_the_segment_boundary_round_trip_and_read_across_every_boundary(Mode mode)
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        int[][] layouts =
        [
            [MiB, MiB + Segment - 1, MiB + Segment, MiB + Segment + 1, Segment],
            [MiB + 1, Segment - 1],
            [MiB, Segment + 1],
            [MiB, 1],
            [MiB, 0],
            [Segment],
        ];
        foreach (var (sizes, index) in layouts.Select((l, i) => (l, i)))
        {
            var key = $"layout-{index}";
            var parts = sizes.Select((size, i) => SeededData.Bytes((ulong)(100 * index + i), 0, size)).ToArray();
            var data = parts.SelectMany(p => p).ToArray();
            var uploadId = await InitiateAsync(s3, bucket, key, mode);
            var etags = new List<string>();
            for (var i = 0; i < parts.Length; i++)
                etags.Add((await UploadPartAsync(s3, bucket, key, uploadId, i + 1, parts[i], mode)).ETag);
            await CompleteAsync(s3, bucket, key, uploadId, etags);

            using (var get = await s3.GetObjectAsync(Get(bucket, key, mode)))
                Assert.Equal(data, await ReadAllAsync(get));
            Assert.Equal(SeededData.Crc64(data), (await f.Server.Services.Store.GetObjectAsync(bucket, key))!.Crc64);
            if (data.Length > 2)
                await AssertRangesAsync(s3, bucket, key, mode, data, sizes);
        }
    }

    /// <summary>
    /// One frame of the middle part is damaged on disk: ranges that cross part boundaries but not
    /// that frame still read (only the touched segments are opened and authenticated), and a range
    /// that touches it is never served.
    /// </summary>
    [Fact]
    public async Task Ranges_across_parts_open_only_the_segments_they_touch()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var parts = new[] { MiB, MiB, MiB }.Select((size, i) => SeededData.Bytes(60 + (ulong)i, 0, size)).ToArray();
        var data = parts.SelectMany(p => p).ToArray();
        var uploadId = await InitiateAsync(s3, bucket, "k", Mode.SseKms);
        var etags = new List<string>();
        for (var i = 0; i < parts.Length; i++)
            etags.Add((await UploadPartAsync(s3, bucket, "k", uploadId, i + 1, parts[i], Mode.SseKms)).ETag);
        await CompleteAsync(s3, bucket, "k", uploadId, etags);

        var middle = (await f.Server.Services.Store.GetObjectAsync(bucket, "k"))!.Streams[1];
        var blobPath = Directory.EnumerateFiles(Path.Combine(f.DataDirectory, "blobs"), middle.BlobId, SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(blobPath);
        bytes[40 + 2 * (Segment + 16) + 100] ^= 0x01;   // frame 2 of the middle part: its bytes [2 S, 3 S)
        await File.WriteAllBytesAsync(blobPath, bytes);

        long damagedFrom = MiB + 2 * Segment, damagedTo = MiB + 3 * Segment - 1;
        foreach (var (from, to) in new[] { (MiB - 10L, damagedFrom - 1), (damagedTo + 1, 2L * MiB + 10), (0L, MiB + Segment), (damagedTo + 1, data.Length - 1L) })
        {
            using var get = await s3.GetObjectAsync(Get(bucket, "k", Mode.SseKms, new ByteRange(from, to)));
            Assert.Equal(data[(int)from..(int)(to + 1)], await ReadAllAsync(get));
        }

        var received = new MemoryStream();
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var get = await s3.GetObjectAsync(Get(bucket, "k", Mode.SseKms, new ByteRange(MiB - 10, damagedFrom + 1)));
            await get.ResponseStream.CopyToAsync(received);
        });
        Assert.True(received.Length <= damagedFrom - (MiB - 10), $"{received.Length} bytes arrived");
        Assert.Equal(data[(MiB - 10)..(MiB - 10 + (int)received.Length)], received.ToArray());
    }

    [Fact]
    public async Task A_part_uploaded_again_with_other_bytes_wins_and_the_old_blobs_are_reclaimed()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        // Larger than the inline limit: the object being replaced has a blob to reclaim.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = new string('r', 100_000) });
        var before = await BlobCountAsync();

        var (first, second, tail) = (SeededData.Bytes(1, 0, MiB), SeededData.Bytes(2, 0, MiB), SeededData.Bytes(3, 0, 1000));
        var uploadId = await InitiateAsync(s3, bucket, "k", Mode.SseKms);
        var firstETag = (await UploadPartAsync(s3, bucket, "k", uploadId, 1, first, Mode.SseKms)).ETag;
        var tailETag = (await UploadPartAsync(s3, bucket, "k", uploadId, 2, tail, Mode.SseKms)).ETag;
        Assert.Equal(before + 2, await BlobCountAsync());

        var secondETag = (await UploadPartAsync(s3, bucket, "k", uploadId, 1, second, Mode.SseKms)).ETag;
        Assert.NotEqual(firstETag, secondETag);
        Assert.Equal(before + 2, await BlobCountAsync());
        var parts = await s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "k", UploadId = uploadId });
        Assert.Equal([secondETag, tailETag], parts.Parts.Select(p => p.ETag));

        var stale = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => CompleteAsync(s3, bucket, "k", uploadId, [firstETag, tailETag]));
        Assert.Equal(("InvalidPart", HttpStatusCode.BadRequest), (stale.ErrorCode, stale.StatusCode));
        await CompleteAsync(s3, bucket, "k", uploadId, [secondETag, tailETag]);

        using (var get = await s3.GetObjectAsync(bucket, "k"))
            Assert.Equal(second.Concat(tail), await ReadAllAsync(get));
        Assert.Equal(before + 1, await BlobCountAsync()); // the two parts in, the replaced object's blob out
    }

    [Fact]
    public async Task Abort_answers_204_removes_every_part_blob_and_the_upload_is_gone()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var before = await BlobCountAsync();
        var uploadId = await InitiateAsync(s3, bucket, "k", Mode.SseS3);
        for (var i = 1; i <= 3; i++)
            await UploadPartAsync(s3, bucket, "k", uploadId, i, SeededData.Bytes((ulong)i, 0, 70_000), Mode.SseS3);
        await UploadPartAsync(s3, bucket, "k", uploadId, 2, SeededData.Bytes(9, 0, 10), Mode.SseS3);
        Assert.Equal(before + 3, await BlobCountAsync());

        var abort = await s3.AbortMultipartUploadAsync(bucket, "k", uploadId);
        Assert.Equal(HttpStatusCode.NoContent, abort.HttpStatusCode);
        Assert.Equal(before, await BlobCountAsync());

        await AssertErrorAsync("NoSuchUpload", HttpStatusCode.NotFound, () => s3.ListPartsAsync(bucket, "k", uploadId));
        await AssertErrorAsync("NoSuchUpload", HttpStatusCode.NotFound, () => UploadPartAsync(s3, bucket, "k", uploadId, 1, [1], Mode.SseS3));
        await AssertErrorAsync("NoSuchUpload", HttpStatusCode.NotFound, () => CompleteAsync(s3, bucket, "k", uploadId, ["00000000000000000000000000000000"]));
        await AssertErrorAsync("NoSuchUpload", HttpStatusCode.NotFound, () => s3.AbortMultipartUploadAsync(bucket, "k", uploadId));
        Assert.Null((await s3.ListMultipartUploadsAsync(bucket)).MultipartUploads);
        Assert.Equal(before, await BlobCountAsync());
    }

    // ------------------------------------------------------------------ errors

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public async Task Part_numbers_outside_1_to_10000_are_invalid_argument_and_store_nothing(int partNumber)
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var uploadId = await InitiateAsync(s3, bucket, "k", Mode.Plain);
        await AssertErrorAsync("InvalidArgument", HttpStatusCode.BadRequest, () => UploadPartAsync(s3, bucket, "k", uploadId, partNumber, [1, 2, 3], Mode.Plain));
        Assert.Empty(await PartsAsync(s3, bucket, "k", uploadId));
    }

    [Fact]
    public async Task Parts_for_an_unknown_upload_or_another_key_are_no_such_upload()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var uploadId = await InitiateAsync(s3, bucket, "k", Mode.Plain);
        await AssertErrorAsync("NoSuchUpload", HttpStatusCode.NotFound, () => UploadPartAsync(s3, bucket, "k", "1700000000" + new string('0', 32), 1, [1], Mode.Plain));
        await AssertErrorAsync("NoSuchUpload", HttpStatusCode.NotFound, () => UploadPartAsync(s3, bucket, "other", uploadId, 1, [1], Mode.Plain));
        await AssertErrorAsync("NoSuchUpload", HttpStatusCode.NotFound, () => UploadPartAsync(s3, bucket, "k", "../../etc/passwd", 1, [1], Mode.Plain));
        Assert.Empty(await PartsAsync(s3, bucket, "k", uploadId));
    }

    [Theory]
    [InlineData("part missing", "InvalidPart")]
    [InlineData("etag of another part", "InvalidPart")]
    [InlineData("non-final part one byte under 1 MiB", "EntityTooSmall")]
    public async Task Complete_refuses_a_bad_part_list_and_changes_nothing(string why, string code)
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var firstSize = why.Contains("under") ? MiB - 1 : MiB;
        var uploadId = await InitiateAsync(s3, bucket, "k", Mode.Plain);
        var e1 = (await UploadPartAsync(s3, bucket, "k", uploadId, 1, SeededData.Bytes(1, 0, firstSize), Mode.Plain)).ETag;
        var e2 = (await UploadPartAsync(s3, bucket, "k", uploadId, 2, SeededData.Bytes(2, 0, 10), Mode.Plain)).ETag;

        var list = why switch
        {
            "part missing" => new List<PartETag> { new(1, e1), new(3, e2) },
            "etag of another part" => [new(1, e2), new(2, e2)],
            _ => [new(1, e1), new(2, e2)],
        };
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "k",
            UploadId = uploadId,
            PartETags = list,
        }));
        Assert.True((code, HttpStatusCode.BadRequest) == (e.ErrorCode, e.StatusCode), $"{why}: {e.ErrorCode} {e.StatusCode} {e.Message}");
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectMetadataAsync(bucket, "k"))).StatusCode);
        Assert.Equal(2, (await PartsAsync(s3, bucket, "k", uploadId)).Count);
    }

    [Fact]
    public async Task A_part_whose_content_md5_does_not_match_is_bad_digest_and_leaves_no_blob()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var uploadId = await InitiateAsync(s3, bucket, "k", Mode.SseS3);
        var before = await BlobCountAsync();
        var request = new UploadPartRequest
        {
            BucketName = bucket,
            Key = "k",
            UploadId = uploadId,
            PartNumber = 1,
            InputStream = new MemoryStream([1, 2, 3]),
            MD5Digest = Convert.ToBase64String(MD5.HashData([1, 2, 4])),
        };
        await AssertErrorAsync("BadDigest", HttpStatusCode.BadRequest, () => s3.UploadPartAsync(request));
        Assert.Empty(await PartsAsync(s3, bucket, "k", uploadId));
        Assert.Equal(before, await BlobCountAsync());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(f.DataDirectory, "tmp")));
    }

    [Fact]
    public async Task A_part_whose_s3_checksum_does_not_match_is_refused_and_leaves_no_blob()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var uploadId = await InitiateAsync(s3, bucket, "k", Mode.Plain);
        var before = await BlobCountAsync();
        var request = new UploadPartRequest
        {
            BucketName = bucket,
            Key = "k",
            UploadId = uploadId,
            PartNumber = 1,
            InputStream = new MemoryStream([1, 2, 3]),
            ChecksumCRC32 = "AAAAAA==",
        };
        await AssertErrorAsync("BadDigest", HttpStatusCode.BadRequest, () => s3.UploadPartAsync(request));
        Assert.Empty(await PartsAsync(s3, bucket, "k", uploadId));
        Assert.Equal(before, await BlobCountAsync());
    }

    [Fact]
    public async Task Sse_c_parts_must_repeat_the_initiates_key_and_other_uploads_refuse_one()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var uploadId = await InitiateAsync(s3, bucket, "k", Mode.SseC);

        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => UploadPartAsync(s3, bucket, "k", uploadId, 1, [1], Mode.Plain));
        Assert.Equal(("InvalidRequest", HttpStatusCode.BadRequest), (missing.ErrorCode, missing.StatusCode));
        Assert.Contains("The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.", missing.Message);
        var other = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => UploadPartAsync(s3, bucket, "k", uploadId, 1, [1], Mode.SseC, SseKeys.KeyB));
        Assert.Equal(("InvalidArgument", HttpStatusCode.BadRequest), (other.ErrorCode, other.StatusCode));
        Assert.Contains("did not match the ones used originally", other.Message);
        Assert.Empty(await PartsAsync(s3, bucket, "k", uploadId));

        var plainId = await InitiateAsync(s3, bucket, "p", Mode.SseS3);
        await AssertErrorAsync("InvalidRequest", HttpStatusCode.BadRequest, () => UploadPartAsync(s3, bucket, "p", plainId, 1, [1], Mode.SseC));
        Assert.Empty(await PartsAsync(s3, bucket, "p", plainId));
    }

    [Fact]
    public async Task An_sse_c_upload_completes_without_the_key_and_reads_need_it()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var uploadId = await InitiateAsync(s3, bucket, "k", Mode.SseC);
        var etag = (await UploadPartAsync(s3, bucket, "k", uploadId, 1, [7, 8, 9], Mode.SseC)).ETag;
        await CompleteAsync(s3, bucket, "k", uploadId, [etag]);

        await AssertErrorAsync("InvalidRequest", HttpStatusCode.BadRequest, () => s3.GetObjectAsync(bucket, "k"));
        using var get = await s3.GetObjectAsync(Get(bucket, "k", Mode.SseC));
        Assert.Equal([7, 8, 9], await ReadAllAsync(get));
    }

    // ------------------------------------------------------------------ UploadPartCopy

    [Fact]
    public async Task Upload_part_copy_copies_ranges_across_source_parts_from_sse_c_into_sse_kms()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        int[] sizes = [MiB, MiB, 100_000];
        var sourceParts = sizes.Select((size, i) => SeededData.Bytes(50 + (ulong)i, 0, size)).ToArray();
        var source = sourceParts.SelectMany(p => p).ToArray();
        var sourceId = await InitiateAsync(s3, bucket, "src", Mode.SseC);
        var sourceETags = new List<string>();
        for (var i = 0; i < sizes.Length; i++)
            sourceETags.Add((await UploadPartAsync(s3, bucket, "src", sourceId, i + 1, sourceParts[i], Mode.SseC)).ETag);
        await CompleteAsync(s3, bucket, "src", sourceId, sourceETags);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "small", ContentBody = "plain tail" });

        var uploadId = await InitiateAsync(s3, bucket, "dst", Mode.SseKms);
        var copy1 = await s3.CopyPartAsync(CopyPart(bucket, "src", "dst", uploadId, 1, 100, 100 + MiB + 5));          // crosses source parts 1|2
        var copy2 = await s3.CopyPartAsync(CopyPart(bucket, "src", "dst", uploadId, 2, MiB + 200, source.Length - 1)); // crosses 2|3 to the end
        var copy3 = await s3.CopyPartAsync(new CopyPartRequest
        {
            SourceBucket = bucket,
            SourceKey = "small",
            DestinationBucket = bucket,
            DestinationKey = "dst",
            UploadId = uploadId,
            PartNumber = 3,
        });
        Assert.All(new[] { copy1.ETag, copy2.ETag, copy3.ETag }, e => Assert.Matches("^\"[0-9a-f]{32}\"$", e));
        await CompleteAsync(s3, bucket, "dst", uploadId, [copy1.ETag, copy2.ETag, copy3.ETag]);

        var expected = source[100..(100 + MiB + 6)].Concat(source[(MiB + 200)..]).Concat("plain tail"u8.ToArray()).ToArray();
        using var get = await s3.GetObjectAsync(bucket, "dst");
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, get.ServerSideEncryptionMethod);
        Assert.Equal(expected, await ReadAllAsync(get));
        Assert.Equal(SeededData.Crc64(expected), (await f.Server.Services.Store.GetObjectAsync(bucket, "dst"))!.Crc64);
    }

    [Fact]
    public async Task Upload_part_copy_refuses_ranges_outside_the_source_and_sse_c_sources_without_their_key()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = "src",
            ContentBody = "0123456789",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
            ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
        });
        var uploadId = await InitiateAsync(s3, bucket, "dst", Mode.Plain);

        await AssertErrorAsync("InvalidRange", HttpStatusCode.BadRequest, () => s3.CopyPartAsync(CopyPart(bucket, "src", "dst", uploadId, 1, 5, 10)));
        var noKey = CopyPart(bucket, "src", "dst", uploadId, 1, 0, 9);
        noKey.CopySourceServerSideEncryptionCustomerMethod = null;
        noKey.CopySourceServerSideEncryptionCustomerProvidedKey = null;
        noKey.CopySourceServerSideEncryptionCustomerProvidedKeyMD5 = null;
        await AssertErrorAsync("InvalidRequest", HttpStatusCode.BadRequest, () => s3.CopyPartAsync(noKey));
        var wrongKey = CopyPart(bucket, "src", "dst", uploadId, 1, 0, 9);
        wrongKey.CopySourceServerSideEncryptionCustomerProvidedKey = SseKeys.KeyB;
        wrongKey.CopySourceServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyBMd5;
        await AssertErrorAsync("AccessDenied", HttpStatusCode.Forbidden, () => s3.CopyPartAsync(wrongKey));
        Assert.Empty(await PartsAsync(s3, bucket, "dst", uploadId));

        var ok = await s3.CopyPartAsync(CopyPart(bucket, "src", "dst", uploadId, 1, 2, 4));
        await CompleteAsync(s3, bucket, "dst", uploadId, [ok.ETag]);
        using var get = await s3.GetObjectAsync(bucket, "dst");
        Assert.Equal("234"u8.ToArray(), await ReadAllAsync(get));
    }

    // ------------------------------------------------------------------ listings

    [Fact]
    public async Task List_parts_and_list_uploads_page_in_order_through_the_sdk()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var k = new List<string>();
        for (var i = 0; i < 3; i++)
            k.Add(await InitiateAsync(s3, bucket, "k", Mode.Plain));
        var dx = await InitiateAsync(s3, bucket, "dir/x", Mode.Plain);
        var dy = await InitiateAsync(s3, bucket, "dir/y", Mode.Plain);
        for (var n = 1; n <= 3; n++)
            await UploadPartAsync(s3, bucket, "k", k[0], n, SeededData.Bytes((ulong)n, 0, n * 10), Mode.Plain);

        var page1 = await s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "k", UploadId = k[0], MaxParts = 2 });
        Assert.Equal([1, 2], page1.Parts.Select(p => p.PartNumber ?? 0));
        Assert.Equal([10L, 20L], page1.Parts.Select(p => p.Size ?? 0));
        Assert.True(page1.IsTruncated);
        Assert.Equal(2, page1.NextPartNumberMarker);
        Assert.Equal("STANDARD", page1.StorageClass);
        Assert.False(string.IsNullOrEmpty(page1.Initiator?.DisplayName));
        var page2 = await s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = "k", UploadId = k[0], MaxParts = 2, PartNumberMarker = "2" });
        Assert.Equal([3], page2.Parts.Select(p => p.PartNumber ?? 0));
        Assert.False(page2.IsTruncated);

        var all = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket });
        Assert.Equal([dx, dy, .. k], all.MultipartUploads.Select(u => u.UploadId));
        Assert.False(all.IsTruncated);
        var rolled = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket, Delimiter = "/" });
        Assert.Equal(["dir/"], rolled.CommonPrefixes);
        Assert.Equal(k, rolled.MultipartUploads.Select(u => u.UploadId));

        var paged = new List<string>();
        string? keyMarker = null, uploadIdMarker = null;
        while (true)
        {
            var page = await s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket, MaxUploads = 2, KeyMarker = keyMarker, UploadIdMarker = uploadIdMarker });
            paged.AddRange(page.MultipartUploads.Select(u => u.UploadId));
            if (page.IsTruncated != true) break;
            (keyMarker, uploadIdMarker) = (page.NextKeyMarker, page.NextUploadIdMarker);
        }
        Assert.Equal(all.MultipartUploads.Select(u => u.UploadId), paged);
    }

    // ------------------------------------------------------------------ the "done when"

    /// <summary>
    /// 1 GiB in 16 parts of 64 MiB, three at a time, SSE-C, generated on the fly (never held in
    /// memory) and verified against regenerated bytes and an independent CRC-64: whole, and by
    /// ranges across part boundaries and inside parts.
    /// </summary>
    [Fact]
    public async Task A_one_gibibyte_file_uploads_in_parallel_sse_c_parts_and_reads_back_intact_whole_and_by_ranges()
    {
        const long size = 1L << 30;
        const int partSize = 64 * MiB;
        const ulong seed = 0xC0FFE2;
        var clock = Stopwatch.StartNew();
        using var s3 = Clients.S3(f, https: true);
        var bucket = await NewBucketAsync(s3);
        var uploadId = await InitiateAsync(s3, bucket, "gib", Mode.SseC);

        var partCount = (int)(size / partSize);
        var etags = new string[partCount];
        await Parallel.ForEachAsync(Enumerable.Range(0, partCount), new ParallelOptions { MaxDegreeOfParallelism = 3 }, async (i, ct) =>
        {
            var request = new UploadPartRequest
            {
                BucketName = bucket,
                Key = "gib",
                UploadId = uploadId,
                PartNumber = i + 1,
                InputStream = SeededData.Open(seed, (long)i * partSize, partSize),
                DisablePayloadSigning = true, // HTTPS: the CRC32 trailer still checks the body, without SigV4's SHA-256 per chunk
                ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
                ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
                ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
            };
            etags[i] = (await s3.UploadPartAsync(request, ct)).ETag;
        });
        var uploaded = clock.Elapsed;
        var complete = await CompleteAsync(s3, bucket, "gib", uploadId, etags);
        Assert.EndsWith($"-{partCount}\"", complete.ETag);

        var expectedCrc = GeneratedCrc64(seed, 0, size);
        var stored = await f.Server.Services.Store.GetObjectAsync(bucket, "gib");
        Assert.Equal((size, expectedCrc, partCount), (stored!.Size, stored.Crc64, stored.Streams.Count));

        var readStart = clock.Elapsed;
        using (var get = await s3.GetObjectAsync(Get(bucket, "gib", Mode.SseC)))
        {
            Assert.Equal(size, get.ContentLength);
            Assert.Equal(expectedCrc, await VerifyGeneratedAsync(get.ResponseStream, seed, 0, size));
        }
        var wholeRead = clock.Elapsed - readStart;

        var ranges = new List<(long From, long Length)> { (0, 1), (size - 1, 1), (5L * partSize - 7, 100 * MiB) };
        foreach (var boundary in new[] { 1L, 7, 15 }.Select(n => n * partSize))
            ranges.AddRange([(boundary - 1, 2), (boundary - Segment - 3, 2 * Segment + 9), (boundary + Segment, 3 * Segment)]);
        foreach (var (from, length) in ranges)
        {
            using var part = await s3.GetObjectAsync(Get(bucket, "gib", Mode.SseC, new ByteRange(from, from + length - 1)));
            Assert.Equal(length, part.ContentLength);
            Assert.Equal(GeneratedCrc64(seed, from, length), await VerifyGeneratedAsync(part.ResponseStream, seed, from, length));
        }
        output.WriteLine($"1 GiB SSE-C: upload {uploaded.TotalSeconds:F1} s, whole read {wholeRead.TotalSeconds:F1} s, total {clock.Elapsed.TotalSeconds:F1} s");
    }

    // ------------------------------------------------------------------ helpers
    // ------------------------------------------------------------------ helpers

    private static async Task<string> NewBucketAsync(IAmazonS3 s3)
    {
        var bucket = CofferFixture.NewBucket("mp");
        await s3.PutBucketAsync(bucket);
        return bucket;
    }

    private static async Task<string> InitiateAsync(IAmazonS3 s3, string bucket, string key, Mode mode)
    {
        var request = new InitiateMultipartUploadRequest { BucketName = bucket, Key = key };
        switch (mode)
        {
            case Mode.SseS3:
                request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
                break;
            case Mode.SseKms:
                request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                request.ServerSideEncryptionKeyManagementServiceEncryptionContext = KmsContext;
                break;
            case Mode.SseC:
                request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                request.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
                request.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
                break;
        }
        var response = await s3.InitiateMultipartUploadAsync(request);
        AssertSse(mode, response.ServerSideEncryptionMethod, mode == Mode.SseC ? response.ServerSideEncryptionCustomerMethod : null);
        return response.UploadId;
    }

    private static Task<UploadPartResponse> UploadPartAsync(IAmazonS3 s3, string bucket, string key, string uploadId, int number, byte[] data, Mode mode, string? customerKey = null)
    {
        var request = new UploadPartRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(data) };
        if (mode == Mode.SseC)
        {
            customerKey ??= SseKeys.KeyA;
            request.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            request.ServerSideEncryptionCustomerProvidedKey = customerKey;
            request.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.Md5Of(customerKey);
        }
        return s3.UploadPartAsync(request);
    }

    private static Task<CompleteMultipartUploadResponse> CompleteAsync(IAmazonS3 s3, string bucket, string key, string uploadId, IEnumerable<string> etags) =>
        s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = uploadId,
            PartETags = etags.Select((etag, i) => new PartETag(i + 1, etag)).ToList(),
        });

    /// <summary>Ranges inside a part, across every part boundary (±1 byte), across segment boundaries, and spanning all parts.</summary>
    private static async Task AssertRangesAsync(IAmazonS3 s3, string bucket, string key, Mode mode, byte[] data, IReadOnlyList<int> sizes)
    {
        var ranges = new List<(long From, long To)> { (0, 0), (data.Length - 1, data.Length - 1), (1, data.Length - 2), (Segment - 1, Segment) };
        long boundary = 0;
        foreach (var size in sizes.SkipLast(1))
        {
            boundary += size;
            ranges.Add((boundary - 1, boundary));
            ranges.Add((boundary - 3, Math.Min(data.Length - 1, boundary + Segment + 2)));
        }
        foreach (var (from, to) in ranges.Select(r => (Math.Max(0, r.From), Math.Min(data.Length - 1, r.To))).Where(r => r.Item1 <= r.Item2))
        {
            using var part = await s3.GetObjectAsync(Get(bucket, key, mode, new ByteRange(from, to)));
            Assert.Equal(data[(int)from..(int)(to + 1)], await ReadAllAsync(part));
        }
    }

    private static void AssertSse(Mode mode, ServerSideEncryptionMethod? method, ServerSideEncryptionCustomerMethod? customer)
    {
        switch (mode)
        {
            case Mode.SseS3: Assert.Equal(ServerSideEncryptionMethod.AES256, method); break;
            case Mode.SseKms: Assert.Equal(ServerSideEncryptionMethod.AWSKMS, method); break;
            case Mode.SseC: Assert.Equal(ServerSideEncryptionCustomerMethod.AES256, customer); break;
        }
    }

    private static CopyPartRequest CopyPart(string bucket, string sourceKey, string key, string uploadId, int number, long first, long last) => new()
    {
        SourceBucket = bucket,
        SourceKey = sourceKey,
        DestinationBucket = bucket,
        DestinationKey = key,
        UploadId = uploadId,
        PartNumber = number,
        FirstByte = first,
        LastByte = last,
        CopySourceServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
        CopySourceServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
        CopySourceServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
    };

    /// <summary>Committed blobs in the data folder once everything queued for reclaiming is gone (grace period skipped).</summary>
    private async Task<int> BlobCountAsync()
    {
        await f.Server.Services.Reclaimer.DrainAllAsync();
        return Directory.EnumerateFiles(Path.Combine(f.DataDirectory, "blobs"), "*", SearchOption.AllDirectories).Count();
    }

    private static async Task AssertErrorAsync(string code, HttpStatusCode status, Func<Task> call)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
        Assert.Equal((code, status), (e.ErrorCode, e.StatusCode));
    }

    /// <summary>CRC-64 (System.IO.Hashing's generic CRC-64/XZ, independent of the server's) of generated bytes [offset, offset + length).</summary>
    private static ulong GeneratedCrc64(ulong seed, long offset, long length)
    {
        var crc = SeededData.NewCrc64();
        var buffer = new byte[MiB];
        for (long done = 0; done < length;)
        {
            var n = (int)Math.Min(buffer.Length, length - done);
            SeededData.Fill(seed, offset + done, buffer.AsSpan(0, n));
            crc.Append(buffer.AsSpan(0, n));
            done += n;
        }
        return crc.GetCurrentHashAsUInt64();
    }

    /// <summary>Reads <paramref name="stream"/> to its end, compares every byte with the generated ones and returns the CRC-64 of what was read.</summary>
    private static async Task<ulong> VerifyGeneratedAsync(Stream stream, ulong seed, long offset, long length)
    {
        var crc = SeededData.NewCrc64();
        var (received, expected) = (new byte[MiB], new byte[MiB]);
        long done = 0;
        int n;
        while ((n = await stream.ReadAsync(received)) > 0)
        {
            Assert.True(done + n <= length, "more bytes than asked for");
            SeededData.Fill(seed, offset + done, expected.AsSpan(0, n));
            Assert.True(received.AsSpan(0, n).SequenceEqual(expected.AsSpan(0, n)), $"bytes differ in [{offset + done}, {offset + done + n})");
            crc.Append(received.AsSpan(0, n));
            done += n;
        }
        Assert.Equal(length, done);
        return crc.GetCurrentHashAsUInt64();
    }

    /// <summary>The parts of an upload (AWSSDK v4 gives null for an empty list).</summary>
    private static async Task<List<PartDetail>> PartsAsync(IAmazonS3 s3, string bucket, string key, string uploadId) =>
        (await s3.ListPartsAsync(bucket, key, uploadId)).Parts ?? [];

    private static string Quoted(byte[] md5) => "\"" + Convert.ToHexStringLower(md5) + "\"";

    private static async Task<string> HashFileAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
    }
}
