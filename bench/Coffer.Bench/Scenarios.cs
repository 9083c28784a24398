using System.Diagnostics;
using System.Security.Cryptography;

namespace Coffer.Bench;

/// <summary>The measured scenarios. Every figure is the median of repeated trials.</summary>
internal sealed class Scenarios(Report report, bool quick, ServerProcess coffer, ServerProcess ceiling)
{
    /// <summary>Large-object sizes in MiB (default: 64, and 1024 in full runs).</summary>
    public long[]? LargeSizesMiB { get; init; }

    /// <summary>Stream counts of the large-object tables (default: 1 and 4).</summary>
    public int[]? StreamCounts { get; init; }

    /// <summary>Trials per figure (default: 1 in quick runs, 3 in full ones).</summary>
    public int? TrialCount { get; init; }

    private const long MiB = 1024 * 1024;
    private static readonly Mode[] AllModes = [Mode.Plain, Mode.SseCos, Mode.SseKms, Mode.SseC];

    /// <summary>The modes measured (default: all; ratios need plain).</summary>
    public string[]? ModeNames { get; init; }

    private Mode[] Modes => ModeNames is null ? AllModes : AllModes.Where(m => ModeNames.Contains(Name(m))).ToArray();
    private int Trials => TrialCount ?? (quick ? 1 : 3);

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

    /// <summary>One line of the large-object table: a client, the server it talks to, and a mode.</summary>
    private sealed record Row(string Name, BenchClient Client, ServerProcess Server, string Bucket, Mode Mode)
    {
        public List<double> Put { get; } = [];
        public List<double> Get { get; } = [];
        public double PutServerCpu, PutClientCpu, GetServerCpu, GetClientCpu;
    }

    /// <summary>
    /// PUT and GET throughput of large objects, 1 and 4 streams, every mode over HTTPS, plain also
    /// over HTTP against the bare ceiling. Trials are interleaved (trial 1 of every row, then trial
    /// 2 …) so that drift in the machine's state during the run hits every row alike.
    /// </summary>
    public async Task LargeAsync(BenchClient http, BenchClient https, BenchClient bare)
    {
        var sizes = LargeSizesMiB?.Select(s => s * MiB).ToArray() ?? (quick ? [64 * MiB] : [64 * MiB, 1024 * MiB]);
        foreach (var size in sizes)
        {
            var label = size >= 1024 * MiB ? $"{size / 1024 / MiB}GiB" : $"{size / MiB}MiB";
            foreach (var streams in StreamCounts ?? [1, 4])
            {
                var section = $"large objects: {label}, {streams} stream(s), MB/s";
                List<Row> rows =
                [
                    new($"{label}.{streams}stream.http.ceiling", bare, ceiling, "ceiling", Mode.Plain),
                    new($"{label}.{streams}stream.http.plain", http, coffer, "bench-http", Mode.Plain),
                    // SSE-COS also over HTTP (SSE-KMS and SSE-C are HTTPS-only, as in S3): the cost of the
                    // encryption itself, without TLS taking most of the two cores.
                    .. Modes.Where(m => m is Mode.SseCos).Select(mode => new Row($"{label}.{streams}stream.http.{Name(mode)}", http, coffer, "bench-http", mode)),
                    .. Modes.Select(mode => new Row($"{label}.{streams}stream.{Name(mode)}", https, coffer, "bench-https", mode)),
                ];
                foreach (var row in rows)
                    await WarmUpAsync(row);
                for (var t = 0; t < Trials; t++)
                    foreach (var row in rows)
                        await TrialAsync(row, t, size, streams);
                foreach (var row in rows)
                {
                    report.Add(section, $"put.{row.Name}.mb_per_s", Report.Median(row.Put), "MB/s");
                    report.Add(section, $"get.{row.Name}.mb_per_s", Report.Median(row.Get), "MB/s");
                    report.Add(CpuSection, $"put.{row.Name}.server_cpu_s_per_GiB", row.PutServerCpu / Trials, "s");
                    report.Add(CpuSection, $"put.{row.Name}.client_cpu_s_per_GiB", row.PutClientCpu / Trials, "s");
                    report.Add(CpuSection, $"get.{row.Name}.server_cpu_s_per_GiB", row.GetServerCpu / Trials, "s");
                    report.Add(CpuSection, $"get.{row.Name}.client_cpu_s_per_GiB", row.GetClientCpu / Trials, "s");
                }
                foreach (var op in new[] { "put", "get" })
                {
                    foreach (var mode in AllModes.Skip(1))
                        report.Ratio(section, $"{op}.{label}.{streams}stream.{Name(mode)}.mb_per_s", $"{op}.{label}.{streams}stream.plain.mb_per_s", "ratio_to_plain");
                    report.Ratio(section, $"{op}.{label}.{streams}stream.http.sse-cos.mb_per_s", $"{op}.{label}.{streams}stream.http.plain.mb_per_s", "ratio_to_plain");
                    report.Ratio(section, $"{op}.{label}.{streams}stream.http.plain.mb_per_s", $"{op}.{label}.{streams}stream.http.ceiling.mb_per_s", "ratio_to_ceiling");
                    report.Ratio(section, $"{op}.{label}.{streams}stream.plain.mb_per_s", $"{op}.{label}.{streams}stream.http.ceiling.mb_per_s", "https_ratio_to_http_ceiling");
                }
            }
        }
    }

    /// <summary>Warms up a row's path (JIT tiers, connection, TLS session, KMS key) so trials measure steady state.</summary>
    private static async Task WarmUpAsync(Row row)
    {
        await row.Client.CreateBucketAsync(row.Bucket);
        var baseline = row.Server.BlobBytes();
        for (var i = 0; i < 3; i++)
        {
            await row.Client.PutAsync(row.Bucket, "warmup", 8 * MiB, row.Mode);
            await row.Client.GetAsync(row.Bucket, "warmup", row.Mode);
        }
        await row.Client.DeleteAsync(row.Bucket, "warmup");
        await row.Server.WaitForBlobBytesAsync(baseline);
    }

    /// <summary>
    /// One trial of a row: PUT then GET of <paramref name="streams"/> objects at once, with the CPU
    /// both sides spent per GiB moved (server: the measured process; client: this one). On a machine
    /// with few cores the two share them, so CPU per GiB says what a mode costs where MB/s is bounded
    /// by the cores. The trial's objects are deleted, and the space freed, outside the timed windows,
    /// so every trial starts from the same disk.
    /// </summary>
    private static async Task TrialAsync(Row row, int trial, long size, int streams)
    {
        var (client, server) = (row.Client, row.Server);
        var baseline = server.BlobBytes();
        var gib = size * streams / (double)(1024 * MiB);
        var keys = Enumerable.Range(0, streams).Select(i => $"large-{row.Name}-{trial}-{i}").ToArray();
        var (serverCpu, clientCpu) = (server.CpuSeconds(), ClientCpuSeconds());
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(keys.Select(k => client.PutAsync(row.Bucket, k, size, row.Mode)));
        row.Put.Add(size * streams / (double)MiB / watch.Elapsed.TotalSeconds);
        row.PutServerCpu += (server.CpuSeconds() - serverCpu) / gib;
        row.PutClientCpu += (ClientCpuSeconds() - clientCpu) / gib;
        (serverCpu, clientCpu) = (server.CpuSeconds(), ClientCpuSeconds());
        watch.Restart();
        var got = await Task.WhenAll(keys.Select(k => client.GetAsync(row.Bucket, k, row.Mode)));
        row.Get.Add(got.Sum() / (double)MiB / watch.Elapsed.TotalSeconds);
        row.GetServerCpu += (server.CpuSeconds() - serverCpu) / gib;
        row.GetClientCpu += (ClientCpuSeconds() - clientCpu) / gib;
        foreach (var key in keys)
            await client.DeleteAsync(row.Bucket, key);
        await server.WaitForBlobBytesAsync(baseline);
    }

    private const string CpuSection = "large objects: CPU seconds per GiB moved (mean of the trials)";

    private static double ClientCpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>
    /// 4 KiB objects, 16 concurrent clients: operations per second and latency percentiles. The
    /// modes take turns in short rounds (4 in full runs) so that the disk's fsync speed, which
    /// wanders on a shared machine, is sampled alike for each.
    /// </summary>
    public async Task SmallAsync(BenchClient http, BenchClient https)
    {
        const string section = "small objects: 4 KiB, 16 clients";
        var rounds = quick ? 1 : 4;
        var slice = TimeSpan.FromSeconds(2);
        List<(Mode Mode, bool OverHttp)> rows = [.. Modes.Select(m => (m, false)).Prepend((Mode.Plain, true)).Where(r => Modes.Contains(r.Item1))];
        var results = rows.ToDictionary(r => r, _ => new Dictionary<string, (List<double> Latencies, double Seconds)>
        {
            ["put"] = ([], 0),
            ["get"] = ([], 0),
        });
        foreach (var (_, overHttp) in rows)
            await (overHttp ? http : https).CreateBucketAsync(overHttp ? "small-http" : "small-https");
        for (var round = 0; round < rounds; round++)
        {
            foreach (var row in rows)
            {
                var (mode, overHttp) = row;
                var client = overHttp ? http : https;
                var bucket = overHttp ? "small-http" : "small-https";
                var written = new int[16];
                foreach (var op in new[] { "put", "get" })
                {
                    var latencies = new List<double>();
                    var watch = Stopwatch.StartNew();
                    await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
                    {
                        var i = 0;
                        var mine = new List<double>();
                        while (watch.Elapsed < slice)
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
                    var (all, seconds) = results[row][op];
                    all.AddRange(latencies);
                    results[row][op] = (all, seconds + watch.Elapsed.TotalSeconds);
                }
                // The overwritten objects' data is deleted after the server's (scaled) grace: let that
                // happen before the next mode's turn, not inside it.
                await Task.Delay(TimeSpan.FromSeconds(30 / ServerProcess.TimeScale) + TimeSpan.FromSeconds(0.5));
            }
        }
        foreach (var row in rows)
            foreach (var op in new[] { "put", "get" })
            {
                var (latencies, seconds) = results[row][op];
                latencies.Sort();
                var label = $"{op}.4KiB.16clients.{Name(row.Mode)}{(row.OverHttp ? ".http" : "")}";
                report.Add(section, $"{label}.ops_per_s", latencies.Count / seconds, "ops/s");
                report.Add(section, $"{label}.p50_ms", Report.Percentile(latencies, 50), "ms");
                report.Add(section, $"{label}.p99_ms", Report.Percentile(latencies, 99), "ms");
            }
        foreach (var op in new[] { "put", "get" })
            foreach (var mode in AllModes.Skip(1))
                report.Ratio(section, $"{op}.4KiB.16clients.{Name(mode)}.ops_per_s", $"{op}.4KiB.16clients.plain.ops_per_s", "ratio_to_plain");
    }

    /// <summary>
    /// What a bucket policy costs: 4 KiB plain GETs by the owner, 16 clients, on a bucket without a policy and on one
    /// with 20 statements whose last ones apply (each request is checked against all 20, conditions included). The
    /// target is a ratio of at least 0.95 (docs/protocol/policy.md). The two buckets take turns in short rounds.
    /// </summary>
    public async Task PolicyAsync(BenchClient https)
    {
        const string section = "bucket policy: 4 KiB GET, 16 clients";
        var rounds = quick ? 1 : 4;
        var slice = TimeSpan.FromSeconds(2);
        string[] buckets = ["policy-none", "policy-20"];
        foreach (var bucket in buckets)
        {
            await https.CreateBucketAsync(bucket);
            for (var i = 0; i < 64; i++)
                await https.PutAsync(bucket, $"k{i}", 4096, Mode.Plain);
        }
        var statements = Enumerable.Range(0, 18).Select(i =>
            $$"""{"Sid":"Deny{{i}}","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::policy-20/locked{{i}}/*",""" +
            "\"Condition\":{\"StringNotEquals\":{\"s3:x-amz-server-side-encryption\":\"aws:kms\"}}}")
            .Append("""{"Sid":"TlsOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::policy-20","arn:aws:s3:::policy-20/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"},"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}""")
            .Append("""{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::policy-20/k*","Condition":{"IpAddress":{"aws:SourceIp":["127.0.0.0/8","::1/128"]}}}""");
        await https.PutPolicyAsync("policy-20", """{"Version":"2012-10-17","Statement":[""" + string.Join(",", statements) + "]}");

        var results = buckets.ToDictionary(b => b, _ => (Latencies: new List<double>(), Seconds: 0.0));
        for (var round = 0; round < rounds; round++)
        {
            foreach (var bucket in buckets)
            {
                var latencies = new List<double>();
                var watch = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
                {
                    var mine = new List<double>();
                    for (var i = worker; watch.Elapsed < slice; i++)
                    {
                        var start = Stopwatch.GetTimestamp();
                        await https.GetAsync(bucket, $"k{i % 64}", Mode.Plain);
                        mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    }
                    lock (latencies) latencies.AddRange(mine);
                }));
                var (all, seconds) = results[bucket];
                all.AddRange(latencies);
                results[bucket] = (all, seconds + watch.Elapsed.TotalSeconds);
            }
        }
        foreach (var bucket in buckets)
        {
            var (latencies, seconds) = results[bucket];
            latencies.Sort();
            var label = $"get.4KiB.16clients.{bucket}";
            report.Add(section, $"{label}.ops_per_s", latencies.Count / seconds, "ops/s");
            report.Add(section, $"{label}.p50_ms", Report.Percentile(latencies, 50), "ms");
            report.Add(section, $"{label}.p99_ms", Report.Percentile(latencies, 99), "ms");
        }
        report.Ratio(section, "get.4KiB.16clients.policy-20.ops_per_s", "get.4KiB.16clients.policy-none.ops_per_s", "ratio_to_no_policy");
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
                SecretId = accessKey,
                SecretKey = secretKey,
                Scheme = "https",
                Endpoint = $"127.0.0.1:{https.Port}",
                PathStyle = true,
                CaFile = certificatePath,
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

    /// <summary>
    /// The peak resident memory of a server started for this alone, while one large object goes up
    /// and comes back down (over HTTP, SSE-COS): whether memory stays flat in the object's size.
    /// </summary>
    public async Task MemoryAsync(string dataDirectory, string accessKey, string secretKey)
    {
        var size = quick ? 1024 * MiB : 4096 * MiB;
        var label = quick ? "1GiB" : "4GiB";
        const string section = "server memory";
        await using var server = await ServerProcess.StartCofferAsync(dataDirectory, accessKey, secretKey);
        using var http = new BenchClient(server.Http!, accessKey, secretKey, null);
        await http.CreateBucketAsync("memory");
        report.Add(section, "server.rss_mib.idle", server.RssMiB(), "MiB");
        report.Add(section, $"server.peak_rss_mib.put.{label}", await server.PeakRssDuringAsync(() => http.PutAsync("memory", "big", size, Mode.SseCos)), "MiB");
        report.Add(section, $"server.peak_rss_mib.get.{label}", await server.PeakRssDuringAsync(() => http.GetAsync("memory", "big", Mode.SseCos)), "MiB");
    }
}
