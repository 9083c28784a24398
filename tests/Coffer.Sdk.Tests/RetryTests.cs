using System.Net;
using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>Retries of transient failures through the Polly pipeline, against a scripted handler.</summary>
public sealed class RetryTests
{
    private static CosClient Client(ScriptedHandler handler, int retries = 3, TimeSpan? timeout = null) => new(new CosConfig
    {
        SecretId = "id",
        SecretKey = "k",
        Retry = new CosRetryOptions { MaxRetries = retries, BaseDelay = TimeSpan.FromMilliseconds(1), UseJitter = false },
        Timeout = timeout ?? TimeSpan.FromMinutes(1),
    }, handler);

    [Fact]
    public async Task A_503_is_retried_and_the_retry_carries_x_cos_sdk_retry()
    {
        var handler = new ScriptedHandler(_ => ScriptedHandler.Error(503, "SlowDown"), _ => ScriptedHandler.Error(500, "InternalError"), _ => ScriptedHandler.Ok());
        using var client = Client(handler);
        await client.PutObjectAsync("b-1250000000", "k", "body");
        Assert.Equal(3, handler.Sent.Count);
        Assert.False(handler.Sent[0].Headers.Contains("x-cos-sdk-retry"));
        Assert.Equal("true", handler.Sent[1].Headers.GetValues("x-cos-sdk-retry").Single());
        Assert.Equal("true", handler.Sent[2].Headers.GetValues("x-cos-sdk-retry").Single());
        Assert.All(handler.Bodies, b => Assert.Equal("body", b));
    }

    [Fact]
    public async Task Throttling_with_a_400_code_is_retried_but_a_404_is_not()
    {
        var slow = new ScriptedHandler(_ => ScriptedHandler.Error(400, "RequestTimeout"), _ => ScriptedHandler.Ok());
        using (var client = Client(slow))
        {
            await client.HeadObjectAsync("b-1250000000", "k");
        }

        Assert.Equal(2, slow.Sent.Count);
        var missing = new ScriptedHandler(_ => ScriptedHandler.Error(404, "NoSuchKey"));
        using (var client = Client(missing))
        {
            var e = await Assert.ThrowsAsync<CofferException>(() => client.DeleteObjectAsync("b-1250000000", "k"));
            Assert.Equal("NoSuchKey", e.Code);
            Assert.False(e.IsTransient);
        }

        Assert.Single(missing.Sent);
    }

    [Fact]
    public async Task A_body_stream_that_cannot_be_rewound_is_not_retried()
    {
        var handler = new ScriptedHandler(_ => ScriptedHandler.Error(503, "ServiceUnavailable"), _ => ScriptedHandler.Ok());
        using var client = Client(handler);
        using var stream = new NonSeekableStream(new byte[100]);
        var e = await Assert.ThrowsAsync<CofferException>(() => client.PutObjectAsync(new PutObjectRequest { Bucket = "b-1250000000", Key = "k", Body = CosBody.FromStream(stream, 100) }));
        Assert.Equal(503, e.StatusCode);
        Assert.True(e.IsTransient);
        Assert.Single(handler.Sent);
    }

    [Fact]
    public async Task A_seekable_stream_is_rewound_for_each_retry()
    {
        var handler = new ScriptedHandler(_ => ScriptedHandler.Error(500, "InternalError"), _ => ScriptedHandler.Ok());
        using var client = Client(handler);
        using var stream = new MemoryStream("xxhello"u8.ToArray()) { Position = 2 };
        await client.PutObjectAsync(new PutObjectRequest { Bucket = "b-1250000000", Key = "k", Body = stream });
        Assert.Equal(["hello", "hello"], handler.Bodies);
    }

    [Fact]
    public async Task Network_faults_are_retried_then_reported_as_a_network_client_error()
    {
        var handler = new ScriptedHandler(ScriptedHandler.Throw(new HttpRequestException("connection reset")));
        using var client = Client(handler, retries: 2);
        var e = await Assert.ThrowsAsync<CosClientException>(() => client.HeadObjectAsync("b-1250000000", "k"));
        Assert.Equal(CosClientErrorKind.Network, e.Kind);
        Assert.True(e.IsTransient);
        Assert.Equal(3, handler.Sent.Count);
    }

    [Fact]
    public async Task An_attempt_that_outlives_the_timeout_is_retried_then_reported_as_a_timeout()
    {
        var handler = new SlowHandler(TimeSpan.FromSeconds(5));
        using var client = new CosClient(new CosConfig
        {
            SecretId = "id",
            SecretKey = "k",
            Timeout = TimeSpan.FromMilliseconds(100),
            Retry = new CosRetryOptions { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(1) },
        }, handler);
        var e = await Assert.ThrowsAsync<CosClientException>(() => client.HeadObjectAsync("b-1250000000", "k"));
        Assert.Equal(CosClientErrorKind.Timeout, e.Kind);
        Assert.Equal(2, handler.Calls);
    }

    [Fact]
    public async Task Cancellation_is_reported_as_cancellation_and_not_retried()
    {
        var handler = new SlowHandler(TimeSpan.FromSeconds(5));
        using var client = new CosClient(new CosConfig { SecretId = "id", SecretKey = "k" }, handler);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.HeadObjectAsync("b-1250000000", "k", null, cts.Token));
        Assert.Equal(1, handler.Calls);
    }

    private sealed class SlowHandler(TimeSpan delay) : HttpMessageHandler
    {
        private int _calls;

        public int Calls => _calls;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            await Task.Delay(delay, cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK);
        }
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
