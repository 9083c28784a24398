using Coffer.Protocol.Checksums;
using Coffer.Sdk.Tests.Infrastructure;
using static Coffer.Sdk.Tests.Infrastructure.TestData;

namespace Coffer.Sdk.Tests;

/// <summary>UploadFile, DownloadFile and Copy in every SSE mode, single-request and multipart.</summary>
[Collection(ServerCollection.Name)]
public sealed class TransferTests(ServerFixture fixture)
{
    /// <summary>Every SSE mode with the COS signature (COS host), and with SigV4 (path style).</summary>
    public static TheoryData<string, SignatureVersion> ModesAndSignatures
    {
        get
        {
            var data = new TheoryData<string, SignatureVersion>();
            foreach (var mode in new[] { "none", "cos", "kms", "c" })
            {
                data.Add(mode, SignatureVersion.CosV5);
                data.Add(mode, SignatureVersion.SigV4);
            }

            return data;
        }
    }

    private CosClient Client(SignatureVersion signature, RecordingHandler recorder) =>
        fixture.Client(signature, signature == SignatureVersion.SigV4 ? Addressing.Path : Addressing.CosHost, recorder);

    [Theory]
    [MemberData(nameof(ModesAndSignatures))]
    public async Task Upload_file_below_the_threshold_is_one_put_with_a_crc_check(string mode, SignatureVersion signature)
    {
        var recorder = new RecordingHandler();
        using var client = Client(signature, recorder);
        string bucket = await fixture.CreateBucketAsync(client);
        var (path, data) = await FileAsync(fixture, 200_000);
        var response = await client.UploadFileAsync(new UploadFileRequest { Bucket = bucket, Key = "small", LocalFilePath = path, Sse = Mode(mode) });
        Assert.False(response.Multipart);
        Assert.Equal(Crc64Xz.Compute(data), response.LocalCrc64);
        Assert.Equal(response.LocalCrc64, response.Crc64);
        Assert.Equal(1, recorder.Count("PUT", "/small"));
        Assert.Equal(data, await ReadAsync(client, bucket, "small", ReadKey(mode)));
    }

    [Theory]
    [MemberData(nameof(ModesAndSignatures))]
    public async Task Upload_file_above_the_threshold_goes_in_parts_and_checks_the_whole_crc(string mode, SignatureVersion signature)
    {
        var recorder = new RecordingHandler();
        using var client = Client(signature, recorder);
        string bucket = await fixture.CreateBucketAsync(client);
        var (path, data) = await FileAsync(fixture, 5 * MiB + 4321);
        var progress = new List<TransferProgress>();
        var response = await client.UploadFileAsync(new UploadFileRequest
        {
            Bucket = bucket,
            Key = "big",
            LocalFilePath = path,
            Sse = Mode(mode),
            MultipartThreshold = MiB,
            PartSize = MiB,
            MaxThreads = 3,
            EnableMD5 = true,
            Progress = p => { lock (progress) { progress.Add(p); } },
        });
        Assert.True(response.Multipart);
        Assert.Equal(6, response.PartCount);
        Assert.Equal(6, recorder.Count("PUT", "partNumber="));
        Assert.Equal(Crc64Xz.Compute(data), response.Crc64);
        Assert.Equal(data.Length, progress.Max(p => p.TransferredBytes));
        Assert.All(progress, p => Assert.Equal(data.Length, p.TotalBytes));
        if (mode == "c")
        {
            Assert.Equal("AES256", response["x-cos-server-side-encryption-customer-algorithm"]);
        }
        else if (mode != "none")
        {
            Assert.NotNull(response.ServerSideEncryption);
        }

        Assert.Equal(data, await ReadAsync(client, bucket, "big", ReadKey(mode)));
        Assert.Empty((await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { Bucket = bucket })).Uploads);
    }

    [Theory]
    [MemberData(nameof(ModesAndSignatures))]
    public async Task Download_file_fetches_ranges_in_parallel_and_verifies_size_and_crc(string mode, SignatureVersion signature)
    {
        var recorder = new RecordingHandler();
        using var client = Client(signature, recorder);
        string bucket = await fixture.CreateBucketAsync(client);
        var data = Bytes(3 * MiB + 17);
        await client.PutObjectAsync(bucket, "obj", data, Mode(mode));
        recorder.Reset();
        string dest = fixture.NewPath("dest");
        var response = await client.DownloadFileAsync(new DownloadFileRequest
        {
            Bucket = bucket,
            Key = "obj",
            DestFilePath = dest,
            CustomerKey = ReadKey(mode),
            PartSize = 512 * 1024,
            MaxThreads = 3,
        });
        Assert.Equal(7, response.PartCount);
        Assert.Equal(Crc64Xz.Compute(data), response.LocalCrc64);
        Assert.Equal(data, await File.ReadAllBytesAsync(dest));
        Assert.Equal(7, recorder.Count("GET", "/obj"));
        Assert.Equal(1, recorder.Count("HEAD", "/obj"));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(dest)!, Path.GetFileName(dest) + ".*.cosdownload"));
    }

    [Fact]
    public async Task Download_file_of_a_small_and_an_empty_object_is_one_get()
    {
        using var client = fixture.Client(SignatureVersion.SigV4, Addressing.Path);
        string bucket = await fixture.CreateBucketAsync(client);
        await client.PutObjectAsync(bucket, "small", "small body");
        await client.PutObjectAsync(bucket, "empty", "");
        string small = fixture.NewPath(), empty = fixture.NewPath();
        Assert.Equal(1, (await client.DownloadFileAsync(new DownloadFileRequest { Bucket = bucket, Key = "small", DestFilePath = small })).PartCount);
        await client.DownloadFileAsync(new DownloadFileRequest { Bucket = bucket, Key = "empty", DestFilePath = empty });
        Assert.Equal("small body", await File.ReadAllTextAsync(small));
        Assert.Empty(await File.ReadAllBytesAsync(empty));
    }

    public static TheoryData<string, string> CopyPairs => new()
    {
        { "c", "c2" },
        { "c", "kms" },
        { "none", "cos" },
        { "kms", "none" },
        { "cos", "c" },
    };

    [Theory]
    [MemberData(nameof(CopyPairs))]
    public async Task Copy_object_changes_encryption_independently_of_the_source(string from, string to)
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        var data = Bytes(100_000);
        await client.PutObjectAsync(bucket, "src", data, Mode(from));
        var response = await client.CopyObjectAsync(new CopyObjectRequest
        {
            Bucket = bucket,
            Key = "dst",
            CopySource = new CopySource(bucket, "src"),
            CopySourceCustomerKey = ReadKey(from),
            Sse = to == "c2" ? KeyB : Mode(to),
        });
        Assert.NotNull(response.ETag);
        Assert.Equal(Crc64Xz.Compute(data), response.Crc64);
        var readKey = to == "c2" ? KeyB : ReadKey(to);
        Assert.Equal(data, await ReadAsync(client, bucket, "dst", readKey));
    }

    [Theory]
    [MemberData(nameof(CopyPairs))]
    public async Task Copy_above_the_threshold_uses_upload_part_copy_with_both_keys(string from, string to)
    {
        var recorder = new RecordingHandler();
        using var client = fixture.Client(handler: recorder);
        string bucket = await fixture.CreateBucketAsync(client);
        var data = Bytes(3 * MiB + 5);
        await client.PutObjectAsync(bucket, "src", data, Mode(from));
        var response = await client.CopyAsync(new CopyRequest
        {
            Bucket = bucket,
            Key = "dst",
            CopySource = new CopySource(bucket, "src"),
            MaxThreads = 2,
            CopySourceCustomerKey = ReadKey(from),
            Sse = to == "c2" ? KeyB : Mode(to),
            CopyThreshold = MiB,
            PartSize = MiB,
        });
        Assert.True(response.Multipart);
        Assert.Equal(4, response.PartCount);
        Assert.Equal(Crc64Xz.Compute(data), response.Crc64);
        Assert.Equal(4, recorder.Count("PUT", "partNumber="));
        var readKey = to == "c2" ? KeyB : ReadKey(to);
        Assert.Equal(data, await ReadAsync(client, bucket, "dst", readKey));
    }

    [Fact]
    public async Task Copy_below_the_threshold_is_one_copy_object_and_keeps_metadata()
    {
        using var client = fixture.Client(SignatureVersion.SigV4, Addressing.Path);
        string bucket = await fixture.CreateBucketAsync(client);
        var put = new PutObjectRequest { Bucket = bucket, Key = "src", Body = "meta", ContentType = "text/x-test" };
        put.Metadata["colour"] = "blue";
        await client.PutObjectAsync(put);
        var copy = await client.CopyAsync(new CopyRequest { Bucket = bucket, Key = "dst", CopySource = new CopySource(bucket, "src") });
        Assert.False(copy.Multipart);
        var head = await client.HeadObjectAsync(bucket, "dst");
        Assert.Equal("text/x-test", head.ContentType);
        Assert.Equal("blue", head.Metadata["colour"]);
    }

    [Fact]
    public async Task Multipart_copy_with_the_copy_directive_carries_the_source_metadata()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        var put = new PutObjectRequest { Bucket = bucket, Key = "src", Body = Bytes(2 * MiB + 1), ContentType = "text/x-big" };
        put.Metadata["colour"] = "red";
        await client.PutObjectAsync(put);
        await client.CopyAsync(new CopyRequest { Bucket = bucket, Key = "dst", CopySource = new CopySource(bucket, "src"), CopyThreshold = MiB, PartSize = MiB });
        var head = await client.HeadObjectAsync(bucket, "dst");
        Assert.Equal("text/x-big", head.ContentType);
        Assert.Equal("red", head.Metadata["colour"]);
    }

    [Theory]
    [InlineData(SignatureVersion.CosV5)]
    [InlineData(SignatureVersion.SigV4)]
    public async Task Restore_of_an_archived_sse_c_object_makes_it_readable(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "cold", Body = "frozen", StorageClass = "ARCHIVE", CustomerKey = KeyA });
        var denied = await Assert.ThrowsAsync<CofferException>(() => client.GetObjectAsync(bucket, "cold", KeyA));
        Assert.Equal(ErrorCodes.InvalidObjectState, denied.Code);
        var restore = await client.RestoreObjectAsync(new RestoreObjectRequest { Bucket = bucket, Key = "cold", Days = 1, Tier = "Expedited", CustomerKey = KeyA });
        Assert.Contains(restore.StatusCode, new[] { 200, 202 });
        HeadObjectResponse head;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            head = await client.HeadObjectAsync(bucket, "cold", KeyA);
            if (head.Restore is { OngoingRequest: false })
            {
                break;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Contains(head.StorageClass, new[] { "ARCHIVE", "GLACIER" }); // S3 names the class GLACIER
        Assert.NotNull(head.Restore);
        Assert.False(head.Restore!.OngoingRequest);
        Assert.NotNull(head.Restore.ExpiryDate);
        Assert.Equal("frozen", System.Text.Encoding.UTF8.GetString(await ReadAsync(client, bucket, "cold", KeyA)));
    }

    [Fact]
    public async Task Restore_of_a_standard_object_is_refused()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        await client.PutObjectAsync(bucket, "warm", "x");
        var e = await Assert.ThrowsAsync<CofferException>(() => client.RestoreObjectAsync(new RestoreObjectRequest { Bucket = bucket, Key = "warm" }));
        Assert.Equal(ErrorCodes.RestoreNonArchiveObject, e.Code);
        Assert.Equal(405, e.StatusCode);
    }
}
