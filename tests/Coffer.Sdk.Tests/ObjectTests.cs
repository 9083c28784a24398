using System.Text;
using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>Objects, buckets and listings against a real Coffer server over HTTPS, with both signatures and every addressing mode.</summary>
[Collection(ServerCollection.Name)]
public sealed class ObjectTests(ServerFixture fixture)
{
    public static TheoryData<SignatureVersion, Addressing> Modes => new()
    {
        { SignatureVersion.CosV5, Addressing.CosHost },
        { SignatureVersion.CosV5, Addressing.Path },
        { SignatureVersion.CosV5, Addressing.OwnDomain },
        { SignatureVersion.SigV4, Addressing.Path },
        { SignatureVersion.SigV4, Addressing.CosHost },
    };

    public static TheoryData<SignatureVersion> Signatures => new() { SignatureVersion.CosV5, SignatureVersion.SigV4 };

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Metadata_that_is_not_ascii_round_trips_through_put_get_head_and_copy(SignatureVersion signature)
    {
        const string chinese = "腾讯云对象存储";
        const string emoji = "coffer 🔐☕";
        using var client = fixture.Client(signature, Addressing.CosHost);
        string bucket = await fixture.CreateBucketAsync(client);
        var put = new PutObjectRequest { Bucket = bucket, Key = "meta", Body = "m" };
        put.Metadata["zh"] = chinese;
        put.Metadata["emoji"] = emoji;
        put.Metadata["ascii"] = "plain";
        await client.PutObjectAsync(put);

        await using (var get = await client.GetObjectAsync(bucket, "meta"))
        {
            Assert.Equal(chinese, get.Metadata["zh"]);
            Assert.Equal(emoji, get.Metadata["emoji"]);
            Assert.Equal("plain", get.Metadata["ascii"]);
            // On the wire the value is ASCII (RFC 2047); the SDK hands back the text.
            Assert.StartsWith("=?UTF-8?B?", get.Headers.Get("x-cos-meta-zh"), StringComparison.Ordinal);
        }
        var head = await client.HeadObjectAsync(bucket, "meta");
        Assert.Equal(chinese, head.Metadata["zh"]);

        var copy = new CopyObjectRequest { Bucket = bucket, Key = "meta-copy", CopySource = new CopySource(bucket, "meta"), CopyStatus = "Replaced" };
        copy.Metadata["zh"] = emoji;
        await client.CopyObjectAsync(copy);
        Assert.Equal(emoji, (await client.HeadObjectAsync(bucket, "meta-copy")).Metadata["zh"]);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Put_get_head_list_and_delete_round_trip(SignatureVersion signature, Addressing addressing)
    {
        using var client = fixture.Client(signature, addressing);
        string bucket = await fixture.CreateBucketAsync(client);
        var put = new PutObjectRequest { Bucket = bucket, Key = "dir/hello 腾讯云.txt", Body = "hello", ContentType = "text/plain", EnableMD5 = true };
        put.Metadata["project"] = "coffer";
        var putResponse = await client.PutObjectAsync(put);
        Assert.Equal("\"5d41402abc4b2a76b9719d911017c592\"", putResponse.ETag);
        Assert.Equal(Protocol.Checksums.Crc64Xz.Compute("hello"u8), putResponse.Crc64);
        Assert.NotNull(putResponse.RequestId);

        await using (var get = await client.GetObjectAsync(bucket, "dir/hello 腾讯云.txt"))
        {
            Assert.Equal("hello", await get.ReadAsStringAsync());
            Assert.Equal("text/plain", get.ContentType);
            Assert.Equal("coffer", get.Metadata["project"]);
            Assert.Equal(5, get.ContentLength);
        }

        var head = await client.HeadObjectAsync(bucket, "dir/hello 腾讯云.txt");
        Assert.Equal(putResponse.ETag, head.ETag);
        Assert.Equal("STANDARD", head.StorageClass);
        Assert.NotNull(head.LastModified);

        await client.PutObjectAsync(bucket, "dir/sub/a", "a");
        await client.PutObjectAsync(bucket, "other", "o");
        var list = await client.ListObjectsAsync(new ListObjectsRequest { Bucket = bucket, Prefix = "dir/", Delimiter = "/" });
        Assert.Equal(["dir/hello 腾讯云.txt"], list.Contents.Select(c => c.Key));
        Assert.Equal(["dir/sub/"], list.CommonPrefixes);
        Assert.Equal(3, await client.ListAllObjectsAsync(bucket).CountAsync());

        foreach (var key in new[] { "dir/hello 腾讯云.txt", "dir/sub/a", "other" })
        {
            await client.DeleteObjectAsync(bucket, key);
        }

        Assert.False(await client.ObjectExistsAsync(bucket, "other"));
        await client.DeleteBucketAsync(bucket);
        Assert.False(await client.BucketExistsAsync(bucket));
    }

    [Fact]
    public async Task Listing_pages_with_markers_and_decodes_url_encoded_keys()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        string[] keys = ["a b", "a+b", "a%b", "a/./b", "z~"];
        foreach (var key in keys)
        {
            await client.PutObjectAsync(bucket, key, key);
        }

        var page = await client.ListObjectsAsync(new ListObjectsRequest { Bucket = bucket, MaxKeys = 2 });
        Assert.True(page.IsTruncated);
        Assert.Equal(2, page.Contents.Count);
        var all = await client.ListAllObjectsAsync(bucket).Select(o => o.Key).ToListAsync();
        Assert.Equal(keys.Order(StringComparer.Ordinal), all);
        await using var dotted = await client.GetObjectAsync(bucket, "a/./b");
        Assert.Equal("a/./b", await dotted.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Sse_cos_kms_and_c_objects_report_their_encryption_in_the_guide_s_headers(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        using var kms = new KmsClient(fixture.Config(signature));
        string bucket = await fixture.CreateBucketAsync(client);
        var key = await kms.CreateKeyAsync("test");

        var cos = await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "cos", Body = "123", ServerSideEncryption = "AES256" });
        Assert.Equal("AES256", cos["x-cos-server-side-encryption"]);
        Assert.Equal("AES256", cos.ServerSideEncryption);
        Assert.Equal("\"202cb962ac59075b964b07152d234b70\"", cos.ETag);

        var kmsPut = await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "kms", Body = "123", Sse = Sse.Kms(key.KeyId, "{\"test\":\"test\"}") });
        Assert.Contains(kmsPut["x-cos-server-side-encryption"], new[] { "cos/kms", "aws:kms" });
        Assert.EndsWith(key.KeyId, kmsPut.KmsKeyId);

        var customer = Sse.Customer("00000000000000000000000000000001");
        var c = await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "c", Body = "00000", Sse = customer });
        Assert.Equal("AES256", c["x-cos-server-side-encryption-customer-algorithm"]);
        Assert.Equal(customer.KeyMd5, c.SseCustomerKeyMd5);
        Assert.Null(c.ServerSideEncryption);

        await using (var get = await client.GetObjectAsync(bucket, "cos"))
        {
            Assert.Equal("AES256", get["x-cos-server-side-encryption"]);
            Assert.Equal("123", await get.ReadAsStringAsync());
        }

        await using (var get = await client.GetObjectAsync(bucket, "kms"))
        {
            Assert.NotNull(get.KmsKeyId);
            Assert.Equal("123", await get.ReadAsStringAsync());
        }

        await using (var get = await client.GetObjectAsync(bucket, "c", customer))
        {
            Assert.Equal("AES256", get["x-cos-server-side-encryption-customer-algorithm"]);
            Assert.Equal("00000", await get.ReadAsStringAsync());
        }

        var head = await client.HeadObjectAsync(bucket, "c", customer);
        Assert.Equal("AES256", head.SseCustomerAlgorithm);
        Assert.Equal(Protocol.Checksums.Crc64Xz.Compute("00000"u8), head.Crc64);
    }

    [Fact]
    public async Task Ranged_gets_stream_the_range_with_the_whole_object_s_crc()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        var data = Encoding.ASCII.GetBytes("[Object Content]");
        await client.PutObjectAsync(bucket, "o", data, Sse.Customer("01234567890123456789012345678901"));
        var request = new GetObjectRequest { Bucket = bucket, Key = "o", CustomerKey = Sse.Customer("01234567890123456789012345678901") };
        request.SetRange(8, 14);
        await using var get = await client.GetObjectAsync(request);
        Assert.Equal(206, get.StatusCode);
        Assert.Equal("bytes 8-14/16", get.ContentRange);
        Assert.Equal(16749565679157681890UL, get.Crc64);
        Assert.Equal("Content", await get.ReadAsStringAsync());
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Bucket_default_encryption_is_set_read_applied_and_removed(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var none = await Assert.ThrowsAsync<CofferException>(() => client.GetBucketEncryptionAsync(bucket));
        Assert.Equal(404, none.StatusCode);
        Assert.Contains(none.Code, new[] { ErrorCodes.NoSuchEncryptionConfiguration, ErrorCodes.ServerSideEncryptionConfigurationNotFoundError });

        await client.PutBucketEncryptionAsync(bucket, new BucketEncryptionRule("KMS"));
        var rules = await client.GetBucketEncryptionAsync(bucket);
        Assert.Equal("KMS", Assert.Single(rules.Rules).SSEAlgorithm);
        var put = await client.PutObjectAsync(bucket, "plain", "x");
        Assert.Contains(put.ServerSideEncryption, new[] { "cos/kms", "aws:kms" });

        await client.PutBucketEncryptionAsync(bucket, new BucketEncryptionRule("AES256"));
        Assert.Equal("AES256", (await client.PutObjectAsync(bucket, "plain2", "x")).ServerSideEncryption);
        await client.DeleteBucketEncryptionAsync(bucket);
        Assert.Null((await client.PutObjectAsync(bucket, "plain3", "x")).ServerSideEncryption);
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Bodies_from_bytes_streams_and_files_upload_alike_and_get_streams_to_a_file(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        byte[] data = new byte[300_000];
        Random.Shared.NextBytes(data);
        string path = fixture.NewPath();
        await File.WriteAllBytesAsync(path, data);
        await client.PutObjectAsync(bucket, "bytes", data);
        using (var stream = new MemoryStream(data))
        {
            await client.PutObjectAsync(bucket, "stream", stream);
        }

        long sent = 0;
        await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "file", Body = CosBody.FromFile(path), Progress = (n, _) => sent = n });
        Assert.Equal(data.Length, sent);
        foreach (var key in new[] { "bytes", "stream", "file" })
        {
            string target = fixture.NewPath(key);
            await using var get = await client.GetObjectAsync(bucket, key);
            await get.SaveToFileAsync(target);
            Assert.Equal(data, await File.ReadAllBytesAsync(target));
        }
    }

    [Fact]
    public async Task Temporary_credentials_with_a_token_work_with_both_signatures()
    {
        var (id, secret, token, _) = Coffer.Server.Hosting.TemporaryCredentials.Issue(fixture.Server.Services.RootKey, ServerFixture.AccessKey, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow);
        foreach (var signature in new[] { SignatureVersion.CosV5, SignatureVersion.SigV4 })
        {
            var config = fixture.Config(signature);
            config.SecretId = id;
            config.SecretKey = secret;
            config.Token = token;
            using var client = new CosClient(config);
            string bucket = await fixture.CreateBucketAsync(client);
            await client.PutObjectAsync(bucket, "k", "v");
            config.Token = null;
            using var noToken = new CosClient(config);
            await Assert.ThrowsAsync<CofferException>(() => noToken.HeadBucketAsync(bucket));
        }
    }
}
