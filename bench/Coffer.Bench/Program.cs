using System.Diagnostics;
using System.Security.Cryptography;
using Coffer.Bench;

// Coffer benchmark: starts a release `coffer serve` on loopback in a temporary data folder and
// a bare Kestrel ceiling server, drives both with concurrent clients, prints one table per
// section with medians of repeated trials, and ratios (each SSE mode ÷ plain, Coffer ÷ ceiling).
if (args.Length == 2 && args[0] == "--ceiling-server")
{
    await CeilingServer.RunAsync(args[1]);
    return 0;
}

var quick = args.Contains("--quick");
var jsonIndex = Array.IndexOf(args, "--json");
var jsonPath = jsonIndex >= 0 && jsonIndex + 1 < args.Length ? args[jsonIndex + 1] : null;
var onlyIndex = Array.IndexOf(args, "--only");
string[] sections = ["large", "small", "policy", "range", "transfer", "memory", "console"];
// "scale" fills a bucket with up to a million objects: asked for by name only.
// "flood" opens thousands of attacking connections: asked for by name only.
string[] optionalSections = ["scale", "flood"];
var only = onlyIndex >= 0 && onlyIndex + 1 < args.Length ? args[onlyIndex + 1].Split(',') : sections;
if (args.Contains("--help") || args.Any(a => a.StartsWith("--", StringComparison.Ordinal) && a is not ("--quick" or "--json" or "--only" or "--sizes" or "--trials" or "--modes" or "--streams"
        or "--remote" or "--postgres" or "--s3-endpoint" or "--nodes" or "--small-seconds" or "--scale-objects" or "--scale-blobs" or "--flood-connections" or "--flood-seconds"))
    || only.Any(s => !sections.Contains(s) && !optionalSections.Contains(s)))
{
    Console.WriteLine("usage: dotnet run -c Release --project bench/Coffer.Bench -- [--quick] [--json PATH] [--only SECTION[,SECTION...]] [--sizes MIB[,MIB...]] [--trials N] [--modes plain,sse-cos,sse-kms,sse-c] [--streams 1,4]");
    Console.WriteLine($"sections: {string.Join(", ", sections)} (all by default); {string.Join(", ", optionalSections)} only when named");
    Console.WriteLine("scale: --only scale [--scale-objects 10000,100000,1000000] (quick: 1000,10000) [--scale-blobs: start and orphan sweep of objects with blobs only]");
    Console.WriteLine("flood: --only flood [--flood-connections 2000] [--flood-seconds 20] (quick: 500 connections, 10 s per phase)");
    Console.WriteLine("remote: --remote [--postgres CONNSTRING] [--s3-endpoint URL] [--nodes 1,2,3] [--small-seconds 2] (sections large,small; modes plain,sse-cos)");
    return args.Contains("--help") ? 0 : 2;
}
bool Wanted(string section) => only.Contains(section);
string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

if (args.Contains("--remote"))
{
    // The remote path: Coffer nodes over PostgreSQL + an S3 service, against that service alone.
    var remoteRoot = Path.Combine(Path.GetTempPath(), "coffer-bench-" + Guid.NewGuid().ToString("N")[..8]);
    Directory.CreateDirectory(remoteRoot);
    var remoteReport = new Report();
    var started = Stopwatch.StartNew();
    try
    {
        var settings = new RemoteScenarios.Settings(
            PostgresConnection: Option("--postgres") ?? Environment.GetEnvironmentVariable("COFFER_TEST_POSTGRES") ?? "Host=127.0.0.1;Port=55433;Username=postgres",
            S3Endpoint: new Uri(Option("--s3-endpoint") ?? Environment.GetEnvironmentVariable("COFFER_TEST_S3_ENDPOINT") ?? "http://127.0.0.1:7480"),
            S3AccessKey: Environment.GetEnvironmentVariable("COFFER_BLOBS_ACCESS_KEY") ?? Environment.GetEnvironmentVariable("COFFER_TEST_S3_ACCESS_KEY") ?? "coffer-test",
            S3SecretKey: Environment.GetEnvironmentVariable("COFFER_BLOBS_SECRET_KEY") ?? Environment.GetEnvironmentVariable("COFFER_TEST_S3_SECRET_KEY") ?? "coffer-test-secret-key-0123456789",
            NodeCounts: Option("--nodes")?.Split(',').Select(int.Parse).ToArray() ?? [1, 2, 3],
            LargeSizesMiB: Option("--sizes")?.Split(',').Select(long.Parse).ToArray() ?? [64],
            StreamCounts: Option("--streams")?.Split(',').Select(int.Parse).ToArray() ?? [1, 4],
            ModeNames: Option("--modes")?.Split(',') ?? ["plain", "sse-cos"],
            Trials: Option("--trials") is { } t ? int.Parse(t) : quick ? 1 : 3,
            SmallSlice: TimeSpan.FromSeconds(Option("--small-seconds") is { } sec ? double.Parse(sec, System.Globalization.CultureInfo.InvariantCulture) : quick ? 2 : 8),
            Large: Wanted("large"), Small: Wanted("small"), Root: remoteRoot);
        Console.WriteLine($"Coffer remote benchmark ({(quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, PostgreSQL + S3 at {settings.S3Endpoint}");
        await new RemoteScenarios(remoteReport, settings).RunAsync();
    }
    finally
    {
        try { Directory.Delete(remoteRoot, recursive: true); } catch (IOException) { }
    }
    remoteReport.Print(Console.Out);
    if (jsonPath is not null)
        remoteReport.WriteJson(jsonPath);
    Console.WriteLine();
    Console.WriteLine($"finished in {started.Elapsed.TotalSeconds:0} s");
    return 0;
}

var root = Path.Combine(Path.GetTempPath(), "coffer-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(root);
const string accessKey = "AKIDBENCHMARK000000000000000000000000";
const string secretKey = "BenchmarkSecretKey0123456789abcdefghijk";
var report = new Report();
var total = Stopwatch.StartNew();
if (Wanted("scale"))
{
    // Its own servers, one data folder per size; run alone (--only scale) so the other sections do not share the disk.
    try
    {
        var counts = Option("--scale-objects")?.Split(',').Select(int.Parse).ToArray() ?? (quick ? [1_000, 10_000] : [10_000, 100_000, 1_000_000]);
        Console.WriteLine($"Coffer benchmark, cost as the data grows, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        await new ScaleScenario(report, root, accessKey, secretKey, counts, withBlobs: args.Contains("--scale-blobs")).RunAsync();
    }
    finally
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { }
    }
    report.Print(Console.Out);
    if (jsonPath is not null)
        report.WriteJson(jsonPath);
    Console.WriteLine();
    Console.WriteLine($"finished in {total.Elapsed.TotalSeconds:0} s");
    return 0;
}
try
{
    await using var coffer = await ServerProcess.StartCofferAsync(Path.Combine(root, "data"), accessKey, secretKey);
    await using var ceiling = await ServerProcess.StartCeilingAsync(Path.Combine(root, "ceiling"));
    var thumbprint = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(coffer.CertificatePath!)).GetCertHashString();
    using var http = new BenchClient(coffer.Http!, accessKey, secretKey, null);
    using var https = new BenchClient(coffer.Https!, accessKey, secretKey, thumbprint);
    using var bare = new BenchClient(ceiling.Http!, accessKey, secretKey, null);
    var scenarios = new Scenarios(report, quick, coffer, ceiling)
    {
        LargeSizesMiB = Option("--sizes")?.Split(',').Select(long.Parse).ToArray(),
        TrialCount = Option("--trials") is { } trials ? int.Parse(trials) : null,
        ModeNames = Option("--modes")?.Split(','),
        StreamCounts = Option("--streams")?.Split(',').Select(int.Parse).ToArray(),
    };

    Console.WriteLine($"Coffer benchmark ({(quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    scenarios.CipherLimit();
    // The server's resident memory after each section: what a long-running server keeps.
    const string memorySection = "server memory";
    report.Add(memorySection, "server.rss_mib.start", coffer.RssMiB(), "MiB");
    if (Wanted("large")) { await scenarios.LargeAsync(http, https, bare); report.Add(memorySection, "server.rss_mib.after_large", coffer.RssMiB(), "MiB"); }
    if (Wanted("small")) { await scenarios.SmallAsync(http, https); report.Add(memorySection, "server.rss_mib.after_small", coffer.RssMiB(), "MiB"); }
    if (Wanted("policy")) { await scenarios.PolicyAsync(https); report.Add(memorySection, "server.rss_mib.after_policy", coffer.RssMiB(), "MiB"); }
    if (Wanted("range")) { await scenarios.RangeAsync(https); report.Add(memorySection, "server.rss_mib.after_range", coffer.RssMiB(), "MiB"); }
    if (Wanted("transfer")) { await scenarios.TransferManagerAsync(coffer.Https!, coffer.CertificatePath!, accessKey, secretKey); report.Add(memorySection, "server.rss_mib.after_transfer", coffer.RssMiB(), "MiB"); }
    if (Wanted("memory")) await scenarios.MemoryAsync(Path.Combine(root, "memory"), accessKey, secretKey);
    if (Wanted("console")) await new ConsoleScenario(report, quick, coffer, https).RunAsync();
    if (Wanted("flood"))
    {
        var floodConnections = Option("--flood-connections") is { } fc ? int.Parse(fc) : quick ? 500 : 2000;
        var floodWindow = TimeSpan.FromSeconds(Option("--flood-seconds") is { } fs ? double.Parse(fs, System.Globalization.CultureInfo.InvariantCulture) : quick ? 10 : 20);
        await new FloodScenario(report, coffer.Http!, http, floodConnections, floodWindow, Coffer.Server.CofferServerOptions.DefaultMaxConnections).RunAsync();
    }
}
finally
{
    try { Directory.Delete(root, recursive: true); } catch (IOException) { }
}

report.Print(Console.Out);
if (jsonPath is not null)
    report.WriteJson(jsonPath);
Console.WriteLine();
Console.WriteLine($"finished in {total.Elapsed.TotalSeconds:0} s");
return 0;
