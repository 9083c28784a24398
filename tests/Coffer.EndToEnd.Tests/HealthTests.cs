using System.Net;
using System.Text.Json.Nodes;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>/_coffer/health (alive) and /_coffer/ready (the backends answer): unsigned, on both listeners, JSON.</summary>
[Collection(CofferCollection.Name)]
public sealed class HealthTests(CofferFixture f)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Health_and_ready_answer_200_json_without_a_signature(bool https)
    {
        var url = https ? f.HttpsUrl : f.HttpUrl;
        using var http = Clients.Http(f, url.Port);

        using var health = await http.GetAsync(new Uri(url, "/_coffer/health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal("application/json", health.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"status":"ok"}""", await health.Content.ReadAsStringAsync());

        using var ready = await http.GetAsync(new Uri(url, "/_coffer/ready"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;
        Assert.Equal("ready", (string?)body["status"]);
        foreach (var backend in new[] { "metadata", "blobs", "kms" })
            Assert.Equal("ok", (string?)body["checks"]![backend]);
        Assert.Null(body["failed"]);
    }

    [Fact]
    public async Task Head_of_ready_has_no_body()
    {
        using var http = Clients.Http(f, f.HttpUrl.Port);
        using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri(f.HttpUrl, "/_coffer/ready")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task On_a_virtual_hosted_bucket_metrics_is_an_object_key_like_any_other()
    {
        // /_coffer/metrics (like /_coffer/admin/…) is an object key on a bucket's own host; unsigned, that is a 403.
        using var http = Clients.Http(f, f.HttpUrl.Port);
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://mybucket.{CofferFixture.Domain}:{f.HttpUrl.Port}/_coffer/metrics");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("coffer_", await response.Content.ReadAsStringAsync());
    }
}
