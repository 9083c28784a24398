using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Coffer.Bench;

/// <summary>
/// The "flood" section (docs/reliability.md#connection-floods): while an attacker holds many idle connections, many
/// slow-loris connections (a request whose headers never end), connections beyond the server's limit, or sends a
/// stream of requests with huge headers, a normal client measures a 4 KiB GET (one pooled keep-alive connection, as
/// an SDK has) and a new connection's first request (the health endpoint on a fresh connection every 100 ms).
/// Figures: p50 and p99 of each beside the quiet figure, failed requests of the normal client, and how many of the
/// attacker's connections the server had closed by the end of the window (header timeout, connection limit).
/// </summary>
internal sealed class FloodScenario(Report report, Uri server, BenchClient client, int connections, TimeSpan window, int maxConnections)
{
    private const string Section = "connection flood";
    private const string Bucket = "bench-flood";

    public async Task RunAsync()
    {
        await client.CreateBucketAsync(Bucket);
        await client.PutAsync(Bucket, "k", 4096, Mode.Plain);
        report.Add(Section, "server.max_connections", maxConnections, "conns");
        report.Add(Section, "attack.connections", connections, "conns");

        await MeasureAsync("quiet", () => Task.FromResult<Func<int>>(() => 0));
        await MeasureAsync("idle", () => OpenIdleAsync(connections));
        await MeasureAsync("slowloris", () => SlowLorisAsync(connections));
        await MeasureAsync("header_flood", HeaderFloodAsync);
        await MeasureAsync("over_limit", () => OpenIdleAsync(maxConnections + 200));
        foreach (var phase in new[] { "idle", "slowloris", "header_flood", "over_limit" })
        {
            report.Ratio(Section, $"{phase}.get_4KiB.p99_ms", "quiet.get_4KiB.p99_ms", "ratio_to_quiet");
        }
    }

    private readonly List<Socket> _sockets = [];
    private CancellationTokenSource _attack = new();

    /// <summary>Starts an attack (which returns a counter of what it reports), measures for the window, ends the attack.</summary>
    private async Task MeasureAsync(string phase, Func<Task<Func<int>>> attack)
    {
        _attack = new CancellationTokenSource();
        var opened = Stopwatch.StartNew();
        var counter = await attack();
        var setup = opened.Elapsed.TotalSeconds;
        var gets = new List<double>();
        var fresh = new List<double>();
        int getFailures = 0, freshFailures = 0;
        var watch = Stopwatch.StartNew();
        var freshProbe = Task.Run(async () =>
        {
            while (watch.Elapsed < window)
            {
                var start = Stopwatch.GetTimestamp();
                try
                {
                    using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
                    using var answer = await http.GetAsync(new Uri(server, "/_coffer/health"));
                    if (answer.IsSuccessStatusCode)
                        fresh.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    else
                        freshFailures++;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    freshFailures++;
                }
                await Task.Delay(100);
            }
        });
        while (watch.Elapsed < window)
        {
            var start = Stopwatch.GetTimestamp();
            try
            {
                await client.GetAsync(Bucket, "k", Mode.Plain);
                gets.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
            {
                getFailures++;
            }
        }
        await freshProbe;
        var closed = _sockets.Count(IsClosed);
        var reported = counter();
        await _attack.CancelAsync();
        foreach (var socket in _sockets)
            socket.Dispose();
        var attackers = _sockets.Count;
        _sockets.Clear();
        await Task.Delay(TimeSpan.FromSeconds(2));   // let the server notice the closes before the next phase

        gets.Sort();
        fresh.Sort();
        report.Add(Section, $"{phase}.get_4KiB.p50_ms", Report.Percentile(gets, 50), "ms");
        report.Add(Section, $"{phase}.get_4KiB.p99_ms", Report.Percentile(gets, 99), "ms");
        report.Add(Section, $"{phase}.get_4KiB.ok", gets.Count, "requests");
        report.Add(Section, $"{phase}.get_4KiB.failed", getFailures, "requests");
        report.Add(Section, $"{phase}.new_connection.p99_ms", fresh.Count > 0 ? Report.Percentile(fresh, 99) : double.NaN, "ms");
        report.Add(Section, $"{phase}.new_connection.ok", fresh.Count, "requests");
        report.Add(Section, $"{phase}.new_connection.failed", freshFailures, "requests");
        if (phase != "quiet")
        {
            report.Add(Section, $"{phase}.attack.setup_s", setup, "s");
            if (attackers > 0)
            {
                report.Add(Section, $"{phase}.attack.connections_opened", attackers, "conns");
                report.Add(Section, $"{phase}.attack.closed_by_server", closed, "conns");
            }
            if (reported > 0)
                report.Add(Section, $"{phase}.attack.requests_answered_or_cut", reported, "requests");
        }
    }

    /// <summary>Opens <paramref name="count"/> connections that send nothing (a refused or reset one counts as closed).</summary>
    private async Task<Func<int>> OpenIdleAsync(int count)
    {
        await OpenAsync(count);
        return () => 0;
    }

    private async Task OpenAsync(int count)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(server.Host), server.Port);
        for (var i = 0; i < count; i += 100)
        {
            var batch = Enumerable.Range(0, Math.Min(100, count - i)).Select(async _ =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(endpoint);
                }
                catch (SocketException)
                {
                    // Refused (backlog full): kept, and counted as closed.
                }
                return socket;
            });
            _sockets.AddRange(await Task.WhenAll(batch));
        }
    }

    /// <summary>Connections that each begin a request and then send one more header line every 2 s, never ending it.</summary>
    private async Task<Func<int>> SlowLorisAsync(int count)
    {
        await OpenAsync(count);
        var head = Encoding.ASCII.GetBytes($"GET /{Bucket}/k HTTP/1.1\r\nHost: {server.Authority}\r\n");
        var line = "X-Slow: a\r\n"u8.ToArray();
        foreach (var socket in _sockets.Where(s => s.Connected))
            TrySend(socket, head);
        var ct = _attack.Token;
        _ = Task.Run(async () =>
        {
            while (!ct.IsCancellationRequested)
            {
                foreach (var socket in _sockets.ToArray())
                    TrySend(socket, line);
                try { await Task.Delay(2000, ct); } catch (OperationCanceledException) { }
            }
        });
        return () => 0;
    }

    /// <summary>16 attackers sending requests with about 900 KiB of headers (just under the server's 1 MiB), and every
    /// fourth with 2 MiB (over it), reading each answer; the counter is how many the server answered.</summary>
    private Task<Func<int>> HeaderFloodAsync()
    {
        var answered = 0;
        var ct = _attack.Token;
        var endpoint = new IPEndPoint(IPAddress.Parse(server.Host), server.Port);
        var filler = new string('a', 8000);
        byte[] Request(int headers) => Encoding.ASCII.GetBytes(
            $"GET /{Bucket}/k HTTP/1.1\r\nHost: {server.Authority}\r\n" + string.Concat(Enumerable.Range(0, headers).Select(i => $"X-Flood-{i}: {filler}\r\n")) + "Connection: close\r\n\r\n");
        var under = Request(112);   // ~900 KiB
        var over = Request(260);    // ~2 MiB
        for (var worker = 0; worker < 16; worker++)
        {
            var w = worker;
            _ = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                for (var i = 0; !ct.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                        await socket.ConnectAsync(endpoint, ct);
                        await socket.SendAsync((i + w) % 4 == 0 ? over : under, ct);
                        if (await socket.ReceiveAsync(buffer, ct) > 0)
                            Interlocked.Increment(ref answered);
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
                    {
                        // The server closed the connection while the headers were still going out (over its limit).
                        if (!ct.IsCancellationRequested)
                            Interlocked.Increment(ref answered);
                    }
                }
            });
        }
        return Task.FromResult<Func<int>>(() => answered);
    }

    private static void TrySend(Socket socket, byte[] bytes)
    {
        try
        {
            if (socket.Connected)
                socket.Send(bytes);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Whether the server closed (or never accepted) the connection: readable with nothing to read, or not connected.</summary>
    private static bool IsClosed(Socket socket)
    {
        try
        {
            if (!socket.Connected)
                return true;
            if (socket.Poll(0, SelectMode.SelectRead))
            {
                if (socket.Available == 0)
                    return true;
                var sink = new byte[socket.Available];
                socket.Receive(sink);   // an answer (408 or 431) before the close
                return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
            }
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }
}
