using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Coffer.Bench;

/// <summary>A child process (the real `coffer serve`, or this program's bare ceiling server) and its resident memory.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, Uri? http, Uri? https, string? certificate)
    {
        _process = process;
        Http = http;
        Https = https;
        CertificatePath = certificate;
    }

    public Uri? Http { get; }
    public Uri? Https { get; }
    public string? CertificatePath { get; }
    public int Pid => _process.Id;

    public static Task<ServerProcess> StartCofferAsync(string dataDirectory, string accessKey, string secretKey)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "coffer.dll");
        var start = new ProcessStartInfo("dotnet", [dll, "serve", "--data", dataDirectory, "--http", "127.0.0.1:0", "--https", "127.0.0.1:0"]);
        start.Environment["COFFER_ACCESS_KEY"] = accessKey;
        start.Environment["COFFER_SECRET_KEY"] = secretKey;
        start.Environment["DOTNET_gcServer"] = "0";
        return StartAsync(start);
    }

    public static Task<ServerProcess> StartCeilingAsync(string directory)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Coffer.Bench.dll"), "--ceiling-server", directory]);
        return StartAsync(start);
    }

    private static async Task<ServerProcess> StartAsync(ProcessStartInfo start)
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
        return new ServerProcess(process, http, https, certificate);
    }

    /// <summary>Current resident set size in MiB (Linux /proc).</summary>
    public double RssMiB()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        return 0;
    }

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
