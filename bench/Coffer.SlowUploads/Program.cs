using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Coffer.Protocol.Auth;

// Slow-upload memory probe: starts a release `coffer serve` on loopback in a temporary data folder,
// opens N signed PUTs that each declare a 5 GiB Content-Length and then drip a few KiB per second,
// holds them, closes them, and prints the server's resident memory before, during and after each
// wave, and how the server answered. Loopback only; bounded in connections, waves and seconds.
//
//   dotnet run -c Release --project bench/Coffer.SlowUploads -- [--connections 300] [--waves 2] [--hold 20]
//       [--rate 2048] [--settle 10] [-- extra `coffer serve` flags, e.g. --max-concurrent-uploads 1000]
var opts = args.TakeWhile(a => a != "--").ToArray();
var serveExtra = args.SkipWhile(a => a != "--").Skip(1).ToArray();
int Int(string name, int fallback) => Array.IndexOf(opts, name) is var i and >= 0 && i + 1 < opts.Length ? int.Parse(opts[i + 1], CultureInfo.InvariantCulture) : fallback;
var connections = Math.Clamp(Int("--connections", 300), 1, 2000);
var waves = Math.Clamp(Int("--waves", 2), 1, 5);
var holdSeconds = Math.Clamp(Int("--hold", 20), 1, 120);
var rate = Math.Clamp(Int("--rate", 2048), 1, 1 << 20);
var settleSeconds = Math.Clamp(Int("--settle", 10), 0, 120);

const string accessKey = "AKIDSLOWUPLOADS00000000000000000000000";
const string secretKey = "SlowUploadsSecretKey0123456789abcdefghij";
var data = Path.Combine(Path.GetTempPath(), "coffer-slow-" + Guid.NewGuid().ToString("N")[..8]);
var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "coffer.dll"), "serve", "--data", data, "--http", "127.0.0.1:0", "--https", "none", .. serveExtra])
{
    RedirectStandardOutput = true,
    RedirectStandardError = true,
};
start.Environment["COFFER_ACCESS_KEY"] = accessKey;
start.Environment["COFFER_SECRET_KEY"] = secretKey;
using var server = Process.Start(start)!;
_ = server.StandardError.ReadToEndAsync();
Uri? url = null;
using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
    while (url is null)
    {
        var line = await server.StandardOutput.ReadLineAsync(wait.Token) ?? throw new InvalidOperationException("coffer serve exited before it listened");
        if (Regex.Match(line, @"^\s*HTTP\s+(\S+)") is { Success: true } m) url = new Uri(m.Groups[1].Value);
    }
_ = server.StandardOutput.ReadToEndAsync();

double Rss()
{
    foreach (var line in File.ReadLines($"/proc/{server.Id}/status"))
        if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
    return 0;
}

string Sign(string method, string path)
{
    var now = DateTimeOffset.UtcNow.AddSeconds(-60);
    return CosV5Signer.Sign(accessKey, secretKey, method, path, [], [new("host", url!.Authority)], now, now.AddHours(2));
}

try
{
    const string bucket = "slow-1250000000";
    using (var http = new HttpClient())
    {
        var create = new HttpRequestMessage(HttpMethod.Put, new Uri(url, "/" + bucket));
        create.Headers.TryAddWithoutValidation("Authorization", Sign("PUT", "/" + bucket));
        (await http.SendAsync(create)).EnsureSuccessStatusCode();
    }

    Console.WriteLine($"Slow uploads against coffer serve {string.Join(' ', serveExtra)}: {connections} PUTs per wave declaring 5 GiB, "
        + $"{rate} B/s each, held {holdSeconds} s, {waves} wave(s), {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    Console.WriteLine($"{"moment",-28} {"RSS MiB",8} {"open",6} {"answered",9}  answers");
    var answers = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
    void Row(string moment, int open) => Console.WriteLine(
        $"{moment,-28} {Rss(),8:F0} {open,6} {answers.Values.Sum(),9}  {string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key}×{a.Value}"))}");

    Row("before", 0);
    for (var wave = 1; wave <= waves; wave++)
    {
        var sockets = new List<(Socket Socket, Task Reader)>();
        using var stop = new CancellationTokenSource();
        var open = 0;
        for (var i = 0; i < connections; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(IPAddress.Loopback, url.Port);
            var path = $"/{bucket}/w{wave}-{i}";
            var head = $"PUT {path} HTTP/1.1\r\nHost: {url.Authority}\r\nContent-Length: {5L << 30}\r\nAuthorization: {Sign("PUT", path)}\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(head));
            Interlocked.Increment(ref open);
            sockets.Add((socket, Task.Run(async () =>
            {
                // Whatever the server answers (SlowDown at once, a timeout later), and whether it closes.
                var buffer = new byte[4096];
                string? status = null;
                try
                {
                    var n = await socket.ReceiveAsync(buffer, stop.Token);
                    if (n > 0)
                        status = Encoding.ASCII.GetString(buffer, 0, n) is var text && Regex.Match(text, @"^HTTP/1\.1 (\d+)") is { Success: true } s
                            ? s.Groups[1].Value + (Regex.Match(text, "<Code>(\\w+)</Code>") is { Success: true } c ? " " + c.Groups[1].Value : "") : "?";
                    while (n > 0)
                        n = await socket.ReceiveAsync(buffer, stop.Token);
                    answers.AddOrUpdate(status ?? "closed", 1, (_, v) => v + 1);
                    Interlocked.Decrement(ref open);
                }
                catch (OperationCanceledException) { if (status is not null) answers.AddOrUpdate(status + " (kept open)", 1, (_, v) => v + 1); }
                catch (SocketException) { answers.AddOrUpdate(status ?? "reset", 1, (_, v) => v + 1); Interlocked.Decrement(ref open); }
            })));
        }
        var drip = new byte[Math.Max(1, rate / 2)];
        Array.Fill(drip, (byte)'x');
        var clock = Stopwatch.StartNew();
        var nextRow = 5.0;
        while (clock.Elapsed.TotalSeconds < holdSeconds)
        {
            foreach (var (socket, reader) in sockets)
                if (!reader.IsCompleted)
                    try { _ = socket.SendAsync(drip); } catch (SocketException) { } catch (ObjectDisposedException) { }
            await Task.Delay(500);
            if (clock.Elapsed.TotalSeconds >= nextRow)
            {
                Row($"wave {wave}, {nextRow:F0} s", open);
                nextRow += 5;
            }
        }
        Row($"wave {wave}, held {holdSeconds} s", open);
        stop.Cancel();
        foreach (var (socket, reader) in sockets)
        {
            socket.Close(0);
            try { await reader; } catch { }
        }
        await Task.Delay(TimeSpan.FromSeconds(settleSeconds));
        Row($"wave {wave}, {settleSeconds} s after close", 0);
        answers.Clear();
    }
}
finally
{
    server.Kill(entireProcessTree: true);
    await server.WaitForExitAsync();
    try { Directory.Delete(data, recursive: true); } catch (IOException) { }
}
