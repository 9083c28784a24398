using System.Diagnostics;
using System.Globalization;
using Coffer.Sdk;
using Coffer.Soak;

// The crash soak: a real `coffer serve`, a mixed workload from many clients, SIGKILL at random moments, and after every
// restart a byte-for-byte check of every acknowledged write (docs/reliability.md).
if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("""
        Usage: dotnet run --project soak -- [--kills N] [--seconds S] [--clients C] [--keys K] [--uptime MIN-MAX]
                                            [--seed N] [--data DIR] [--metadata SPEC] [--blobs SPEC]

        Drives a real `coffer serve` (HTTPS on loopback, --time-scale 3600) with C clients, each writing its own K
        keys: PUT and overwrite (inline and blob sizes), multipart, copy with a change of encryption, delete and
        read, in every SSE mode (none, SSE-COS, SSE-KMS, SSE-C). It logs every acknowledged write (key, SHA-256,
        SSE-C key), SIGKILLs the server after MIN-MAX seconds of work (default 1-4), restarts it on the same data,
        and verifies every key byte for byte: it must hold its last acknowledged write or a write that was in
        flight at the kill, never an older write (lost) nor bytes no write made (corrupt: a mix, a torn object).
        Stops after N kills (default 10) or S seconds (default 300), whichever comes first, and prints the figures.
        Exit code 0 when nothing was lost or corrupt, 1 otherwise, 2 on a usage error.

          --data DIR         the server's data folder (default: a new temporary folder, deleted afterwards)
          --metadata SPEC    as `coffer serve --metadata` (e.g. postgresql://…; also COFFER_METADATA)
          --blobs SPEC       as `coffer serve --blobs` (e.g. s3://…; also COFFER_BLOBS, keys in COFFER_BLOBS_*_KEY)
          --damage           test the soak itself: after the first kill, flip a byte in every blob file of the data
                             folder (embedded blobs only); the run must then report corrupt objects and exit 1
        """);
    return 0;
}

Settings settings;
try
{
    settings = Settings.Parse(args);
}
catch (FormatException e)
{
    Console.Error.WriteLine($"soak: {e.Message} (see --help)");
    return 2;
}

var tally = new Tally();
var workload = new Workload(settings, tally);
var clock = Stopwatch.StartNew();
var random = new Random(settings.Seed);
await using (var node = new Node(settings))
{
    await node.StartAsync();
    var client = NewClient(node);
    if (!await client.BucketExistsAsync(Workload.Bucket))
        await client.CreateBucketAsync(Workload.Bucket);
    using var stop = new CancellationTokenSource();
    workload.Resume(client);
    var clients = workload.RunAsync(stop.Token);
    Console.WriteLine($"soak: {settings.Clients} clients × {settings.KeysPerClient} keys on {node.Https}; up to {settings.Kills} kills or {settings.Duration.TotalSeconds:0} s");

    while (tally.Kills < settings.Kills && clock.Elapsed < settings.Duration)
    {
        var uptime = settings.MinUptime + (settings.MaxUptime - settings.MinUptime) * random.NextDouble();
        await Task.Delay(uptime);
        await node.KillAsync();
        tally.Kills++;
        await workload.PauseAsync();
        client.Dispose();

        if (settings.Damage && tally.Kills == 1)
            Console.WriteLine($"soak: --damage: flipped a byte in {DamageBlobs(settings)} blob files while the server was down");
        await node.StartAsync();
        client = NewClient(node);
        long verified = 0, lost = 0, corrupt = 0;
        foreach (var log in workload.Keys)
        {
            var outcome = await workload.VerifyAsync(client, log, CancellationToken.None);
            verified++;
            if (outcome == Workload.Outcome.Lost) lost++;
            if (outcome == Workload.Outcome.Corrupt) corrupt++;
            if (outcome != Workload.Outcome.Ok)
                Console.Error.WriteLine($"soak: after kill {tally.Kills}: {Workload.Bucket}/{log.Key} is {outcome} (acknowledged: {log.Acknowledged.Mode}, {log.Acknowledged.Size} bytes; {log.InFlight.Count} in flight)");
        }
        lock (tally)
        {
            tally.Verified += verified;
            tally.Lost += lost;
            tally.Corrupt += corrupt;
        }
        Console.WriteLine($"soak: kill {tally.Kills} after {uptime.TotalSeconds:0.0} s: {verified} keys verified, {lost} lost, {corrupt} corrupt; {tally.Acknowledged} writes acknowledged so far");
        workload.Resume(client);
    }

    await workload.PauseAsync();
    await stop.CancelAsync();
    try { await clients; } catch (OperationCanceledException) { }
    client.Dispose();
}
settings.Cleanup();

Console.WriteLine();
Console.WriteLine($"soak figures ({clock.Elapsed.TotalSeconds:0} s, seed {settings.Seed}, {(settings.Metadata is null ? "embedded SQLite" : "metadata " + Redact(settings.Metadata))}, {(settings.Blobs is null ? "files" : "blobs " + settings.Blobs)}):");
Console.WriteLine($"  kills survived            {tally.Kills}");
Console.WriteLine($"  writes acknowledged       {tally.Acknowledged} ({string.Join(", ", tally.ByOperation.OrderBy(x => x.Key).Select(x => $"{x.Key} {x.Value}"))})");
Console.WriteLine($"  writes unanswered         {tally.Unanswered} (in flight at a kill, or sent while the server was down)");
Console.WriteLine($"  objects verified          {tally.Verified}");
Console.WriteLine($"  lost                      {tally.Lost}");
Console.WriteLine($"  corrupt                   {tally.Corrupt}");
return tally.Lost + tally.Corrupt == 0 && tally.Kills > 0 ? 0 : 1;

// For testing the soak itself: a byte flipped in every blob file of an embedded data folder must be found.
static int DamageBlobs(Settings settings)
{
    var count = 0;
    foreach (var file in Directory.EnumerateFiles(Path.Combine(settings.DataDirectory, "blobs"), "*", SearchOption.AllDirectories))
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var bytes = File.ReadAllBytes(file);
        if (bytes.Length == 0)
            continue;
        bytes[bytes.Length / 2] ^= 0x20;
        File.WriteAllBytes(file, bytes);
        count++;
    }
    return count;
}

static string Redact(string spec) => spec.Contains('@', StringComparison.Ordinal) ? "postgresql://…@" + spec[(spec.LastIndexOf('@') + 1)..] : spec;

static CosClient NewClient(Node node) => new(new CosConfig
{
    SecretId = Settings.AccessKey,
    SecretKey = Settings.SecretKey,
    Region = "us-east-1",
    Scheme = "https",
    Endpoint = node.Https.Authority,
    PathStyle = true,
    CaFile = node.CertificatePath,
    Retry = new CosRetryOptions { MaxRetries = 0 },
    Timeout = TimeSpan.FromSeconds(30),
});

namespace Coffer.Soak
{
    /// <summary>The soak's options.</summary>
    internal sealed record Settings(int Kills, TimeSpan Duration, int Clients, int KeysPerClient, TimeSpan MinUptime, TimeSpan MaxUptime, int Seed,
        string DataDirectory, bool OwnsData, string? Metadata, string? Blobs, bool Damage = false)
    {
        public const string AccessKey = "AKIDSOAKTEST00000000000000000000000";
        public const string SecretKey = "SoakTestSecretKey0123456789abcdefghijklm";

        public static Settings Parse(string[] args)
        {
            string? Option(string name)
            {
                var i = Array.IndexOf(args, name);
                return i < 0 ? null : i + 1 < args.Length ? args[i + 1] : throw new FormatException($"{name} needs a value");
            }
            int Int(string name, int fallback, int min)
            {
                var text = Option(name);
                if (text is null) return fallback;
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min ? v : throw new FormatException($"{name} must be a whole number of at least {min}; got '{text}'");
            }
            foreach (var arg in args.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
                if (arg is not ("--kills" or "--seconds" or "--clients" or "--keys" or "--uptime" or "--seed" or "--data" or "--metadata" or "--blobs" or "--damage"))
                    throw new FormatException($"unknown option {arg}");
            var uptime = (Option("--uptime") ?? "1-4").Split('-');
            if (uptime.Length != 2 || !double.TryParse(uptime[0], CultureInfo.InvariantCulture, out var min) || !double.TryParse(uptime[1], CultureInfo.InvariantCulture, out var max) || min <= 0 || max < min)
                throw new FormatException("--uptime must be MIN-MAX seconds, e.g. 1-4");
            var data = Option("--data");
            var owns = data is null;
            data ??= Path.Combine(Path.GetTempPath(), "coffer-soak-" + Guid.NewGuid().ToString("N")[..8]);
            return new Settings(Int("--kills", 10, 1), TimeSpan.FromSeconds(Int("--seconds", 300, 1)), Int("--clients", 8, 1), Int("--keys", 12, 2),
                TimeSpan.FromSeconds(min), TimeSpan.FromSeconds(max), Int("--seed", Environment.TickCount & 0xFFFF, 0), Path.GetFullPath(data), owns,
                Option("--metadata") ?? NullIfEmpty(Environment.GetEnvironmentVariable("COFFER_METADATA")),
                Option("--blobs") ?? NullIfEmpty(Environment.GetEnvironmentVariable("COFFER_BLOBS")), args.Contains("--damage"));
        }

        private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

        public void Cleanup()
        {
            if (OwnsData)
                try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
