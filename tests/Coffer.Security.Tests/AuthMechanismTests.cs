using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Protocol.Auth;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>
/// One Authorization header, one authentication mechanism, and a COS validity window of at most
/// a week, checked through the real server (Kestrel's header handling included).
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class AuthMechanismTests(TenantsFixture t)
{
    private async Task<string> AliceBucketAsync()
    {
        using var alice = t.S3(t.Alice);
        string bucket = CofferFixture.NewBucket("mech");
        await alice.PutBucketAsync(bucket);
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "k", ContentBody = "alice's" });
        return bucket;
    }

    /// <summary>Sends a raw HTTP/1.1 request over the plain listener, so header lines go out exactly as written; returns the status and body.</summary>
    private async Task<(int Status, string Response)> RawAsync(string requestText)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, t.Server.HttpUrl.Port);
        using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(requestText));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string response = await reader.ReadToEndAsync();
        int status = int.Parse(response.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, response);
    }

    private (string Host, List<KeyValuePair<string, string>> Headers, string Authorization) AliceSignsGet(string target)
    {
        string host = $"127.0.0.1:{t.Server.HttpUrl.Port}";
        List<KeyValuePair<string, string>> headers =
        [
            new("host", host),
            new("x-amz-date", SigV4Signer.FormatAmzDate(DateTimeOffset.UtcNow)),
            new("x-amz-content-sha256", SigV4Signer.EmptySha256),
        ];
        return (host, headers, SigV4Signer.Sign(t.Alice.AccessKey, t.Alice.SecretKey, CofferFixture.Region, "s3", "GET", target, headers));
    }

    private static string Request(string target, string host, IEnumerable<KeyValuePair<string, string>> headers, params string[] authorizations)
    {
        var sb = new StringBuilder($"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
        foreach (var (n, v) in headers.Where(h => h.Key != "host"))
        {
            sb.Append(n).Append(": ").Append(v).Append("\r\n");
        }

        foreach (string a in authorizations)
        {
            sb.Append("Authorization: ").Append(a).Append("\r\n");
        }

        return sb.Append("\r\n").ToString();
    }

    [Fact]
    public async Task Two_Authorization_headers_are_refused_even_when_each_is_valid()
    {
        string bucket = await AliceBucketAsync();
        string target = $"/{bucket}/k";
        var (host, headers, authorization) = AliceSignsGet(target);

        var (one, oneBody) = await RawAsync(Request(target, host, headers, authorization));
        Assert.Equal(200, one);
        Assert.EndsWith("alice's", oneBody);

        var (status, body) = await RawAsync(Request(target, host, headers, authorization, authorization));
        Assert.Equal(400, status);
        Assert.Contains("<Code>InvalidArgument</Code>", body);
        Assert.Contains("send exactly one", body);
        Assert.DoesNotContain("alice's", body);
    }

    [Fact]
    public async Task A_repeated_x_amz_date_is_refused()
    {
        string bucket = await AliceBucketAsync();
        string target = $"/{bucket}/k";
        var (host, headers, authorization) = AliceSignsGet(target);
        var doubled = headers.Append(headers.Single(h => h.Key == "x-amz-date")).ToList();

        var (status, body) = await RawAsync(Request(target, host, doubled, authorization));
        Assert.Equal(400, status);
        Assert.Contains("<Code>InvalidArgument</Code>", body);
        Assert.Contains("x-amz-date", body);
    }

    [Fact]
    public async Task Header_and_query_authentication_together_are_refused()
    {
        string bucket = await AliceBucketAsync();
        using var alice = t.S3(t.Alice, https: false);
        string presigned = await alice.GetPreSignedURLAsync(new Amazon.S3.Model.GetPreSignedUrlRequest
        {
            BucketName = bucket,
            Key = "k",
            Expires = DateTime.UtcNow.AddMinutes(5),
            Protocol = Amazon.S3.Protocol.HTTP,
        });
        string target = new Uri(presigned).PathAndQuery;
        var (host, headers, authorization) = AliceSignsGet(target);

        var (status, body) = await RawAsync(Request(target, host, headers, authorization));
        Assert.Equal(400, status);
        Assert.Contains("<Code>InvalidArgument</Code>", body);
        Assert.Contains("Only one auth mechanism allowed", body);

        // The COS family: a COS Authorization header on a COS presigned URL.
        string cosBucket = CosRawClient.NewBucket();
        using var cos = t.Cos(t.Alice, https: false);
        using (var made = await cos.SendAsync(HttpMethod.Put, cosBucket))
        {
            Assert.Equal(HttpStatusCode.OK, made.StatusCode);
        }

        var start = DateTimeOffset.UtcNow.AddSeconds(-60);
        string cosHost = CosRawClient.Host(cosBucket);
        KeyValuePair<string, string>[] signed = [new("host", cosHost)];
        string query = CosV5Signer.PresignQuery(t.Alice.AccessKey, t.Alice.SecretKey, "GET", "/", [], signed, start, start.AddMinutes(5));
        string cosAuth = CosV5Signer.Sign(t.Alice.AccessKey, t.Alice.SecretKey, "GET", "/", [], signed, start, start.AddMinutes(5));
        var (alone, _) = await RawAsync(Request("/?" + query, cosHost, []));
        Assert.Equal(200, alone);
        var (both, bothBody) = await RawAsync(Request("/?" + query, cosHost, [], cosAuth));
        Assert.Equal(400, both);
        Assert.Contains("<Code>InvalidArgument</Code>", bothBody);
    }

    [Fact]
    public async Task A_presigned_PUT_with_a_fragment_cannot_smuggle_uploads_past_the_signature()
    {
        string bucket = await AliceBucketAsync();
        string host = $"127.0.0.1:{t.Server.HttpUrl.Port}";
        string target = $"/{bucket}/upload-here";
        string query = SigV4Signer.Presign(t.Alice.AccessKey, t.Alice.SecretKey, CofferFixture.Region, "s3", "POST", target,
            [new("host", host)], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(10));

        var (status, body) = await RawAsync(Request(target + "?" + query + "#&uploads", host, []).Replace("GET ", "POST ", StringComparison.Ordinal));
        Assert.Equal(400, status);
        Assert.Contains("<Code>InvalidURI</Code>", body);
        Assert.DoesNotContain("UploadId", body);

        using var alice = t.S3(t.Alice);
        var uploads = await alice.ListMultipartUploadsAsync(bucket);
        Assert.Empty(uploads.MultipartUploads ?? []);
    }

    [Fact]
    public async Task A_COS_signature_valid_for_a_century_is_refused_and_a_week_is_not()
    {
        string bucket = CosRawClient.NewBucket();
        using var cos = t.Cos(t.Alice);
        var start = DateTimeOffset.UtcNow.AddSeconds(-60);

        using var century = await cos.SendAsync(HttpMethod.Put, bucket, signStart: start, validity: TimeSpan.FromDays(36525));
        Assert.Equal(HttpStatusCode.Forbidden, century.StatusCode);
        string body = await century.Content.ReadAsStringAsync();
        Assert.Contains("<Code>AccessDenied</Code>", body);
        Assert.Contains("at most 7 days", body);

        using var week = await cos.SendAsync(HttpMethod.Put, bucket, signStart: start, validity: TimeSpan.FromDays(7));
        Assert.Equal(HttpStatusCode.OK, week.StatusCode);
    }

    [Fact]
    public async Task A_SigV4_presigned_URL_over_a_week_is_S3s_AuthorizationQueryParametersError()
    {
        string bucket = await AliceBucketAsync();
        string host = $"127.0.0.1:{t.Server.HttpUrl.Port}";
        string target = $"/{bucket}/k";
        string query = SigV4Signer.Presign(t.Alice.AccessKey, t.Alice.SecretKey, CofferFixture.Region, "s3", "GET", target,
            [new("host", host)], DateTimeOffset.UtcNow, TimeSpan.FromDays(7));
        var (week, _) = await RawAsync(Request(target + "?" + query, host, []));
        Assert.Equal(200, week);

        var (status, body) = await RawAsync(Request(target + "?" + query.Replace("X-Amz-Expires=604800", "X-Amz-Expires=604801"), host, []));
        Assert.Equal(400, status);
        Assert.Contains("<Code>AuthorizationQueryParametersError</Code>", body);
        Assert.Contains("X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds", body);
    }
}
