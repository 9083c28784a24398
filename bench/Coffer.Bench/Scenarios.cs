using System.Diagnostics;
using System.Security.Cryptography;

namespace Coffer.Bench;

/// <summary>The measured scenarios. Every figure is the median of repeated trials.</summary>
internal sealed class Scenarios(Report report, bool quick)
{
    private const long MiB = 1024 * 1024;
    private static readonly Mode[] Modes = [Mode.Plain, Mode.SseCos, Mode.SseKms, Mode.SseC];
    private int Trials => quick ? 1 : 3;

    private static string Name(Mode mode) => mode switch
    {
        Mode.Plain => "plain",
        Mode.SseCos => "sse-cos",
        Mode.SseKms => "sse-kms",
        _ => "sse-c",
    };

    /// <summary>AES-256-GCM on one core, in process, on 64 KiB segments: the cipher's own limit.</summary>
    public void CipherLimit()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        using var gcm = new AesGcm(key, 16);
        var plain = new byte[64 * 1024];
        var cipher = new byte[plain.Length];
        var tag = new byte[16];
        var nonce = new byte[12];
        long bytes = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(quick ? 0.5 : 2))
        {
            nonce[0]++;
            gcm.Encrypt(nonce, plain, cipher, tag);
            bytes += plain.Length;
        }
        report.Add("limits", "limit.aes256gcm.1core.mb_per_s", bytes / MiB / watch.Elapsed.TotalSeconds, "MB/s");
    }

    /// <summary>PUT and GET throughput of large objects, 1 and 4 streams, every mode over HTTPS, plain also over HTTP against the bare ceiling.</summary>
    public async Task LargeAsync(BenchClient http, BenchClient https, BenchClient bare)
    {
        var sizes = quick ? new[] { 64 * MiB } : new[] { 64 * MiB, 1024 * MiB };
        foreach (var size in sizes)
        {
            var label = size >= 1024 * MiB ? $"{size / 1024 / MiB}GiB" : $"{size / MiB}MiB";
            foreach (var streams in new[] { 1, 4 })
            {
                var section = $"large objects: {label}, {streams} stream(s), MB/s";
                await MeasureAsync(section, $"{label}.{streams}stream.http.ceiling", bare, "ceiling", Mode.Plain, size, streams);
                await MeasureAsync(section, $"{label}.{streams}stream.http.plain", http, "bench-http", Mode.Plain, size, streams);
                foreach (var mode in Modes)
                    await MeasureAsync(section, $"{label}.{streams}stream.{Name(mode)}", https, "bench-https", mode, size, streams);
                foreach (var op in new[] { "put", "get" })
                {
                    foreach (var mode in Modes.Skip(1))
                        report.Ratio(section, $"{op}.{label}.{streams}stream.{Name(mode)}.mb_per_s", $"{op}.{label}.{streams}stream.plain.mb_per_s", "ratio_to_plain");
                    report.Ratio(section, $"{op}.{label}.{streams}stream.http.plain.mb_per_s", $"{op}.{label}.{streams}stream.http.ceiling.mb_per_s", "ratio_to_ceiling");
                    report.Ratio(section, $"{op}.{label}.{streams}stream.plain.mb_per_s", $"{op}.{label}.{streams}stream.http.ceiling.mb_per_s", "https_ratio_to_http_ceiling");
                }
            }
        }
    }

    private async Task MeasureAsync(string section, string name, BenchClient client, string bucket, Mode mode, long size, int streams)
    {
        await client.CreateBucketAsync(bucket);
        // Warm up this path (JIT tiers, connection, TLS session, KMS key) so trials measure steady state.
        for (var i = 0; i < 3; i++)
        {
            await client.PutAsync(bucket, "warmup", 8 * MiB, mode);
            await client.GetAsync(bucket, "warmup", mode);
        }
        var put = new List<double>();
        var get = new List<double>();
        for (var t = 0; t < Trials; t++)
        {
            var keys = Enumerable.Range(0, streams).Select(i => $"large-{name}-{i}").ToArray();
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(keys.Select(k => client.PutAsync(bucket, k, size, mode)));
            put.Add(size * streams / (double)MiB / watch.Elapsed.TotalSeconds);
            watch.Restart();
            var got = await Task.WhenAll(keys.Select(k => client.GetAsync(bucket, k, mode)));
            get.Add(got.Sum() / (double)MiB / watch.Elapsed.TotalSeconds);
        }
        report.Add(section, $"put.{name}.mb_per_s", Report.Median(put), "MB/s");
        report.Add(section, $"get.{name}.mb_per_s", Report.Median(get), "MB/s");
    }

    /// <summary>4 KiB objects, 16 concurrent clients: operations per second and latency percentiles.</summary>
    public async Task SmallAsync(BenchClient http, BenchClient https)
    {
        const string section = "small objects: 4 KiB, 16 clients";
        var duration = TimeSpan.FromSeconds(quick ? 2 : 8);
        foreach (var (mode, overHttp) in Modes.Select(m => (m, false)).Prepend((Mode.Plain, true)))
        {
            var client = overHttp ? http : https;
            var bucket = overHttp ? "small-http" : "small-https";
            await client.CreateBucketAsync(bucket);
            var written = new int[16];
            foreach (var op in new[] { "put", "get" })
            {
                var latencies = new List<double>();
                var watch = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
                {
                    var i = 0;
                    var mine = new List<double>();
                    while (watch.Elapsed < duration)
                    {
                        var slot = op == "put" ? i % 64 : i % Math.Max(1, Math.Min(64, written[worker]));
                        i++;
                        var key = $"small-{Name(mode)}{(overHttp ? "-http" : "")}-{worker}-{slot}";
                        var start = Stopwatch.GetTimestamp();
                        if (op == "put") await client.PutAsync(bucket, key, 4096, mode);
                        else await client.GetAsync(bucket, key, mode);
                        mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    }
                    if (op == "put") written[worker] = i;
                    lock (latencies) latencies.AddRange(mine);
                }));
                latencies.Sort();
                var label = $"{op}.4KiB.16clients.{Name(mode)}{(overHttp ? ".http" : "")}";
                report.Add(section, $"{label}.ops_per_s", latencies.Count / watch.Elapsed.TotalSeconds, "ops/s");
                report.Add(section, $"{label}.p50_ms", Report.Percentile(latencies, 50), "ms");
                report.Add(section, $"{label}.p99_ms", Report.Percentile(latencies, 99), "ms");
            }
        }
        foreach (var op in new[] { "put", "get" })
            foreach (var mode in Modes.Skip(1))
                report.Ratio(section, $"{op}.4KiB.16clients.{Name(mode)}.ops_per_s", $"{op}.4KiB.16clients.plain.ops_per_s", "ratio_to_plain");
    }

    /// <summary>4 KiB ranges at random offsets of a large SSE-C object against a 1 MiB one.</summary>
    public async Task RangeAsync(BenchClient https)
    {
        var bigSize = quick ? 256 * MiB : 1024 * MiB;
        var big = quick ? "256MiB" : "1GiB";
        var section = $"range GET: 4 KiB at random offsets, SSE-C";
        await https.CreateBucketAsync("ranges");
        await https.PutAsync("ranges", "big", bigSize, Mode.SseC);
        await https.PutAsync("ranges", "small", MiB, Mode.SseC);
        foreach (var (key, size, label) in new[] { ("big", bigSize, big), ("small", MiB, "1MiB") })
        {
            var latencies = new List<double>();
            var random = new Random(42);
            for (var i = 0; i < (quick ? 200 : 1000); i++)
            {
                var offset = random.NextInt64(0, size - 4096);
                var start = Stopwatch.GetTimestamp();
                await https.GetAsync("ranges", key, Mode.SseC, (offset, offset + 4095));
                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            latencies.Sort();
            report.Add(section, $"range.4KiB.{label}.sse-c.p50_ms", Report.Percentile(latencies, 50), "ms");
            report.Add(section, $"range.4KiB.{label}.sse-c.p99_ms", Report.Percentile(latencies, 99), "ms");
        }
        report.Ratio(section, $"range.4KiB.{big}.sse-c.p50_ms", "range.4KiB.1MiB.sse-c.p50_ms", "ratio_to_1MiB");
    }

    /// <summary>A large file through Coffer.Sdk's transfer manager: parallel multipart upload and ranged download, 8 threads.</summary>
    public async Task TransferManagerAsync(Uri https, string certificatePath, string accessKey, string secretKey)
    {
        var size = quick ? 256 * MiB : 1024 * MiB;
        var label = quick ? "256MiB" : "1GiB";
        var section = $"transfer manager (Coffer.Sdk): {label}, 8 threads, MB/s";
        var file = Path.Combine(Path.GetTempPath(), "coffer-bench-upload-" + Guid.NewGuid().ToString("N")[..8]);
        var back = file + ".back";
        await using (var output = File.Create(file))
            for (long written = 0; written < size; written += BenchClient.Pattern.Length)
                await output.WriteAsync(BenchClient.Pattern);
        try
        {
            using var client = new Coffer.Sdk.CosClient(new Coffer.Sdk.CosConfig
            {
                SecretId = accessKey, SecretKey = secretKey, Scheme = "https",
                Endpoint = $"127.0.0.1:{https.Port}", PathStyle = true, CaFile = certificatePath,
            });
            await client.CreateBucketAsync("transfer").ContinueWith(_ => { });
            foreach (var (mode, sse) in new (string, Coffer.Sdk.Sse?)[] { ("plain", null), ("sse-c", Coffer.Sdk.Sse.Customer(RandomNumberGenerator.GetBytes(32))) })
            {
                var up = new List<double>();
                var down = new List<double>();
                for (var t = 0; t < Trials; t++)
                {
                    var watch = Stopwatch.StartNew();
                    await client.UploadFileAsync(new Coffer.Sdk.UploadFileRequest { Bucket = "transfer", Key = "big", LocalFilePath = file, MaxThreads = 8, EnableCheckpoint = false, Sse = sse });
                    up.Add(size / (double)MiB / watch.Elapsed.TotalSeconds);
                    watch.Restart();
                    await client.DownloadFileAsync(new Coffer.Sdk.DownloadFileRequest { Bucket = "transfer", Key = "big", DestFilePath = back, MaxThreads = 8, EnableCheckpoint = false, CustomerKey = sse as Coffer.Sdk.SseCustomer });
                    down.Add(size / (double)MiB / watch.Elapsed.TotalSeconds);
                }
                report.Add(section, $"multipart.upload.{label}.8threads.{mode}.mb_per_s", Report.Median(up), "MB/s");
                report.Add(section, $"multipart.download.{label}.8threads.{mode}.mb_per_s", Report.Median(down), "MB/s");
            }
        }
        finally
        {
            File.Delete(file);
            File.Delete(back);
        }
    }

    /// <summary>The server's peak resident memory while one large object goes up and comes back down.</summary>
    public async Task MemoryAsync(ServerProcess coffer, BenchClient http)
    {
        var size = quick ? 1024 * MiB : 4096 * MiB;
        var label = quick ? "1GiB" : "4GiB";
        const string section = "server memory";
        await http.CreateBucketAsync("memory");
        report.Add(section, "server.rss_mib.idle", coffer.RssMiB(), "MiB");
        report.Add(section, $"server.peak_rss_mib.put.{label}", await coffer.PeakRssDuringAsync(() => http.PutAsync("memory", "big", size, Mode.SseCos)), "MiB");
        report.Add(section, $"server.peak_rss_mib.get.{label}", await coffer.PeakRssDuringAsync(() => http.GetAsync("memory", "big", Mode.SseCos)), "MiB");
    }
}
