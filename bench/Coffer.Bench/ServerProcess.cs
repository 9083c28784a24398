using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Coffer.Bench;

/// <summary>A child process (the real `coffer serve`, or this program's bare ceiling server) and its resident memory.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, string blobDirectory, Uri? http, Uri? https, string? certificate)
    {
        _process = process;
        BlobDirectory = blobDirectory;
        Http = http;
        Https = https;
        CertificatePath = certificate;
    }

    public Uri? Http { get; }
    public Uri? Https { get; }
    public string? CertificatePath { get; }
    public int Pid => _process.Id;

    /// <summary>Where the server keeps object data (the bench watches it to know deletions have finished).</summary>
    public string BlobDirectory { get; }

    /// <summary>
    /// The server's grace before it deletes replaced data is 30 s divided by this (`--time-scale`):
    /// the bench deletes what each trial wrote and waits for the disk to be freed before the next,
    /// so no measurement pays for deleting an earlier one's objects.
    /// </summary>
    public const double TimeScale = 100;

    /// <summary>
    /// More `coffer serve` arguments for the bench's embedded servers, from <c>COFFER_BENCH_SERVE_ARGS</c> (split on
    /// spaces), e.g. <c>--access-log off</c> to measure what the access log costs. GC settings go in the DOTNET_ variables,
    /// which the server inherits (<c>DOTNET_gcServer</c> is 0 unless set).
    /// </summary>
    private static string[] ExtraServeArguments() =>
        Environment.GetEnvironmentVariable("COFFER_BENCH_SERVE_ARGS")?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];

    public static Task<ServerProcess> StartCofferAsync(string dataDirectory, string accessKey, string secretKey)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "coffer.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "serve", "--data", dataDirectory, "--http", "127.0.0.1:0", "--https", "127.0.0.1:0",
            "--time-scale", TimeScale.ToString(CultureInfo.InvariantCulture), .. ExtraServeArguments()]);
        start.Environment["COFFER_ACCESS_KEY"] = accessKey;
        start.Environment["COFFER_SECRET_KEY"] = secretKey;
        start.Environment["DOTNET_gcServer"] = Environment.GetEnvironmentVariable("DOTNET_gcServer") ?? "0";
        return StartAsync(start, Path.Combine(dataDirectory, "blobs"));
    }

    /// <summary>
    /// A `coffer serve` node over shared engines (as scripts/cluster.sh starts them): plain HTTP on
    /// loopback, metadata in PostgreSQL, ciphertext in an S3 bucket, the cluster's shared root key.
    /// </summary>
    public static Task<ServerProcess> StartCofferNodeAsync(string dataDirectory, string accessKey, string secretKey, string rootKeyBase64,
        string metadataUrl, string blobsUrl, string blobsAccessKey, string blobsSecretKey)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "coffer.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "serve", "--data", dataDirectory, "--http", "127.0.0.1:0", "--https", "none",
            "--metadata", metadataUrl, "--blobs", blobsUrl, "--time-scale", TimeScale.ToString(CultureInfo.InvariantCulture)]);
        start.Environment["COFFER_ACCESS_KEY"] = accessKey;
        start.Environment["COFFER_SECRET_KEY"] = secretKey;
        start.Environment["COFFER_ROOT_KEY"] = rootKeyBase64;
        start.Environment["COFFER_BLOBS_ACCESS_KEY"] = blobsAccessKey;
        start.Environment["COFFER_BLOBS_SECRET_KEY"] = blobsSecretKey;
        start.Environment["DOTNET_gcServer"] = Environment.GetEnvironmentVariable("DOTNET_gcServer") ?? "0";
        return StartAsync(start, Path.Combine(dataDirectory, "blobs"));
    }

    public static Task<ServerProcess> StartCeilingAsync(string directory)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Coffer.Bench.dll"), "--ceiling-server", directory]);
        return StartAsync(start, directory);
    }

    private static async Task<ServerProcess> StartAsync(ProcessStartInfo start, string blobDirectory)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start)!;
        _ = process.StandardError.ReadToEndAsync();
        Uri? http = null, https = null;
        string? certificate = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("the server exited before it listened");
            if (Regex.Match(line, @"^\s*HTTP\s+(\S+)") is { Success: true } h) http = new Uri(h.Groups[1].Value);
            if (Regex.Match(line, @"^\s*HTTPS\s+(\S+)") is { Success: true } s) https = new Uri(s.Groups[1].Value);
            if (Regex.Match(line, @"^\s*Certificate\s+(\S+)") is { Success: true } c) certificate = c.Groups[1].Value;
            if (line.Contains("Access key id", StringComparison.Ordinal) || line.StartsWith("CEILING READY", StringComparison.Ordinal))
                break;
        }
        _ = process.StandardOutput.ReadToEndAsync();
        return new ServerProcess(process, blobDirectory, http, https, certificate);
    }

    /// <summary>Bytes of object data on disk now.</summary>
    public long BlobBytes()
    {
        long total = 0;
        if (Directory.Exists(BlobDirectory))
            foreach (var file in new DirectoryInfo(BlobDirectory).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                try { total += file.Length; }
                catch (FileNotFoundException) { }
            }
        return total;
    }

    /// <summary>Waits (at most a minute) until the object data on disk is back to <paramref name="bytes"/> or less.</summary>
    public async Task WaitForBlobBytesAsync(long bytes)
    {
        var deadline = Stopwatch.StartNew();
        while (BlobBytes() > bytes && deadline.Elapsed < TimeSpan.FromMinutes(1))
            await Task.Delay(50);
    }

    /// <summary>Current resident set size in MiB (Linux /proc).</summary>
    public double RssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return 0;
    }

    /// <summary>CPU time (user + system) the process has used so far, in seconds (Linux /proc).</summary>
    public double CpuSeconds() => CpuSecondsOf(Pid);

    /// <summary>CPU time (user + system) of any process, in seconds; 0 when it is gone (Linux /proc).</summary>
    public static double CpuSecondsOf(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return 0; }
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 14 and 15 of /proc/PID/stat (utime, stime) are the 12th and 13th after the command name.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / (double)ClockTicksPerSecond;
    }

    private const int ClockTicksPerSecond = 100;

    /// <summary>Samples RSS every 50 ms while <paramref name="work"/> runs; returns the peak.</summary>
    public async Task<double> PeakRssDuringAsync(Func<Task> work)
    {
        var peak = RssMiB();
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                peak = Math.Max(peak, RssMiB());
                try { await Task.Delay(50, done.Token); } catch (OperationCanceledException) { }
            }
        });
        try { await work(); }
        finally
        {
            done.Cancel();
            await sampler;
        }
        return Math.Max(peak, RssMiB());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
