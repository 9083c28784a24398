using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Testing;
using Xunit.Abstractions;

namespace Coffer.EndToEnd.Tests.Remote;

/// <summary>
/// The S3 blob backend (the shared Ceph RGW) failing under load (docs/reliability.md), without touching RGW itself: a
/// fault proxy in front of it first answers every request 503 SlowDown, then drops every connection, then lets
/// traffic through again. Meanwhile each failed request is a clear 503 ServiceUnavailable (or, for a GET whose body
/// had begun, a cut connection — never a short body passed off as whole); small objects kept in their metadata rows
/// go on being written and read; no write is lost or left partial; and the same Coffer process recovers by itself.
/// </summary>
public sealed class BlobBackendFaultTests(ITestOutputHelper output)
{
    [S3Fact]
    public async Task Rgw_answering_503_then_dropping_connections_gives_503s_loses_nothing_and_recovers_without_a_restart()
    {
        await using var backend = new RemoteBackend();
        await using var proxy = new FaultProxy(new Uri(Engines.S3Endpoint));
        var f = new CofferFixture
        {
            Configure = o =>
            {
                o.Blobs = $"s3://{backend.Bucket}?endpoint=http://127.0.0.1:{proxy.Port}&region=us-east-1&path-style=true&prefix={RemoteBackend.Prefix}";
                o.BlobsAccessKey = Engines.S3AccessKey;
                o.BlobsSecretKey = Engines.S3SecretKey;
            },
        };
        try
        {
            await f.InitializeAsync();
            using var cos = new CosRawClient(f);
            var bucket = CosRawClient.NewBucket();
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);

            var workload = new FaultWorkload(f, bucket);
            using var stop = new CancellationTokenSource();
            var running = workload.RunAsync(clients: 4, stop.Token);
            await WaitForAsync(() => workload.Acknowledged.Count >= 30, "the workload's first 30 writes");

            foreach (var (phase, mode) in new[] { ("rgw answers 503", FaultProxy.Mode.ServiceUnavailable), ("rgw drops connections", FaultProxy.Mode.Drop) })
            {
                workload.Phase = phase;
                proxy.Set(mode);
                await WaitForAsync(() => workload.Count(phase, l => l == "503 ServiceUnavailable") >= 10, $"10 answers of 503 while '{phase}'");
                await WaitForAsync(() => workload.Count(phase, l => l == "200 PUT") >= 3, $"3 small writes (kept in metadata) while '{phase}'");
            }
            workload.Phase = "after";
            proxy.Set(FaultProxy.Mode.Pass);
            await WaitForAsync(() => workload.Count("after", l => l == "200 PUT") >= 20, "20 acknowledged writes after RGW came back, without restarting Coffer");
            await stop.CancelAsync();
            await running;

            var verified = await workload.VerifyAsync();
            foreach (var line in workload.Summary())
                output.WriteLine(line);
            output.WriteLine($"proxy: {proxy.Refused} requests answered 503, {proxy.Dropped} connections dropped, {proxy.Cut} live connections cut at a switch");
            output.WriteLine($"{workload.Acknowledged.Count} writes acknowledged, {workload.Unacknowledged.Count} not; {verified} keys verified; anomalies: {workload.Anomalies.Count}");
            foreach (var anomaly in workload.Anomalies.Take(20))
                output.WriteLine(anomaly);
            foreach (var line in f.Log.Lines.Where(l => l.Contains("failed unexpectedly", StringComparison.Ordinal)).Take(5))
                output.WriteLine(line);

            Assert.Empty(workload.Anomalies);
            Assert.Equal(workload.Acknowledged.Count + workload.Unacknowledged.Count, verified);
            Assert.True(proxy.Refused > 0 && proxy.Dropped > 0, "the proxy never failed a request");
            foreach (var phase in new[] { "rgw answers 503", "rgw drops connections" })
            {
                Assert.All(workload.Answers[phase].Keys, label => Assert.True(
                    label is "503 ServiceUnavailable" or "200 GET" or "200 PUT" || label.StartsWith("GET cut", StringComparison.Ordinal), $"{phase}: {label}"));
            }
        }
        finally
        {
            proxy.Set(FaultProxy.Mode.Pass);
            await f.DisposeAsync();
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(120))
                throw new TimeoutException($"Waited 120 s for {what}.");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// A TCP proxy in front of an HTTP server that, when told, answers every request 503 SlowDown itself or drops
    /// every connection as it is accepted. Switching mode cuts the connections it is piping, so pooled keep-alive
    /// connections meet the fault too.
    /// </summary>
    private sealed class FaultProxy : IAsyncDisposable
    {
        public enum Mode { Pass, ServiceUnavailable, Drop }

        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Uri _upstream;
        private readonly ConcurrentDictionary<TcpClient, byte> _live = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private volatile Mode _mode = Mode.Pass;
        private int _refused, _dropped, _cut;

        public FaultProxy(Uri upstream)
        {
            _upstream = upstream;
            _listener.Start();
            _accepting = Task.Run(AcceptAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public int Refused => _refused;
        public int Dropped => _dropped;
        public int Cut => _cut;

        public void Set(Mode mode)
        {
            _mode = mode;
            foreach (var client in _live.Keys)
            {
                if (_live.TryRemove(client, out _))
                {
                    Interlocked.Increment(ref _cut);
                    client.Dispose();
                }
            }
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            try
            {
                switch (_mode)
                {
                    case Mode.Drop:
                        Interlocked.Increment(ref _dropped);
                        client.Client.LingerState = new LingerOption(true, 0);   // a reset, as a dying backend gives
                        client.Dispose();
                        return;
                    case Mode.ServiceUnavailable:
                        await RefuseAsync(client);
                        return;
                }
                using var upstream = new TcpClient();
                await upstream.ConnectAsync(_upstream.Host, _upstream.Port);
                _live[client] = 0;
                _live[upstream] = 0;
                var a = client.GetStream().CopyToAsync(upstream.GetStream());
                var b = upstream.GetStream().CopyToAsync(client.GetStream());
                await Task.WhenAny(a, b);
                _live.TryRemove(client, out _);
                _live.TryRemove(upstream, out _);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
            }
            finally
            {
                client.Dispose();
            }
        }

        private async Task RefuseAsync(TcpClient client)
        {
            var stream = client.GetStream();
            var seen = new List<byte>();
            var buffer = new byte[4096];
            // Read the request head (the body, if any, is left unread: the connection closes).
            while (seen.Count < 64 * 1024)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                    return;
                seen.AddRange(buffer.AsSpan(0, n));
                if (Encoding.ASCII.GetString([.. seen]).Contains("\r\n\r\n", StringComparison.Ordinal))
                    break;
            }
            Interlocked.Increment(ref _refused);
            var body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
            client.Client.Shutdown(SocketShutdown.Send);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            Set(Mode.Pass);
            _stop.Dispose();
        }
    }
}
