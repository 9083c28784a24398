using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>Multipart uploads through AWSSDK.S3 over HTTPS, low-level API and TransferUtility, in every SSE mode.</summary>
[Collection(CofferCollection.Name)]
public sealed class MultipartTests(CofferFixture f)
{
    public enum Mode { Plain, SseS3, SseKms, SseC }

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
                    upload.ServerSideEncryptionKeyManagementServiceKeyId = (await f.Server.Services.Kms.CreateKeyAsync(Coffer.Server.Hosting.Credentials.RootUser, "tu")).KeyId;
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

    private static GetObjectRequest Get(string bucket, string key, Mode mode, ByteRange? range = null)
    {
        var get = new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = range };
        if (mode == Mode.SseC)
        {
            get.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            get.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
            get.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
        }
        return get;
    }

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
        foreach (var (from, to) in ranges)
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

    private static string Quoted(byte[] md5) => "\"" + Convert.ToHexStringLower(md5) + "\"";

    private static async Task<byte[]> ReadAllAsync(GetObjectResponse response)
    {
        using var ms = new MemoryStream();
        await response.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }

    private static async Task<string> HashFileAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file));
    }
}
