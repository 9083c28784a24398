using System.Net;
using System.Text;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>The flows of the COS Python SDK's server-side encryption guide, sent as that SDK sends them, and every SSE rejection.</summary>
[Collection(CofferCollection.Name)]
public sealed class SseCosTests(CofferFixture f)
{
    private async Task<(CosRawClient Cos, string Bucket)> NewBucketAsync(bool https = true)
    {
        var cos = new CosRawClient(f, https);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        return (cos, bucket);
    }

    [Fact]
    public async Task Guide_sse_cos_put_and_get_answer_aes256()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "sdk-sse-cos", headers: [new("x-cos-server-side-encryption", "AES256")], body: "123"u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("AES256", put.Header("x-cos-server-side-encryption"));
        Assert.Equal("\"202cb962ac59075b964b07152d234b70\"", put.Header("ETag"));

        var get = await cos.SendAsync(HttpMethod.Get, bucket, "sdk-sse-cos");
        Assert.Equal("AES256", get.Header("x-cos-server-side-encryption"));
        Assert.Equal("123", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Guide_sse_kms_with_key_id_and_context_put_and_get()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var key = await f.Server.Services.Kms.CreateKeyAsync(await f.RootIdAsync(), "guide");
        var context = SseKeys.Context("{\"test\":\"test\"}");
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "sdk-sse-kms", body: "123"u8.ToArray(), headers:
        [
            new("x-cos-server-side-encryption", "cos/kms"),
            new("x-cos-server-side-encryption-cos-kms-key-id", key.KeyId),
            new("x-cos-server-side-encryption-context", context),
        ]);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("cos/kms", put.Header("x-cos-server-side-encryption"));
        Assert.Equal(key.KeyId, put.Header("x-cos-server-side-encryption-cos-kms-key-id"));

        var get = await cos.SendAsync(HttpMethod.Get, bucket, "sdk-sse-kms");
        Assert.Equal("cos/kms", get.Header("x-cos-server-side-encryption"));
        Assert.Equal("123", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Guide_sse_c_put_get_and_head()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "sdk-sse-c", headers: SseKeys.CosCustomer(), body: "00000"u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("AES256", put.Header("x-cos-server-side-encryption-customer-algorithm"));
        Assert.Equal(SseKeys.KeyAMd5, put.Header("x-cos-server-side-encryption-customer-key-MD5"));

        var get = await cos.SendAsync(HttpMethod.Get, bucket, "sdk-sse-c", headers: SseKeys.CosCustomer());
        Assert.Equal("AES256", get.Header("x-cos-server-side-encryption-customer-algorithm"));
        Assert.Equal("00000", await get.Content.ReadAsStringAsync());

        var head = await cos.SendAsync(HttpMethod.Head, bucket, "sdk-sse-c", headers: SseKeys.CosCustomer());
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("AES256", head.Header("x-cos-server-side-encryption-customer-algorithm"));
        Assert.Equal("5", head.Header("Content-Length"));
    }

    public static TheoryData<string, KeyValuePair<string, string>[], int, string> BadWrites => new()
    {
        { "algorithm other than AES256", SseKeys.CosCustomer(algorithm: "AES128"), 400, "InvalidArgument" },
        { "key not base64", SseKeys.CosCustomer(key: "not base64!!"), 400, "InvalidArgument" },
        { "key not 32 bytes", SseKeys.CosCustomer(key: Convert.ToBase64String(new byte[16]), md5: SseKeys.Md5Of(Convert.ToBase64String(new byte[16]))), 400, "InvalidArgument" },
        { "md5 mismatch", SseKeys.CosCustomer(md5: SseKeys.KeyBMd5), 400, "InvalidArgument" },
        { "md5 missing", [new("x-cos-server-side-encryption-customer-algorithm", "AES256"), new("x-cos-server-side-encryption-customer-key", SseKeys.KeyA)], 400, "InvalidArgument" },
        { "key without algorithm", [new("x-cos-server-side-encryption-customer-key", SseKeys.KeyA), new("x-cos-server-side-encryption-customer-key-MD5", SseKeys.KeyAMd5)], 400, "InvalidArgument" },
        { "unknown server-side-encryption", [new("x-cos-server-side-encryption", "AES512")], 400, "InvalidArgument" },
        { "sse-c together with sse-cos", [.. SseKeys.CosCustomer(), new("x-cos-server-side-encryption", "AES256")], 400, "InvalidArgument" },
        { "kms key id without cos/kms", [new("x-cos-server-side-encryption-cos-kms-key-id", "whatever")], 400, "InvalidArgument" },
        { "context not base64", [new("x-cos-server-side-encryption", "cos/kms"), new("x-cos-server-side-encryption-context", "{not base64}")], 400, "InvalidArgument" },
        { "context not a json object", [new("x-cos-server-side-encryption", "cos/kms"), new("x-cos-server-side-encryption-context", SseKeys.Context("[1,2]"))], 400, "InvalidArgument" },
        { "context value not a string", [new("x-cos-server-side-encryption", "cos/kms"), new("x-cos-server-side-encryption-context", SseKeys.Context("{\"a\":1}"))], 400, "InvalidArgument" },
        { "unknown kms key", [new("x-cos-server-side-encryption", "cos/kms"), new("x-cos-server-side-encryption-cos-kms-key-id", "00000000-0000-0000-0000-000000000000")], 403, "AccessDenied" },
    };

    [Theory]
    [MemberData(nameof(BadWrites))]
    public async Task Bad_sse_headers_on_put_are_refused_and_store_nothing(string why, KeyValuePair<string, string>[] headers, int status, string code)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "bad", headers: headers, body: "x"u8.ToArray());
        Assert.True(status == (int)put.StatusCode, why);
        Assert.Equal(code, await put.ErrorCodeAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await cos.SendAsync(HttpMethod.Head, bucket, "bad")).StatusCode);
    }

    [Fact]
    public async Task Sse_c_over_plain_http_is_refused()
    {
        var (cos, bucket) = await NewBucketAsync(https: false);
        using var _ = cos;
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "c", headers: SseKeys.CosCustomer(), body: "x"u8.ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("InvalidRequest", await put.ErrorCodeAsync());
        Assert.Contains("secure connection", await put.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Reads_of_sse_c_objects_without_or_with_wrong_keys_are_refused()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await cos.SendAsync(HttpMethod.Put, bucket, "c", headers: SseKeys.CosCustomer(), body: "x"u8.ToArray());

        var none = await cos.SendAsync(HttpMethod.Get, bucket, "c");
        Assert.Equal(HttpStatusCode.BadRequest, none.StatusCode);
        Assert.Equal("SsecDecryptHeaderInvalid", await none.ErrorCodeAsync());
        var wrong = await cos.SendAsync(HttpMethod.Get, bucket, "c", headers: SseKeys.CosCustomer(SseKeys.KeyB, SseKeys.KeyBMd5));
        Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        Assert.Equal("AccessDenied", await wrong.ErrorCodeAsync());
        var headWrong = await cos.SendAsync(HttpMethod.Head, bucket, "c", headers: SseKeys.CosCustomer(SseKeys.KeyB, SseKeys.KeyBMd5));
        Assert.Equal(HttpStatusCode.Forbidden, headWrong.StatusCode);
        var sseOnGet = await cos.SendAsync(HttpMethod.Get, bucket, "c", headers: [.. SseKeys.CosCustomer(), new("x-cos-server-side-encryption", "AES256")]);
        Assert.Equal(HttpStatusCode.BadRequest, sseOnGet.StatusCode);
    }

    [Fact]
    public async Task Sse_c_headers_on_an_sse_cos_object_are_not_allowed()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await cos.SendAsync(HttpMethod.Put, bucket, "s", headers: [new("x-cos-server-side-encryption", "AES256")], body: "x"u8.ToArray());
        var get = await cos.SendAsync(HttpMethod.Get, bucket, "s", headers: SseKeys.CosCustomer());
        Assert.Equal(HttpStatusCode.BadRequest, get.StatusCode);
        Assert.Equal("SSEHeaderNotAllowed", await get.ErrorCodeAsync());
    }

    [Fact]
    public async Task Bucket_default_encryption_applies_to_writes_without_headers_and_explicit_headers_win()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var notConfigured = await cos.SendAsync(HttpMethod.Get, bucket, query: [new("encryption", "")]);
        Assert.Equal(HttpStatusCode.NotFound, notConfigured.StatusCode);
        Assert.Equal("NoSuchEncryptionConfiguration", await notConfigured.ErrorCodeAsync());

        // The official SDK test suites send the misspelt element; it must be accepted.
        var config = Encoding.UTF8.GetBytes("<ServerSideEncryptionConfiguration><Rule><ApplySideEncryptionConfiguration><SSEAlgorithm>AES256</SSEAlgorithm></ApplySideEncryptionConfiguration></Rule></ServerSideEncryptionConfiguration>");
        var set = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("encryption", "")], body: config, headers: [new("Content-Type", "application/xml")]);
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        var got = await cos.SendAsync(HttpMethod.Get, bucket, query: [new("encryption", "")]);
        Assert.Contains("<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>", await got.Content.ReadAsStringAsync());

        var put = await cos.SendAsync(HttpMethod.Put, bucket, "defaulted", body: "d"u8.ToArray());
        Assert.Equal("AES256", put.Header("x-cos-server-side-encryption"));
        var head = await cos.SendAsync(HttpMethod.Head, bucket, "defaulted");
        Assert.Equal("AES256", head.Header("x-cos-server-side-encryption"));

        var explicitC = await cos.SendAsync(HttpMethod.Put, bucket, "explicit", headers: SseKeys.CosCustomer(), body: "e"u8.ToArray());
        Assert.Null(explicitC.Header("x-cos-server-side-encryption"));
        Assert.Equal("AES256", explicitC.Header("x-cos-server-side-encryption-customer-algorithm"));

        var kms = Encoding.UTF8.GetBytes("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>");
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, query: [new("encryption", "")], body: kms)).StatusCode);
        var kmsPut = await cos.SendAsync(HttpMethod.Put, bucket, "kms-defaulted", body: "k"u8.ToArray());
        Assert.Equal("cos/kms", kmsPut.Header("x-cos-server-side-encryption"));

        Assert.Equal(HttpStatusCode.NoContent, (await cos.SendAsync(HttpMethod.Delete, bucket, query: [new("encryption", "")])).StatusCode);
        var plain = await cos.SendAsync(HttpMethod.Put, bucket, "plain", body: "p"u8.ToArray());
        Assert.Null(plain.Header("x-cos-server-side-encryption"));
    }

    [Theory]
    [InlineData("<ServerSideEncryptionConfiguration/>", "MalformedXML")]
    [InlineData("<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>ROT13</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>", "MalformedXML")]
    [InlineData("<ServerSideEncryptionConfiguration><Rule>", "MalformedXML")]
    [InlineData("<Other/>", "MalformedXML")]
    public async Task Bad_bucket_encryption_xml_is_refused_and_leaves_the_bucket_unconfigured(string xml, string code)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var set = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("encryption", "")], body: Encoding.UTF8.GetBytes(xml));
        Assert.Equal(HttpStatusCode.BadRequest, set.StatusCode);
        Assert.Equal(code, await set.ErrorCodeAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await cos.SendAsync(HttpMethod.Get, bucket, query: [new("encryption", "")])).StatusCode);
    }
}
