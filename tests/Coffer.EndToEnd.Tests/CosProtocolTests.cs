using System.Net;
using System.Security.Cryptography;
using System.Text;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>Requests shaped like the official COS SDKs send them: COS host names, q-sign signature, x-cos-* headers.</summary>
[Collection(CofferCollection.Name)]
public sealed class CosProtocolTests(CofferFixture f)
{
    private static readonly HttpMethod Head = HttpMethod.Head;

    private async Task<(CosRawClient Cos, string Bucket)> NewBucketAsync(bool https = true)
    {
        var cos = new CosRawClient(f, https);
        var bucket = CosRawClient.NewBucket();
        var created = await cos.SendAsync(HttpMethod.Put, bucket);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        return (cos, bucket);
    }

    [Fact]
    public async Task Put_and_get_answer_in_cos_headers_with_exact_casing_and_crc64()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var body = Encoding.ASCII.GetBytes("[Object Content]");
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "exampleobject", headers: [new("x-cos-meta-team", "coffer")], body: body);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("\"ee8de918d05640145b18f70f4c3aa602\"", put.Header("ETag"));
        Assert.Equal("16749565679157681890", put.Header("x-cos-hash-crc64ecma"));
        Assert.NotNull(put.Header("x-cos-request-id"));
        Assert.Null(put.Header("x-amz-request-id"));

        var get = await cos.SendAsync(HttpMethod.Get, bucket, "exampleobject", headers: [new("Range", "bytes=8-14")]);
        Assert.Equal(HttpStatusCode.PartialContent, get.StatusCode);
        Assert.Equal("Content", await get.Content.ReadAsStringAsync());
        Assert.Equal("bytes 8-14/16", get.Header("Content-Range"));
        Assert.Equal("16749565679157681890", get.Header("x-cos-hash-crc64ecma"));
        Assert.Equal("coffer", get.Header("x-cos-meta-team"));
        Assert.Contains(get.Headers.NonValidated, h => h.Key == "ETag");
    }

    [Fact]
    public async Task Listing_with_encoding_type_url_encodes_keys_with_percent_twenty()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await cos.SendAsync(HttpMethod.Put, bucket, "Tencent Cloud+x.jpg", body: [1]);
        var list = await cos.SendAsync(HttpMethod.Get, bucket, query: [new("prefix", ""), new("encoding-type", "url")]);
        var xml = await list.Content.ReadAsStringAsync();
        Assert.Contains("<Key>Tencent%20Cloud%2Bx.jpg</Key>", xml);
        Assert.Contains("<IsTruncated>false</IsTruncated>", xml);
        Assert.Contains("<EncodingType>url</EncodingType>", xml);
    }

    [Fact]
    public async Task Dot_segments_are_kept_byte_exact_when_sent_as_the_python_sdk_sends_them()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        // Python's COS SDK sends "./" as ".%2F", so the key reaches us with its dot segment intact.
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "a/./b", body: [7]);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var list = await cos.SendAsync(HttpMethod.Get, bucket);
        Assert.Contains("<Key>a/./b</Key>", await list.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Dot_dot_segments_are_refused_and_nothing_is_stored()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "a/../b", body: [7]);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("InvalidObjectName", await put.ErrorCodeAsync());
        var list = await cos.SendAsync(HttpMethod.Get, bucket);
        Assert.DoesNotContain("<Key>", await list.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Error_bodies_have_code_message_resource_and_request_id()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var missing = await cos.SendAsync(HttpMethod.Get, bucket, "nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var xml = await missing.Content.ReadAsStringAsync();
        foreach (var element in new[] { "<Code>NoSuchKey</Code>", "<Message>", "<Resource>", "<RequestId>", "<TraceId>" })
            Assert.Contains(element, xml);
        Assert.NotNull(missing.Header("x-cos-request-id"));
        Assert.NotNull(missing.Headers.Date);

        var head = await cos.SendAsync(Head, bucket, "nope");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Wrong_secret_expired_and_future_signatures_are_refused()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        using var wrong = new CosRawClient(f, https: true, secretKey: "wrong-secret");
        var r1 = await wrong.SendAsync(HttpMethod.Get, bucket);
        Assert.Equal(HttpStatusCode.Forbidden, r1.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", await r1.ErrorCodeAsync());

        var expired = await cos.SendAsync(HttpMethod.Get, bucket, signStart: DateTimeOffset.UtcNow.AddHours(-2), validity: TimeSpan.FromMinutes(5));
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Equal("AccessDenied", await expired.ErrorCodeAsync());
        Assert.Contains("expired", await expired.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        var future = await cos.SendAsync(HttpMethod.Get, bucket, signStart: DateTimeOffset.UtcNow.AddHours(2));
        Assert.Equal(HttpStatusCode.Forbidden, future.StatusCode);
        Assert.Equal("RequestTimeTooSkewed", await future.ErrorCodeAsync());

        using var unknown = new CosRawClient(f, https: true, secretId: "AKIDNOBODY");
        var r2 = await unknown.SendAsync(HttpMethod.Get, bucket);
        Assert.Equal("InvalidAccessKeyId", await r2.ErrorCodeAsync());
    }

    [Fact]
    public async Task Malformed_authorization_is_a_clear_400()
    {
        using var http = Clients.Http(f, f.HttpsUrl.Port);
        var request = new HttpRequestMessage(HttpMethod.Get, $"https://{CosRawClient.Host(CosRawClient.NewBucket())}:{f.HttpsUrl.Port}/");
        request.Headers.TryAddWithoutValidation("Authorization", "q-sign-algorithm=md5&q-ak=x");
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("AuthorizationHeaderMalformed", await response.ErrorCodeAsync());
    }

    [Fact]
    public async Task Multi_delete_with_malformed_xml_is_refused_and_deletes_nothing()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await cos.SendAsync(HttpMethod.Put, bucket, "stay", body: [1]);
        var body = Encoding.UTF8.GetBytes("<Delete><Object><Key>stay</Key></Object>");
        var response = await cos.SendAsync(HttpMethod.Post, bucket, query: [new("delete", "")],
            headers: [new("Content-MD5", Convert.ToBase64String(MD5.HashData(body)))], body: body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("MalformedXML", await response.ErrorCodeAsync());
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(Head, bucket, "stay")).StatusCode);
    }

    [Fact]
    public async Task Body_shorter_than_content_length_is_incomplete_and_stores_nothing()
    {
        var (cos, bucket) = await NewBucketAsync(https: false);
        using var _ = cos;
        var port = f.HttpUrl.Port;
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        var host = CosRawClient.Host(bucket);
        var start = DateTimeOffset.UtcNow.AddSeconds(-60);
        var auth = Coffer.Protocol.Auth.CosV5Signer.Sign(CofferFixture.AccessKey, CofferFixture.SecretKey, "PUT", "/short", [], [new("host", host)], start, start.AddHours(1));
        var head = $"PUT /short HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\nContent-Length: 100\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + new string('x', 40)));
        // The client gives up mid-body: Kestrel sees the connection end before Content-Length bytes.
        client.Client.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        var reply = await ReadWhatArrivesAsync(stream);
        if (reply.Length > 0)
        {
            Assert.StartsWith("HTTP/1.1 400", reply);
            Assert.Contains("IncompleteBody", reply);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await cos.SendAsync(Head, bucket, "short")).StatusCode);
        var tmp = Path.Combine(f.DataDirectory, "tmp");
        for (var i = 0; i < 50 && Directory.Exists(tmp) && Directory.EnumerateFiles(tmp).Any(); i++)
            await Task.Delay(100);
        Assert.False(Directory.Exists(tmp) && Directory.EnumerateFiles(tmp).Any(), "a temporary blob was left behind");
    }

    [Fact]
    public async Task Body_longer_than_content_length_stores_only_the_declared_bytes()
    {
        var (cos, bucket) = await NewBucketAsync(https: false);
        using var _ = cos;
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, f.HttpUrl.Port);
        var stream = client.GetStream();
        var host = CosRawClient.Host(bucket);
        var start = DateTimeOffset.UtcNow.AddSeconds(-60);
        var auth = Coffer.Protocol.Auth.CosV5Signer.Sign(CofferFixture.AccessKey, CofferFixture.SecretKey, "PUT", "/long", [], [new("host", host)], start, start.AddHours(1));
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"PUT /long HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\nContent-Length: 10\r\n\r\n0123456789EXTRA-BYTES\r\n\r\n"));
        var reply = await ReadWhatArrivesAsync(stream);
        Assert.StartsWith("HTTP/1.1 200", reply);
        var get = await cos.SendAsync(HttpMethod.Get, bucket, "long");
        Assert.Equal("0123456789", await get.Content.ReadAsStringAsync());
    }

    private static async Task<string> ReadWhatArrivesAsync(Stream stream)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0)
                received.Write(buffer, 0, n);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // The server may reset the connection after a broken request, or keep it open.
        }
        return Encoding.ASCII.GetString(received.ToArray());
    }
}
