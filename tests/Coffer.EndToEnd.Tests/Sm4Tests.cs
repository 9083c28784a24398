using System.Net;
using System.Text;
using System.Xml.Linq;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.Crypto;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Storage;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// COS's SM4 server-side encryption through the real server: <c>x-cos-server-side-encryption: SM4</c>, the bucket
/// defaults <c>SSEAlgorithm SM4</c> and <c>KMSAlgorithm SM4</c>, and the same range, copy, multipart and rekey
/// behaviour as AES256 — each object's stored streams checked to carry the SM4-GCM cipher byte (docs/format.md §4.1).
/// S3-signed requests have no SM4 and keep the reference answer to an unknown algorithm.
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class Sm4Tests(CofferFixture f)
{
    private const int MiB = 1024 * 1024;
    private const int Segment = SealedStream.SegmentSize;
    private static readonly KeyValuePair<string, string>[] Sm4 = [new("x-cos-server-side-encryption", "SM4")];
    private static readonly KeyValuePair<string, string>[] Aes = [new("x-cos-server-side-encryption", "AES256")];

    [Theory]
    [InlineData(3)]             // inline in the metadata row
    [InlineData((3 * Segment) + 17)] // a blob of four segments
    public async Task Put_with_sm4_answers_sm4_on_put_get_and_head_and_stores_sm4_gcm_streams(int size)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var data = SeededData.Bytes(41, 0, size);
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "sm4", headers: Sm4, body: data);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("SM4", put.Header("x-cos-server-side-encryption"));
        Assert.Equal("\"" + Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(data)) + "\"", put.Header("ETag"));

        var get = await cos.SendAsync(HttpMethod.Get, bucket, "sm4");
        Assert.Equal("SM4", get.Header("x-cos-server-side-encryption"));
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
        var head = await cos.SendAsync(HttpMethod.Head, bucket, "sm4");
        Assert.Equal("SM4", head.Header("x-cos-server-side-encryption"));

        var stored = (await f.Server.Services.Store.GetObjectAsync(bucket, "sm4"))!;
        Assert.Equal((SseMode.Cos, StreamCipher.Sm4Gcm), (stored.Encryption.Mode, stored.Encryption.Cipher));
        Assert.Equal([0x02], await CipherBytesAsync(stored));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(Segment - 10, 20)]           // across the first segment boundary
    [InlineData(Segment, Segment)]           // exactly the second segment
    [InlineData((3 * Segment) + 10, 7)]      // the tail of the final segment
    public async Task Range_reads_of_an_sm4_object_return_exactly_the_range(int offset, int count)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var data = SeededData.Bytes(42, 0, (3 * Segment) + 17);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "ranged", headers: Sm4, body: data)).StatusCode);

        var get = await cos.SendAsync(HttpMethod.Get, bucket, "ranged", headers: [new("Range", $"bytes={offset}-{offset + count - 1}")]);
        Assert.Equal(HttpStatusCode.PartialContent, get.StatusCode);
        Assert.Equal("SM4", get.Header("x-cos-server-side-encryption"));
        Assert.Equal(data.AsSpan(offset, count).ToArray(), await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_s3_signed_put_naming_sm4_gets_the_reference_error_and_writes_nothing()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket("sm4s3");
        await s3.PutBucketAsync(bucket);
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = "k",
            ContentBody = "x",
            ServerSideEncryptionMethod = new ServerSideEncryptionMethod("SM4"),
        }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (e.StatusCode, e.ErrorCode));
        Assert.Null(await f.Server.Services.Store.GetObjectAsync(bucket, "k"));

        // Nor may S3's PutBucketEncryption name it.
        var config = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = bucket,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules = [new ServerSideEncryptionRule { ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault { ServerSideEncryptionAlgorithm = new ServerSideEncryptionMethod("SM4") } }],
            },
        }));
        Assert.Equal((HttpStatusCode.BadRequest, "MalformedXML"), (config.StatusCode, config.ErrorCode));
    }

    [Fact]
    public async Task A_bucket_default_of_sm4_encrypts_writes_from_both_families_and_s3_clients_read_them()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await PutEncryptionAsync(cos, bucket, "<SSEAlgorithm>SM4</SSEAlgorithm>");
        var got = await (await cos.SendAsync(HttpMethod.Get, bucket, query: [new("encryption", "")])).Content.ReadAsStringAsync();
        Assert.Contains("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>SM4</SSEAlgorithm></ApplyServerSideEncryptionByDefault>", got);

        var cosPut = await cos.SendAsync(HttpMethod.Put, bucket, "from-cos", body: "c"u8.ToArray());
        Assert.Equal("SM4", cosPut.Header("x-cos-server-side-encryption"));
        // An explicit AES256 wins over the default.
        var aesPut = await cos.SendAsync(HttpMethod.Put, bucket, "explicit-aes", headers: Aes, body: "a"u8.ToArray());
        Assert.Equal("AES256", aesPut.Header("x-cos-server-side-encryption"));

        using var s3 = Clients.S3(f, https: true);
        // S3 clients see the configuration as it is (S3 has no SM4 of its own, but the value is a string to them).
        var s3Config = await s3.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = bucket });
        Assert.Equal("SM4", Assert.Single(s3Config.ServerSideEncryptionConfiguration.ServerSideEncryptionRules).ServerSideEncryptionByDefault.ServerSideEncryptionAlgorithm.Value);
        var data = SeededData.Bytes(43, 0, Segment + 5);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "from-s3", InputStream = new MemoryStream(data) });
        var head = await s3.GetObjectMetadataAsync(bucket, "from-s3");
        Assert.Equal("SM4", head.ServerSideEncryptionMethod.Value);
        using (var get = await s3.GetObjectAsync(bucket, "from-s3"))
            Assert.Equal(data, await SseCases.ReadAllAsync(get));

        foreach (var (key, cipher) in new[] { ("from-cos", StreamCipher.Sm4Gcm), ("from-s3", StreamCipher.Sm4Gcm), ("explicit-aes", StreamCipher.Aes256Gcm) })
        {
            var stored = (await f.Server.Services.Store.GetObjectAsync(bucket, key))!;
            Assert.Equal((SseMode.Cos, cipher), (stored.Encryption.Mode, stored.Encryption.Cipher));
            Assert.Equal([cipher == StreamCipher.Sm4Gcm ? (byte)0x02 : (byte)0x01], await CipherBytesAsync(stored));
        }
    }

    [Fact]
    public async Task A_bucket_default_of_kms_with_kms_algorithm_sm4_seals_sse_kms_data_with_sm4()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var key = await f.Server.Services.Kms.CreateKeyAsync(await f.RootIdAsync(), "sm4-default");
        await PutEncryptionAsync(cos, bucket, $"<SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID>{key.KeyId}</KMSMasterKeyID><KMSAlgorithm>SM4</KMSAlgorithm>");
        var got = await (await cos.SendAsync(HttpMethod.Get, bucket, query: [new("encryption", "")])).Content.ReadAsStringAsync();
        Assert.Contains($"<SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID>{key.KeyId}</KMSMasterKeyID><KMSAlgorithm>SM4</KMSAlgorithm>", got);

        var data = SeededData.Bytes(44, 0, (2 * Segment) + 3);
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "kms-sm4", body: data);
        Assert.Equal(("cos/kms", key.KeyId), (put.Header("x-cos-server-side-encryption"), put.Header("x-cos-server-side-encryption-cos-kms-key-id")));
        var get = await cos.SendAsync(HttpMethod.Get, bucket, "kms-sm4");
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
        var stored = (await f.Server.Services.Store.GetObjectAsync(bucket, "kms-sm4"))!;
        Assert.Equal((SseMode.Kms, StreamCipher.Sm4Gcm, key.KeyId), (stored.Encryption.Mode, stored.Encryption.Cipher, stored.Encryption.KmsKeyId));
        Assert.Equal([0x02], await CipherBytesAsync(stored));

        // KMSAlgorithm AES256 (or none) is plain SSE-KMS again, and the GET answer drops the element.
        await PutEncryptionAsync(cos, bucket, "<SSEAlgorithm>KMS</SSEAlgorithm><KMSAlgorithm>AES256</KMSAlgorithm>");
        Assert.DoesNotContain("KMSAlgorithm", await (await cos.SendAsync(HttpMethod.Get, bucket, query: [new("encryption", "")])).Content.ReadAsStringAsync());
        await cos.SendAsync(HttpMethod.Put, bucket, "kms-aes", body: "k"u8.ToArray());
        Assert.Equal(StreamCipher.Aes256Gcm, (await f.Server.Services.Store.GetObjectAsync(bucket, "kms-aes"))!.Encryption.Cipher);
    }

    public static TheoryData<string, string, string> BadConfigurations => new()
    {
        { "KMSAlgorithm with AES256", "<SSEAlgorithm>AES256</SSEAlgorithm><KMSAlgorithm>SM4</KMSAlgorithm>", "InvalidArgument" },
        { "KMSAlgorithm with SM4", "<SSEAlgorithm>SM4</SSEAlgorithm><KMSAlgorithm>SM4</KMSAlgorithm>", "InvalidArgument" },
        { "KMS key with SM4", "<SSEAlgorithm>SM4</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>", "InvalidArgument" },
        { "unknown KMSAlgorithm", "<SSEAlgorithm>KMS</SSEAlgorithm><KMSAlgorithm>SM3</KMSAlgorithm>", "MalformedXML" },
        { "lower-case sm4", "<SSEAlgorithm>sm4</SSEAlgorithm>", "MalformedXML" },
    };

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public async Task Bad_sm4_bucket_configurations_are_refused_and_change_nothing(string why, string rule, string code)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var client = cos;
        var set = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("encryption", "")], body: Config(rule), headers: [new("Content-Type", "application/xml")]);
        Assert.True((HttpStatusCode.BadRequest, code) == (set.StatusCode, await set.ErrorCodeAsync()), why);
        Assert.Equal(HttpStatusCode.NotFound, (await cos.SendAsync(HttpMethod.Get, bucket, query: [new("encryption", "")])).StatusCode);
    }

    [Fact]
    public async Task Sm4_with_a_kms_key_id_or_context_on_put_is_refused()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "k", headers: [.. Sm4, new("x-cos-server-side-encryption-cos-kms-key-id", "alias/x")], body: "x"u8.ToArray());
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (put.StatusCode, await put.ErrorCodeAsync()));
        var lower = await cos.SendAsync(HttpMethod.Put, bucket, "k", headers: [new("x-cos-server-side-encryption", "sm4")], body: "x"u8.ToArray());
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (lower.StatusCode, await lower.ErrorCodeAsync()));
        Assert.Null(await f.Server.Services.Store.GetObjectAsync(bucket, "k"));
    }

    public static TheoryData<string, string> CipherChanges => new()
    {
        { "SM4", "AES256" },
        { "AES256", "SM4" },
        { "SM4", "cos/kms" },
        { "cos/kms", "SM4" },
        { "SM4", "none" },
        { "none", "SM4" },
    };

    [Theory]
    [MemberData(nameof(CipherChanges))]
    public async Task A_copy_that_changes_the_cipher_rewrites_the_data_under_the_new_one(string from, string to)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var data = SeededData.Bytes(45, 0, (2 * Segment) + 9);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "src", headers: Headers(from), body: data)).StatusCode);

        var copy = await cos.SendAsync(HttpMethod.Put, bucket, "dst", headers: [new("x-cos-copy-source", CopySource(bucket, "src")), .. Headers(to)]);
        Assert.Equal(HttpStatusCode.OK, copy.StatusCode);
        Assert.Equal(to == "none" ? null : to, copy.Header("x-cos-server-side-encryption"));

        var get = await cos.SendAsync(HttpMethod.Get, bucket, "dst");
        Assert.Equal(to == "none" ? null : to, get.Header("x-cos-server-side-encryption"));
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
        var src = (await f.Server.Services.Store.GetObjectAsync(bucket, "src"))!;
        var dst = (await f.Server.Services.Store.GetObjectAsync(bucket, "dst"))!;
        Assert.Equal([CipherByte(to)], await CipherBytesAsync(dst));
        Assert.NotEqual(src.Streams[0].BlobId, dst.Streams[0].BlobId);
        Assert.Equal(src.Crc64, dst.Crc64);
    }

    [Fact]
    public async Task A_copy_between_sm4_objects_shares_the_data_and_a_self_copy_must_change_the_cipher()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var data = SeededData.Bytes(46, 0, Segment + 1);
        await cos.SendAsync(HttpMethod.Put, bucket, "src", headers: Sm4, body: data);

        var copy = await cos.SendAsync(HttpMethod.Put, bucket, "dst", headers: [new("x-cos-copy-source", CopySource(bucket, "src")), .. Sm4]);
        Assert.Equal((HttpStatusCode.OK, "SM4"), (copy.StatusCode, copy.Header("x-cos-server-side-encryption")));
        var src = (await f.Server.Services.Store.GetObjectAsync(bucket, "src"))!;
        var dst = (await f.Server.Services.Store.GetObjectAsync(bucket, "dst"))!;
        Assert.Equal(src.Streams[0].BlobId, dst.Streams[0].BlobId); // re-wrap, never re-encrypt
        Assert.Equal(data, await (await cos.SendAsync(HttpMethod.Get, bucket, "dst")).Content.ReadAsByteArrayAsync());

        var unchanged = await cos.SendAsync(HttpMethod.Put, bucket, "src", headers: [new("x-cos-copy-source", CopySource(bucket, "src")), .. Sm4]);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (unchanged.StatusCode, await unchanged.ErrorCodeAsync()));

        var toAes = await cos.SendAsync(HttpMethod.Put, bucket, "src", headers: [new("x-cos-copy-source", CopySource(bucket, "src")), .. Aes]);
        Assert.Equal((HttpStatusCode.OK, "AES256"), (toAes.StatusCode, toAes.Header("x-cos-server-side-encryption")));
        Assert.Equal([0x01], await CipherBytesAsync((await f.Server.Services.Store.GetObjectAsync(bucket, "src"))!));
        Assert.Equal(data, await (await cos.SendAsync(HttpMethod.Get, bucket, "src")).Content.ReadAsByteArrayAsync());
        // The copy made before still reads: the old blob was shared, and is reclaimed only when nothing refers to it.
        Assert.Equal(data, await (await cos.SendAsync(HttpMethod.Get, bucket, "dst")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task An_sm4_multipart_upload_seals_every_part_with_sm4_and_refuses_parts_naming_aes256()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        const string key = "multi/sm4.bin";
        var init = await cos.SendAsync(HttpMethod.Post, bucket, key, [new("uploads", "")], Sm4);
        Assert.Equal("SM4", init.Header("x-cos-server-side-encryption"));
        var uploadId = Text(await XmlAsync(init), "UploadId");

        var part1 = SeededData.Bytes(47, 0, MiB);
        var part2 = SeededData.Bytes(48, 0, Segment + 100);
        var wrong = await cos.SendAsync(HttpMethod.Put, bucket, key, PartQuery(1, uploadId), Aes, part1);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (wrong.StatusCode, await wrong.ErrorCodeAsync()));
        var put1 = await cos.SendAsync(HttpMethod.Put, bucket, key, PartQuery(1, uploadId), Sm4, part1); // repeating SM4 is fine
        var put2 = await cos.SendAsync(HttpMethod.Put, bucket, key, PartQuery(2, uploadId), body: part2);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (put1.StatusCode, put2.StatusCode));
        Assert.Equal("SM4", put2.Header("x-cos-server-side-encryption"));

        var xml = $"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{put1.Header("ETag")}</ETag></Part><Part><PartNumber>2</PartNumber><ETag>{put2.Header("ETag")}</ETag></Part></CompleteMultipartUpload>";
        var complete = await cos.SendAsync(HttpMethod.Post, bucket, key, [new("uploadId", uploadId)], body: Encoding.UTF8.GetBytes(xml));
        Assert.Equal((HttpStatusCode.OK, "SM4"), (complete.StatusCode, complete.Header("x-cos-server-side-encryption")));

        var whole = part1.Concat(part2).ToArray();
        Assert.Equal(whole, await (await cos.SendAsync(HttpMethod.Get, bucket, key)).Content.ReadAsByteArrayAsync());
        var across = await cos.SendAsync(HttpMethod.Get, bucket, key, headers: [new("Range", $"bytes={MiB - 5}-{MiB + Segment + 2}")]);
        Assert.Equal(whole.AsSpan(MiB - 5, Segment + 8).ToArray(), await across.Content.ReadAsByteArrayAsync());
        Assert.Equal("SM4", (await cos.SendAsync(HttpMethod.Head, bucket, key)).Header("x-cos-server-side-encryption"));
        var stored = (await f.Server.Services.Store.GetObjectAsync(bucket, key))!;
        Assert.Equal([0x02, 0x02], await CipherBytesAsync(stored));
    }

    [Fact]
    public async Task Upload_part_copy_from_an_sm4_source_into_an_aes256_upload_reseals_the_range_with_aes()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var data = SeededData.Bytes(49, 0, (2 * Segment) + 50);
        await cos.SendAsync(HttpMethod.Put, bucket, "src", headers: Sm4, body: data);
        var init = await cos.SendAsync(HttpMethod.Post, bucket, "dst", [new("uploads", "")], Aes);
        var uploadId = Text(await XmlAsync(init), "UploadId");

        var part = await cos.SendAsync(HttpMethod.Put, bucket, "dst", PartQuery(1, uploadId),
            [new("x-cos-copy-source", CopySource(bucket, "src")), new("x-cos-copy-source-range", $"bytes=10-{Segment + 20}")]);
        var etag = Text(await XmlAsync(part), "ETag");
        var xml = $"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>";
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Post, bucket, "dst", [new("uploadId", uploadId)], body: Encoding.UTF8.GetBytes(xml))).StatusCode);

        Assert.Equal(data.AsSpan(10, Segment + 11).ToArray(), await (await cos.SendAsync(HttpMethod.Get, bucket, "dst")).Content.ReadAsByteArrayAsync());
        Assert.Equal([0x01], await CipherBytesAsync((await f.Server.Services.Store.GetObjectAsync(bucket, "dst"))!));
    }

    [Fact]
    public async Task Rekeying_sse_kms_sm4_objects_rewraps_their_keys_and_keeps_the_sm4_data()
    {
        var s = f.Server.Services;
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var from = (await s.Kms.CreateKeyAsync(await f.RootIdAsync(), "sm4-from")).KeyId;
        var to = (await s.Kms.CreateKeyAsync(await f.RootIdAsync(), "sm4-to")).KeyId;
        await PutEncryptionAsync(cos, bucket, $"<SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID>{from}</KMSMasterKeyID><KMSAlgorithm>SM4</KMSAlgorithm>");
        var data = SeededData.Bytes(50, 0, Segment + 7);
        foreach (var name in new[] { "a", "b" })
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, name, body: data)).StatusCode);
        var blobBefore = (await s.Store.GetObjectAsync(bucket, "a"))!.Streams[0].BlobId;

        var rekeyer = new Coffer.Server.Sse.Rekeyer(s.Store, s.Kms, s.Envelope, s.Audit);
        var result = await rekeyer.RunAsync(new Coffer.Server.Sse.RekeyRequest(bucket, to, FromKey: from));
        Assert.True(result.Finished);
        Assert.Equal(2L, result.Job.Rekeyed);

        foreach (var name in new[] { "a", "b" })
        {
            var stored = (await s.Store.GetObjectAsync(bucket, name))!;
            Assert.Equal((SseMode.Kms, StreamCipher.Sm4Gcm, to), (stored.Encryption.Mode, stored.Encryption.Cipher, stored.Encryption.KmsKeyId));
            Assert.Equal([0x02], await CipherBytesAsync(stored));
            var get = await cos.SendAsync(HttpMethod.Get, bucket, name);
            Assert.Equal(to, get.Header("x-cos-server-side-encryption-cos-kms-key-id"));
            Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
        }
        Assert.Equal(blobBefore, (await s.Store.GetObjectAsync(bucket, "a"))!.Streams[0].BlobId); // the data was not rewritten
    }

    [Fact]
    public async Task An_sse_kms_sm4_object_follows_its_key_state_disabled_refused_enabled_served_deletion_pending_refused()
    {
        var s = f.Server.Services;
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var key = (await s.Kms.CreateKeyAsync(await f.RootIdAsync(), "sm4-shred")).KeyId;
        await PutEncryptionAsync(cos, bucket, $"<SSEAlgorithm>KMS</SSEAlgorithm><KMSMasterKeyID>{key}</KMSMasterKeyID><KMSAlgorithm>SM4</KMSAlgorithm>");
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "k", body: "shred me"u8.ToArray())).StatusCode);
        Assert.Equal("shred me", await (await cos.SendAsync(HttpMethod.Get, bucket, "k")).Content.ReadAsStringAsync());

        await s.Kms.DisableKeyAsync(key);
        var disabled = await cos.SendAsync(HttpMethod.Get, bucket, "k");
        Assert.Equal((HttpStatusCode.BadRequest, "KmsKeyDisabled"), (disabled.StatusCode, await disabled.ErrorCodeAsync()));
        await s.Kms.EnableKeyAsync(key);
        Assert.Equal("shred me", await (await cos.SendAsync(HttpMethod.Get, bucket, "k")).Content.ReadAsStringAsync());
        await s.Kms.ScheduleKeyDeletionAsync(key, 7);
        var pending = await cos.SendAsync(HttpMethod.Get, bucket, "k");
        Assert.Equal((HttpStatusCode.BadRequest, "KmsException"), (pending.StatusCode, await pending.ErrorCodeAsync()));
    }

    private async Task<(CosRawClient Cos, string Bucket)> NewBucketAsync()
    {
        var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        return (cos, bucket);
    }

    private static async Task PutEncryptionAsync(CosRawClient cos, string bucket, string rule)
    {
        var set = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("encryption", "")], body: Config(rule), headers: [new("Content-Type", "application/xml")]);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
    }

    private static byte[] Config(string rule) => Encoding.UTF8.GetBytes(
        $"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>{rule}</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>");

    private static KeyValuePair<string, string>[] Headers(string algorithm) => algorithm == "none" ? [] : [new("x-cos-server-side-encryption", algorithm)];

    private static byte CipherByte(string algorithm) => algorithm switch
    {
        "SM4" => 0x02,
        "none" => 0x00,
        _ => 0x01,
    };

    /// <summary>The cipher byte (docs/format.md §3.1) of each stored stream of an object, read from its row or its blob.</summary>
    private async Task<byte[]> CipherBytesAsync(ObjectRecord obj)
    {
        var result = new List<byte>();
        foreach (var stream in obj.Streams)
        {
            if (stream.IsInline)
            {
                result.Add(stream.Inline![5]);
                continue;
            }
            await using var blob = await f.Server.Services.Blobs.OpenReadAsync(stream.BlobId, 0, SealedStream.HeaderSize);
            var header = new byte[SealedStream.HeaderSize];
            await blob.ReadExactlyAsync(header);
            result.Add(header[5]);
        }
        return [.. result];
    }

    private static string CopySource(string bucket, string key) => CosRawClient.Host(bucket) + "/" + CosRawClient.Encode(key, keepSlash: true);

    private static KeyValuePair<string, string>[] PartQuery(int number, string uploadId) => [new("partNumber", number.ToString()), new("uploadId", uploadId)];

    private static async Task<XElement> XmlAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return XDocument.Parse(text).Root!;
    }

    private static string Text(XElement parent, string name) => parent.Elements().Single(e => e.Name.LocalName == name).Value;
}
