using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>
/// The signature test vectors of docs/protocol/signatures.md: #cos-test-vectors (COS doc "Request Signature")
/// and #sigv4-test-vector (AWS "GET Object"), produced by the SDK's own request builder from ordinary requests, not by
/// calling the signers directly.
/// </summary>
public sealed class SignatureVectorTests
{
    private const string CosId = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
    private const string CosKey = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";

    private static (CosClient Client, ScriptedHandler Handler) Client(CosConfig config)
    {
        var handler = new ScriptedHandler(_ => ScriptedHandler.Ok());
        return (new CosClient(config, handler), handler);
    }

    private static CosConfig CosDocConfig(long start, long end) => new()
    {
        Region = "ap-beijing",
        SecretId = CosId,
        SecretKey = CosKey,
        TimeProvider = new FixedTime(DateTimeOffset.FromUnixTimeSeconds(start)),
        SignatureExpiration = TimeSpan.FromSeconds(end - start),
    };

    [Fact]
    public async Task Cos_vector_A_put_object_signs_like_the_documentation()
    {
        var (client, handler) = Client(CosDocConfig(1557989151, 1557996351));
        using (client)
        {
            var request = new PutObjectRequest
            {
                Bucket = "examplebucket-1250000000",
                Key = "exampleobject(腾讯云)",
                Body = "ObjectContent",
                ContentType = "text/plain",
                ContentMD5 = "mQ/fVh815F3k6TAUm8m0eg==",
                ACL = "private",
            };
            request.Headers["Date"] = "Thu, 16 May 2019 06:45:51 GMT";
            request.Headers["x-cos-grant-read"] = "uin=\"100000000011\"";
            await client.PutObjectAsync(request);
        }

        var sent = Assert.Single(handler.Sent);
        Assert.Equal("examplebucket-1250000000.cos.ap-beijing.myqcloud.com", sent.Headers.Host);
        Assert.Equal("/exampleobject%28%E8%85%BE%E8%AE%AF%E4%BA%91%29", sent.RequestUri!.AbsolutePath);
        Assert.Equal(
            "q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1557989151;1557996351&q-key-time=1557989151;1557996351" +
            "&q-header-list=content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read&q-url-param-list=" +
            "&q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172",
            sent.Headers.GetValues("Authorization").Single());
        Assert.Equal("ObjectContent", handler.Bodies[0]);
    }

    [Fact]
    public async Task Cos_vector_B_get_object_with_response_parameters_signs_like_the_documentation()
    {
        var (client, handler) = Client(CosDocConfig(1557989753, 1557996953));
        using (client)
        {
            var request = new GetObjectRequest
            {
                Bucket = "examplebucket-1250000000",
                Key = "exampleobject(腾讯云)",
                ResponseContentType = "application/octet-stream",
                ResponseCacheControl = "max-age=600",
            };
            request.Headers["Date"] = "Thu, 16 May 2019 06:55:53 GMT";
            await using var response = await client.GetObjectAsync(request);
        }

        var sent = Assert.Single(handler.Sent);
        Assert.Contains("response-content-type=application%2Foctet-stream", sent.RequestUri!.Query);
        Assert.Equal(
            "q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1557989753;1557996953&q-key-time=1557989753;1557996953" +
            "&q-header-list=date;host&q-url-param-list=response-cache-control;response-content-type&q-signature=01681b8c9d798a678e43b685a9f1bba0f6c0e012",
            sent.Headers.GetValues("Authorization").Single());
    }

    [Fact]
    public async Task SigV4_vector_get_object_with_range_signs_like_the_AWS_example()
    {
        var (client, handler) = Client(new CosConfig
        {
            Region = "us-east-1",
            SecretId = "AKIAIOSFODNN7EXAMPLE",
            SecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            Endpoint = "s3.amazonaws.com",
            SignatureVersion = SignatureVersion.SigV4,
            TimeProvider = new FixedTime(new DateTimeOffset(2013, 5, 24, 0, 0, 0, TimeSpan.Zero)),
        });
        using (client)
        {
            var request = new GetObjectRequest { Bucket = "examplebucket", Key = "test.txt" };
            request.SetRange(0, 9);
            await using var response = await client.GetObjectAsync(request);
        }

        var sent = Assert.Single(handler.Sent);
        Assert.Equal("examplebucket.s3.amazonaws.com", sent.Headers.Host);
        Assert.Equal("20130524T000000Z", sent.Headers.GetValues("x-amz-date").Single());
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, " +
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            sent.Headers.GetValues("Authorization").Single());
    }

    [Theory]
    [InlineData(SignatureVersion.CosV5, "x-cos-security-token", "q-header-list=host;x-cos-security-token")]
    [InlineData(SignatureVersion.SigV4, "x-amz-security-token", "x-amz-security-token")]
    public async Task A_temporary_token_is_sent_and_signed_in_the_signature_family(SignatureVersion signature, string header, string signedMarker)
    {
        var (client, handler) = Client(new CosConfig { SecretId = "AKTMPX", SecretKey = "secret", Token = "the-token", SignatureVersion = signature });
        using (client)
        {
            await client.HeadObjectAsync("b-1250000000", "k");
        }

        var sent = Assert.Single(handler.Sent);
        Assert.Equal("the-token", sent.Headers.GetValues(header).Single());
        Assert.Contains(signedMarker, sent.Headers.GetValues("Authorization").Single());
    }
}
