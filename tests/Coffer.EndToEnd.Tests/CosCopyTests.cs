using System.Net;
using System.Security.Cryptography;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>PUT Object - Copy as the COS SDKs send it: x-cos-copy-source in the COS host form, Copy/Replaced, COS error codes.</summary>
[Collection(CofferCollection.Name)]
public sealed class CosCopyTests(CofferFixture f)
{
    [Fact]
    public async Task Guide_copy_of_an_sse_c_object_under_another_customer_key()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "sdk-sse-c", headers: SseKeys.CosCustomer(), body: "00000"u8.ToArray());

        var copy = await cos.SendAsync(HttpMethod.Put, bucket, "sdk-sse-c-copy", headers:
        [
            new("x-cos-copy-source", CopySource(bucket, "sdk-sse-c")),
            new("x-cos-metadata-directive", "Copy"),
            .. SseKeys.CosCustomer(SseKeys.KeyB, SseKeys.KeyBMd5),
            .. SseKeys.CosCustomer(prefix: "x-cos-copy-source-server-side-encryption-customer-"),
        ]);

        Assert.Equal(HttpStatusCode.OK, copy.StatusCode);
        Assert.Equal("AES256", copy.Header("x-cos-server-side-encryption-customer-algorithm"));
        Assert.Equal(SseKeys.KeyBMd5, copy.Header("x-cos-server-side-encryption-customer-key-MD5"));
        var crc = put.Header("x-cos-hash-crc64ecma");
        Assert.Equal(crc, copy.Header("x-cos-hash-crc64ecma"));
        var body = await copy.Content.ReadAsStringAsync();
        Assert.Contains("<CopyObjectResult", body);
        Assert.Contains($"<ETag>{put.Header("ETag")}</ETag>", body);
        Assert.Contains($"<CRC64>{crc}</CRC64>", body);
        Assert.Contains("<LastModified>", body);

        var get = await cos.SendAsync(HttpMethod.Get, bucket, "sdk-sse-c-copy", headers: SseKeys.CosCustomer(SseKeys.KeyB, SseKeys.KeyBMd5));
        Assert.Equal("00000", await get.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await cos.SendAsync(HttpMethod.Get, bucket, "sdk-sse-c-copy", headers: SseKeys.CosCustomer())).StatusCode);
        var none = await cos.SendAsync(HttpMethod.Get, bucket, "sdk-sse-c-copy");
        Assert.Equal((HttpStatusCode.BadRequest, "SsecDecryptHeaderInvalid"), (none.StatusCode, await none.ErrorCodeAsync()));
    }

    public static TheoryData<string, KeyValuePair<string, string>[], KeyValuePair<string, string>[], string?> DocSamples => new()
    {
        { "5: plain to SSE-COS", [], [new("x-cos-server-side-encryption", "AES256")], "AES256" },
        { "6: plain to SSE-KMS with context", [], [new("x-cos-server-side-encryption", "cos/kms"), new("x-cos-server-side-encryption-context", SseKeys.Context("{\"a\":\"b\"}"))], "cos/kms" },
        { "8: SSE-C to plain with Replaced", SseKeys.CosCustomer(), [.. SseKeys.CosCustomer(prefix: "x-cos-copy-source-server-side-encryption-customer-"), new("x-cos-metadata-directive", "Replaced")], null },
        { "SSE-KMS to SSE-COS", [new("x-cos-server-side-encryption", "cos/kms")], [new("x-cos-server-side-encryption", "AES256")], "AES256" },
    };

    [Theory]
    [MemberData(nameof(DocSamples))]
    public async Task Doc_samples_change_encryption_and_keep_the_crc64(string sample, KeyValuePair<string, string>[] putHeaders, KeyValuePair<string, string>[] copyHeaders, string? sse)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var data = RandomNumberGenerator.GetBytes(70_000);
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "src", headers: putHeaders, body: data);

        var copy = await cos.SendAsync(HttpMethod.Put, bucket, "dst", headers: [new("x-cos-copy-source", CopySource(bucket, "src")), .. copyHeaders]);

        Assert.True(copy.StatusCode == HttpStatusCode.OK, sample);
        Assert.Equal(sse, copy.Header("x-cos-server-side-encryption"));
        Assert.Equal(put.Header("x-cos-hash-crc64ecma"), copy.Header("x-cos-hash-crc64ecma"));
        var get = await cos.SendAsync(HttpMethod.Get, bucket, "dst");
        Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
        Assert.Equal(sse, get.Header("x-cos-server-side-encryption"));
        if (sse is null or "AES256")
            Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(data)) + "\"", get.Header("ETag"));
    }

    [Fact]
    public async Task Host_form_with_an_encoded_key_replaces_metadata_and_sets_the_class()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        const string key = "文件/a b+c%.txt";
        await cos.SendAsync(HttpMethod.Put, bucket, key, headers: [new("Content-Type", "text/plain"), new("x-cos-meta-color", "blue")], body: "hello"u8.ToArray());

        var copy = await cos.SendAsync(HttpMethod.Put, bucket, key + ".copy", headers:
        [
            new("x-cos-copy-source", CopySource(bucket, key)),
            new("x-cos-metadata-directive", "Replaced"),
            new("x-cos-meta-shape", "round"),
            new("Content-Type", "application/json"),
            new("x-cos-storage-class", "STANDARD_IA"),
        ]);
        Assert.Equal(HttpStatusCode.OK, copy.StatusCode);

        var head = await cos.SendAsync(HttpMethod.Head, bucket, key + ".copy");
        Assert.Equal("application/json", head.Header("Content-Type"));
        Assert.Equal("round", head.Header("x-cos-meta-shape"));
        Assert.Null(head.Header("x-cos-meta-color"));
        Assert.Equal("STANDARD_IA", head.Header("x-cos-storage-class"));

        var kept = await cos.SendAsync(HttpMethod.Put, bucket, "kept", headers: [new("x-cos-copy-source", CopySource(bucket, key)), new("x-cos-metadata-directive", "Copy")]);
        Assert.Equal(HttpStatusCode.OK, kept.StatusCode);
        var keptHead = await cos.SendAsync(HttpMethod.Head, bucket, "kept");
        Assert.Equal("blue", keptHead.Header("x-cos-meta-color"));
        Assert.Null(keptHead.Header("x-cos-storage-class"));
    }

    [Fact]
    public async Task Python_change_object_storage_class_is_a_self_copy_with_Replaced()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await cos.SendAsync(HttpMethod.Put, bucket, "k", body: "x"u8.ToArray());

        var unchanged = await cos.SendAsync(HttpMethod.Put, bucket, "k", headers: [new("x-cos-copy-source", CopySource(bucket, "k")), new("x-cos-metadata-directive", "Copy")]);
        var changed = await cos.SendAsync(HttpMethod.Put, bucket, "k", headers:
            [new("x-cos-copy-source", CopySource(bucket, "k")), new("x-cos-metadata-directive", "Replaced"), new("x-cos-storage-class", "ARCHIVE")]);

        Assert.Equal((HttpStatusCode.BadRequest, "InvalidRequest"), (unchanged.StatusCode, await unchanged.ErrorCodeAsync()));
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Equal("ARCHIVE", (await cos.SendAsync(HttpMethod.Head, bucket, "k")).Header("x-cos-storage-class"));
    }

    public static TheoryData<string, string, KeyValuePair<string, string>[], int, string> Refusals => new()
    {
        { "sse-c source without copy-source key", "c", [new("x-cos-metadata-directive", "Copy")], 400, "SsecDecryptHeaderInvalid" },
        { "wrong copy-source key", "c", SseKeys.CosCustomer(SseKeys.KeyB, SseKeys.KeyBMd5, prefix: "x-cos-copy-source-server-side-encryption-customer-"), 403, "AccessDenied" },
        { "copy-source key for a plain source", "plain", SseKeys.CosCustomer(prefix: "x-cos-copy-source-server-side-encryption-customer-"), 400, "SSEHeaderNotAllowed" },
        { "unknown metadata directive", "plain", [new("x-cos-metadata-directive", "Move")], 400, "InvalidArgument" },
        { "unknown storage class", "plain", [new("x-cos-storage-class", "COLD")], 400, "NotSupportedStorageClass" },
        { "unrestored archive source", "archive", [], 403, "InvalidObjectState" },
        { "missing source", "missing", [], 404, "NoSuchCopySource" },
        { "failed copy-source-If-Match", "plain", [new("x-cos-copy-source-If-Match", "\"0\"")], 412, "PreconditionFailed" },
        { "copy-source-If-None-Match that matches", "plain", [new("x-cos-copy-source-If-None-Match", "*")], 412, "PreconditionFailed" },
        { "sse-c destination and sse-cos together", "plain", [.. SseKeys.CosCustomer(), new("x-cos-server-side-encryption", "AES256")], 400, "InvalidArgument" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Refused_copies_answer_the_cos_code_and_write_nothing(string why, string sourceKey, KeyValuePair<string, string>[] headers, int status, string code)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await cos.SendAsync(HttpMethod.Put, bucket, "c", headers: SseKeys.CosCustomer(), body: "c"u8.ToArray());
        await cos.SendAsync(HttpMethod.Put, bucket, "plain", body: "p"u8.ToArray());
        await cos.SendAsync(HttpMethod.Put, bucket, "archive", headers: [new("x-cos-storage-class", "ARCHIVE")], body: "a"u8.ToArray());

        var copy = await cos.SendAsync(HttpMethod.Put, bucket, "dst", headers: [new("x-cos-copy-source", CopySource(bucket, sourceKey)), .. headers]);

        Assert.True(status == (int)copy.StatusCode, $"{why}: {(int)copy.StatusCode}");
        Assert.Equal(code, await copy.ErrorCodeAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await cos.SendAsync(HttpMethod.Head, bucket, "dst")).StatusCode);
    }

    [Theory]
    [InlineData("no-slash")]
    [InlineData("/")]
    [InlineData("bucket/")]
    [InlineData("bucket/%zz")]
    public async Task A_malformed_copy_source_is_InvalidCopySource(string header)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;

        var copy = await cos.SendAsync(HttpMethod.Put, bucket, "dst", headers: [new("x-cos-copy-source", header)]);

        Assert.Equal((HttpStatusCode.BadRequest, "InvalidCopySource"), (copy.StatusCode, await copy.ErrorCodeAsync()));
    }

    private async Task<(CosRawClient Cos, string Bucket)> NewBucketAsync()
    {
        var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        return (cos, bucket);
    }

    /// <summary>As the Python SDK builds it: bucket.cos.region.myqcloud.com/quote(key, '/-_.~').</summary>
    private static string CopySource(string bucket, string key) => CosRawClient.Host(bucket) + "/" + CosRawClient.Encode(key, keepSlash: true);
}
