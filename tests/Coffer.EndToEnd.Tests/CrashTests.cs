using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Coffer.Protocol.Auth;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Kills a real `coffer serve` process (SIGKILL) in the middle of concurrent PUTs and
/// overwrites, restarts it on the same data folder, and checks that every answered PUT reads
/// back byte-identical, no object is mixed or partial, and no orphan blob survives the sweep.
/// Sizes straddle the inline limit, so small objects (kept in their metadata row) and large ones
/// (in blobs) are both written when the kill comes.
/// </summary>
public sealed partial class CrashTests : IDisposable
{
    private const string AccessKey = "AKIDCRASHTEST0000000000000000000000";
    private const string SecretKey = "CrashTestSecretKey0123456789abcdefghijk";
    /// <summary>Objects up to this sealed size live in their metadata row (one commit), the others in blobs: the kill hits both paths.</summary>
    private const int InlineMax = 48 * 1024;
    private readonly string _data = Path.Combine(Path.GetTempPath(), "coffer-crash-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Answered_puts_survive_a_sigkill_and_nothing_is_mixed_or_orphaned()
    {
        var (server, url) = await StartAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        const string bucket = "crash-bucket-1250000000";
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, url, HttpMethod.Put, bucket, null, null)).StatusCode);

        var answered = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var version = 1; !stop.IsCancellationRequested; version++)
            {
                var key = $"k{w}-{version % 5}";
                var body = Content(key, version);
                try
                {
                    var response = await SendAsync(http, url, HttpMethod.Put, bucket, key, body,
                        version % 2 == 0 ? [new("x-cos-server-side-encryption", "AES256")] : []);
                    if (response.StatusCode == HttpStatusCode.OK)
                        answered.AddOrUpdate(key, version, (_, old) => Math.Max(old, version));
                }
                catch (Exception) when (stop.IsCancellationRequested || server.HasExited)
                {
                    return;
                }
                catch (HttpRequestException)
                {
                    return; // the server died under us
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True(answered.Count > 0, "no PUT was answered before the kill");
        server.Kill(entireProcessTree: true);   // SIGKILL: no shutdown hooks run
        await server.WaitForExitAsync();
        stop.Cancel();
        await Task.WhenAll(writers);

        var (restarted, url2) = await StartAsync();
        try
        {
            foreach (var (key, minVersion) in answered)
            {
                var response = await SendAsync(http, url2, HttpMethod.Get, bucket, key, null);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var body = await response.Content.ReadAsByteArrayAsync();
                var version = ParseVersion(body);
                Assert.True(version >= minVersion, $"{key}: read version {version}, but version {minVersion} was answered");
                Assert.Equal(Content(key, version), body);   // byte-identical, never mixed or partial
            }

            // Every object whose sealed form outgrows the inline limit has exactly one blob; the others none.
            var listed = await SendAsync(http, url2, HttpMethod.Get, bucket, null, null);
            var inBlobs = 0;
            foreach (Match m in Regex.Matches(await listed.Content.ReadAsStringAsync(), "<Key>([^<]+)</Key>"))
            {
                var body = await (await SendAsync(http, url2, HttpMethod.Get, bucket, m.Groups[1].Value, null)).Content.ReadAsByteArrayAsync();
                var encrypted = ParseVersion(body) % 2 == 0;
                if (Coffer.Crypto.SealedStream.SealedLength(body.Length, encrypted) > InlineMax)
                    inBlobs++;
            }
            Assert.InRange(inBlobs, 1, answered.Count - 1);   // both paths were exercised
            // The server serves before its orphan sweep has run (a background job), and the blobs of writes the kill
            // cut short or replaced go through the reclaimer's grace: wait for both to have removed every extra blob.
            int BlobFiles() => Directory.EnumerateFiles(Path.Combine(_data, "blobs"), "*", SearchOption.AllDirectories).Count();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
            while (BlobFiles() > inBlobs && DateTime.UtcNow < deadline)
                await Task.Delay(200);
            Assert.Equal(inBlobs, BlobFiles());
            Assert.Empty(Directory.Exists(Path.Combine(_data, "tmp")) ? Directory.EnumerateFiles(Path.Combine(_data, "tmp")) : []);
        }
        finally
        {
            restarted.Kill(entireProcessTree: true);
            await restarted.WaitForExitAsync();
        }
    }

    private static byte[] Content(string key, int version)
    {
        var header = Encoding.ASCII.GetBytes($"{key}|v{version}|");
        var size = 1000 + (key.GetHashCode(StringComparison.Ordinal) & 0x7) * 40_000 + version * 97 % 70_000;
        var body = new byte[header.Length + size];
        header.CopyTo(body, 0);
        var seed = SHA256.HashData(header);
        for (var i = header.Length; i < body.Length; i++)
            body[i] = (byte)(seed[i % 32] + i / 32);
        return body;
    }

    private static int ParseVersion(byte[] body)
    {
        var text = Encoding.ASCII.GetString(body, 0, Math.Min(body.Length, 40));
        var match = VersionPattern().Match(text);
        Assert.True(match.Success, "object does not start with its own header: mixed content");
        return int.Parse(match.Groups[1].Value);
    }

    [GeneratedRegex(@"^k\d+-\d\|v(\d+)\|")]
    private static partial Regex VersionPattern();

    private async Task<(Process, Uri)> StartAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "coffer.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "serve", "--data", _data, "--http", "127.0.0.1:0", "--https", "none", "--inline-max", $"{InlineMax}"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["COFFER_ACCESS_KEY"] = AccessKey;
        start.Environment["COFFER_SECRET_KEY"] = SecretKey;
        var process = Process.Start(start)!;
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException("coffer serve exited before listening");
            var match = Regex.Match(line, @"HTTP\s+(http://\S+)");
            if (match.Success)
            {
                _ = process.StandardOutput.ReadToEndAsync();
                return (process, new Uri(match.Groups[1].Value));
            }
        }
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, Uri url, HttpMethod method, string bucket, string? key, byte[]? body,
        KeyValuePair<string, string>[]? headers = null)
    {
        var path = "/" + bucket + (key is null ? "" : "/" + key);
        var request = new HttpRequestMessage(method, new Uri(url, path));
        var signed = new List<KeyValuePair<string, string>> { new("host", url.Authority) };
        if (body is not null)
            request.Content = new ByteArrayContent(body);
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
            signed.Add(new(name, value));
        }
        var now = DateTimeOffset.UtcNow.AddSeconds(-60);
        request.Headers.TryAddWithoutValidation("Authorization", CosV5Signer.Sign(AccessKey, SecretKey, method.Method, path, [], signed, now, now.AddHours(1)));
        return await http.SendAsync(request);
    }

    public void Dispose()
    {
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
