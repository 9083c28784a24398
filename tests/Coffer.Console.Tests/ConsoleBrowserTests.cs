using System.Security.Cryptography;
using Coffer.Console.Tests.Infrastructure;
using Coffer.Crypto.Kms;
using Coffer.Server.Hosting;
using Coffer.Storage;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Coffer.Console.Tests;

/// <summary>The console in Chromium against a real server: what a user does, and axe on every page.</summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsoleBrowserTests(BrowserFixture fixture)
{
    [ChromiumFact]
    public async Task A_wrong_secret_shows_an_error_and_stays_signed_out()
    {
        var page = await fixture.OpenAsync();
        await AssertAccessibleAsync(page, "sign-in");
        await page.GetByLabel("Access key id").FillAsync(ConsoleServer.AccessKey);
        await page.GetByLabel("Secret key").FillAsync("not-the-secret-" + Guid.NewGuid());
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("SignatureDoesNotMatch");
        await Expect(page.GetByRole(AriaRole.Navigation)).ToHaveCountAsync(0);
        // The secret field is emptied after each try, and nothing of it is kept in the browser's storage.
        Assert.Equal("", await page.GetByLabel("Secret key").InputValueAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length + sessionStorage.length"));
        await BrowserFixture.ScreenshotAsync(page, "sign-in-wrong-secret");
        await page.Context.CloseAsync();
    }

    [ChromiumFact]
    public async Task Sign_in_keeps_the_secret_in_page_memory_only_and_a_reload_signs_out()
    {
        var page = await fixture.SignedInAsync();
        Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length + sessionStorage.length"));
        var cookies = await page.Context.CookiesAsync();
        Assert.Empty(cookies);
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sign in to Coffer" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [ChromiumFact]
    public async Task Bucket_with_kms_default_encryption_upload_by_drop_and_by_picker_details_and_download()
    {
        var page = await fixture.SignedInAsync();
        await AssertAccessibleAsync(page, "buckets");
        var bucket = "kms-" + Guid.NewGuid().ToString("N")[..10];
        await CreateBucketAsync(page, bucket);

        // Default encryption: SSE-KMS with the default key.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Encryption" }).ClickAsync();
        await page.GetByLabel("Mode").SelectOptionAsync("KMS");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByText("Default encryption saved.")).ToBeVisibleAsync();
        await Expect(page.Locator("pre.raw")).ToContainTextAsync("aws:kms");
        await AssertAccessibleAsync(page, "bucket-encryption");
        Assert.Equal("KMS", (await fixture.Server.Server.Services.Store.GetBucketAsync(bucket))!.Encryption?.Algorithm);

        // Upload by drag and drop (a DataTransfer in the page), asking for SSE-KMS explicitly, and by the file input.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Objects" }).ClickAsync();
        await page.GetByLabel("Mode").SelectOptionAsync("aws:kms");
        var dropped = RandomNumberGenerator.GetBytes(300_000);
        await DropFileAsync(page, "dropped.bin", dropped);
        await Expect(page.Locator(".upload.done[data-key='dropped.bin']")).ToBeVisibleAsync();
        var picked = RandomNumberGenerator.GetBytes(70_000);
        await page.GetByLabel("Files", new() { Exact = true }).SetInputFilesAsync(new FilePayload { Name = "picked.bin", MimeType = "application/octet-stream", Buffer = picked });
        await Expect(page.Locator(".upload.done[data-key='picked.bin']")).ToBeVisibleAsync();
        await Expect(Row(page, "dropped.bin")).ToContainTextAsync("SSE-KMS");
        await Expect(Row(page, "picked.bin")).ToContainTextAsync("SSE-KMS");
        await AssertAccessibleAsync(page, "bucket-objects");
        var stored = await fixture.Server.Server.Services.Store.GetObjectAsync(bucket, "dropped.bin");
        Assert.Equal(SseMode.Kms, stored!.Encryption.Mode);
        Assert.Equal(dropped.Length, stored.Size);

        // Details: size, ETag, CRC-64, storage class, mode, KMS key (linked).
        await page.GetByRole(AriaRole.Link, new() { Name = "dropped.bin" }).ClickAsync();
        var details = page.Locator("dl.details");
        await Expect(details).ToContainTextAsync("300000 bytes");
        await Expect(details).ToContainTextAsync(stored.Crc64.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(details).ToContainTextAsync(stored.ETag);
        await Expect(details).ToContainTextAsync("SSE-KMS");
        await Expect(details.GetByRole(AriaRole.Link)).ToContainTextAsync(stored.Encryption.KmsKeyId!);
        await AssertAccessibleAsync(page, "object-details");
        await BrowserFixture.ScreenshotAsync(page, "object-details-kms");

        Assert.Equal(dropped, await DownloadAsync(page));
        await page.Context.CloseAsync();
    }

    [ChromiumFact]
    public async Task Sse_c_upload_then_details_and_download_need_the_key_which_stays_out_of_urls()
    {
        var page = await fixture.SignedInAsync();
        var bucket = "ssec-" + Guid.NewGuid().ToString("N")[..10];
        await CreateBucketAsync(page, bucket);
        // SM4 default encryption is COS's alone: the page signs that call with the COS v5 signature.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Encryption" }).ClickAsync();
        await page.GetByLabel("Mode").SelectOptionAsync("SM4");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(page.GetByText("Default encryption saved.")).ToBeVisibleAsync();
        await Expect(page.Locator("pre.raw")).ToContainTextAsync("SM4");
        Assert.Equal("SM4", (await fixture.Server.Server.Services.Store.GetBucketAsync(bucket))!.Encryption?.Algorithm);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Objects" }).ClickAsync();

        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var urls = new List<string>();
        page.Request += (_, request) => urls.Add(request.Url);

        await page.GetByLabel("Mode").SelectOptionAsync("C");
        await page.GetByLabel("SSE-C key (base64 of 32 bytes)").FillAsync(key);
        var content = RandomNumberGenerator.GetBytes(120_000);
        await page.GetByLabel("Files", new() { Exact = true }).SetInputFilesAsync(new FilePayload { Name = "secret.bin", MimeType = "application/octet-stream", Buffer = content });
        await Expect(page.Locator(".upload.done[data-key='secret.bin']")).ToBeVisibleAsync();
        await Expect(Row(page, "secret.bin")).ToContainTextAsync("SSE-C");
        Assert.Equal(SseMode.Customer, (await fixture.Server.Server.Services.Store.GetObjectAsync(bucket, "secret.bin"))!.Encryption.Mode);

        await page.GetByRole(AriaRole.Link, new() { Name = "secret.bin" }).ClickAsync();
        // A wrong key opens nothing.
        await page.GetByLabel("SSE-C key (base64)").FillAsync(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        await page.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        await Expect(page.Locator("dl.details")).ToHaveCountAsync(0);
        // The right key shows the details and downloads the plaintext.
        await page.GetByLabel("SSE-C key (base64)").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Expect(page.Locator("dl.details")).ToContainTextAsync("SSE-C");
        Assert.Equal(content, await DownloadAsync(page));
        var keyUrlForm = Uri.EscapeDataString(key);
        Assert.DoesNotContain(urls, u => u.Contains(key, StringComparison.Ordinal) || u.Contains(keyUrlForm, StringComparison.Ordinal));

        // Copy with a change of encryption: the SSE-C object (its key sent as the copy-source key) to SSE-COS.
        await page.GetByLabel("Destination key").FillAsync("copied.bin");
        await page.GetByRole(AriaRole.Form, new() { Name = "Copy or move" }).GetByLabel("Mode").SelectOptionAsync("AES256");
        await page.GetByRole(AriaRole.Button, new() { Name = "Copy", Exact = true }).ClickAsync();
        await Expect(page.GetByText($"Copied to {bucket}/copied.bin.")).ToBeVisibleAsync();
        var copy = await fixture.Server.Server.Services.Store.GetObjectAsync(bucket, "copied.bin");
        Assert.Equal(SseMode.Cos, copy!.Encryption.Mode);
        Assert.Equal(content.Length, copy.Size);
        await page.Context.CloseAsync();
    }

    [ChromiumFact]
    public async Task Multipart_upload_of_a_file_larger_than_the_part_size_and_cancel_of_another()
    {
        var page = await fixture.SignedInAsync();
        var bucket = "mpu-" + Guid.NewGuid().ToString("N")[..10];
        await CreateBucketAsync(page, bucket);
        await page.GetByLabel("Part size for multipart uploads (MiB)").FillAsync("5");
        var files = page.GetByLabel("Files", new() { Exact = true });

        // Slow the upload down so that Cancel lands mid-way, then cancel: nothing stored, the upload aborted.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await Throttle(cdp, 1024 * 1024);
        using var cancelled = new TempFile("cancelled.bin", RandomNumberGenerator.GetBytes(8 * 1024 * 1024));
        await files.SetInputFilesAsync(cancelled.Path);
        await Expect(page.GetByRole(AriaRole.Progressbar, new() { Name = "Upload of cancelled.bin" })).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => document.querySelector(\"[data-key='cancelled.bin'] progress\")?.value > 0");
        await BrowserFixture.ScreenshotAsync(page, "multipart-progress");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel cancelled.bin" }).ClickAsync();
        await Expect(page.Locator("[data-key='cancelled.bin']")).ToContainTextAsync("cancelled");
        await Throttle(cdp, -1);
        Assert.Null(await fixture.Server.Server.Services.Store.GetObjectAsync(bucket, "cancelled.bin"));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await fixture.Server.Server.Services.Store.ListUploadsAsync(bucket, "", null, null, null, 100)).Uploads.Count > 0 && DateTime.UtcNow < deadline)
            await Task.Delay(100);
        Assert.Empty((await fixture.Server.Server.Services.Store.ListUploadsAsync(bucket, "", null, null, null, 100)).Uploads);

        // A file of two and a bit parts: three parts in parallel, one object whose download is the file.
        var content = RandomNumberGenerator.GetBytes(11 * 1024 * 1024 + 123);
        using var big = new TempFile("big.bin", content);
        await files.SetInputFilesAsync(big.Path);
        await Expect(page.Locator(".upload.done[data-key='big.bin']")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var stored = await fixture.Server.Server.Services.Store.GetObjectAsync(bucket, "big.bin");
        Assert.Equal(content.Length, stored!.Size);
        Assert.EndsWith("-3", stored.ETag, StringComparison.Ordinal); // three parts
        await page.GetByRole(AriaRole.Link, new() { Name = "big.bin" }).ClickAsync();
        Assert.Equal(content, await DownloadAsync(page));
        await page.Context.CloseAsync();
    }

    private static Task Throttle(ICDPSession cdp, int uploadBytesPerSecond) =>
        cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false,
            ["latency"] = 0,
            ["downloadThroughput"] = -1,
            ["uploadThroughput"] = uploadBytesPerSecond,
        });

    /// <summary>A file on disk for the file input (Chromium reads it itself: nothing large crosses the driver).</summary>
    private sealed class TempFile : IDisposable
    {
        private readonly string _folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "coffer-console-" + Guid.NewGuid().ToString("N"));

        public TempFile(string name, byte[] content)
        {
            Directory.CreateDirectory(_folder);
            Path = System.IO.Path.Combine(_folder, name);
            File.WriteAllBytes(Path, content);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(_folder, recursive: true);
    }

    [ChromiumFact]
    public async Task Kms_create_a_key_disable_it_and_see_its_state_then_its_audit_trail()
    {
        var page = await fixture.SignedInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "KMS keys" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "KMS keys" })).ToBeVisibleAsync();
        var description = "console key " + Guid.NewGuid().ToString("N")[..8];
        await page.GetByLabel("Description").FillAsync(description);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = description });
        await Expect(row).ToContainTextAsync("Enabled");
        var keyId = (await row.GetByRole(AriaRole.Link).TextContentAsync())!;
        await AssertAccessibleAsync(page, "kms-keys");

        await row.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Expect(row).ToContainTextAsync("Disabled");
        Assert.Equal(KmsKeyState.Disabled, (await fixture.Server.Server.Services.Store.GetKeyAsync(keyId))!.State);

        // Scheduling deletion asks first, saying what becomes unreadable; cancelling the dialog changes nothing.
        await row.GetByRole(AriaRole.Button, new() { Name = "Schedule deletion" }).ClickAsync();
        var dialog = page.GetByRole(AriaRole.Dialog);
        await Expect(dialog).ToContainTextAsync("unreadable");
        await AssertAccessibleAsync(page, "kms-delete-confirmation");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await Expect(row).ToContainTextAsync("Disabled");
        Assert.Equal(KmsKeyState.Disabled, (await fixture.Server.Server.Services.Store.GetKeyAsync(keyId))!.State);
        await BrowserFixture.ScreenshotAsync(page, "kms-keys");

        // Enable it again and rotate it now: a second key version.
        await row.GetByRole(AriaRole.Button, new() { Name = "Enable" }).ClickAsync();
        await Expect(row).ToContainTextAsync("Enabled");
        await row.GetByRole(AriaRole.Button, new() { Name = "Rotate now" }).ClickAsync();
        await Expect(page.GetByText($"Rotate now: done for {keyId}.")).ToBeVisibleAsync();
        Assert.Equal(KmsKeyState.Enabled, (await fixture.Server.Server.Services.Store.GetKeyAsync(keyId))!.State);

        // The key's page: its audit trail (the admin API) lists the calls just made.
        await row.GetByRole(AriaRole.Link).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table)).ToContainTextAsync("DisableKey", new() { Timeout = 20_000 });
        await page.GetByLabel("Operation").FillAsync("CreateKey");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table)).Not.ToContainTextAsync("DisableKey");
        await Expect(page.GetByRole(AriaRole.Table)).ToContainTextAsync("CreateKey");
        await AssertAccessibleAsync(page, "kms-key-audit");
        await page.Context.CloseAsync();
    }

    [ChromiumFact]
    public async Task Dashboard_and_users_pages_render_for_the_administrator()
    {
        var page = await fixture.SignedInAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Table)).ToContainTextAsync(ConsoleServer.AccessKey);
        await AssertAccessibleAsync(page, "users");
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard" }).ClickAsync();
        await Expect(page.GetByText("Last scrape")).ToBeVisibleAsync(new() { Timeout = 20_000 });
        await Expect(page.Locator("svg.chart")).ToHaveCountAsync(6);
        await Expect(page.Locator("svg.chart polyline").First).ToBeAttachedAsync(new() { Timeout = 20_000 });
        await AssertAccessibleAsync(page, "dashboard");
        await BrowserFixture.ScreenshotAsync(page, "dashboard");
        await page.Context.CloseAsync();
    }

    [ChromiumFact]
    public async Task Another_user_sees_only_its_own_buckets_and_no_administration()
    {
        var admin = await fixture.SignedInAsync();
        var bucket = "admins-" + Guid.NewGuid().ToString("N")[..10];
        await CreateBucketAsync(admin, bucket);
        await admin.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        var name = "bob" + Guid.NewGuid().ToString("N")[..6];
        await admin.GetByLabel("New user name").FillAsync(name);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
        var shown = admin.Locator(".card dl.details dd");
        await Expect(shown.Nth(1)).Not.ToBeEmptyAsync();
        var accessKey = (await shown.Nth(0).TextContentAsync())!;
        var secret = (await shown.Nth(1).TextContentAsync())!;
        await admin.Context.CloseAsync();

        var page = await fixture.SignedInAsync(accessKey, secret);
        await Expect(page.GetByText("No buckets yet.")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = bucket })).ToHaveCountAsync(0);
        // The admin's bucket, opened by its address: refused by the server, said on the page.
        await page.GotoAsync(fixture.Server.ConsoleUrl + "#/bucket/" + bucket); // same document: still signed in
        await Expect(page.GetByRole(AriaRole.Alert).First).ToContainTextAsync("AccessDenied");
        await page.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        await Expect(page.GetByText("Users are for the administrator")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Table)).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("administrator only");
        await page.Context.CloseAsync();
    }

    [ChromiumFact]
    public async Task An_archived_object_refuses_download_until_restored_and_shows_its_restore_state()
    {
        var page = await fixture.SignedInAsync();
        var bucket = "arc-" + Guid.NewGuid().ToString("N")[..10];
        await CreateBucketAsync(page, bucket);
        await page.GetByLabel("Storage class").SelectOptionAsync("GLACIER");
        await page.GetByLabel("Files", new() { Exact = true }).SetInputFilesAsync(new FilePayload { Name = "cold.bin", MimeType = "application/octet-stream", Buffer = RandomNumberGenerator.GetBytes(1000) });
        await Expect(page.Locator(".upload.done[data-key='cold.bin']")).ToBeVisibleAsync();
        await Expect(Row(page, "cold.bin")).ToContainTextAsync("GLACIER");
        await page.GetByRole(AriaRole.Link, new() { Name = "cold.bin" }).ClickAsync();
        await Expect(page.Locator("dl.details")).ToContainTextAsync("GLACIER");
        await Expect(page.Locator("dl.details")).Not.ToContainTextAsync("Restore");

        await page.GetByRole(AriaRole.Button, new() { Name = "Download" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("InvalidObjectState");

        await page.GetByRole(AriaRole.Button, new() { Name = "Restore", Exact = true }).ClickAsync();
        await Expect(page.GetByText("Restore requested.")).ToBeVisibleAsync();
        await Expect(page.Locator("dl.details")).ToContainTextAsync("in progress");
        await AssertAccessibleAsync(page, "object-archived");
        await page.Context.CloseAsync();
    }

    [ChromiumFact]
    public async Task A_20_MiB_sse_c_upload_goes_multipart_with_parallel_parts_its_progress_bar_advances_and_it_downloads_back_identical()
    {
        var page = await fixture.SignedInAsync();
        var bucket = "big-" + Guid.NewGuid().ToString("N")[..10];
        await CreateBucketAsync(page, bucket);

        // SSE-C with the key dropped as a file of its 32 raw bytes: held in page memory, the text field left empty.
        var key = RandomNumberGenerator.GetBytes(32);
        await page.GetByLabel("Mode").SelectOptionAsync("C");
        await page.GetByLabel("…or a key file").SetInputFilesAsync(new FilePayload { Name = "customer.key", MimeType = "application/octet-stream", Buffer = key });
        await Expect(page.GetByLabel("SSE-C key (base64 of 32 bytes)")).ToHaveAttributeAsync("placeholder", "key from customer.key");

        // Every value the progress bar shows, as the page shows it (each progress event rewrites the bar's label).
        await page.EvaluateAsync("""
            () => {
              window.progressSeen = [];
              const uploads = document.querySelector("section[aria-label='Uploads']");
              new MutationObserver(() => {
                const bar = uploads.querySelector("[data-key='big.bin'] progress");
                if (bar) window.progressSeen.push(bar.value);
              }).observe(uploads, { subtree: true, childList: true, characterData: true });
            }
            """);
        // The part uploads in flight at once, as the browser sends them.
        int inFlight = 0, maxInFlight = 0, parts = 0;
        bool IsPart(IRequest r) => r.Method == "PUT" && r.Url.Contains("partNumber=", StringComparison.Ordinal);
        page.Request += (_, r) =>
        {
            if (!IsPart(r))
                return;
            Interlocked.Increment(ref parts);
            var now = Interlocked.Increment(ref inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref maxInFlight)) && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen) { }
        };
        page.RequestFinished += (_, r) => { if (IsPart(r)) Interlocked.Decrement(ref inFlight); };
        page.RequestFailed += (_, r) => { if (IsPart(r)) Interlocked.Decrement(ref inFlight); };

        // The upload throttled (16 MiB/s) so that the bar has something to show between start and end.
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Network.enable");
        await Throttle(cdp, 16 * 1024 * 1024);
        const int size = 20 * 1024 * 1024;
        var content = RandomNumberGenerator.GetBytes(size);
        using var file = new TempFile("big.bin", content);
        await page.GetByLabel("Files", new() { Exact = true }).SetInputFilesAsync(file.Path);
        await Expect(page.Locator(".upload.done[data-key='big.bin']")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Throttle(cdp, -1);
        await BrowserFixture.ScreenshotAsync(page, "upload-20mib-sse-c-done");

        var seen = await page.EvaluateAsync<double[]>("() => window.progressSeen");
        var between = seen.Where(v => v > 0 && v < size).Distinct().ToList();
        Assert.True(between.Count >= 3, $"the bar showed {between.Count} values between 0 and {size}: {string.Join(", ", seen)}");
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First <= p.Second), $"the bar went backwards: {string.Join(", ", seen)}");
        Assert.Equal(size, seen[^1]);
        Assert.Equal(3, Volatile.Read(ref parts)); // 8 + 8 + 4 MiB
        Assert.Equal(3, Volatile.Read(ref maxInFlight)); // all three at once

        var stored = await fixture.Server.Server.Services.Store.GetObjectAsync(bucket, "big.bin");
        Assert.Equal(size, stored!.Size);
        Assert.Equal(SseMode.Customer, stored.Encryption.Mode);
        Assert.EndsWith("-3", stored.ETag, StringComparison.Ordinal);

        // Back with the key: the details, then the download, byte for byte.
        await page.GetByRole(AriaRole.Link, new() { Name = "big.bin" }).ClickAsync();
        await page.GetByLabel("SSE-C key (base64)").FillAsync(Convert.ToBase64String(key));
        await page.GetByRole(AriaRole.Button, new() { Name = "Open" }).ClickAsync();
        await Expect(page.Locator("dl.details")).ToContainTextAsync($"{size} bytes");
        Assert.Equal(content, await DownloadAsync(page));
        await page.Context.CloseAsync();
    }

    [ChromiumFact]
    public async Task An_sse_kms_object_is_unreadable_while_its_key_is_disabled_on_the_kms_page_and_readable_again_once_enabled()
    {
        var page = await fixture.SignedInAsync();
        // A key of its own, made on the KMS page.
        await page.GetByRole(AriaRole.Link, new() { Name = "KMS keys" }).ClickAsync();
        var description = "guards " + Guid.NewGuid().ToString("N")[..8];
        await page.GetByLabel("Description").FillAsync(description);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        var keyRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = description });
        await Expect(keyRow).ToContainTextAsync("Enabled");
        var keyId = (await keyRow.GetByRole(AriaRole.Link).TextContentAsync())!;

        // An object under it (picked in the upload's key picker).
        await page.GetByRole(AriaRole.Link, new() { Name = "Buckets" }).ClickAsync();
        var bucket = "kmsoff-" + Guid.NewGuid().ToString("N")[..10];
        await CreateBucketAsync(page, bucket);
        await page.GetByLabel("Mode").SelectOptionAsync("aws:kms");
        await page.GetByLabel("KMS key").SelectOptionAsync(keyId);
        var content = RandomNumberGenerator.GetBytes(50_000);
        await page.GetByLabel("Files", new() { Exact = true }).SetInputFilesAsync(new FilePayload { Name = "guarded.bin", MimeType = "application/octet-stream", Buffer = content });
        await Expect(page.Locator(".upload.done[data-key='guarded.bin']")).ToBeVisibleAsync();
        Assert.Equal(keyId, (await fixture.Server.Server.Services.Store.GetObjectAsync(bucket, "guarded.bin"))!.Encryption.KmsKeyId);
        var objectUrl = fixture.Server.ConsoleUrl + $"#/object/{bucket}/guarded.bin"; // same document: still signed in
        await page.GotoAsync(objectUrl);
        Assert.Equal(content, await DownloadAsync(page));

        // Disabled on the KMS page: the details still show (HEAD needs no key) but the download is refused, saying why.
        await page.GetByRole(AriaRole.Link, new() { Name = "KMS keys" }).ClickAsync();
        await keyRow.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
        await Expect(keyRow).ToContainTextAsync("Disabled");
        await page.GotoAsync(objectUrl);
        await Expect(page.Locator("dl.details")).ToContainTextAsync(keyId);
        var downloads = 0;
        page.Download += (_, _) => downloads++;
        await page.GetByRole(AriaRole.Button, new() { Name = "Download" }).ClickAsync();
        var alert = page.GetByRole(AriaRole.Alert);
        await Expect(alert).ToContainTextAsync("KMS.DisabledException");
        await Expect(alert).ToContainTextAsync(keyId);
        await Expect(alert).ToContainTextAsync("enable it on the KMS keys page");
        Assert.Equal(0, downloads);
        await AssertAccessibleAsync(page, "object-kms-key-disabled");

        // Enabled again: readable again, the same bytes.
        await page.GetByRole(AriaRole.Link, new() { Name = "KMS keys" }).ClickAsync();
        await keyRow.GetByRole(AriaRole.Button, new() { Name = "Enable" }).ClickAsync();
        await Expect(keyRow).ToContainTextAsync("Enabled");
        await page.GotoAsync(objectUrl);
        Assert.Equal(content, await DownloadAsync(page));
        await page.Context.CloseAsync();
    }

    [ChromiumFact]
    public async Task Temporary_credentials_issued_on_the_users_page_sign_in_and_act_as_their_user_while_bad_or_expired_tokens_are_refused()
    {
        // The administrator adds a user and issues it temporary credentials on the users page.
        var admin = await fixture.SignedInAsync();
        await admin.GetByRole(AriaRole.Link, new() { Name = "Users" }).ClickAsync();
        var name = "tmp" + Guid.NewGuid().ToString("N")[..6];
        await admin.GetByLabel("New user name").FillAsync(name);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = $"Issue temporary credentials for {name}" }).ClickAsync();
        var shown = admin.Locator(".card dl.details dd");
        await Expect(shown).ToHaveCountAsync(4);
        var accessKey = (await shown.Nth(0).TextContentAsync())!;
        var secret = (await shown.Nth(1).TextContentAsync())!;
        var token = (await shown.Nth(2).TextContentAsync())!;
        Assert.StartsWith(TemporaryCredentials.AccessKeyPrefix, accessKey, StringComparison.Ordinal);
        await AssertAccessibleAsync(admin, "users-temporary-credentials");
        await admin.Context.CloseAsync();

        // They sign in, and act as that user: the bucket they create is the user's.
        var page = await fixture.SignedInAsync(accessKey, secret, token);
        Assert.Equal("", await page.EvaluateAsync<string>("() => document.body.innerText.includes(" + System.Text.Json.JsonSerializer.Serialize(token) + ") ? 'token shown' : ''"));
        Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length + sessionStorage.length"));
        var bucket = "temp-" + Guid.NewGuid().ToString("N")[..10];
        await CreateBucketAsync(page, bucket);
        var user = (await fixture.Server.Server.Services.Store.ListUsersAsync()).Single(u => u.Name == name);
        Assert.Equal(user.Id, (await fixture.Server.Server.Services.Store.GetBucketAsync(bucket))!.Owner);
        await page.Context.CloseAsync();

        // A garbled token, and none at all: refused, saying the session token is the trouble; still signed out.
        var garbled = token[..^6] + (token[^6] == 'A' ? 'B' : 'A') + token[^5..];
        await AssertRefusedAsync(accessKey, secret, garbled, "InvalidAccessKeyId", "session token is missing, malformed", "bad-token");
        await AssertRefusedAsync(accessKey, secret, "", "InvalidAccessKeyId", "session token is missing, malformed", null);
        // An expired one (issued by this server's root key, an hour ago for an hour): ExpiredToken.
        var expired = TemporaryCredentials.Issue(fixture.Server.Server.Services.RootKey, user.AccessKeyId, TimeSpan.FromHours(1), DateTimeOffset.UtcNow.AddHours(-2));
        await AssertRefusedAsync(expired.AccessKeyId, expired.SecretKey, expired.Token, "ExpiredToken", "have expired", "expired-token");
    }

    private async Task AssertRefusedAsync(string accessKey, string secret, string token, string code, string says, string? screenshot)
    {
        var page = await fixture.OpenAsync();
        await page.GetByLabel("Access key id").FillAsync(accessKey);
        await page.GetByLabel("Secret key").FillAsync(secret);
        await page.GetByLabel("Session token (temporary credentials only)").FillAsync(token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var alert = page.GetByRole(AriaRole.Alert);
        await Expect(alert).ToContainTextAsync(code);
        await Expect(alert).ToContainTextAsync(says);
        await Expect(page.GetByRole(AriaRole.Navigation)).ToHaveCountAsync(0);
        Assert.Equal("", await page.GetByLabel("Secret key").InputValueAsync());
        Assert.Equal("", await page.GetByLabel("Session token (temporary credentials only)").InputValueAsync());
        if (screenshot is not null)
            await AssertAccessibleAsync(page, "sign-in-" + screenshot);
        await page.Context.CloseAsync();
    }

    private static ILocator Row(IPage page, string name) => page.GetByRole(AriaRole.Row).Filter(new() { Has = page.GetByRole(AriaRole.Link, new() { Name = name, Exact = true }) });

    private static async Task CreateBucketAsync(IPage page, string bucket)
    {
        await page.GetByLabel("New bucket name").FillAsync(bucket);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create bucket" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = bucket, Exact = true }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = $"Bucket {bucket}" })).ToBeVisibleAsync();
        await Expect(page.GetByText("No objects here.")).ToBeVisibleAsync();
    }

    private static async Task DropFileAsync(IPage page, string name, byte[] content)
    {
        var transfer = await page.EvaluateHandleAsync("""
            ([name, b64]) => {
              const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
              const transfer = new DataTransfer();
              transfer.items.add(new File([bytes], name, { type: "application/octet-stream" }));
              return transfer;
            }
            """, new object[] { name, Convert.ToBase64String(content) });
        var zone = page.GetByRole(AriaRole.Button, new() { Name = "Drop files here to upload them, or press Enter to choose files" });
        await zone.DispatchEventAsync("dragover", new Dictionary<string, object> { ["dataTransfer"] = transfer });
        await zone.DispatchEventAsync("drop", new Dictionary<string, object> { ["dataTransfer"] = transfer });
    }

    private static async Task<byte[]> DownloadAsync(IPage page)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download" }).ClickAsync());
        return await File.ReadAllBytesAsync((await download.PathAsync())!);
    }

    /// <summary>axe on the page as it is: no serious or critical violation; and a screenshot of it, NAME.png.</summary>
    private static async Task AssertAccessibleAsync(IPage page, string name)
    {
        await BrowserFixture.ScreenshotAsync(page, name);
        var results = await page.RunAxe();
        var bad = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0, $"axe on {name}: " + string.Join("; ", bad.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Html))}")));
    }
}
