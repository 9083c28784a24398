using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Security.Tests.Infrastructure;
using Coffer.Server.Hosting;

namespace Coffer.Security.Tests;

/// <summary>
/// AWS Signature Version 2 through the real server: s3cmd (Debian's, <c>--signature-v2</c>), its <c>signurl</c>, boto3's
/// <c>signature_version="s3"</c> presigned URLs, and hand-signed requests for what the clients never send: tampering,
/// expiry, the 7-day cap, another user, temporary credentials, virtual-hosted buckets (docs/protocol/signatures.md).
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class SigV2Tests(TenantsFixture t)
{
    // ---- s3cmd ----

    private async Task<(int Code, string Out, string Err)> S3cmdAsync(Tenant who, params string[] args)
    {
        string config = Path.GetTempFileName();
        string host = $"localhost:{t.Server.HttpsUrl.Port}";
        await File.WriteAllTextAsync(config, $"""
            [default]
            access_key = {who.AccessKey}
            secret_key = {who.SecretKey}
            host_base = {host}
            host_bucket = {host}
            use_https = True
            check_ssl_certificate = True
            check_ssl_hostname = False
            ca_certs_file = {t.Server.Server.CertificatePath}
            signature_v2 = True
            """);
        try
        {
            return await ExternalClients.RunAsync("s3cmd", ["-c", config, "--signature-v2", .. args], new Dictionary<string, string>());
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task S3cmd_with_signature_v2_makes_puts_lists_gets_and_deletes_with_SSE()
    {
        string bucket = CofferFixture.NewBucket("s3cmd");
        string file = Path.GetTempFileName(), back = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "hello through Signature Version 2");
        try
        {
            var mb = await S3cmdAsync(t.Alice, "mb", $"s3://{bucket}");
            Assert.True(mb.Code == 0, mb.Err + mb.Out);
            var put = await S3cmdAsync(t.Alice, "put", "--server-side-encryption", file, $"s3://{bucket}/dir/hello v2.txt");
            Assert.True(put.Code == 0, put.Err + put.Out);
            var ls = await S3cmdAsync(t.Alice, "ls", $"s3://{bucket}/dir/");
            Assert.True(ls.Code == 0, ls.Err + ls.Out);
            Assert.Contains("hello v2.txt", ls.Out);

            // SSE-COS was applied: HEAD with SigV4 shows it.
            using (var s3 = t.S3(t.Alice))
            {
                var head = await s3.GetObjectMetadataAsync(bucket, "dir/hello v2.txt");
                Assert.Equal("AES256", head.ServerSideEncryptionMethod.Value);
            }

            var get = await S3cmdAsync(t.Alice, "get", "--force", $"s3://{bucket}/dir/hello v2.txt", back);
            Assert.True(get.Code == 0, get.Err + get.Out);
            Assert.Equal("hello through Signature Version 2", await File.ReadAllTextAsync(back));

            // Bob's own valid SigV2 signature does not open Alice's bucket.
            var stolen = await S3cmdAsync(t.Bob, "get", "--force", $"s3://{bucket}/dir/hello v2.txt", back);
            Assert.NotEqual(0, stolen.Code);
            Assert.Contains("403", stolen.Err + stolen.Out);

            var del = await S3cmdAsync(t.Alice, "del", $"s3://{bucket}/dir/hello v2.txt");
            Assert.True(del.Code == 0, del.Err + del.Out);
            var after = await S3cmdAsync(t.Alice, "ls", $"s3://{bucket}/dir/");
            Assert.DoesNotContain("hello v2.txt", after.Out);
            var rb = await S3cmdAsync(t.Alice, "rb", $"s3://{bucket}");
            Assert.True(rb.Code == 0, rb.Err + rb.Out);
        }
        finally
        {
            File.Delete(file);
            File.Delete(back);
        }
    }

    [Fact]
    public async Task An_s3cmd_signurl_is_fetched_by_HttpClient_and_refused_once_tampered()
    {
        string bucket = CofferFixture.NewBucket("signurl");
        using (var s3 = t.S3(t.Alice))
        {
            await s3.PutBucketAsync(bucket);
            await s3.PutObjectAsync(new() { BucketName = bucket, Key = "shared.txt", ContentBody = "shared by signurl" });
            await s3.PutObjectAsync(new() { BucketName = bucket, Key = "other.txt", ContentBody = "not shared" });
        }

        var signed = await S3cmdAsync(t.Alice, "signurl", $"s3://{bucket}/shared.txt", "+600");
        Assert.True(signed.Code == 0, signed.Err + signed.Out);
        string url = signed.Out.Trim();
        Assert.Contains("AWSAccessKeyId=", url);
        Assert.Contains("Signature=", url);
        var uri = new Uri(url);
        string local = $"https://localhost:{t.Server.HttpsUrl.Port}{uri.PathAndQuery}";

        using var http = t.Http();
        using (var ok = await http.GetAsync(local))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("shared by signurl", await ok.Content.ReadAsStringAsync());
        }

        using (var moved = await http.GetAsync(local.Replace("shared.txt", "other.txt", StringComparison.Ordinal)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, moved.StatusCode);
            Assert.Equal("SignatureDoesNotMatch", await moved.ErrorCodeAsync());
        }

        // The holder of a GET URL cannot make it a DELETE.
        using (var delete = await http.DeleteAsync(local))
        {
            Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        }
    }

    // ---- boto3, signature_version "s3" ----

    [Fact]
    public async Task Boto3_SigV2_presigned_PUT_and_GET_work_and_an_added_copy_source_is_refused()
    {
        var env = new Dictionary<string, string>
        {
            ["S3_ENDPOINT"] = $"https://localhost:{t.Server.HttpsUrl.Port}",
            ["S3_CA"] = t.Server.Server.CertificatePath!,
            ["S3_BUCKET"] = CofferFixture.NewBucket("boto2"),
            ["AWS_ACCESS_KEY_ID"] = t.Alice.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = t.Alice.SecretKey,
            ["AWS_CONFIG_FILE"] = "/dev/null",
            ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
        };
        var (code, output, error) = await ExternalClients.RunAsync(ExternalClients.Python,
            [Path.Combine(ExternalClients.ProjectFolder, "boto3", "proof.py"), "presign-v2"], env);
        Assert.True(code == 0, $"boto3 presign-v2 failed: {error}");
        var result = JsonDocument.Parse(output).RootElement;
        Assert.Contains("AWSAccessKeyId=", result.GetProperty("putUrl").GetString());
        Assert.True(result.GetProperty("putStatus").GetInt32() == 200, output);
        Assert.True(result.GetProperty("getStatus").GetInt32() == 200, output);
        Assert.Equal("uploaded through a boto3 SigV2 presigned PUT", result.GetProperty("body").GetString());
        Assert.Equal(403, result.GetProperty("copyStatus").GetInt32());
        Assert.Equal(200, result.GetProperty("clientStatus").GetInt32());
    }

    // ---- hand-signed requests ----

    private static string Sign(string secret, string stringToSign) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(stringToSign)));

    private static string HttpDate(DateTimeOffset time) => time.ToUniversalTime().ToString("r", CultureInfo.InvariantCulture);

    /// <summary>A request signed with SigV2 in the header; <paramref name="amz"/> are the x-amz-* headers, lower-case, already sorted.</summary>
    private HttpRequestMessage Signed(Tenant who, HttpMethod method, string path, string resource, (string Name, string Value)[]? amz = null,
        HttpContent? content = null, string? host = null, DateTimeOffset? date = null)
    {
        string when = HttpDate(date ?? DateTimeOffset.UtcNow);
        string contentType = content?.Headers.ContentType?.ToString() ?? "";
        var sb = new StringBuilder();
        foreach (var (name, value) in amz ?? [])
        {
            sb.Append(name).Append(':').Append(value).Append('\n');
        }

        string sts = $"{method.Method}\n\n{contentType}\n{when}\n{sb}{resource}";
        var request = new HttpRequestMessage(method, $"https://{host ?? "localhost"}:{t.Server.HttpsUrl.Port}{path}") { Content = content };
        request.Headers.TryAddWithoutValidation("Date", when);
        foreach (var (name, value) in amz ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.TryAddWithoutValidation("Authorization", $"AWS {who.AccessKey}:{Sign(who.SecretKey, sts)}");
        return request;
    }

    private async Task<string> NewBucketWithObjectAsync(string hint)
    {
        string bucket = CofferFixture.NewBucket(hint);
        using var s3 = t.S3(t.Alice);
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new() { BucketName = bucket, Key = "k", ContentBody = "v2 body" });
        return bucket;
    }

    [Fact]
    public async Task Hand_signed_requests_work_and_each_tampering_is_refused()
    {
        string bucket = await NewBucketWithObjectAsync("v2tamper");
        using var http = t.Http();

        using (var ok = await http.SendAsync(Signed(t.Alice, HttpMethod.Get, $"/{bucket}/k", $"/{bucket}/k")))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("v2 body", await ok.Content.ReadAsStringAsync());
            Assert.True(ok.Headers.Contains("x-amz-request-id"));
        }

        // Changed resource: signed for another key.
        using (var moved = await http.SendAsync(Signed(t.Alice, HttpMethod.Get, $"/{bucket}/k", $"/{bucket}/other")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, moved.StatusCode);
            string body = await moved.Content.ReadAsStringAsync();
            Assert.Contains("<Code>SignatureDoesNotMatch</Code>", body);
            Assert.Contains($"<StringToSign>GET\n\n\n", body);
            Assert.Contains($"/{bucket}/k</StringToSign>", body);
            Assert.Contains("<StringToSignBytes>", body);
        }

        // Changed amz header after signing.
        var changed = Signed(t.Alice, HttpMethod.Put, $"/{bucket}/meta", $"/{bucket}/meta", [("x-amz-meta-a", "1")], new StringContent("x", null, "text/plain"));
        changed.Headers.Remove("x-amz-meta-a");
        changed.Headers.TryAddWithoutValidation("x-amz-meta-a", "2");
        using (var r = await http.SendAsync(changed))
        {
            Assert.Equal("SignatureDoesNotMatch", await r.ErrorCodeAsync());
        }

        // An added, unsigned SSE header of the other family.
        var cos = Signed(t.Alice, HttpMethod.Put, $"/{bucket}/cos", $"/{bucket}/cos", content: new StringContent("x", null, "text/plain"));
        cos.Headers.TryAddWithoutValidation("x-cos-server-side-encryption", "AES256");
        using (var r = await http.SendAsync(cos))
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Contains("<HeadersNotSigned>x-cos-server-side-encryption</HeadersNotSigned>", await r.Content.ReadAsStringAsync());
        }

        // Wrong secret, unknown key, skewed clock.
        using (var r = await http.SendAsync(Signed(t.Alice with { SecretKey = "wrong" + t.Alice.SecretKey }, HttpMethod.Get, $"/{bucket}/k", $"/{bucket}/k")))
        {
            Assert.Equal("SignatureDoesNotMatch", await r.ErrorCodeAsync());
        }

        using (var r = await http.SendAsync(Signed(t.Alice with { AccessKey = "AKIDNOBODY0000000000" }, HttpMethod.Get, $"/{bucket}/k", $"/{bucket}/k")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Equal("InvalidAccessKeyId", await r.ErrorCodeAsync());
        }

        using (var r = await http.SendAsync(Signed(t.Alice, HttpMethod.Get, $"/{bucket}/k", $"/{bucket}/k", date: DateTimeOffset.UtcNow.AddMinutes(-20))))
        {
            Assert.Equal("RequestTimeTooSkewed", await r.ErrorCodeAsync());
        }

        // Bob, correctly signed, on Alice's bucket.
        using (var r = await http.SendAsync(Signed(t.Bob, HttpMethod.Get, $"/{bucket}/k", $"/{bucket}/k")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Equal("AccessDenied", await r.ErrorCodeAsync());
        }
    }

    [Fact]
    public async Task A_SigV2_request_is_no_longer_answered_as_anonymous()
    {
        using var http = t.Http();
        var request = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{t.Server.HttpsUrl.Port}/");
        request.Headers.TryAddWithoutValidation("Date", HttpDate(DateTimeOffset.UtcNow));
        request.Headers.TryAddWithoutValidation("Authorization", $"AWS {t.Alice.AccessKey}:AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        using var r = await http.SendAsync(request);
        string body = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        Assert.Contains("<Code>SignatureDoesNotMatch</Code>", body);
        Assert.DoesNotContain("Anonymous", body);

        using var listed = await http.SendAsync(Signed(t.Alice, HttpMethod.Get, "/", "/"));
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Contains("<ListAllMyBucketsResult", await listed.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_virtual_hosted_request_signs_the_bucket_from_the_Host()
    {
        string bucket = await NewBucketWithObjectAsync("v2vhost");
        string host = $"{bucket}.{CofferFixture.Domain}";
        using var http = t.Http();
        using (var ok = await http.SendAsync(Signed(t.Alice, HttpMethod.Get, "/k", $"/{bucket}/k", host: host)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("v2 body", await ok.Content.ReadAsStringAsync());
        }

        using var wrong = await http.SendAsync(Signed(t.Alice, HttpMethod.Get, "/k", "/k", host: host));
        Assert.Equal("SignatureDoesNotMatch", await wrong.ErrorCodeAsync());
    }

    private string Presigned(Tenant who, string method, string resource, long expires, string extra = "", string amz = "")
    {
        string sts = $"{method}\n\n\n{expires}\n{amz}{resource}";
        return $"https://localhost:{t.Server.HttpsUrl.Port}{resource}?AWSAccessKeyId={Uri.EscapeDataString(who.AccessKey)}&Expires={expires}" +
               $"&Signature={Uri.EscapeDataString(Sign(who.SecretKey, sts))}{extra}";
    }

    [Fact]
    public async Task Presigned_URLs_expire_are_capped_at_seven_days_and_refuse_unsigned_additions()
    {
        string bucket = await NewBucketWithObjectAsync("v2pre");
        using var http = t.Http();
        long inAnHour = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        using (var ok = await http.GetAsync(Presigned(t.Alice, "GET", $"/{bucket}/k", inAnHour)))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var expired = await http.GetAsync(Presigned(t.Alice, "GET", $"/{bucket}/k", DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds())))
        {
            Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
            string body = await expired.Content.ReadAsStringAsync();
            Assert.Contains("<Code>AccessDenied</Code>", body);
            Assert.Contains("Request has expired", body);
        }

        using (var tooLong = await http.GetAsync(Presigned(t.Alice, "GET", $"/{bucket}/k", DateTimeOffset.UtcNow.AddDays(8).ToUnixTimeSeconds())))
        {
            Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
            Assert.Equal("AuthorizationQueryParametersError", await tooLong.ErrorCodeAsync());
        }

        // Sub-resources SigV2 does not sign (Coffer's ?attributes) and x-cos-* headers cannot ride on a URL.
        using (var attributes = await http.GetAsync(Presigned(t.Alice, "GET", $"/{bucket}/k", inAnHour, "&attributes")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, attributes.StatusCode);
            Assert.Equal("AccessDenied", await attributes.ErrorCodeAsync());
        }

        var copy = new HttpRequestMessage(HttpMethod.Put, Presigned(t.Alice, "PUT", $"/{bucket}/copy", inAnHour)) { Content = new ByteArrayContent([]) };
        copy.Headers.TryAddWithoutValidation("x-cos-copy-source", $"/{bucket}/k");
        using (var r = await http.SendAsync(copy))
        {
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        }

        var amzCopy = new HttpRequestMessage(HttpMethod.Put, Presigned(t.Alice, "PUT", $"/{bucket}/copy", inAnHour)) { Content = new ByteArrayContent([]) };
        amzCopy.Headers.TryAddWithoutValidation("x-amz-copy-source", $"/{bucket}/k");
        using (var r = await http.SendAsync(amzCopy))
        {
            Assert.Equal("SignatureDoesNotMatch", await r.ErrorCodeAsync());
        }

        // Presigned URLs never reach the admin API.
        using (var admin = await http.GetAsync(Presigned(t.Root, "GET", "/_coffer/admin/users", inAnHour)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
        }
    }

    [Fact]
    public async Task Temporary_credentials_sign_SigV2_with_their_token_and_fail_without_it()
    {
        string bucket = await NewBucketWithObjectAsync("v2sts");
        var (id, secret, token, _) = TemporaryCredentials.Issue(t.Server.Server.Services.RootKey, t.Alice.AccessKey, TimeSpan.FromMinutes(15), DateTimeOffset.UtcNow);
        var temporary = new Tenant("alice-sts", id, secret);
        using var http = t.Http();
        using (var ok = await http.SendAsync(Signed(temporary, HttpMethod.Get, $"/{bucket}/k", $"/{bucket}/k", [("x-amz-security-token", token)])))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using (var noToken = await http.SendAsync(Signed(temporary, HttpMethod.Get, $"/{bucket}/k", $"/{bucket}/k")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, noToken.StatusCode);
        }

        long inAnHour = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        string url = Presigned(temporary, "GET", $"/{bucket}/k", inAnHour, "&x-amz-security-token=" + Uri.EscapeDataString(token), $"x-amz-security-token:{token}\n");
        using (var presigned = await http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, presigned.StatusCode);
        }
    }

    [Fact]
    public async Task SSE_KMS_needs_Signature_Version_4()
    {
        string bucket = await NewBucketWithObjectAsync("v2kms");
        using var http = t.Http();
        var put = Signed(t.Alice, HttpMethod.Put, $"/{bucket}/kms", $"/{bucket}/kms", [("x-amz-server-side-encryption", "aws:kms")], new StringContent("x", null, "text/plain"));
        using var r = await http.SendAsync(put);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        string body = await r.Content.ReadAsStringAsync();
        Assert.Contains("<Code>InvalidArgument</Code>", body);
        Assert.Contains("require AWS Signature Version 4", body);
    }
}
