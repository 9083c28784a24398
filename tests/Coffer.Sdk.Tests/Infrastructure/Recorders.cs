using System.Collections.Concurrent;
using System.Net;

namespace Coffer.Sdk.Tests.Infrastructure;

/// <summary>Counts and records requests passing through, and the most that were in flight at once.</summary>
public sealed class RecordingHandler : DelegatingHandler
{
    private int _inFlight;
    private int _maxInFlight;

    public ConcurrentQueue<(string Method, string PathAndQuery, int Status)> Requests { get; } = new();

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Optional: delay added to each request while it counts as in flight (makes overlap observable).</summary>
    public TimeSpan Delay { get; set; }

    public void Reset()
    {
        Requests.Clear();
        Volatile.Write(ref _maxInFlight, 0);
    }

    public int Count(string method, string contains) => Requests.Count(r => r.Method == method && r.PathAndQuery.Contains(contains, StringComparison.Ordinal));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        int now = Interlocked.Increment(ref _inFlight);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        try
        {
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, cancellationToken);
            }

            var response = await base.SendAsync(request, cancellationToken);
            Requests.Enqueue((request.Method.Method, request.RequestUri!.PathAndQuery, (int)response.StatusCode));
            return response;
        }
        catch
        {
            Requests.Enqueue((request.Method.Method, request.RequestUri!.PathAndQuery, 0));
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}

/// <summary>Answers every request from a script without any network, recording what was sent.</summary>
public sealed class ScriptedHandler(params Func<HttpRequestMessage, HttpResponseMessage>[] script) : HttpMessageHandler
{
    private int _next;

    public List<HttpRequestMessage> Sent { get; } = [];

    public List<string?> Bodies { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Sent.Add(request);
        Bodies.Add(request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken));
        var step = script[Math.Min(_next++, script.Length - 1)];
        return step(request);
    }

    public static HttpResponseMessage Ok(params (string Name, string Value)[] headers)
    {
        var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
        response.Headers.TryAddWithoutValidation("x-cos-request-id", "req-ok");
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }

    public static HttpResponseMessage Error(int status, string code, string message = "m")
    {
        var body = $"<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>{message}</Message><Resource>/r</Resource><RequestId>req-{status}</RequestId><TraceId>t</TraceId></Error>";
        var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body) };
        response.Headers.TryAddWithoutValidation("x-cos-request-id", $"req-{status}");
        return response;
    }

    public static Func<HttpRequestMessage, HttpResponseMessage> Throw(Exception e) => _ => throw e;
}

/// <summary>A TimeProvider stopped at one instant.</summary>
public sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
