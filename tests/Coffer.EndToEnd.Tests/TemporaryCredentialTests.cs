using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server.Hosting;

namespace Coffer.EndToEnd.Tests;

/// <summary>Temporary credentials with a session token, as COS STS keys are used (x-cos-security-token / x-amz-security-token).</summary>
[Collection(CofferCollection.Name)]
public sealed class TemporaryCredentialTests(CofferFixture f)
{
    private (string Ak, string Sk, string Token) Issue(TimeSpan duration) =>
        TemporaryCredentials.Issue(f.Server.Services.RootKey, CofferFixture.AccessKey, duration, DateTimeOffset.UtcNow) is var t
            ? (t.AccessKeyId, t.SecretKey, t.Token) : default;

    [Fact]
    public async Task Cos_requests_with_a_session_token_act_as_the_parent_user()
    {
        var (ak, sk, token) = Issue(TimeSpan.FromMinutes(10));
        using var temp = new CosRawClient(f, https: true, secretId: ak, secretKey: sk);
        var bucket = CosRawClient.NewBucket();
        var created = await temp.SendAsync(HttpMethod.Put, bucket, headers: [new("x-cos-security-token", token)]);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Equal(CofferFixture.AccessKey, (await f.Server.Services.Store.GetBucketAsync(bucket))!.Owner == await f.RootIdAsync() ? CofferFixture.AccessKey : null);

        var withoutToken = await temp.SendAsync(HttpMethod.Get, bucket);
        Assert.Equal(HttpStatusCode.Forbidden, withoutToken.StatusCode);
        Assert.Equal("InvalidAccessKeyId", await withoutToken.ErrorCodeAsync());

        var tampered = await temp.SendAsync(HttpMethod.Get, bucket, headers: [new("x-cos-security-token", token[..^4] + "AAAA")]);
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
    }

    [Fact]
    public async Task Expired_session_tokens_are_refused_with_expired_token()
    {
        var (ak, sk, token) = Issue(TimeSpan.FromSeconds(-5));
        using var temp = new CosRawClient(f, https: true, secretId: ak, secretKey: sk);
        var response = await temp.SendAsync(HttpMethod.Get, CosRawClient.NewBucket(), headers: [new("x-cos-security-token", token)]);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("ExpiredToken", await response.ErrorCodeAsync());
    }

    [Fact]
    public async Task Aws_sdk_session_credentials_work()
    {
        var (ak, sk, token) = Issue(TimeSpan.FromMinutes(10));
        var config = new AmazonS3Config { ServiceURL = f.HttpsUrl.ToString(), ForcePathStyle = true, AuthenticationRegion = CofferFixture.Region, MaxErrorRetry = 0, HttpClientFactory = Clients.Factory(f, f.HttpsUrl.Port) };
        using var s3 = new AmazonS3Client(new SessionAWSCredentials(ak, sk, token), config);
        var bucket = CofferFixture.NewBucket("tmp");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "temporary" });
        using var get = await s3.GetObjectAsync(bucket, "k");
        Assert.Equal("temporary", await new StreamReader(get.ResponseStream).ReadToEndAsync());
    }
}
