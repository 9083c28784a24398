using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace Coffer.Bench;

/// <summary>
/// The remote path (`--remote`): 1, 2 and 3 `coffer serve` nodes over one PostgreSQL and one S3
/// service (Ceph RGW in development), clients spread round-robin over the nodes, against the S3
/// service on its own (plain, SigV4) as the reference. Every Coffer figure gets a ratio to the
/// reference's plain figure (`ratio_to_rgw`).
/// </summary>
internal sealed class RemoteScenarios(Report report, RemoteScenarios.Settings settings)
{
    /// <summary>Where the engines are and what to run.</summary>
    internal sealed record Settings(
        string PostgresConnection, Uri S3Endpoint, string S3AccessKey, string S3SecretKey,
        int[] NodeCounts, long[] LargeSizesMiB, int[] StreamCounts, string[] ModeNames, int Trials, TimeSpan SmallSlice,
        bool Large, bool Small, string Root);

    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(6);
    private const string AccessKey = "AKIDBENCHMARK000000000000000000000000";
    private const string SecretKey = "BenchmarkSecretKey0123456789abcdefghijk";
    private const string CpuSection = "remote: CPU seconds per GiB moved (coffer = all nodes; rgw = radosgw; osd = ceph-osd)";
    private const string SmallCpuSection = "remote small objects: CPU milliseconds per operation";
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    private Mode[] Modes => new[] { Mode.Plain, Mode.SseCos }.Where(m => settings.ModeNames.Contains(Name(m))).ToArray();

    private static string Name(Mode mode) => mode == Mode.Plain ? "plain" : "sse-cos";

    public async Task RunAsync()
    {
        // The reference: the S3 service on its own, plain, with the same clients and scenarios.
        var reference = new BenchClient(settings.S3Endpoint, settings.S3AccessKey, settings.S3SecretKey, null, sigV4: true);
        using (reference)
            await MeasureAsync("rgw", [reference], [], [Mode.Plain]);

        var rootKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        foreach (var n in settings.NodeCounts)
        {
            // A fresh database and blob bucket for each cluster size, so no size inherits another's data.
            var database = $"coffer_bench_{_run}_{n}";
            await CreateDatabaseAsync(database);
            var pg = new NpgsqlConnectionStringBuilder(settings.PostgresConnection);
            var metadata = $"postgresql://{Uri.EscapeDataString(pg.Username ?? "postgres")}@{pg.Host}:{pg.Port}/{database}";
            var blobs = $"s3://coffer-bench-{_run}-{n}?endpoint={settings.S3Endpoint.GetLeftPart(UriPartial.Authority)}&region=us-east-1&path-style=true";
            var nodes = new List<ServerProcess>();
            var clients = new List<BenchClient>();
            try
            {
                // Node 1 first: it creates the schema and the root user; the others join it.
                for (var i = 1; i <= n; i++)
                {
                    nodes.Add(await ServerProcess.StartCofferNodeAsync(Path.Combine(settings.Root, $"n{n}-node{i}"), AccessKey, SecretKey, rootKey,
                        metadata, blobs, settings.S3AccessKey, settings.S3SecretKey));
                    clients.Add(new BenchClient(nodes[^1].Http!, AccessKey, SecretKey, null));
                }
                await MeasureAsync($"coffer-{n}node", clients, nodes, Modes);
            }
            finally
            {
                foreach (var client in clients) client.Dispose();
                foreach (var node in nodes) await node.DisposeAsync();
            }
        }

        foreach (var section in new[] { "large", "small" })
            foreach (var key in report.Keys().Where(k => k.Contains(".coffer-", StringComparison.Ordinal) && (k.EndsWith(".mb_per_s", StringComparison.Ordinal) || k.EndsWith(".ops_per_s", StringComparison.Ordinal))).ToList())
            {
                if ((section == "large") != key.EndsWith(".mb_per_s", StringComparison.Ordinal)) continue;
                var parts = key.Split('.');
                // op.size.shape.coffer-Nnode.mode.unit → op.size.shape.rgw.plain.unit
                var referenceKey = string.Join('.', parts[0], parts[1], parts[2], "rgw", "plain", parts[5]);
                report.Ratio(report.SectionOf(key)!, key, referenceKey, "ratio_to_rgw");
            }
    }

    private async Task CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(settings.PostgresConnection);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The large and small scenarios against one target (the reference, or a cluster of nodes).</summary>
    private async Task MeasureAsync(string target, IReadOnlyList<BenchClient> clients, IReadOnlyList<ServerProcess> nodes, Mode[] modes)
    {
        var bucket = target == "rgw" ? $"coffer-bench-ref-{_run}" : "bench";
        await clients[0].CreateBucketAsync(bucket);
        var engines = EnginePids();
        if (settings.Large)
            foreach (var size in settings.LargeSizesMiB.Select(s => s * MiB))
                foreach (var streams in settings.StreamCounts)
                {
                    var label = size >= 1024 * MiB ? $"{size / 1024 / MiB}GiB" : $"{size / MiB}MiB";
                    var section = $"remote large objects: {label}, {streams} stream(s), MB/s";
                    foreach (var mode in modes)
                    {
                        var name = $"{label}.{streams}stream.{target}.{Name(mode)}";
                        // Warm-up: JIT tiers, connections, the KMS data key of the bucket. A fresh node spends
                        // more CPU compiling than moving data for its first few hundred MiB (tier-0 code, then
                        // tier-1 with on-stack replacement), so each node gets several seconds of the same traffic.
                        var warm = Stopwatch.StartNew();
                        for (var round = 0; round < 12 && (round < 2 || warm.Elapsed < WarmUp); round++)
                            await Task.WhenAll(clients.Select(async (client, i) =>
                            {
                                await client.PutAsync(bucket, $"warmup-{i}", 24 * MiB, mode);
                                await client.GetAsync(bucket, $"warmup-{i}", mode);
                                await client.DeleteAsync(bucket, $"warmup-{i}");
                            }));
                        var (put, get) = (new List<double>(), new List<double>());
                        var cpu = new Dictionary<string, double>();
                        for (var t = 0; t < settings.Trials; t++)
                        {
                            var keys = Enumerable.Range(0, streams).Select(i => $"large-{name}-{t}-{i}").ToArray();
                            var gib = size * streams / (double)(1024 * MiB);
                            foreach (var op in new[] { "put", "get" })
                            {
                                var before = Cpu(nodes, engines);
                                var watch = Stopwatch.StartNew();
                                if (op == "put")
                                {
                                    await Task.WhenAll(keys.Select((k, i) => clients[i % clients.Count].PutAsync(bucket, k, size, mode)));
                                    put.Add(size * streams / (double)MiB / watch.Elapsed.TotalSeconds);
                                }
                                else
                                {
                                    var got = await Task.WhenAll(keys.Select((k, i) => clients[i % clients.Count].GetAsync(bucket, k, mode)));
                                    get.Add(got.Sum() / (double)MiB / watch.Elapsed.TotalSeconds);
                                }
                                foreach (var (who, seconds) in Cpu(nodes, engines))
                                    cpu[$"{op}.{who}"] = cpu.GetValueOrDefault($"{op}.{who}") + (seconds - before[who]) / gib / settings.Trials;
                            }
                            foreach (var (k, i) in keys.Select((k, i) => (k, i)))
                                await clients[i % clients.Count].DeleteAsync(bucket, k);
                            // Let replaced data be deleted (the nodes' grace is scaled down) before the next trial.
                            await Task.Delay(TimeSpan.FromSeconds(30 / ServerProcess.TimeScale + 0.5));
                        }
                        report.Add(section, $"put.{name}.mb_per_s", Report.Median(put), "MB/s");
                        report.Add(section, $"get.{name}.mb_per_s", Report.Median(get), "MB/s");
                        foreach (var (key, value) in cpu)
                        {
                            var (op, who) = (key[..3], key[4..]);
                            if (who == "coffer" && nodes.Count == 0) continue;
                            report.Add(CpuSection, $"{op}.{name}.{who}_cpu_s_per_GiB", value, "s");
                        }
                    }
                }
        if (settings.Small)
            await SmallAsync(target, bucket, clients, nodes, engines, modes);
    }

    /// <summary>4 KiB objects, 16 concurrent clients (worker w talks to node w mod N): ops/s and latency percentiles.</summary>
    private async Task SmallAsync(string target, string bucket, IReadOnlyList<BenchClient> clients, IReadOnlyList<ServerProcess> nodes,
        Dictionary<string, int[]> engines, Mode[] modes)
    {
        const string section = "remote small objects: 4 KiB, 16 clients";
        foreach (var mode in modes)
        {
            // Warm-up, as for large objects: the small path's code is compiled before it is timed.
            var warm = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
            {
                var client = clients[worker % clients.Count];
                for (var i = 0; warm.Elapsed < WarmUp / 2; i++)
                {
                    await client.PutAsync(bucket, $"warmup-small-{worker}", 4096, mode);
                    await client.GetAsync(bucket, $"warmup-small-{worker}", mode);
                }
            }));
            var written = new int[16];
            foreach (var op in new[] { "put", "get" })
            {
                var latencies = new List<double>();
                var before = Cpu(nodes, engines);
                var watch = Stopwatch.StartNew();
                await Task.WhenAll(Enumerable.Range(0, 16).Select(async worker =>
                {
                    var client = clients[worker % clients.Count];
                    var i = 0;
                    var mine = new List<double>();
                    while (watch.Elapsed < settings.SmallSlice)
                    {
                        var slot = op == "put" ? i % 64 : i % Math.Max(1, Math.Min(64, written[worker]));
                        i++;
                        var key = $"small-{Name(mode)}-{worker}-{slot}";
                        var start = Stopwatch.GetTimestamp();
                        if (op == "put") await client.PutAsync(bucket, key, 4096, mode);
                        else await client.GetAsync(bucket, key, mode);
                        mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    }
                    if (op == "put") written[worker] = i;
                    lock (latencies) latencies.AddRange(mine);
                }));
                var seconds = watch.Elapsed.TotalSeconds;
                latencies.Sort();
                var label = $"{op}.4KiB.16clients.{target}.{Name(mode)}";
                report.Add(section, $"{label}.ops_per_s", latencies.Count / seconds, "ops/s");
                report.Add(section, $"{label}.p50_ms", Report.Percentile(latencies, 50), "ms");
                report.Add(section, $"{label}.p99_ms", Report.Percentile(latencies, 99), "ms");
                foreach (var (who, cpuSeconds) in Cpu(nodes, engines))
                    if (who != "coffer" || nodes.Count > 0)
                        report.Add(SmallCpuSection, $"{label}.{who}_cpu_ms_per_op", (cpuSeconds - before[who]) * 1000 / Math.Max(1, latencies.Count), "ms");
            }
            await Task.Delay(TimeSpan.FromSeconds(30 / ServerProcess.TimeScale + 0.5));
        }
    }

    /// <summary>The engines' processes on this machine, found by name in /proc (none when they run elsewhere).</summary>
    private static Dictionary<string, int[]> EnginePids()
    {
        var found = new Dictionary<string, int[]> { ["rgw"] = [], ["osd"] = [] };
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            string comm;
            try { comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim(); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            var who = comm.StartsWith("radosgw", StringComparison.Ordinal) ? "rgw" : comm.StartsWith("ceph-osd", StringComparison.Ordinal) ? "osd" : null;
            if (who is not null) found[who] = [.. found[who], pid];
        }
        return found;
    }

    private static Dictionary<string, double> Cpu(IReadOnlyList<ServerProcess> nodes, Dictionary<string, int[]> engines) => new()
    {
        ["coffer"] = nodes.Sum(n => n.CpuSeconds()),
        ["rgw"] = engines["rgw"].Sum(ServerProcess.CpuSecondsOf),
        ["osd"] = engines["osd"].Sum(ServerProcess.CpuSecondsOf),
        ["client"] = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds,
    };
}
