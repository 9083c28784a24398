using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// The log: one access line per request with its id, operation, bucket, key, status, sizes and SSE mode; the request
/// id on every line a request writes; and, whatever the SSE mode or signature, never a key, secret or signature.
/// </summary>
public sealed class LogTests : IAsyncLifetime
{
    private readonly CofferFixture _f = new();

    public Task InitializeAsync() => _f.InitializeAsync();

    public Task DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task No_key_material_secret_or_signature_appears_in_any_log_line_in_any_sse_mode()
    {
        var context = SseKeys.Context("{\"project\":\"log-context-" + Guid.NewGuid().ToString("N")[..8] + "\"}");
        var ids = new List<(string RequestId, string Operation, string Sse)>();

        // COS family, COS signature, over HTTPS: SSE-C, SSE-COS and SSE-KMS with a context, each written and read.
        using var cos = new CosRawClient(_f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var body = RandomNumberGenerator.GetBytes(1000);
        var modes = new (string Key, string Sse, KeyValuePair<string, string>[] Headers)[]
        {
            ("ssec", "sse-c", SseKeys.CosCustomer()),
            ("sse-cos", "sse-cos", [new("x-cos-server-side-encryption", "AES256")]),
            ("sse-kms", "sse-kms", [new("x-cos-server-side-encryption", "cos/kms"), new("x-cos-server-side-encryption-context", context)]),
        };
        foreach (var (key, sse, headers) in modes)
        {
            using var put = await cos.SendAsync(HttpMethod.Put, bucket, key, headers: headers, body: body);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            ids.Add((put.Header("x-cos-request-id")!, "PutObject", sse));
            using var get = await cos.SendAsync(HttpMethod.Get, bucket, key, headers: sse == "sse-c" ? SseKeys.CosCustomer() : []);
            Assert.Equal(body, await get.Content.ReadAsByteArrayAsync());
            ids.Add((get.Header("x-cos-request-id")!, "GetObject", sse));
        }
        // A wrong SSE-C key (refused) and a bad signature are logged too, without what was sent.
        using (var wrong = await cos.SendAsync(HttpMethod.Get, bucket, "ssec", headers: SseKeys.CosCustomer(SseKeys.KeyB, SseKeys.KeyBMd5)))
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        using (var forged = new CosRawClient(_f, secretKey: "forged-secret-key-0123456789abcdefghijklm"))
            Assert.Equal(HttpStatusCode.Forbidden, (await forged.SendAsync(HttpMethod.Get, bucket, "sse-cos")).StatusCode);

        // S3 family, SigV4 (aws-chunked, signed chunks) over HTTPS: SSE-C and SSE-KMS.
        using var s3 = Clients.S3(_f, https: true);
        var s3Bucket = CofferFixture.NewBucket("logs");
        await s3.PutBucketAsync(s3Bucket);
        var s3Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = s3Bucket,
            Key = "s3-ssec",
            ContentBody = "s3 ssec data",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = s3Key,
        });
        using (var got = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = s3Bucket,
            Key = "s3-ssec",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = s3Key,
        }))
            Assert.Equal("s3 ssec data", await new StreamReader(got.ResponseStream).ReadToEndAsync());
        var kmsPut = await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = s3Bucket,
            Key = "s3-kms",
            ContentBody = "s3 kms data",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
        });
        ids.Add((kmsPut.ResponseMetadata.RequestId, "PutObject", "sse-kms"));

        var lines = _f.Log.Lines.ToList();
        var secrets = new Dictionary<string, string>
        {
            ["root secret key"] = CofferFixture.SecretKey,
            ["forged secret key"] = "forged-secret-key-0123456789abcdefghijklm",
            ["SSE-C key (base64)"] = SseKeys.KeyA,
            ["SSE-C key MD5"] = SseKeys.KeyAMd5,
            ["wrong SSE-C key (base64)"] = SseKeys.KeyB,
            ["wrong SSE-C key MD5"] = SseKeys.KeyBMd5,
            ["SSE-C key (raw)"] = Encoding.ASCII.GetString(Convert.FromBase64String(SseKeys.KeyA)),
            ["SSE-C key (hex)"] = Convert.ToHexStringLower(Convert.FromBase64String(SseKeys.KeyA)),
            ["S3 SSE-C key (base64)"] = s3Key,
            ["S3 SSE-C key MD5"] = SseKeys.Md5Of(s3Key),
            ["S3 SSE-C key (hex)"] = Convert.ToHexStringLower(Convert.FromBase64String(s3Key)),
            ["KMS encryption context"] = context,
            ["COS signature"] = "q-signature",
            ["COS signed header list"] = "q-header-list",
            ["SigV4 signature"] = "Signature=",
            ["SigV4 chunk signature"] = "chunk-signature",
            ["SigV4 credential"] = "AWS4-HMAC-SHA256",
        };
        foreach (var line in lines)
            foreach (var (what, secret) in secrets)
                Assert.False(line.Contains(secret, StringComparison.OrdinalIgnoreCase), $"{what} found in a log line: {line}");

        // Every request above has its access line, inside its request's scope, with its operation and SSE mode.
        foreach (var (requestId, operation, sse) in ids)
        {
            var access = Assert.Single(lines, l => l.Contains($"id={requestId}", StringComparison.Ordinal) && l.Contains("Coffer.Access", StringComparison.Ordinal));
            Assert.Contains($" {operation} ", access, StringComparison.Ordinal);
            Assert.Contains($"sse={sse}", access, StringComparison.Ordinal);
            Assert.Contains("status=200", access, StringComparison.Ordinal);
            Assert.Contains("user=root", access, StringComparison.Ordinal);
            Assert.EndsWith($" => RequestId:{requestId}", access, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_key_with_a_line_break_is_escaped_in_its_access_line()
    {
        using var cos = new CosRawClient(_f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);

        using var forged = await cos.SendAsync(HttpMethod.Get, bucket, "evil\nInformation Coffer.Access: forged");
        var forgedId = forged.Header("x-cos-request-id")!;
        // The access line is written once the answer is out, which may be just after the client has read it.
        for (var attempt = 0; attempt < 200 && !_f.Log.Lines.Any(l => l.Contains($"id={forgedId}", StringComparison.Ordinal)); attempt++)
            await Task.Delay(10);
        var line = Assert.Single(_f.Log.Lines, l => l.Contains($"id={forgedId}", StringComparison.Ordinal));
        Assert.DoesNotContain("\n", line, StringComparison.Ordinal);
        Assert.Contains("key=evil\\u000aInformation", line, StringComparison.Ordinal);
        Assert.EndsWith($" => RequestId:{forgedId}", line, StringComparison.Ordinal);
    }
}
