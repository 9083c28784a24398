using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Protocol.Auth;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>
/// Alice hands out a presigned PUT URL (or a signed request leaks). Bob, who holds it, adds
/// headers or query parameters Alice never signed, to copy Alice's payroll, lock her out with
/// his own SSE-C key, or change what is stored. Every such addition must be refused, and nothing
/// may happen to Alice's data.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class UnsignedHeaderTests(TenantsFixture t)
{
    private const string Payroll = "name,salary\nalice,1000000\n";

    /// <summary>Alice's bucket with payroll.csv in it, and a presigned PUT URL for upload-here.</summary>
    private async Task<(string Bucket, string Url)> AlicePresignsAPutAsync()
    {
        using var alice = t.S3(t.Alice);
        string bucket = CofferFixture.NewBucket("presign");
        await alice.PutBucketAsync(bucket);
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "payroll.csv", ContentBody = Payroll });
        string url = await alice.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = bucket,
            Key = "upload-here",
            Verb = HttpVerb.PUT,
            Expires = DateTime.UtcNow.AddMinutes(10),
            Protocol = Amazon.S3.Protocol.HTTPS,
        });
        return (bucket, url);
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, HttpMethod method, string url, string body, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, url) { Content = new StringContent(body) };
        request.Content.Headers.ContentType = null;
        foreach (var (name, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task AssertNotStoredAsync(string bucket, string key)
    {
        using var alice = t.S3(t.Alice);
        var missing = await Assert.ThrowsAsync<AmazonS3Exception>(() => alice.GetObjectMetadataAsync(bucket, key));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    private static void AssertHeadersNotSigned(HttpStatusCode status, string body, string header)
    {
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("<Code>AccessDenied</Code>", body);
        Assert.Contains("There were headers present in the request which were not signed", body);
        Assert.Contains($"<HeadersNotSigned>{header}</HeadersNotSigned>", body);
    }

    [Fact]
    public async Task A_presigned_PUT_with_an_added_copy_source_does_not_copy_the_payroll()
    {
        var (bucket, url) = await AlicePresignsAPutAsync();
        using var bob = t.Http();

        var (status, body) = await SendAsync(bob, HttpMethod.Put, url, "", ("x-amz-copy-source", $"{bucket}/payroll.csv"));

        AssertHeadersNotSigned(status, body, "x-amz-copy-source");
        Assert.DoesNotContain("CopyObjectResult", body);
        await AssertNotStoredAsync(bucket, "upload-here");

        // The URL itself is good: used as Alice meant, it uploads.
        var (ok, _) = await SendAsync(bob, HttpMethod.Put, url, "what alice asked for");
        Assert.Equal(HttpStatusCode.OK, ok);
    }

    [Fact]
    public async Task A_presigned_PUT_with_added_SSE_C_headers_cannot_lock_the_owner_out()
    {
        var (bucket, url) = await AlicePresignsAPutAsync();
        using var bob = t.Http();
        byte[] bobsKey = RandomNumberGenerator.GetBytes(32);

        var (status, body) = await SendAsync(bob, HttpMethod.Put, url, "bob's bytes",
            ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            ("x-amz-server-side-encryption-customer-key", Convert.ToBase64String(bobsKey)),
            ("x-amz-server-side-encryption-customer-key-MD5", Convert.ToBase64String(MD5.HashData(bobsKey))));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("<HeadersNotSigned>x-amz-server-side-encryption-customer-algorithm, x-amz-server-side-encryption-customer-key, x-amz-server-side-encryption-customer-key-md5</HeadersNotSigned>", body);
        await AssertNotStoredAsync(bucket, "upload-here");
    }

    [Theory]
    [InlineData("x-amz-storage-class", "DEEP_ARCHIVE")]
    [InlineData("x-amz-meta-approved-by", "bob")]
    [InlineData("x-cos-storage-class", "ARCHIVE")]
    [InlineData("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")]
    public async Task A_presigned_PUT_with_another_added_protocol_header_stores_nothing(string name, string value)
    {
        var (bucket, url) = await AlicePresignsAPutAsync();
        using var bob = t.Http();

        var (status, body) = await SendAsync(bob, HttpMethod.Put, url, "bob's bytes", (name, value));

        AssertHeadersNotSigned(status, body, name);
        await AssertNotStoredAsync(bucket, "upload-here");
    }

    [Fact]
    public async Task A_SigV4_header_signed_PUT_replayed_with_an_added_copy_source_is_refused()
    {
        using var alice = t.S3(t.Alice);
        string bucket = CofferFixture.NewBucket("sigv4");
        await alice.PutBucketAsync(bucket);
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "payroll.csv", ContentBody = Payroll });

        // A request Alice signed (host, date, payload) that Bob captured and replays with one more header.
        string target = $"/{bucket}/upload-here";
        string host = $"localhost:{t.Server.HttpsUrl.Port}";
        List<KeyValuePair<string, string>> signed =
        [
            new("host", host),
            new("x-amz-date", SigV4Signer.FormatAmzDate(DateTimeOffset.UtcNow)),
            new("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
        ];
        string authorization = SigV4Signer.Sign(t.Alice.AccessKey, t.Alice.SecretKey, CofferFixture.Region, "s3", "PUT", target, signed);

        async Task<(HttpStatusCode, string)> Replay(params (string, string)[] extra)
        {
            using var bob = t.Http();
            using var request = new HttpRequestMessage(HttpMethod.Put, $"https://{host}{target}") { Content = new ByteArrayContent([]) };
            request.Headers.Host = host;
            foreach (var (n, v) in signed.Where(p => p.Key != "host"))
            {
                request.Headers.TryAddWithoutValidation(n, v);
            }

            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            foreach (var (n, v) in extra)
            {
                request.Headers.TryAddWithoutValidation(n, v);
            }

            using var response = await bob.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (status, body) = await Replay(("x-amz-copy-source", $"{bucket}/payroll.csv"));
        AssertHeadersNotSigned(status, body, "x-amz-copy-source");
        await AssertNotStoredAsync(bucket, "upload-here");

        var (cosSpelling, cosBody) = await Replay(("x-cos-copy-source", $"{bucket}/payroll.csv"));
        AssertHeadersNotSigned(cosSpelling, cosBody, "x-cos-copy-source");
        await AssertNotStoredAsync(bucket, "upload-here");

        var (replayed, _) = await Replay();
        Assert.Equal(HttpStatusCode.OK, replayed);
    }

    // ---- COS ----

    private async Task<string> AliceCosBucketWithPayrollAsync()
    {
        using var cos = t.Cos(t.Alice);
        string bucket = CosRawClient.NewBucket();
        using (var made = await cos.SendAsync(HttpMethod.Put, bucket))
        {
            Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        }

        using var put = await cos.SendAsync(HttpMethod.Put, bucket, "payroll.csv", body: Encoding.UTF8.GetBytes(Payroll));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return bucket;
    }

    /// <summary>A COS request Alice signed over host (and the given x-cos-* headers), sent with extra unsigned headers and query.</summary>
    private async Task<(HttpStatusCode Status, string Body)> CosSendAsync(HttpMethod method, string bucket, string key, string? extraQuery,
        (string Name, string Value)[] signedHeaders, (string Name, string Value)[] extraHeaders, bool presign = false)
    {
        string host = CosRawClient.Host(bucket);
        var start = DateTimeOffset.UtcNow.AddSeconds(-60);
        var toSign = signedHeaders.Select(h => new KeyValuePair<string, string>(h.Name, h.Value)).Prepend(new("host", host)).ToList();
        string url = $"https://{host}:{t.Server.HttpsUrl.Port}/{key}";
        string? authorization = null;
        if (presign)
        {
            url += "?" + CosV5Signer.PresignQuery(t.Alice.AccessKey, t.Alice.SecretKey, method.Method, "/" + key, [], toSign, start, start.AddMinutes(10));
        }
        else
        {
            authorization = CosV5Signer.Sign(t.Alice.AccessKey, t.Alice.SecretKey, method.Method, "/" + key, [], toSign, start, start.AddMinutes(10));
        }

        if (extraQuery is not null)
        {
            url += (url.Contains('?') ? "&" : "?") + extraQuery;
        }

        using var http = t.Http();
        using var request = new HttpRequestMessage(method, url) { Content = new ByteArrayContent([]) };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        foreach (var (n, v) in signedHeaders.Concat(extraHeaders))
        {
            request.Headers.TryAddWithoutValidation(n, v);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task AssertCosNotStoredAsync(string bucket, string key)
    {
        using var cos = t.Cos(t.Alice);
        using var head = await cos.SendAsync(HttpMethod.Head, bucket, key);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_COS_signed_PUT_with_an_added_copy_source_does_not_copy_the_payroll(bool presign)
    {
        string bucket = await AliceCosBucketWithPayrollAsync();
        string source = $"{CosRawClient.Host(bucket)}/payroll.csv";

        var (status, body) = await CosSendAsync(HttpMethod.Put, bucket, "upload-here", null, [], [("x-cos-copy-source", source)], presign);
        AssertHeadersNotSigned(status, body, "x-cos-copy-source");
        await AssertCosNotStoredAsync(bucket, "upload-here");

        var (amz, amzBody) = await CosSendAsync(HttpMethod.Put, bucket, "upload-here", null, [], [("x-amz-copy-source", $"{bucket}/payroll.csv")], presign);
        AssertHeadersNotSigned(amz, amzBody, "x-amz-copy-source");
        await AssertCosNotStoredAsync(bucket, "upload-here");

        // Signed, the same copy is what Alice asked for and works.
        var (copied, copyBody) = await CosSendAsync(HttpMethod.Put, bucket, "upload-here", null, [("x-cos-copy-source", source)], [], presign);
        Assert.Equal(HttpStatusCode.OK, copied);
        Assert.Contains("CopyObjectResult", copyBody);
    }

    [Theory]
    [InlineData("uploads", false)]
    [InlineData("uploads", true)]
    [InlineData("acl", true)]
    [InlineData("response-content-type=text%2Fhtml", true)]
    public async Task A_COS_signed_request_with_an_added_query_parameter_is_refused(string extra, bool presign)
    {
        string bucket = await AliceCosBucketWithPayrollAsync();
        var method = extra == "uploads" ? HttpMethod.Post : HttpMethod.Put;

        var (status, body) = await CosSendAsync(method, bucket, "upload-here", extra, [], [], presign);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("<Code>AccessDenied</Code>", body);
        Assert.Contains("q-url-param-list", body);
        Assert.DoesNotContain("UploadId", body);
        using var cos = t.Cos(t.Alice);
        using var uploads = await cos.SendAsync(HttpMethod.Get, bucket, query: [new("uploads", "")]);
        Assert.DoesNotContain("<Upload>", await uploads.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_COS_token_header_may_stay_unsigned_as_the_Node_SDK_sends_it()
    {
        string bucket = await AliceCosBucketWithPayrollAsync();
        // Alice's key is permanent, so the token is not used; what matters is that it is not refused as unsigned.
        var (status, _) = await CosSendAsync(HttpMethod.Put, bucket, "with-token", null, [], [("x-cos-security-token", "unsigned-token")]);
        Assert.Equal(HttpStatusCode.OK, status);
    }
}
