using Microsoft.Playwright;

namespace Coffer.Console.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium, driven by Playwright with the driver its NuGet package ships: nothing is downloaded at run time
/// (never <c>playwright install</c>).
/// </summary>
public static class Chromium
{
    public const string Path = "/usr/bin/chromium";

    /// <summary>Why a browser test is skipped here, or null to run it (always null under CI=true: there it fails instead).</summary>
    public static string? SkipReason =>
        File.Exists(Path) || Testing.Engines.InCi ? null : $"needs Chromium at {Path} (apt-get install chromium; .ci/install-deps installs it)";
}

/// <summary>A test that drives the console in Chromium.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute() => Skip = Chromium.SkipReason;
}

/// <summary>One server and one browser for every browser test (a collection), each test in a context of its own.</summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public ConsoleServer Server { get; } = new();
    public IPlaywright? Playwright { get; private set; }
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        if (Chromium.SkipReason is not null)
            return;
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium.Path, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
            await Browser.DisposeAsync();
        Playwright?.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>A fresh page (its own context: no shared memory, so signed out) on the console over HTTPS.</summary>
    public async Task<IPage> OpenAsync()
    {
        var context = await Browser.NewContextAsync(new() { IgnoreHTTPSErrors = true, AcceptDownloads = true });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync(Server.ConsoleUrl.ToString());
        return page;
    }

    /// <summary>Signs in with the given key pair (the root user's by default), and session token if any, and waits for the bucket list.</summary>
    public async Task<IPage> SignedInAsync(string accessKey = ConsoleServer.AccessKey, string secret = ConsoleServer.SecretKey, string? sessionToken = null)
    {
        var page = await OpenAsync();
        await page.GetByLabel("Access key id").FillAsync(accessKey);
        await page.GetByLabel("Secret key").FillAsync(secret);
        if (sessionToken is not null)
            await page.GetByLabel("Session token (temporary credentials only)").FillAsync(sessionToken);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Buckets", Exact = true })).ToBeVisibleAsync();
        return page;
    }

    /// <summary>
    /// Where the screenshots go, for the CI artifacts: <c>$COFFER_ARTIFACTS_DIR/console-screenshots</c> when the variable is
    /// set (<c>.ci/run</c> sets it and prints the folder), else <c>TestResults/console-screenshots</c> beside the test assembly.
    /// </summary>
    public static string ScreenshotFolder =>
        System.IO.Path.Combine(Environment.GetEnvironmentVariable("COFFER_ARTIFACTS_DIR") is { Length: > 0 } artifacts ? artifacts : System.IO.Path.Combine(AppContext.BaseDirectory, "TestResults"), "console-screenshots");

    /// <summary>Saves what the page shows as NAME.png in <see cref="ScreenshotFolder"/>.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        await page.ScreenshotAsync(new() { Path = System.IO.Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
