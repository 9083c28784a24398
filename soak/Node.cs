using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Coffer.Soak;

/// <summary>
/// One real <c>coffer serve</c> process on a data folder that outlives it: started, SIGKILLed (no shutdown hook
/// runs), started again on the same folder (and the same --metadata / --blobs), as a crash and a restart would.
/// </summary>
internal sealed partial class Node(Settings settings) : IAsyncDisposable
{
    private Process? _process;

    /// <summary>The HTTPS address the running process listens on.</summary>
    public Uri Https { get; private set; } = null!;

    /// <summary>The server's certificate (PEM), to trust.</summary>
    public string CertificatePath { get; private set; } = "";

    /// <summary>Starts the process and waits until it listens.</summary>
    public async Task StartAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "coffer.dll");
        List<string> args = [dll, "serve", "--data", settings.DataDirectory, "--http", "none", "--https", "127.0.0.1:0",
            "--time-scale", "3600"];
        if (settings.Metadata is { } metadata)
            args.AddRange(["--metadata", metadata]);
        if (settings.Blobs is { } blobs)
            args.AddRange(["--blobs", blobs]);
        var start = new ProcessStartInfo("dotnet", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["COFFER_ACCESS_KEY"] = Settings.AccessKey;
        start.Environment["COFFER_SECRET_KEY"] = Settings.SecretKey;
        start.Environment["DOTNET_gcServer"] = "0";
        _process = Process.Start(start) ?? throw new InvalidOperationException("coffer serve did not start");
        var process = _process;
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException($"coffer serve exited (code {(process.HasExited ? process.ExitCode : -1)}) before it listened");
            if (HttpsLine().Match(line) is { Success: true } h)
                Https = new Uri(h.Groups[1].Value);
            if (CertificateLine().Match(line) is { Success: true } c)
                CertificatePath = c.Groups[1].Value;
            if (line.Contains("Access key id", StringComparison.Ordinal))
                break;
        }
        _ = process.StandardOutput.ReadToEndAsync();
    }

    /// <summary>SIGKILL: the process ends at once, mid-request, without flushing or closing anything.</summary>
    public async Task KillAsync()
    {
        if (_process is not { HasExited: false } process)
            return;
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await KillAsync();

    [GeneratedRegex(@"^\s*HTTPS\s+(\S+)")]
    private static partial Regex HttpsLine();

    [GeneratedRegex(@"^\s*Certificate\s+(\S+)")]
    private static partial Regex CertificateLine();
}
