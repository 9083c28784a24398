using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Clients writing and reading through a real server while a test breaks what is under it (the metadata database,
/// the blob backend). Every PUT writes a key of its own (small objects kept in their metadata row and larger ones in
/// blobs, half of them SSE-COS), so after the fault each key must hold exactly what its acknowledged PUT sent, and
/// a PUT whose answer was an error or never came must have left either nothing or its whole object. Every answer is
/// counted by phase as "STATUS CODE"; a 500, or bytes that no PUT of that key sent, is an anomaly.
/// </summary>
public sealed class FaultWorkload(CofferFixture f, string bucket)
{
    /// <summary>The label answers are counted under from now on.</summary>
    public volatile string Phase = "before";

    /// <summary>Phase → "STATUS CODE" (or "PUT no answer: …", "GET cut: …") → count.</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<string, int>> Answers { get; } = new();

    /// <summary>Key → SHA-256 of what its acknowledged PUT sent.</summary>
    public ConcurrentDictionary<string, byte[]> Acknowledged { get; } = new();

    /// <summary>Key → SHA-256 of what its unacknowledged PUT (an error, or no answer) sent.</summary>
    public ConcurrentDictionary<string, byte[]> Unacknowledged { get; } = new();

    /// <summary>What must never happen: a 500, a wrong byte served, an acknowledged object missing.</summary>
    public ConcurrentQueue<string> Anomalies { get; } = new();

    private int _next;

    /// <summary>Runs <paramref name="clients"/> clients until <paramref name="ct"/> is cancelled.</summary>
    public Task RunAsync(int clients, CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c, ct), CancellationToken.None)));

    /// <summary>How many answers of <paramref name="phase"/> matched <paramref name="predicate"/>.</summary>
    public int Count(string phase, Func<string, bool> predicate) =>
        Answers.TryGetValue(phase, out var counts) ? counts.Where(kv => predicate(kv.Key)).Sum(kv => kv.Value) : 0;

    /// <summary>A one-line summary per phase, for the test output and docs/reliability.md.</summary>
    public IEnumerable<string> Summary() =>
        Answers.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
            $"{p.Key}: " + string.Join(", ", p.Value.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Value}× {kv.Key}")));

    private async Task ClientAsync(int client, CancellationToken ct)
    {
        using var cos = new CosRawClient(f);
        var random = new Random(client * 7919);
        while (!ct.IsCancellationRequested)
        {
            if (random.Next(10) < 6 || Acknowledged.IsEmpty)
            {
                var key = $"c{client}/{Interlocked.Increment(ref _next)}";
                var data = new byte[random.Next(2) == 0 ? random.Next(1, 4096) : random.Next(100_000, 300_000)];
                random.NextBytes(data);
                var hash = SHA256.HashData(data);
                List<KeyValuePair<string, string>> headers = random.Next(2) == 0 ? [new("x-cos-server-side-encryption", "AES256")] : [];
                var phase = Phase;
                try
                {
                    using var put = await cos.SendAsync(HttpMethod.Put, bucket, key, body: data, headers: headers);
                    Count(phase, await LabelAsync(put));
                    if (put.StatusCode == HttpStatusCode.OK)
                        Acknowledged[key] = hash;
                    else
                        Unacknowledged[key] = hash;
                }
                catch (HttpRequestException e)
                {
                    Count(phase, "PUT no answer: " + e.HttpRequestError);
                    Unacknowledged[key] = hash;
                }
            }
            else
            {
                var keys = Acknowledged.Keys.ToArray();
                var key = keys[random.Next(keys.Length)];
                var phase = Phase;
                try
                {
                    using var get = await cos.SendAsync(HttpMethod.Get, bucket, key);
                    if (get.StatusCode == HttpStatusCode.OK)
                    {
                        var bytes = await get.Content.ReadAsByteArrayAsync(CancellationToken.None);
                        Count(phase, "200 GET");
                        if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(Acknowledged[key]))
                            Anomalies.Enqueue($"GET {key} during '{phase}' served {bytes.Length} bytes that its acknowledged PUT did not send");
                    }
                    else
                    {
                        Count(phase, await LabelAsync(get));
                        if (get.StatusCode == HttpStatusCode.NotFound)
                            Anomalies.Enqueue($"GET {key} during '{phase}': 404 for an acknowledged write");
                    }
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    // A backend failing after the answer began cuts the connection: a short body never passes for a whole one.
                    Count(phase, "GET cut: " + (e is HttpRequestException h ? h.HttpRequestError.ToString() : e.GetType().Name));
                }
            }
        }
    }

    /// <summary>Reads every key back (after the fault): returns how many were verified; anomalies are recorded.</summary>
    public async Task<int> VerifyAsync()
    {
        using var cos = new CosRawClient(f);
        var verified = 0;
        foreach (var (key, hash) in Acknowledged)
        {
            using var get = await cos.SendAsync(HttpMethod.Get, bucket, key);
            var bytes = await get.Content.ReadAsByteArrayAsync();
            if (get.StatusCode != HttpStatusCode.OK)
                Anomalies.Enqueue($"lost: acknowledged {key} answers {(int)get.StatusCode}");
            else if (!SHA256.HashData(bytes).AsSpan().SequenceEqual(hash))
                Anomalies.Enqueue($"corrupt: acknowledged {key} reads back {bytes.Length} other bytes");
            else
                verified++;
        }
        foreach (var (key, hash) in Unacknowledged)
        {
            using var get = await cos.SendAsync(HttpMethod.Get, bucket, key);
            var bytes = await get.Content.ReadAsByteArrayAsync();
            if (get.StatusCode == HttpStatusCode.NotFound)
                verified++;
            else if (get.StatusCode == HttpStatusCode.OK && SHA256.HashData(bytes).AsSpan().SequenceEqual(hash))
                verified++;   // committed, though its answer was lost: whole, as sent
            else
                Anomalies.Enqueue($"partial: unacknowledged {key} answers {(int)get.StatusCode} with {bytes.Length} bytes that it did not send");
        }
        return verified;
    }

    private void Count(string phase, string label)
    {
        Answers.GetOrAdd(phase, _ => new()).AddOrUpdate(label, 1, (_, n) => n + 1);
        if (label.StartsWith("500", StringComparison.Ordinal))
            Anomalies.Enqueue($"a 500 during '{phase}': {label}");
    }

    private static async Task<string> LabelAsync(HttpResponseMessage answer)
    {
        if (answer.IsSuccessStatusCode)
            return $"{(int)answer.StatusCode} {answer.RequestMessage!.Method}";
        var body = await answer.Content.ReadAsStringAsync();
        return $"{(int)answer.StatusCode} {Regex.Match(body, "<Code>([^<]*)</Code>").Groups[1].Value}";
    }
}
