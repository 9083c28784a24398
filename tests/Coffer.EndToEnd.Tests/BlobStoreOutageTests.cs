using System.Net;
using System.Security.Cryptography;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server;
using Coffer.Storage;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// A blob backend outage reaches the client as 503 ServiceUnavailable when the response has not
/// started, and as a cut connection when it has: never a 500, never a short body passed off as a
/// whole object, never a half-written object.
/// </summary>
public sealed class BlobStoreOutageTests : IAsyncLifetime
{
    private OutageBlobStore _blobs = null!;
    private readonly CofferFixture _f;

    public BlobStoreOutageTests() => _f = new CofferFixture { Configure = o => o.WrapBlobs = inner => _blobs = new OutageBlobStore(inner) };

    public Task InitializeAsync() => _f.InitializeAsync();

    public Task DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task A_get_while_the_backend_is_down_is_503_service_unavailable()
    {
        using var cos = new CosRawClient(_f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var data = RandomNumberGenerator.GetBytes(LargerThanInline);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "k", body: data)).StatusCode);

        _blobs.Down = true;
        var get = await cos.SendAsync(HttpMethod.Get, bucket, "k");
        var ranged = await cos.SendAsync(HttpMethod.Get, bucket, "k", headers: [new("Range", "bytes=1-2")]);

        foreach (var response in new[] { get, ranged })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("<Code>ServiceUnavailable</Code>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        _blobs.Down = false;
        Assert.Equal(data, await (await cos.SendAsync(HttpMethod.Get, bucket, "k")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_put_while_the_backend_is_down_is_503_and_leaves_the_old_object()
    {
        using var cos = new CosRawClient(_f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var first = RandomNumberGenerator.GetBytes(LargerThanInline);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "k", body: first)).StatusCode);

        _blobs.Down = true;
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "k", body: RandomNumberGenerator.GetBytes(LargerThanInline));
        _blobs.Down = false;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, put.StatusCode);
        Assert.Contains("<Code>ServiceUnavailable</Code>", await put.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(first, await (await cos.SendAsync(HttpMethod.Get, bucket, "k")).Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData(28, "SlowDown", "storage is full")]
    [InlineData(30, "ServiceUnavailable", "read-only")]
    [InlineData(5, "ServiceUnavailable", "failed an I/O operation")]
    public async Task A_full_read_only_or_failing_disk_answers_503_keeps_the_old_object_and_heals_without_a_restart(int errno, string code, string message)
    {
        using var cos = new CosRawClient(_f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var first = RandomNumberGenerator.GetBytes(LargerThanInline);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "k", body: first)).StatusCode);
        var upload = await cos.SendAsync(HttpMethod.Post, bucket, "mp", query: [KeyValuePair.Create("uploads", "")]);
        var uploadId = System.Text.RegularExpressions.Regex.Match(await upload.Content.ReadAsStringAsync(), "<UploadId>([^<]+)</UploadId>").Groups[1].Value;

        _blobs.CommitErrno = errno;
        HttpResponseMessage put, part;
        try
        {
            put = await cos.SendAsync(HttpMethod.Put, bucket, "k", body: RandomNumberGenerator.GetBytes(LargerThanInline));
            part = await cos.SendAsync(HttpMethod.Put, bucket, "mp", query: [KeyValuePair.Create("partNumber", "1"), KeyValuePair.Create("uploadId", uploadId)],
                body: RandomNumberGenerator.GetBytes(LargerThanInline));
            // Reads keep working meanwhile.
            Assert.Equal(first, await (await cos.SendAsync(HttpMethod.Get, bucket, "k")).Content.ReadAsByteArrayAsync());
        }
        finally
        {
            _blobs.CommitErrno = 0;
        }

        foreach (var answer in new[] { put, part })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            var body = await answer.Content.ReadAsStringAsync();
            Assert.Contains($"<Code>{code}</Code>", body, StringComparison.Ordinal);
            Assert.Contains(message, body, StringComparison.Ordinal);
            Assert.DoesNotContain(" at Coffer.", body, StringComparison.Ordinal);
        }
        Assert.Equal(first, await (await cos.SendAsync(HttpMethod.Get, bucket, "k")).Content.ReadAsByteArrayAsync());
        var parts = await (await cos.SendAsync(HttpMethod.Get, bucket, "mp", query: [KeyValuePair.Create("uploadId", uploadId)])).Content.ReadAsStringAsync();
        Assert.DoesNotContain("<Part>", parts, StringComparison.Ordinal);
        Assert.Contains(_f.Log.Lines, l => l.Contains("storage fault", StringComparison.Ordinal));

        // Space (or the device) is back: the same server takes writes again.
        var second = RandomNumberGenerator.GetBytes(LargerThanInline);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "k", body: second)).StatusCode);
        Assert.Equal(second, await (await cos.SendAsync(HttpMethod.Get, bucket, "k")).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_small_object_lives_in_its_metadata_row_and_is_written_and_read_while_the_backend_is_down()
    {
        using var cos = new CosRawClient(_f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);

        _blobs.Down = true;
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "small", body: "small data"u8.ToArray(), headers: [new("x-cos-server-side-encryption", "AES256")]);
        var get = await cos.SendAsync(HttpMethod.Get, bucket, "small");
        var ranged = await cos.SendAsync(HttpMethod.Get, bucket, "small", headers: [new("Range", "bytes=6-9")]);
        _blobs.Down = false;

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal("small data", await get.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal("data", await ranged.Content.ReadAsStringAsync());
        Assert.Equal(0, _blobs.Writers);   // not one blob was even begun
    }

    [Fact]
    public async Task Ready_is_503_naming_the_blob_backend_while_it_is_down_and_health_stays_200()
    {
        using var http = Clients.Http(_f, _f.HttpUrl.Port);
        var ready = new Uri(_f.HttpUrl, "/_coffer/ready");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ready)).StatusCode);

        using var cos = new CosRawClient(_f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "k", body: RandomNumberGenerator.GetBytes(LargerThanInline))).StatusCode);

        _blobs.Down = true;
        using var get = await cos.SendAsync(HttpMethod.Get, bucket, "k");
        using var down = await http.GetAsync(ready);
        using var health = await http.GetAsync(new Uri(_f.HttpUrl, "/_coffer/health"));
        _blobs.Down = false;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await down.Content.ReadAsStringAsync())!;
        Assert.Equal("unavailable", (string?)body["status"]);
        Assert.Equal(["blobs"], body["failed"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("failed", (string?)body["checks"]!["blobs"]);
        Assert.Equal("ok", (string?)body["checks"]!["metadata"]);
        Assert.Equal("ok", (string?)body["checks"]!["kms"]);
        Assert.Contains(_f.Log.Lines, l => l.Contains("Readiness: the blobs backend did not answer", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);   // alive, only not ready
        // The failed GET's lines (its warning, its access line) all carry its request id as their scope.
        var requestId = get.Header("x-cos-request-id")!;
        var ofGet = _f.Log.Lines.Where(l => l.Contains(requestId, StringComparison.Ordinal)).ToList();
        Assert.Contains(ofGet, l => l.Contains("the blob store is unavailable", StringComparison.Ordinal));
        Assert.Contains(ofGet, l => l.Contains("Coffer.Access", StringComparison.Ordinal) && l.Contains("status=503", StringComparison.Ordinal));
        Assert.All(ofGet, l => Assert.EndsWith($" => RequestId:{requestId}", l, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ready)).StatusCode);
    }

    /// <summary>Bigger than the default inline limit: such an object's data is in a blob.</summary>
    private const int LargerThanInline = CofferServerOptions.DefaultInlineMaxBytes + 1;

    [Fact]
    public async Task A_backend_failing_after_the_response_started_cuts_the_connection()
    {
        using var cos = new CosRawClient(_f);
        var bucket = CosRawClient.NewBucket();
        var content = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "big", body: content)).StatusCode);

        _blobs.FailReadsAfter = content.Length / 2;
        using var response = await cos.SendAsync(HttpMethod.Get, bucket, "big");   // headers only: the body is read below

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(content.Length, response.Content.Headers.ContentLength);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync());
        Assert.True(e is HttpRequestException or IOException, e.ToString());
        Assert.Contains(_f.Log.Lines, l => l.Contains("connection aborted", StringComparison.Ordinal));
    }
}
