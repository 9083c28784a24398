using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Text.RegularExpressions;

namespace Coffer.Bench;

/// <summary>
/// What the web console costs (docs/console.md): the bytes a browser downloads for it (as served, identity, gzip and
/// Brotli), the time to the first byte of the page and of each asset, the server's memory before and after the console is
/// first served, and the cost of the dashboard's polling: requests per second of /_coffer/metrics, and the server CPU
/// one scrape takes (the dashboard scrapes every 5 s while it is open).
/// </summary>
internal sealed partial class ConsoleScenario(Report report, bool quick, ServerProcess coffer, BenchClient https)
{
    private const string Section = "web console";
    private const double DashboardPollSeconds = 5;

    public async Task RunAsync()
    {
        var thumbprint = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(coffer.CertificatePath!)).GetCertHashString();
        using var http = new HttpClient(new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None,
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == thumbprint },
        })
        { BaseAddress = coffer.Https };

        // Memory: the console's files are loaded (and compressed once) on its first request. The connection, TLS and
        // request paths are warmed first (a signed ListBuckets, an unsigned /_coffer/health on this client's own
        // connection), so the difference is the console's (its table, the Brotli/gzip code, its JIT) and GC noise.
        await https.ListBucketsAsync();
        (await http.GetAsync("/_coffer/health")).Dispose();
        await Task.Delay(500);
        var before = coffer.RssMiB();
        var page = await http.GetStringAsync("/_coffer/console/");
        await Task.Delay(500);
        report.Add(Section, "console.server_rss_mib.before_first_request", before, "MiB");
        report.Add(Section, "console.server_rss_mib.after_first_request", coffer.RssMiB(), "MiB");

        var files = AssetReference().Matches(page).Select(m => m.Groups[1].Value).Prepend("").ToList();
        double total = 0, totalBr = 0, totalGzip = 0;
        foreach (var file in files)
        {
            var name = file.Length == 0 ? "index.html" : Regex.Replace(Path.GetFileName(file), @"\.[A-Z0-9]{8}\.", ".");
            var identity = await SizeAsync(http, file, null);
            var gzip = await SizeAsync(http, file, "gzip");
            var br = await SizeAsync(http, file, "br");
            report.Add(Section, $"console.{name}.identity_kib", identity / 1024.0, "KiB");
            report.Add(Section, $"console.{name}.gzip_kib", gzip / 1024.0, "KiB");
            report.Add(Section, $"console.{name}.br_kib", br / 1024.0, "KiB");
            total += identity;
            totalGzip += gzip;
            totalBr += br;
        }
        report.Add(Section, "console.all.identity_kib", total / 1024.0, "KiB");
        report.Add(Section, "console.all.gzip_kib", totalGzip / 1024.0, "KiB");
        report.Add(Section, "console.all.br_kib", totalBr / 1024.0, "KiB");

        // Time to first byte (response headers) on a warm connection, Brotli as a browser asks for it.
        var samples = quick ? 50 : 300;
        foreach (var file in files)
        {
            var name = file.Length == 0 ? "index.html" : Regex.Replace(Path.GetFileName(file), @"\.[A-Z0-9]{8}\.", ".");
            var latencies = new List<double>();
            for (var i = 0; i < samples; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/_coffer/console/" + file);
                request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate, br");
                var start = Stopwatch.GetTimestamp();
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                await response.Content.CopyToAsync(Stream.Null);
            }
            latencies.Sort();
            report.Add(Section, $"console.{name}.ttfb_p50_ms", Report.Percentile(latencies, 50), "ms");
            report.Add(Section, $"console.{name}.ttfb_p99_ms", Report.Percentile(latencies, 99), "ms");
        }

        // The dashboard's polling: /_coffer/metrics, signed with the administrator's key over HTTPS, as the page calls it.
        var scrapeBytes = await https.GetPathAsync("/_coffer/metrics");
        report.Add(Section, "metrics.scrape_kib", scrapeBytes / 1024.0, "KiB");
        var slice = TimeSpan.FromSeconds(quick ? 2 : 5);
        foreach (var clients in new[] { 1, 4 })
        {
            var cpuBefore = coffer.CpuSeconds();
            var watch = Stopwatch.StartNew();
            var counts = await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                var n = 0;
                while (watch.Elapsed < slice)
                {
                    await https.GetPathAsync("/_coffer/metrics");
                    n++;
                }
                return n;
            }));
            var seconds = watch.Elapsed.TotalSeconds;
            var cpu = coffer.CpuSeconds() - cpuBefore;
            var scrapes = counts.Sum();
            report.Add(Section, $"metrics.{clients}clients.requests_per_s", scrapes / seconds, "req/s");
            report.Add(Section, $"metrics.{clients}clients.server_cpu_ms_per_scrape", cpu * 1000 / scrapes, "ms");
            if (clients == 1)
                // One open dashboard scrapes every 5 s: the share of one core it keeps busy on the server.
                report.Add(Section, "metrics.one_dashboard.server_cpu_percent_of_a_core", cpu / scrapes / DashboardPollSeconds * 100, "%");
        }
    }

    private static async Task<long> SizeAsync(HttpClient http, string file, string? encoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/_coffer/console/" + file);
        if (encoding is not null)
            request.Headers.TryAddWithoutValidation("Accept-Encoding", encoding);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadAsByteArrayAsync()).Length; // what goes over the wire, compressed or not
    }

    [GeneratedRegex(@"(?:src|href)=""(assets/[^""]+)""")]
    private static partial Regex AssetReference();
}
