using System.Net;
using System.Security.Cryptography;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// /_coffer/metrics: Prometheus text that counts exactly the requests made, by operation, family and status, with
/// their bytes, SSE modes and blob calls; readable by the administrator only unless --metrics says otherwise. Each
/// class runs its own server: the counters are that server's alone, even with other servers in the process.
/// </summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private readonly CofferFixture _f = new();

    public Task InitializeAsync() => _f.InitializeAsync();

    public Task DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task The_counters_move_by_exactly_the_workload_between_two_scrapes()
    {
        using var cos = new CosRawClient(_f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var before = await Prometheus.ScrapeAsync(_f);

        // 3 PUTs (one large enough for a blob), 2 GETs, 1 GET of a missing key.
        var bodies = new[] { RandomNumberGenerator.GetBytes(10), RandomNumberGenerator.GetBytes(CofferServerOptions.DefaultInlineMaxBytes + 1000), RandomNumberGenerator.GetBytes(3) };
        for (var i = 0; i < bodies.Length; i++)
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, $"k{i}", body: bodies[i])).StatusCode);
        for (var i = 0; i < 2; i++)
            Assert.Equal(bodies[i], await (await cos.SendAsync(HttpMethod.Get, bucket, $"k{i}")).Content.ReadAsByteArrayAsync());
        var missing = await cos.SendAsync(HttpMethod.Get, bucket, "no-such-key");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var errorBody = (await missing.Content.ReadAsByteArrayAsync()).Length;

        // A request is counted as its handler returns, which may be just after its client has the whole answer.
        List<PrometheusSample> after = [];
        for (var attempt = 0; attempt < 200; attempt++)
        {
            after = await Prometheus.ScrapeAsync(_f);
            if (Delta(before, after, "coffer_requests_total", ("operation", "GetObject"), ("family", "cos")) >= 3
                && Delta(before, after, "coffer_requests_total", ("operation", "PutObject"), ("family", "cos")) >= 3)
                break;
            await Task.Delay(25);
        }

        Assert.Equal(3, Delta(before, after, "coffer_requests_total", ("operation", "PutObject"), ("family", "cos"), ("status", "200")));
        Assert.Equal(2, Delta(before, after, "coffer_requests_total", ("operation", "GetObject"), ("family", "cos"), ("status", "200")));
        Assert.Equal(1, Delta(before, after, "coffer_requests_total", ("operation", "GetObject"), ("family", "cos"), ("status", "404")));
        Assert.Equal(0, Delta(before, after, "coffer_requests_total", ("operation", "PutObject"), ("status", "404")));
        Assert.Equal(0, Delta(before, after, "coffer_requests_total", ("operation", "CreateBucket")));
        Assert.Equal(3, Delta(before, after, "coffer_request_duration_seconds_count", ("operation", "PutObject"), ("family", "cos")));
        Assert.Equal(3, Delta(before, after, "coffer_request_duration_seconds_count", ("operation", "GetObject"), ("family", "cos")));
        Assert.Equal(bodies.Sum(b => b.Length), Delta(before, after, "coffer_received_bytes_total", ("operation", "PutObject")));
        Assert.Equal(bodies[0].Length + bodies[1].Length + errorBody, Delta(before, after, "coffer_sent_bytes_total", ("operation", "GetObject")));
        Assert.Equal(3, Delta(before, after, "coffer_sse_requests_total", ("mode", "none"), ("operation", "PutObject")));
        Assert.Equal(2, Delta(before, after, "coffer_sse_requests_total", ("mode", "none"), ("operation", "GetObject")));
        Assert.Equal(1, Delta(before, after, "coffer_blob_calls_total", ("call", "commit"), ("outcome", "ok")));
        Assert.True(Delta(before, after, "coffer_blob_calls_total", ("call", "open"), ("outcome", "ok")) >= 1);
        Assert.Equal(0, Delta(before, after, "coffer_blob_calls_total", ("outcome", "error")));
        // Each of the 6 requests read its bucket; each GET its object row (the 404 too); each PUT wrote one.
        Assert.True(Delta(before, after, "coffer_metadata_calls_total", ("call", "GetBucket"), ("outcome", "ok")) >= 6);
        Assert.True(Delta(before, after, "coffer_metadata_calls_total", ("call", "GetObject"), ("outcome", "ok")) >= 3);
        Assert.True(Delta(before, after, "coffer_metadata_duration_seconds_count", ("call", "GetObject")) >= 3);
        Assert.Equal(0, Delta(before, after, "coffer_metadata_calls_total", ("outcome", "error")));
        // The scrapes themselves are requests too, under their own name.
        Assert.True(Delta(before, after, "coffer_requests_total", ("operation", "Metrics"), ("status", "200")) >= 1);
    }

    [Fact]
    public async Task Sse_cos_puts_show_in_the_kms_and_bucket_key_cache_counters()
    {
        using var cos = new CosRawClient(_f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var before = await Prometheus.ScrapeAsync(_f);
        for (var i = 0; i < 2; i++)
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, $"enc{i}", body: "secret data"u8.ToArray(), headers: [new("x-cos-server-side-encryption", "AES256")])).StatusCode);
        var after = before;
        for (var attempt = 0; attempt < 200 && Delta(before, after, "coffer_sse_requests_total", ("mode", "sse-cos")) < 2; attempt++)
        {
            await Task.Delay(attempt == 0 ? 0 : 25);
            after = await Prometheus.ScrapeAsync(_f);
        }

        Assert.Equal(2, Delta(before, after, "coffer_sse_requests_total", ("mode", "sse-cos"), ("operation", "PutObject")));
        // The first PUT makes the bucket's key (one GenerateDataKey); the second finds it cached.
        Assert.Equal(1, Delta(before, after, "coffer_kms_calls_total", ("call", "GenerateDataKey")));
        Assert.Equal(1, Delta(before, after, "coffer_kms_bucket_key_cache_lookups_total", ("result", "miss")));
        Assert.Equal(1, Delta(before, after, "coffer_kms_bucket_key_cache_lookups_total", ("result", "hit")));
        Assert.True(Delta(before, after, "coffer_kms_key_state_cache_lookups_total") >= 2);
    }

    [Fact]
    public async Task Kms_api_calls_are_counted_by_call_name_and_an_unknown_call_under_one_label()
    {
        using var kms = new Amazon.KeyManagementService.AmazonKeyManagementServiceClient(
            new Amazon.Runtime.BasicAWSCredentials(CofferFixture.AccessKey, CofferFixture.SecretKey),
            new Amazon.KeyManagementService.AmazonKeyManagementServiceConfig
            {
                ServiceURL = _f.HttpsUrl.ToString(),
                AuthenticationRegion = CofferFixture.Region,
                HttpClientFactory = Clients.Factory(_f, _f.HttpsUrl.Port),
                MaxErrorRetry = 0,
            });
        var before = await Prometheus.ScrapeAsync(_f);
        var key = await kms.CreateKeyAsync(new Amazon.KeyManagementService.Model.CreateKeyRequest { Description = "metrics" });
        await kms.GenerateDataKeyAsync(new Amazon.KeyManagementService.Model.GenerateDataKeyRequest { KeyId = key.KeyMetadata.KeyId, NumberOfBytes = 32 });
        // A target no KMS has: its label must not be the caller's string (labels come from a fixed set).
        using var http = Clients.Http(_f, _f.HttpsUrl.Port);
        var bogus = new HttpRequestMessage(HttpMethod.Post, new Uri(_f.HttpsUrl, "/")) { Content = new StringContent("{}") };
        bogus.Headers.TryAddWithoutValidation("X-Amz-Target", "TrentService.Label" + Guid.NewGuid().ToString("N"));
        using (await http.SendAsync(bogus)) { }

        var after = before;
        for (var attempt = 0; attempt < 200 && Delta(before, after, "coffer_requests_total", ("operation", "kms:Unknown")) < 1; attempt++)
        {
            await Task.Delay(attempt == 0 ? 0 : 25);
            after = await Prometheus.ScrapeAsync(_f);
        }
        Assert.Equal(1, Delta(before, after, "coffer_requests_total", ("operation", "kms:CreateKey"), ("family", "s3"), ("status", "200")));
        Assert.Equal(1, Delta(before, after, "coffer_requests_total", ("operation", "kms:GenerateDataKey"), ("status", "200")));
        Assert.Equal(1, Delta(before, after, "coffer_requests_total", ("operation", "kms:Unknown")));
        Assert.Equal(1, Delta(before, after, "coffer_kms_calls_total", ("call", "GenerateDataKey")));
        Assert.DoesNotContain(after, s => s.Labels.Values.Any(v => v.StartsWith("TrentService.Label", StringComparison.Ordinal) || v.StartsWith("kms:Label", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Process_and_gc_figures_are_exported()
    {
        var samples = await Prometheus.ScrapeAsync(_f);
        Assert.Contains(samples, s => s.Name.StartsWith("dotnet_gc_", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name.StartsWith("dotnet_process_", StringComparison.Ordinal));
        Assert.Contains(samples, s => s.Name == "coffer_uploads_active");
    }

    [Fact]
    public async Task By_default_only_the_administrator_may_scrape()
    {
        using var anonymous = await Prometheus.GetAsync(_f, sign: false);
        Assert.Equal(HttpStatusCode.Forbidden, anonymous.StatusCode);
        Assert.DoesNotContain("coffer_requests_total", await anonymous.Content.ReadAsStringAsync());

        using var wrongSecret = await Prometheus.GetAsync(_f, secretKey: "not-the-secret-key-0123456789abcdefghijk");
        Assert.Equal(HttpStatusCode.Forbidden, wrongSecret.StatusCode);
        Assert.DoesNotContain("coffer_requests_total", await wrongSecret.Content.ReadAsStringAsync());

        using var root = await Prometheus.GetAsync(_f, https: false);
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.StartsWith("text/plain", root.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Another_user_may_not_scrape()
    {
        var (accessKey, secretKey) = await AddUserAsync(_f, "metrics-reader");
        using var response = await Prometheus.GetAsync(_f, accessKey: accessKey, secretKey: secretKey);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("coffer_", await response.Content.ReadAsStringAsync());
    }

    private static async Task<(string AccessKey, string SecretKey)> AddUserAsync(CofferFixture f, string name) =>
        (await Coffer.Server.Hosting.Credentials.AddUserAsync(f.Server.Services.Store, f.Server.Services.RootKey, name))!.Value;

    private static double Delta(List<PrometheusSample> before, List<PrometheusSample> after, string name, params (string, string)[] labels) =>
        after.Sum(name, labels) - before.Sum(name, labels);
}

/// <summary>--metrics anonymous: what a Prometheus server (which cannot sign) scrapes.</summary>
public sealed class AnonymousMetricsTests : IAsyncLifetime
{
    private readonly CofferFixture _f = new() { Configure = o => o.Metrics = MetricsAccess.Anonymous };

    public Task InitializeAsync() => _f.InitializeAsync();

    public Task DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task An_unsigned_scrape_is_answered_on_both_listeners()
    {
        foreach (var https in new[] { true, false })
        {
            using var response = await Prometheus.GetAsync(_f, sign: false, https: https);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains(Prometheus.Parse(await response.Content.ReadAsStringAsync()), s => s.Name == "coffer_uploads_active");
        }
    }
}

/// <summary>--metrics off: nothing is collected, and the path is an ordinary request (refused).</summary>
public sealed class MetricsOffTests : IAsyncLifetime
{
    private readonly CofferFixture _f = new() { Configure = o => o.Metrics = MetricsAccess.Off };

    public Task InitializeAsync() => _f.InitializeAsync();

    public Task DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task Not_even_the_administrator_gets_metrics()
    {
        Assert.Null(_f.Server.Services.MetricsEndpoint);
        foreach (var sign in new[] { true, false })
        {
            using var response = await Prometheus.GetAsync(_f, sign: sign);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{(int)response.StatusCode}");
            Assert.DoesNotContain("coffer_requests_total", await response.Content.ReadAsStringAsync());
        }
    }
}
