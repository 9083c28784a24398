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
if (args.Contains("--help") || args.Any(a => a.StartsWith("--", StringComparison.Ordinal) && a is not ("--quick" or "--json")))
{
    Console.WriteLine("usage: dotnet run -c Release --project bench/Coffer.Bench -- [--quick] [--json PATH]");
    return args.Contains("--help") ? 0 : 2;
}

var root = Path.Combine(Path.GetTempPath(), "coffer-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(root);
const string accessKey = "AKIDBENCHMARK000000000000000000000000";
const string secretKey = "BenchmarkSecretKey0123456789abcdefghijk";
var report = new Report();
var total = Stopwatch.StartNew();
try
{
    await using var coffer = await ServerProcess.StartCofferAsync(Path.Combine(root, "data"), accessKey, secretKey);
    await using var ceiling = await ServerProcess.StartCeilingAsync(Path.Combine(root, "ceiling"));
    var thumbprint = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(coffer.CertificatePath!)).GetCertHashString();
    using var http = new BenchClient(coffer.Http!, accessKey, secretKey, null);
    using var https = new BenchClient(coffer.Https!, accessKey, secretKey, thumbprint);
    using var bare = new BenchClient(ceiling.Http!, accessKey, secretKey, null);
    var scenarios = new Scenarios(report, quick);

    Console.WriteLine($"Coffer benchmark ({(quick ? "quick" : "full")}), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    scenarios.CipherLimit();
    await scenarios.LargeAsync(http, https, bare);
    await scenarios.SmallAsync(http, https);
    await scenarios.RangeAsync(https);
    await scenarios.TransferManagerAsync(coffer.Https!, coffer.CertificatePath!, accessKey, secretKey);
    await scenarios.MemoryAsync(coffer, http);
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
