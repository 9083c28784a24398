using System.Net;
using System.Text.RegularExpressions;
using Coffer.Console.Tests.Infrastructure;
using Coffer.Server.WebConsole;

namespace Coffer.Console.Tests;

/// <summary>How the server serves the console's files: unsigned GET/HEAD of the embedded set only, with its headers.</summary>
public sealed partial class ConsoleServingTests(ConsoleServer server) : IClassFixture<ConsoleServer>
{
    [Fact]
    public async Task The_page_is_served_unsigned_with_its_security_headers_and_never_cached()
    {
        using var client = server.Client();
        using var response = await client.GetAsync("/_coffer/console/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        AssertSecurityHeaders(response);
        Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
        var html = await response.Content.ReadAsStringAsync();
        Assert.Matches(ScriptTag(), html);
        // No inline script and nothing from another origin: every script and style is a file of this origin.
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
    }

    [Fact]
    public async Task Every_asset_the_page_names_is_served_with_its_type_and_cached_for_a_year()
    {
        using var client = server.Client();
        var html = await client.GetStringAsync("/_coffer/console/");
        var assets = AssetReference().Matches(html).Select(m => m.Groups[1].Value).ToList();
        Assert.Contains(assets, a => a.EndsWith(".js", StringComparison.Ordinal));
        Assert.Contains(assets, a => a.EndsWith(".css", StringComparison.Ordinal));
        foreach (var asset in assets)
        {
            using var response = await client.GetAsync("/_coffer/console/" + asset);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(asset.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript" : "text/css", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
            AssertSecurityHeaders(response);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 100);
            // The name carries the content's hash, so a new build gets a new name.
            Assert.Matches(HashedName(), asset);
        }
    }

    [Fact]
    public async Task Head_answers_the_headers_of_get_without_a_body()
    {
        using var client = server.Client();
        using var get = await client.GetAsync("/_coffer/console/");
        var length = (await get.Content.ReadAsByteArrayAsync()).Length;
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/_coffer/console/"));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        AssertSecurityHeaders(head);
    }

    [Fact]
    public async Task The_path_without_its_slash_redirects_to_the_page()
    {
        using var client = server.Client();
        using var response = await client.GetAsync("/_coffer/console");
        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("/_coffer/console/", response.Headers.Location?.OriginalString);
    }

    [Theory]
    [InlineData("/_coffer/console/nothing.js")]
    [InlineData("/_coffer/console/assets/")]
    [InlineData("/_coffer/console/assets/app.js")]
    [InlineData("/_coffer/console/index.html")] // the page is "/", not its file name
    [InlineData("/_coffer/console/../console/index.html")]
    [InlineData("/_coffer/console/assets/../../metrics")]
    [InlineData("/_coffer/console/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/_coffer/console/..%2f..%2fCoffer.Server.dll")]
    [InlineData("/_coffer/console//etc/passwd")]
    [InlineData("/_coffer/console/assets\\..\\..\\root.key")]
    public async Task An_unknown_path_or_a_traversal_is_404_and_reveals_nothing(string target)
    {
        var (status, headers, body) = await server.RawAsync("GET", target);
        Assert.Equal(404, status);
        Assert.Equal("The console has no such file.\n", body);
        Assert.Equal("nosniff", headers["X-Content-Type-Options"]);
        Assert.Equal(ConsoleAssets.ContentSecurityPolicy, headers["Content-Security-Policy"]);
    }

    [Theory]
    [InlineData("PUT")]
    [InlineData("POST")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    public async Task Other_methods_are_refused_with_405_and_change_nothing(string method)
    {
        var (status, headers, _) = await server.RawAsync(method, "/_coffer/console/");
        Assert.Equal(405, status);
        Assert.Equal("GET, HEAD", headers["Allow"]);
        var (after, _, _) = await server.RawAsync("GET", "/_coffer/console/");
        Assert.Equal(200, after);
    }

    [Fact]
    public async Task A_signature_is_neither_needed_nor_looked_at()
    {
        // A forged SigV4 header and a forged presigned query: a signed request would fail with SignatureDoesNotMatch
        // or InvalidAccessKeyId, so a 200 with the same page shows that the console never checks (nor trusts) a signature.
        var (plain, _, page) = await server.RawAsync("GET", "/_coffer/console/");
        var (header, _, pageWithHeader) = await server.RawAsync("GET", "/_coffer/console/", extraHeaders:
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIDNOBODY/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\nx-amz-date: 20260101T000000Z\r\n");
        var (query, _, pageWithQuery) = await server.RawAsync("GET", "/_coffer/console/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDNOBODY%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=00");
        Assert.Equal((200, 200, 200), (plain, header, query));
        Assert.Equal(page, pageWithHeader);
        Assert.Equal(page, pageWithQuery);
        // And a signature unlocks nothing more: an unknown file stays 404 however the request is signed.
        var (missing, _, _) = await server.RawAsync("GET", "/_coffer/console/secret", extraHeaders:
            $"Authorization: AWS4-HMAC-SHA256 Credential={ConsoleServer.AccessKey}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00\r\n");
        Assert.Equal(404, missing);
    }

    [Fact]
    public async Task On_a_virtual_hosted_bucket_host_the_path_is_an_object_key_not_the_console()
    {
        var (status, headers, body) = await server.RawAsync("GET", "/_coffer/console/", host: "photos.coffer.test");
        Assert.Equal(403, status); // anonymous object read, refused as every unsigned S3 request is
        Assert.Contains("<Code>AccessDenied</Code>", body, StringComparison.Ordinal);
        Assert.False(headers.ContainsKey("Content-Security-Policy"));
    }

    [Fact]
    public async Task The_page_is_served_over_plain_http_too_and_warns_there_itself()
    {
        // Whether HTTPS is needed is the page's to say (SSE-C, KMS and the admin API refuse plain HTTP server-side).
        using var client = server.Client(https: false);
        using var response = await client.GetAsync("/_coffer/console/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertSecurityHeaders(response);
    }

    [Theory]
    [InlineData("br", "br")]
    [InlineData("gzip, deflate, br", "br")]
    [InlineData("gzip", "gzip")]
    [InlineData("br;q=0, gzip;q=0.5", "gzip")]
    [InlineData("identity", null)]
    [InlineData("br;q=0, gzip;q=0", null)]
    public async Task Page_and_assets_are_served_compressed_as_the_client_accepts_and_decode_to_the_same_bytes(string acceptEncoding, string? expected)
    {
        using var client = server.Client();
        var html = await client.GetStringAsync("/_coffer/console/");
        foreach (var path in AssetReference().Matches(html).Select(m => "/_coffer/console/" + m.Groups[1].Value).Prepend("/_coffer/console/"))
        {
            using var plain = await client.GetAsync(path);
            var identity = await plain.Content.ReadAsByteArrayAsync();
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("Accept-Encoding", response.Headers.Vary);
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal(body.Length, response.Content.Headers.ContentLength);
            Assert.Equal(expected, response.Content.Headers.ContentEncoding.SingleOrDefault());
            if (expected is null)
            {
                Assert.Equal(identity, body);
                Assert.Equal(plain.Headers.ETag, response.Headers.ETag);
                continue;
            }
            Assert.True(body.Length < identity.Length, $"{path}: {expected} is {body.Length} bytes, the file {identity.Length}");
            Assert.Equal(identity, Decode(body, expected));
            // Each encoding is a representation of its own: its own ETag, which revalidates to 304.
            Assert.NotEqual(plain.Headers.ETag, response.Headers.ETag);
            using var again = new HttpRequestMessage(HttpMethod.Get, path);
            again.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
            again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
            using var notModified = await client.SendAsync(again);
            Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        }
    }

    private static byte[] Decode(byte[] body, string encoding)
    {
        using var input = new MemoryStream(body);
        using Stream decoder = encoding == "br" ? new System.IO.Compression.BrotliStream(input, System.IO.Compression.CompressionMode.Decompress) : new System.IO.Compression.GZipStream(input, System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        decoder.CopyTo(output);
        return output.ToArray();
    }

    [Fact]
    public void Only_the_built_files_are_embedded()
    {
        Assert.Contains("", ConsoleAssets.Names);
        Assert.All(ConsoleAssets.Names.Where(n => n.Length > 0), n => Assert.Matches(HashedName(), n));
        Assert.DoesNotContain(ConsoleAssets.Names, n => n.Contains("build.stamp", StringComparison.Ordinal) || n.EndsWith(".ts", StringComparison.Ordinal));
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        var csp = string.Join(",", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(ConsoleAssets.ContentSecurityPolicy, csp);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", string.Join(",", response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("DENY", string.Join(",", response.Headers.GetValues("X-Frame-Options")));
    }

    [GeneratedRegex("""<script[^>]*\bsrc="assets/app\.[A-Z0-9]+\.js"[^>]*></script>""")]
    private static partial Regex ScriptTag();

    [GeneratedRegex("""<script(?![^>]*\bsrc=)[^>]*>""")]
    private static partial Regex InlineScript();

    [GeneratedRegex(@"(?:src|href)=""(assets/[^""]+)""")]
    private static partial Regex AssetReference();

    [GeneratedRegex("""^assets/[a-z]+\.[A-Z0-9]{8}\.(js|css)$""")]
    private static partial Regex HashedName();
}
