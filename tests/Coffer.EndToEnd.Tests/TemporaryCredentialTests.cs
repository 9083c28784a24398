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
        var withoutTokenBody = await withoutToken.Content.ReadAsStringAsync();
        Assert.Contains("<Code>InvalidAccessKeyId</Code>", withoutTokenBody, StringComparison.Ordinal);
        // It says the token is the trouble, not that the key id is unknown.
        Assert.Contains("session token is missing, malformed", withoutTokenBody, StringComparison.Ordinal);

        var tampered = await temp.SendAsync(HttpMethod.Get, bucket, headers: [new("x-cos-security-token", token[..^4] + "AAAA")]);
        Assert.Equal(HttpStatusCode.Forbidden, tampered.StatusCode);
        Assert.Contains("session token is missing, malformed", await tampered.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A key id that merely looks temporary, without any token, gets the same answer and no more.
        using var unknown = new CosRawClient(f, https: true, secretId: TemporaryCredentials.AccessKeyPrefix + new string('Z', 31), secretKey: sk);
        var guessed = await unknown.SendAsync(HttpMethod.Get, bucket);
        Assert.Equal(HttpStatusCode.Forbidden, guessed.StatusCode);
        Assert.Equal("InvalidAccessKeyId", await guessed.ErrorCodeAsync());
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
