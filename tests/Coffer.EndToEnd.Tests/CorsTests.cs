using System.Net;
using System.Net.Http;
using System.Text;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Bucket CORS end to end (docs/protocol/cors.md): PUT / GET / DELETE ?cors in both dialects with their errors, the
/// unauthenticated preflight, and the CORS headers of actual requests, errors included.
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class CorsTests(CofferFixture f)
{
    private const string App = "https://app.example.com";

    private const string Rules = """
        <CORSConfiguration>
          <CORSRule>
            <ID>app</ID>
            <AllowedOrigin>https://app.example.com</AllowedOrigin>
            <AllowedOrigin>https://*.example.org</AllowedOrigin>
            <AllowedMethod>GET</AllowedMethod>
            <AllowedMethod>PUT</AllowedMethod>
            <AllowedHeader>x-amz-*</AllowedHeader>
            <AllowedHeader>Content-Type</AllowedHeader>
            <ExposeHeader>ETag</ExposeHeader>
            <ExposeHeader>x-amz-version-id</ExposeHeader>
            <MaxAgeSeconds>600</MaxAgeSeconds>
          </CORSRule>
          <CORSRule>
            <AllowedOrigin>*</AllowedOrigin>
            <AllowedMethod>HEAD</AllowedMethod>
          </CORSRule>
        </CORSConfiguration>
        """;

    [Fact]
    public async Task A_configuration_is_put_read_and_deleted_with_awssdk()
    {
        using var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket("cors");
        await s3.PutBucketAsync(bucket);
        await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new CORSConfiguration
            {
                Rules =
                [
                    new CORSRule
                    {
                        Id = "app", AllowedOrigins = [App], AllowedMethods = ["GET", "PUT"], AllowedHeaders = ["x-amz-*"],
                        ExposeHeaders = ["ETag"], MaxAgeSeconds = 600,
                    },
                ],
            },
        });
        var read = (await s3.GetCORSConfigurationAsync(bucket)).Configuration.Rules.Single();
        Assert.Equal(("app", App, "GET,PUT", "x-amz-*", "ETag", 600),
            (read.Id, read.AllowedOrigins.Single(), string.Join(",", read.AllowedMethods), read.AllowedHeaders.Single(), read.ExposeHeaders.Single(), read.MaxAgeSeconds));

        await s3.DeleteCORSConfigurationAsync(bucket);
        Assert.Equal(HttpStatusCode.Forbidden, (await PreflightAsync(bucket, "k", App, "GET")).StatusCode);
    }

    [Fact]
    public async Task Get_of_a_bucket_without_a_configuration_is_NoSuchCORSConfiguration_and_delete_is_204()
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        var none = await cos.SendAsync(HttpMethod.Get, bucket, query: [new("cors", "")]);
        Assert.Equal((HttpStatusCode.NotFound, "NoSuchCORSConfiguration"), (none.StatusCode, await none.ErrorCodeAsync()));
        Assert.Equal(HttpStatusCode.NoContent, (await cos.SendAsync(HttpMethod.Delete, bucket, query: [new("cors", "")])).StatusCode);
    }

    [Fact]
    public async Task A_cos_configuration_round_trips_without_the_s3_namespace()
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        var put = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("cors", "")], body: Encoding.UTF8.GetBytes(Rules));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var text = await (await cos.SendAsync(HttpMethod.Get, bucket, query: [new("cors", "")])).Content.ReadAsStringAsync();
        Assert.DoesNotContain("s3.amazonaws.com", text);
        Assert.Contains("<AllowedOrigin>https://*.example.org</AllowedOrigin>", text);
        Assert.Contains("<MaxAgeSeconds>600</MaxAgeSeconds>", text);
        Assert.Equal(2, text.Split("<CORSRule>").Length - 1);
    }

    [Theory]
    [InlineData("<CORSConfiguration/>", "MalformedXML", null)]
    [InlineData("<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>", "MalformedXML", null)]
    [InlineData("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule></CORSConfiguration>", "MalformedXML", null)]
    [InlineData("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>",
        "InvalidRequest", "Found unsupported HTTP method in CORS config. Unsupported method is PATCH")]
    [InlineData("<CORSConfiguration><CORSRule><AllowedOrigin>https://*.*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>",
        "InvalidRequest", "AllowedOrigin \"https://*.*.example.com\" can not have more than one wildcard.")]
    [InlineData("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedHeader>x y</AllowedHeader></CORSRule></CORSConfiguration>",
        "InvalidRequest", "AllowedHeader \"x y\" contains invalid character.")]
    [InlineData("<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule></CORSConfiguration>",
        "MalformedXML", null)]
    [InlineData("<CORSConfiguration><Rule/></CORSConfiguration>", "MalformedXML", null)]
    public async Task Bad_configurations_are_refused_with_the_reference_codes(string xml, string code, string? message)
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        var put = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("cors", "")], body: Encoding.UTF8.GetBytes(xml));
        Assert.Equal((HttpStatusCode.BadRequest, code), (put.StatusCode, await put.ErrorCodeAsync()));
        if (message is not null)
            Assert.Contains(message, await put.Content.ReadAsStringAsync());
        var none = await cos.SendAsync(HttpMethod.Get, bucket, query: [new("cors", "")]);
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    [Fact]
    public async Task More_than_100_rules_are_refused()
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        var rule = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>";
        var put = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("cors", "")],
            body: Encoding.UTF8.GetBytes("<CORSConfiguration>" + string.Concat(Enumerable.Repeat(rule, 101)) + "</CORSConfiguration>"));
        Assert.Equal("MalformedXML", await put.ErrorCodeAsync());
        var hundred = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("cors", "")],
            body: Encoding.UTF8.GetBytes("<CORSConfiguration>" + string.Concat(Enumerable.Repeat(rule, 100)) + "</CORSConfiguration>"));
        Assert.Equal(HttpStatusCode.OK, hundred.StatusCode);
    }

    [Fact]
    public async Task A_preflight_is_answered_from_the_first_matching_rule_without_credentials()
    {
        var bucket = await BucketWithRulesAsync();
        var ok = await PreflightAsync(bucket, "photo.jpg", App, "PUT", "X-Amz-Meta-Owner, content-type");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(App, ok.Header("Access-Control-Allow-Origin"));
        Assert.Equal("GET, PUT", ok.Header("Access-Control-Allow-Methods"));
        Assert.Equal("x-amz-meta-owner, content-type", ok.Header("Access-Control-Allow-Headers"));
        Assert.Equal("ETag, x-amz-version-id", ok.Header("Access-Control-Expose-Headers"));
        Assert.Equal("600", ok.Header("Access-Control-Max-Age"));
        Assert.Equal("true", ok.Header("Access-Control-Allow-Credentials"));
        Assert.Contains("Origin", ok.Header("Vary"));

        // One wildcard in an origin; the second rule answers any origin with "*" for HEAD.
        Assert.Equal("https://cdn.example.org", (await PreflightAsync(bucket, "k", "https://cdn.example.org", "GET")).Header("Access-Control-Allow-Origin"));
        var any = await PreflightAsync(bucket, "k", "http://elsewhere.test:8080", "HEAD");
        Assert.Equal((HttpStatusCode.OK, "*", null), (any.StatusCode, any.Header("Access-Control-Allow-Origin"), any.Header("Access-Control-Allow-Credentials")));
        // The bucket itself and a sub-resource URL are preflighted the same way.
        Assert.Equal(HttpStatusCode.OK, (await PreflightAsync(bucket, null, App, "GET")).StatusCode);
    }

    [Theory]
    [InlineData("https://app.example.com:443", "GET", null)] // the port counts
    [InlineData("http://app.example.com", "GET", null)] // the scheme counts
    [InlineData("https://evil.example.com", "GET", null)]
    [InlineData("https://app.example.com", "DELETE", null)]
    [InlineData("https://app.example.com", "PUT", "authorization")] // a header no rule allows
    [InlineData("https://example.org", "GET", null)] // the wildcard needs its "." before it
    public async Task A_preflight_no_rule_allows_is_403_AccessForbidden(string origin, string method, string? headers)
    {
        var bucket = await BucketWithRulesAsync();
        var refused = await PreflightAsync(bucket, "k", origin, method, headers);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessForbidden"), (refused.StatusCode, await refused.ErrorCodeAsync()));
        Assert.Contains("CORSResponse: This CORS request is not allowed.", await refused.Content.ReadAsStringAsync());
        Assert.Null(refused.Header("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_preflight_to_a_bucket_without_rules_or_to_no_bucket_is_403_and_a_bad_one_is_400()
    {
        using var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket("cors");
        await s3.PutBucketAsync(bucket);
        var disabled = await PreflightAsync(bucket, "k", App, "GET");
        Assert.Equal((HttpStatusCode.Forbidden, "AccessForbidden"), (disabled.StatusCode, await disabled.ErrorCodeAsync()));
        Assert.Contains("CORS is not enabled for this bucket.", await disabled.Content.ReadAsStringAsync());
        Assert.Contains("Bucket not found", await (await PreflightAsync(CofferFixture.NewBucket("none"), "k", App, "GET")).Content.ReadAsStringAsync());

        var noOrigin = await PreflightAsync(bucket, "k", null, "GET");
        Assert.Equal((HttpStatusCode.BadRequest, "BadRequest"), (noOrigin.StatusCode, await noOrigin.ErrorCodeAsync()));
        Assert.Contains("Origin request header needed", await noOrigin.Content.ReadAsStringAsync());
        var badMethod = await PreflightAsync(bucket, "k", App, "PATCH");
        Assert.Equal(HttpStatusCode.BadRequest, badMethod.StatusCode);
        Assert.Contains("Invalid Access-Control-Request-Method: PATCH", await badMethod.Content.ReadAsStringAsync());
        Assert.Contains("Invalid Access-Control-Request-Method: null", await (await PreflightAsync(bucket, "k", App, null)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Actual_requests_from_an_allowed_origin_carry_the_cors_headers_errors_included()
    {
        var bucket = await BucketWithRulesAsync();
        using var cos = new CosRawClient(f);
        await cos.SendAsync(HttpMethod.Put, bucket, "k", body: "data"u8.ToArray());

        var get = await cos.SendAsync(HttpMethod.Get, bucket, "k", headers: [new("Origin", App)]);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(App, get.Header("Access-Control-Allow-Origin"));
        Assert.Equal("ETag, x-amz-version-id", get.Header("Access-Control-Expose-Headers"));

        // A 404 carries them too, so the page's script can read why.
        var missing = await cos.SendAsync(HttpMethod.Get, bucket, "missing", headers: [new("Origin", App)]);
        Assert.Equal((HttpStatusCode.NotFound, App), (missing.StatusCode, missing.Header("Access-Control-Allow-Origin")));
        // So does a request refused before the bucket was read: a bad signature.
        using var wrong = new CosRawClient(f, secretKey: "not-the-secret-key-0123456789abcdefghij");
        var forged = await wrong.SendAsync(HttpMethod.Get, bucket, "k", headers: [new("Origin", App)]);
        Assert.Equal((HttpStatusCode.Forbidden, App), (forged.StatusCode, forged.Header("Access-Control-Allow-Origin")));

        // An origin or method no rule allows: the answer is as usual, without CORS headers.
        var other = await cos.SendAsync(HttpMethod.Get, bucket, "k", headers: [new("Origin", "https://evil.example.com")]);
        Assert.Equal((HttpStatusCode.OK, null), (other.StatusCode, other.Header("Access-Control-Allow-Origin")));
        var delete = await cos.SendAsync(HttpMethod.Delete, bucket, "k", headers: [new("Origin", App)]);
        Assert.Equal((HttpStatusCode.NoContent, null), (delete.StatusCode, delete.Header("Access-Control-Allow-Origin")));
        // No Origin: not a CORS request.
        Assert.Null((await cos.SendAsync(HttpMethod.Get, bucket, "missing")).Header("Access-Control-Allow-Origin"));
    }

    private async Task<string> BucketWithRulesAsync()
    {
        using var cos = new CosRawClient(f);
        var bucket = await NewCosBucketAsync(cos);
        var put = await cos.SendAsync(HttpMethod.Put, bucket, query: [new("cors", "")], body: Encoding.UTF8.GetBytes(Rules));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return bucket;
    }

    private static async Task<string> NewCosBucketAsync(CosRawClient cos)
    {
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        return bucket;
    }

    /// <summary>An OPTIONS request as a browser sends it: path style, no credentials.</summary>
    private async Task<HttpResponseMessage> PreflightAsync(string bucket, string? key, string? origin, string? method, string? headers = null)
    {
        using var http = Clients.Http(f, f.HttpUrl.Port);
        var request = new HttpRequestMessage(HttpMethod.Options, $"{f.HttpUrl}{bucket}/{key}");
        if (origin is not null) request.Headers.TryAddWithoutValidation("Origin", origin);
        if (method is not null) request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", method);
        if (headers is not null) request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", headers);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
