using System.Security.Cryptography;
using Coffer.Sdk;

namespace Coffer.Soak;

/// <summary>
/// The clients: each owns its keys (so a key has one writer at a time, and its log is exact) and loops over a mixed
/// workload — PUT and overwrite of small (inline) and larger objects, multipart uploads, copies that change the
/// encryption, deletes and reads — in every SSE mode, noting each write before it is sent and when it is acknowledged.
/// Between kills the clients are paused and every key is verified.
/// </summary>
internal sealed class Workload(Settings settings, Tally tally)
{
    private static readonly int[] Sizes = [0, 1_000, 30_000, 100_000, 700_000];
    private const int MinPartSize = 5 * 1024 * 1024;

    private readonly KeyLog[][] _keys = Enumerable.Range(0, settings.Clients)
        .Select(c => Enumerable.Range(0, settings.KeysPerClient).Select(k => new KeyLog($"c{c}/k{k}")).ToArray()).ToArray();
    private readonly Dictionary<string, HashSet<string>> _history = [];
    private readonly object _gate = new();
    private TaskCompletionSource _running = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _busy;
    private volatile CosClient? _client;

    public const string Bucket = "soak";

    /// <summary>Every key of every client.</summary>
    public IEnumerable<KeyLog> Keys => _keys.SelectMany(k => k);

    /// <summary>Lets the clients run against <paramref name="client"/>.</summary>
    public void Resume(CosClient client)
    {
        _client = client;
        lock (_gate)
            _running.TrySetResult();
    }

    /// <summary>Stops handing out new operations and waits until none is under way.</summary>
    public async Task PauseAsync()
    {
        lock (_gate)
            if (_running.Task.IsCompleted)
                _running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        while (Volatile.Read(ref _busy) > 0)
            await Task.Delay(10);
    }

    /// <summary>Runs every client until <paramref name="ct"/> ends.</summary>
    public Task RunAsync(CancellationToken ct) =>
        Task.WhenAll(Enumerable.Range(0, settings.Clients).Select(c => Task.Run(() => ClientAsync(c, ct), ct)));

    private async Task ClientAsync(int index, CancellationToken ct)
    {
        var random = new Random(settings.Seed * 1000 + index);
        var keys = _keys[index];
        while (!ct.IsCancellationRequested)
        {
            Task running;
            lock (_gate)
            {
                running = _running.Task;
                if (running.IsCompleted)
                    Interlocked.Increment(ref _busy);
            }
            if (!running.IsCompleted)
            {
                await running.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }
            try
            {
                await OneAsync(_client!, random, keys, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            finally
            {
                Interlocked.Decrement(ref _busy);
            }
        }
    }

    private async Task OneAsync(CosClient client, Random random, KeyLog[] keys, CancellationToken ct)
    {
        var log = keys[random.Next(keys.Length)];
        var roll = random.Next(100);
        var (sse, customer, mode) = RandomMode(random);
        string operation;
        Version next;
        Func<Task> send;
        if (roll < 40)
        {
            var data = RandomNumberGenerator.GetBytes(Sizes[random.Next(Sizes.Length)]);
            (operation, next) = (log.Acknowledged.IsAbsent ? "put" : "overwrite", Version.Of(data, customer, mode));
            send = () => client.PutObjectAsync(new Coffer.Sdk.PutObjectRequest { Bucket = Bucket, Key = log.Key, Body = data, Sse = sse }, ct);
        }
        else if (roll < 46)
        {
            var data = RandomNumberGenerator.GetBytes(MinPartSize + random.Next(1, 100_000));
            (operation, next) = ("multipart", Version.Of(data, customer, mode));
            send = () => MultipartAsync(client, log.Key, data, sse, customer, ct);
        }
        else if (roll < 66)
        {
            var source = keys[random.Next(keys.Length)];
            if (source == log || source.Acknowledged.IsAbsent || source.InFlight.Count > 0)
                return;
            (operation, next) = ("copy", source.Acknowledged with { CustomerKey = customer, Mode = mode });
            send = () => client.CopyObjectAsync(new Coffer.Sdk.CopyObjectRequest
            {
                Bucket = Bucket,
                Key = log.Key,
                CopySource = new CopySource(Bucket, source.Key),
                CopySourceCustomerKey = source.Acknowledged.CustomerKey,
                Sse = sse,
            }, ct);
        }
        else if (roll < 78)
        {
            (operation, next) = ("delete", Version.Absent);
            send = () => client.DeleteObjectAsync(Bucket, log.Key, ct);
        }
        else
        {
            // A read while the server runs: the key must read back as its last acknowledged write.
            if (log.InFlight.Count > 0)
                return;
            var outcome = await VerifyAsync(client, log, ct, serverMayDie: true);
            if (outcome is Outcome.Lost or Outcome.Corrupt)
            {
                Console.Error.WriteLine($"soak: {Bucket}/{log.Key} read back {outcome} while the server ran (expected {log.Acknowledged.Mode}, {log.Acknowledged.Size} bytes)");
                lock (tally)
                    if (outcome == Outcome.Lost) tally.Lost++; else tally.Corrupt++;
            }
            return;
        }

        Remember(log.Key, next);
        log.Sent(next);
        try
        {
            await send();
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            tally.Fail();   // no answer (killed under it) or refused: the outcome is unknown, the key may hold either
            return;
        }
        log.Acked(next);
        tally.Ack(operation);
    }

    private static (Sse? Sse, SseCustomer? Customer, string Mode) RandomMode(Random random)
    {
        switch (random.Next(4))
        {
            case 0: return (null, null, "plain");
            case 1: return (Sse.Cos(), null, "SSE-COS");
            case 2: return (Sse.Kms(), null, "SSE-KMS");
            default:
                var customer = Sse.RandomCustomerKey();
                return (customer, customer, "SSE-C");
        }
    }

    private static async Task MultipartAsync(CosClient client, string key, byte[] data, Sse? sse, SseCustomer? customer, CancellationToken ct)
    {
        var upload = await client.CreateMultipartUploadAsync(new Coffer.Sdk.CreateMultipartUploadRequest { Bucket = Bucket, Key = key, Sse = sse }, ct);
        var complete = new Coffer.Sdk.CompleteMultipartUploadRequest { Bucket = Bucket, Key = key, UploadId = upload.UploadId };
        var offsets = new[] { 0, MinPartSize, data.Length };
        for (var part = 1; part <= 2; part++)
        {
            var uploaded = await client.UploadPartAsync(new Coffer.Sdk.UploadPartRequest
            {
                Bucket = Bucket,
                Key = key,
                UploadId = upload.UploadId,
                PartNumber = part,
                CustomerKey = customer,
                Body = CosBody.FromBytes(data.AsMemory(offsets[part - 1], offsets[part] - offsets[part - 1])),
            }, ct);
            complete.Parts.Add(new CompletedPart(part, uploaded.ETag!));
        }
        await client.CompleteMultipartUploadAsync(complete, ct);
    }

    private void Remember(string key, Version version)
    {
        if (version.Sha256 is null)
            return;
        lock (_history)
        {
            if (!_history.TryGetValue(key, out var set))
                _history[key] = set = [];
            set.Add(version.Sha256);
        }
    }

    public enum Outcome { Ok, Lost, Corrupt, Unknown }

    /// <summary>
    /// Reads <paramref name="log"/>'s key back: it must be absent or hold, byte for byte, one of the key's candidate
    /// versions (the acknowledged one, or one in flight when the server died). Settles the log on the version seen.
    /// Lost: an acknowledged write is not there (the key is absent or holds an older write). Corrupt: the bytes are no
    /// write ever made to the key (a mix, a torn write), or reading them failed an integrity check.
    /// </summary>
    /// <param name="serverMayDie">A read while the workload runs: a kill may cut it, which says nothing of the data (Unknown).</param>
    public async Task<Outcome> VerifyAsync(CosClient client, KeyLog log, CancellationToken ct, bool serverMayDie = false)
    {
        var candidates = log.Candidates.ToList();
        IEnumerable<SseCustomer?> keysToTry = [null, .. candidates.Where(c => c.CustomerKey is not null).Select(c => c.CustomerKey)];
        foreach (var customer in keysToTry.Distinct())
        {
            byte[] body;
            try
            {
                using var get = await client.GetObjectAsync(Bucket, log.Key, customer, ct);
                body = await get.ReadAsBytesAsync(ct);
            }
            catch (CofferException e) when (e.StatusCode == 404)
            {
                if (candidates.Any(c => c.IsAbsent))
                {
                    log.Settled(Version.Absent);
                    return Outcome.Ok;
                }
                return Outcome.Lost;
            }
            catch (CofferException e) when (e.StatusCode is 400 or 403)
            {
                continue;   // SSE-C: not this key (or a key is needed); the next candidate's
            }
            catch (CofferException e) when (e.StatusCode >= 500)
            {
                if (serverMayDie)
                    return Outcome.Unknown;
                Console.Error.WriteLine($"soak: reading {Bucket}/{log.Key} failed: {e.Message}");
                return Outcome.Corrupt;   // the server refused data that failed its integrity check
            }
            catch (Exception e) when (e is IOException or HttpRequestException or CosClientException)
            {
                if (serverMayDie)
                    return Outcome.Unknown;
                Console.Error.WriteLine($"soak: reading {Bucket}/{log.Key} failed mid-body: {e.Message}");
                return Outcome.Corrupt;
            }
            var hash = Convert.ToHexStringLower(SHA256.HashData(body));
            var match = candidates.FirstOrDefault(c => c.Sha256 == hash && (c.CustomerKey?.KeyBase64 == customer?.KeyBase64));
            if (match is not null)
            {
                log.Settled(match);
                return Outcome.Ok;
            }
            bool older;
            lock (_history)
                older = _history.TryGetValue(log.Key, out var set) && set.Contains(hash);
            return older ? Outcome.Lost : Outcome.Corrupt;
        }
        return Outcome.Lost;   // an SSE-C object none of the candidate keys opens: an older write's
    }
}
