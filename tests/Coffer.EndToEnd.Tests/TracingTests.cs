using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server;
using Coffer.Server.Telemetry;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Traces: a request's server span continues the caller's W3C trace, with child spans for authentication, the KMS,
/// the metadata store and the blob backend, and no secret in any tag; with --otlp-endpoint they reach a collector.
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class TracingTests(CofferFixture f)
{
    [Fact]
    public async Task A_put_and_a_get_are_traced_through_authentication_kms_metadata_and_blobs()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == CofferTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        using var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var data = RandomNumberGenerator.GetBytes(CofferServerOptions.DefaultInlineMaxBytes + 1);
        var put = ActivityTraceId.CreateRandom();
        var get = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "traced", body: data,
            headers: [new("x-cos-server-side-encryption", "AES256"), new("traceparent", $"00-{put}-{parent}-01")])).StatusCode);
        using (var response = await cos.SendAsync(HttpMethod.Get, bucket, "traced", headers: [new("traceparent", $"00-{get}-{parent}-01")]))
            Assert.Equal(data, await response.Content.ReadAsByteArrayAsync());

        // The server span ends after the answer has gone out: wait for it, at most a few seconds.
        for (var i = 0; i < 200 && !spans.Any(s => s.TraceId == get && s.OperationName == "coffer.request"); i++)
            await Task.Delay(25);

        var putSpans = spans.Where(s => s.TraceId == put).ToList();
        var putRequest = Assert.Single(putSpans, s => s.OperationName == "coffer.request");
        Assert.Equal(ActivityKind.Server, putRequest.Kind);
        Assert.Equal(parent, putRequest.ParentSpanId);
        Assert.Equal("PutObject", putRequest.DisplayName);
        Assert.Equal(200, putRequest.GetTagItem("http.response.status_code"));
        foreach (var name in new[] { "coffer.authenticate", "coffer.metadata.get_bucket", "coffer.kms.seal", "coffer.blob.commit", "coffer.metadata.put_object" })
            Assert.Contains(putSpans, s => s.OperationName == name && s.ParentSpanId != default);

        var getSpans = spans.Where(s => s.TraceId == get).ToList();
        Assert.Equal("GetObject", Assert.Single(getSpans, s => s.OperationName == "coffer.request").DisplayName);
        foreach (var name in new[] { "coffer.authenticate", "coffer.metadata.get_object", "coffer.kms.unseal", "coffer.blob.open" })
            Assert.Contains(getSpans, s => s.OperationName == name);

        foreach (var span in putSpans.Concat(getSpans))
            foreach (var (tag, value) in span.Tags)
                Assert.DoesNotContain(CofferFixture.SecretKey, value ?? "", StringComparison.Ordinal);
    }
}

/// <summary>--otlp-endpoint: the spans reach an OTLP/HTTP collector (a fake one here) by the time the server stops.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task Spans_are_posted_to_the_otlp_endpoint()
    {
        var port = FreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var received = new ConcurrentQueue<(string Path, byte[] Body)>();
        var serving = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try { context = await collector.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                received.Enqueue((context.Request.Url!.AbsolutePath, body.ToArray()));
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        var server = new CofferFixture { Configure = o => o.OtlpEndpoint = $"http://127.0.0.1:{port}/v1/traces" };
        await server.InitializeAsync();
        try
        {
            using var cos = new CosRawClient(server);
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, CosRawClient.NewBucket())).StatusCode);
        }
        finally
        {
            await server.DisposeAsync();   // stopping the server flushes the exporter
        }
        collector.Stop();
        await serving;

        var posted = Assert.Single(received, r => r.Path == "/v1/traces" && Encoding.UTF8.GetString(r.Body).Contains("CreateBucket", StringComparison.Ordinal));
        Assert.Contains("coffer.authenticate", Encoding.UTF8.GetString(posted.Body), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:4317")]
    [InlineData("ftp://collector:4317")]
    public async Task An_otlp_endpoint_that_is_no_http_url_stops_the_start(string endpoint)
    {
        var server = new CofferFixture { Configure = o => o.OtlpEndpoint = endpoint };
        var e = await Assert.ThrowsAsync<ArgumentException>(server.InitializeAsync);
        Assert.Contains("--otlp-endpoint", e.Message, StringComparison.Ordinal);
        await server.DisposeAsync();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
