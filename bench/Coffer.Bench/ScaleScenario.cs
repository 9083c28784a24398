using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace Coffer.Bench;

/// <summary>
/// Cost as the data grows (issue 16): one bucket holding N objects, for each N the same figures — the time from
/// `coffer serve` to its first answered request, GET and HEAD p50 of random keys, the PUT rate of 16 clients, the keys per
/// second of a full listing, and the metadata bytes per object — then the same with 1,000 more buckets. Ratios are to the
/// smallest N (the target: within 1.3× of 10 k).
/// </summary>
/// <remarks>
/// A real server writes one template object (4 KiB, plain, stored inline in its metadata row as every object up to
/// <c>--inline-max</c> is); the server is stopped and the template's row is copied N − 1 times under other keys in one SQLite
/// transaction (a million PUTs would take a quarter of an hour); then the server is started again on that database.
/// Keys spread over 1,000 prefixes (<c>d042/k0001234</c>), as real keys do.
/// With <c>--scale-blobs</c> it measures the start of a store whose objects have blobs instead: every row also gets a
/// blob (an <c>object_blobs</c> row and a file, hard links of one file so a million cost no disk), 1 % more blob files
/// are orphans, and the figures are the time to the first answered request and to the end of the orphan sweep
/// (every orphan gone), and the RSS after it.
/// </remarks>
internal sealed class ScaleScenario(Report report, string root, string accessKey, string secretKey, int[] counts, bool withBlobs = false)
{
    private const string Section = "cost as the data grows";
    private const string Bucket = "scale";
    private const int ObjectSize = 4096;
    private const int LatencySamples = 500;
    private static readonly TimeSpan PutSlice = TimeSpan.FromSeconds(5);

    public async Task RunAsync()
    {
        foreach (var count in counts)
            await MeasureAsync(count);
        var smallest = Label(counts[0]);
        foreach (var count in counts.Skip(1))
        {
            var n = Label(count);
            // Latencies and start time: lower is better, so the ratio is N's ÷ the smallest's (≤ 1.3 is the target).
            foreach (var figure in new[] { "start_s", "get_p50_ms", "head_p50_ms", "bytes_per_object" })
                if (report.Get($"scale.{n}.{figure}") is { } value && report.Get($"scale.{smallest}.{figure}") is { } reference && reference > 0)
                    report.Add(Section, $"scale.{n}.{figure}.vs_{smallest}", value / reference, "ratio");
            // Rates: higher is better, so the ratio is the smallest's ÷ N's (≤ 1.3 again means "within 1.3×").
            foreach (var figure in new[] { "put_ops_s", "list_keys_s" })
                if (report.Get($"scale.{smallest}.{figure}") is { } reference && report.Get($"scale.{n}.{figure}") is { } value && value > 0)
                    report.Add(Section, $"scale.{n}.{figure}.slowdown_vs_{smallest}", reference / value, "ratio");
        }
    }

    private async Task MeasureAsync(int count)
    {
        var n = Label(count);
        var data = Path.Combine(root, "scale-" + n);
        Console.WriteLine($"scale: {n} objects");
        await using (var first = await ServerProcess.StartCofferAsync(data, accessKey, secretKey))
        {
            using var client = new BenchClient(first.Http!, accessKey, secretKey, null);
            await client.CreateBucketAsync(Bucket);
            await client.PutAsync(Bucket, "template", ObjectSize, Mode.Plain);
        }
        var fill = Stopwatch.StartNew();
        Fill(Path.Combine(data, "meta.db"), count);
        Console.WriteLine($"scale: {n} rows written in {fill.Elapsed.TotalSeconds:0.0} s");
        report.Add(Section, $"scale.{n}.bytes_per_object", DatabaseBytes(data) / (double)count, "B");
        if (withBlobs)
        {
            await MeasureStartWithBlobsAsync(data, n, count);
            Directory.Delete(data, recursive: true);
            return;
        }

        await MeasureServerAsync(data, n, count, suffix: "");

        // The same bucket among 1,000 others.
        await using (var server = await ServerProcess.StartCofferAsync(data, accessKey, secretKey))
        {
            using var client = new BenchClient(server.Http!, accessKey, secretKey, null);
            var created = 0;
            await Parallel.ForAsync(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            {
                await client.CreateBucketAsync($"other-{i:D4}");
                Interlocked.Increment(ref created);
            });
            var listBuckets = Stopwatch.StartNew();
            await client.ListBucketsAsync();
            report.Add(Section, $"scale.{n}.with_1000_buckets.list_buckets_ms", listBuckets.Elapsed.TotalMilliseconds, "ms");
        }
        await MeasureServerAsync(data, n, count, suffix: ".with_1000_buckets");
        Directory.Delete(data, recursive: true);
    }

    private async Task MeasureServerAsync(string data, string n, int count, string suffix)
    {
        // Start: from launching the process to the first answered request.
        var started = Stopwatch.StartNew();
        await using var server = await ServerProcess.StartCofferAsync(data, accessKey, secretKey);
        using var client = new BenchClient(server.Http!, accessKey, secretKey, null);
        await client.HeadAsync(Bucket, "template");
        report.Add(Section, $"scale.{n}{suffix}.start_s", started.Elapsed.TotalSeconds, "s");

        var random = new Random(count);
        string RandomKey() => Key(random.Next(1, count));
        // Warm up the connection and the server's code paths before timing.
        for (var i = 0; i < 50; i++)
            await client.GetAsync(Bucket, RandomKey(), Mode.Plain);
        report.Add(Section, $"scale.{n}{suffix}.get_p50_ms", await P50Async(() => client.GetAsync(Bucket, RandomKey(), Mode.Plain)), "ms");
        report.Add(Section, $"scale.{n}{suffix}.head_p50_ms", await P50Async(() => client.HeadAsync(Bucket, RandomKey())), "ms");

        // PUT rate: 16 clients writing new 4 KiB objects for a fixed time.
        long puts = 0;
        using (var stop = new CancellationTokenSource(PutSlice))
        {
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 16).Select(async c =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try { await client.PutAsync(Bucket, $"new{suffix}/c{c:D2}/{i:D7}", ObjectSize, Mode.Plain, stop.Token); }
                    catch (OperationCanceledException) { break; }
                    Interlocked.Increment(ref puts);
                }
            }));
            report.Add(Section, $"scale.{n}{suffix}.put_ops_s", puts / watch.Elapsed.TotalSeconds, "ops/s");
        }

        if (suffix.Length == 0)
        {
            // A full listing, page after page of 1,000 keys.
            var listing = Stopwatch.StartNew();
            long listed = 0;
            string? marker = null;
            do
            {
                var (keys, next) = await client.ListPageAsync(Bucket, marker);
                listed += keys;
                marker = next;
            }
            while (marker is not null);
            if (listed < count)
                throw new InvalidOperationException($"the listing returned {listed} keys of at least {count}");
            report.Add(Section, $"scale.{n}.list_keys_s", listed / listing.Elapsed.TotalSeconds, "keys/s");
        }
        report.Add(Section, $"scale.{n}{suffix}.server_rss_mib", server.RssMiB(), "MiB");
    }

    private static async Task<double> P50Async(Func<Task> call)
    {
        var samples = new double[LatencySamples];
        for (var i = 0; i < samples.Length; i++)
        {
            var watch = Stopwatch.StartNew();
            await call();
            samples[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(samples);
        return samples[samples.Length / 2];
    }

    /// <summary>Copies the template's row as objects 1 … count − 1 in one transaction, whatever columns the schema has.</summary>
    /// <summary>Gives every object row a blob of its own (plus 1 % orphan blobs), then times the start and the sweep.</summary>
    private async Task MeasureStartWithBlobsAsync(string data, string n, int count)
    {
        var blobs = new Stopwatch();
        blobs.Start();
        var orphans = AddBlobs(data, count);
        Console.WriteLine($"scale: {n} blobs and {orphans.Count} orphans made in {blobs.Elapsed.TotalSeconds:0.0} s");

        var started = Stopwatch.StartNew();
        await using var server = await ServerProcess.StartCofferAsync(data, accessKey, secretKey);
        using var client = new BenchClient(server.Http!, accessKey, secretKey, null);
        await client.HeadAsync(Bucket, "template");
        var firstAnswer = started.Elapsed.TotalSeconds;
        var orphansLeftAtFirstAnswer = orphans.Count(File.Exists);
        report.Add(Section, $"scale.{n}.blobs.start_s", firstAnswer, "s");
        report.Add(Section, $"scale.{n}.blobs.orphans_left_at_first_answer", orphansLeftAtFirstAnswer, "");
        var left = orphans;
        while (left.Count > 0)
        {
            await Task.Delay(100);
            left = left.Where(File.Exists).ToList();
        }
        report.Add(Section, $"scale.{n}.blobs.sweep_done_s", started.Elapsed.TotalSeconds, "s");
        report.Add(Section, $"scale.{n}.blobs.rss_after_sweep_mib", server.RssMiB(), "MiB");
    }

    /// <summary>
    /// One blob per object row (an <c>object_blobs</c> row naming the object, a hard link of one file at the blob's place)
    /// and <paramref name="count"/> ÷ 100 blob files no row names; returns the orphans' paths.
    /// </summary>
    private static List<string> AddBlobs(string data, int count)
    {
        var blobRoot = Path.Combine(data, "blobs");
        var template = Path.Combine(blobRoot, "bench-template");
        var links = 0;
        string Place(string id)
        {
            // A file takes at most 65,000 links (ext4): a fresh template every 60,000.
            if (links++ % 60_000 == 0)
            {
                File.Delete(template);
                File.WriteAllBytes(template, new byte[ObjectSize]);
            }
            var directory = Path.Combine(blobRoot, id[..2], id[2..4]);
            Directory.CreateDirectory(directory);
            var path = Path.Combine(directory, id);
            if (Link(template, path) != 0)
                throw new IOException($"link {path}: errno {Marshal.GetLastPInvokeError()}");
            return path;
        }
        static string Id(int n, string kind) =>
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes($"{kind}{n}")))[..32];

        using (var connection = new SqliteConnection($"Data Source={Path.Combine(data, "meta.db")};Pooling=False"))
        {
            connection.Open();
            using var tx = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO object_blobs (blob_id, bucket, object_key) VALUES ($blob, $bucket, $key)";
            var blob = insert.Parameters.Add("$blob", SqliteType.Text);
            insert.Parameters.AddWithValue("$bucket", Bucket);
            var key = insert.Parameters.Add("$key", SqliteType.Text);
            for (var i = 1; i < count; i++)
            {
                var id = Id(i, "object");
                blob.Value = id;
                key.Value = Key(i);
                insert.ExecuteNonQuery();
                Place(id);
            }
            tx.Commit();
        }
        var orphans = new List<string>();
        for (var i = 0; i < count / 100; i++)
            orphans.Add(Place(Id(i, "orphan")));
        File.Delete(template);
        return orphans;
    }

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    private static extern int Link(string existing, string created);

    private static void Fill(string database, int count)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        var columns = new List<string>();
        using (var info = connection.CreateCommand())
        {
            info.CommandText = "PRAGMA table_info(objects)";
            using var reader = info.ExecuteReader();
            while (reader.Read())
                columns.Add(reader.GetString(1));
        }
        var select = string.Join(", ", columns.Select(c => c == "object_key" ? "printf('d%03d/k%07d', n % 1000, n)" : c));
        using var tx = connection.BeginTransaction();
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = tx;
            insert.CommandText = $"""
                WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $last)
                INSERT INTO objects ({string.Join(", ", columns)})
                SELECT {select} FROM seq, objects WHERE bucket = $bucket AND object_key = 'template'
                """;
            insert.Parameters.AddWithValue("$last", count - 1);
            insert.Parameters.AddWithValue("$bucket", Bucket);
            insert.CommandTimeout = 0;
            insert.ExecuteNonQuery();
        }
        tx.Commit();
        using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        checkpoint.ExecuteNonQuery();
    }

    private static long DatabaseBytes(string data) =>
        new DirectoryInfo(data).EnumerateFiles("meta.db*").Sum(f => f.Length);

    private static string Key(int n) => string.Create(CultureInfo.InvariantCulture, $"d{n % 1000:D3}/k{n:D7}");

    private static string Label(int count) => count switch
    {
        >= 1_000_000 when count % 1_000_000 == 0 => $"{count / 1_000_000}M",
        >= 1_000 when count % 1_000 == 0 => $"{count / 1_000}k",
        _ => count.ToString(CultureInfo.InvariantCulture),
    };
}
