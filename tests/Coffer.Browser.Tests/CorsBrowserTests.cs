using System.Net;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Protocol.Auth;
using Coffer.Testing;
using Microsoft.Playwright;

namespace Coffer.Browser.Tests;

/// <summary>
/// CORS as a real browser enforces it (docs/protocol/cors.md): a page served from one origin runs <c>fetch()</c> with a
/// custom header — so Chromium sends a preflight first — to a Coffer bucket on another origin (another host and port),
/// through a presigned URL. With a matching rule the script reads the body and the exposed ETag; without one Chromium
/// refuses and the script gets a TypeError.
/// </summary>
public sealed class CorsBrowserTests : IAsyncLifetime
{
    /// <summary>Debian's chromium; absent outside CI the tests skip, under CI=true they fail.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The page's origin: loopback like the server (so Chromium's private-network rules do not apply), another port.</summary>
    private static readonly string PageOrigin = "http://127.0.0.1:" + FreePort();
    private readonly CofferFixture f = new();
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        await f.InitializeAsync();
        if (!File.Exists(ChromiumPath))
            return;
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        await f.DisposeAsync();
    }

    [ChromiumFact]
    public async Task A_fetch_with_a_custom_header_is_preflighted_and_reads_the_body_and_exposed_etag_when_a_rule_allows_it()
    {
        var bucket = await BucketWithObjectAsync(new CORSRule
        {
            AllowedOrigins = [PageOrigin],
            AllowedMethods = ["GET"],
            AllowedHeaders = ["x-app-trace"],
            ExposeHeaders = ["ETag"],
            MaxAgeSeconds = 0,
        });
        var result = await FetchFromPageAsync(bucket);
        Assert.Equal("ok 200 hello browser", result.Split('|')[0]);
        Assert.Matches("^\"[0-9a-f]{32}\"$", result.Split('|')[1]);
    }

    [ChromiumFact]
    public async Task A_fetch_no_rule_allows_fails_with_a_TypeError_in_the_page()
    {
        var other = await BucketWithObjectAsync(new CORSRule { AllowedOrigins = ["https://elsewhere.example.com"], AllowedMethods = ["GET"], AllowedHeaders = ["*"] });
        Assert.StartsWith("TypeError", await FetchFromPageAsync(other));
        // The header is the difference: a rule for the origin that does not allow it fails the preflight too.
        var noHeader = await BucketWithObjectAsync(new CORSRule { AllowedOrigins = [PageOrigin], AllowedMethods = ["GET"] });
        Assert.StartsWith("TypeError", await FetchFromPageAsync(noHeader));
        var none = await BucketWithObjectAsync(null);
        Assert.StartsWith("TypeError", await FetchFromPageAsync(none));
    }

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task<string> BucketWithObjectAsync(CORSRule? rule)
    {
        using var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket("browser");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "greeting.txt", ContentBody = "hello browser" });
        if (rule is not null)
            await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest { BucketName = bucket, Configuration = new CORSConfiguration { Rules = [rule] } });
        return bucket;
    }

    /// <summary>Serves a page at <see cref="PageOrigin"/> (a real listener) whose script fetches the object from Coffer.</summary>
    private async Task<string> FetchFromPageAsync(string bucket)
    {
        var host = $"127.0.0.1:{f.HttpUrl.Port}";
        var target = $"/{bucket}/greeting.txt";
        var query = SigV4Signer.Presign(CofferFixture.AccessKey, CofferFixture.SecretKey, CofferFixture.Region, "s3", "GET", target,
            [new("host", host)], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        var url = $"http://{host}{target}?{query}";

        using var pages = new HttpListener();
        pages.Prefixes.Add(PageOrigin + "/");
        pages.Start();
        var serve = Task.Run(async () =>
        {
            var request = await pages.GetContextAsync();
            var html = "<!doctype html><title>app</title>"u8.ToArray();
            request.Response.ContentType = "text/html";
            await request.Response.OutputStream.WriteAsync(html);
            request.Response.Close();
        });
        await using var context = await _browser!.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(PageOrigin + "/");
        await serve;
        return await page.EvaluateAsync<string>("""
            async url => {
              try {
                const r = await fetch(url, { headers: { 'x-app-trace': '1' } });
                return 'ok ' + r.status + ' ' + (await r.text()) + '|' + r.headers.get('ETag');
              } catch (e) {
                return e.name + ': ' + e.message;
              }
            }
            """, url);
    }
}

/// <summary>Runs when Debian's chromium is installed; skips outside CI without it, and fails under CI=true (CI installs it: .ci/install-deps).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!File.Exists(CorsBrowserTests.ChromiumPath) && !Engines.InCi)
            Skip = $"{CorsBrowserTests.ChromiumPath} is not installed (apt-get install chromium; CI=true never skips this test).";
    }
}
