using System.Diagnostics;
using System.Net;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server.Objects;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// The scrub inside the server: the scheduled keyless scrub (<c>--scrub-interval</c>) finds and logs a damaged blob on
/// its own, and a scrub stopped part-way continues after the last object it saved instead of starting over.
/// </summary>
public sealed class ScrubTests
{
    private static async Task<string> PutAsync(CosRawClient cos, string bucket, string key, int size)
    {
        var put = await cos.SendAsync(HttpMethod.Put, bucket, key, body: System.Security.Cryptography.RandomNumberGenerator.GetBytes(size));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        return key;
    }

    /// <summary>The file of an object's blob, made writable (blobs are stored read-only) so a test can damage it.</summary>
    private static async Task<string> WritableBlobAsync(CofferFixture f, string bucket, string key)
    {
        var blob = (await f.Server.Services.Store.GetObjectAsync(bucket, key))!.Streams.Single().BlobId;
        var path = Directory.EnumerateFiles(Path.Combine(f.DataDirectory, "blobs"), blob, SearchOption.AllDirectories).Single();
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    [Fact]
    public async Task The_scheduled_scrub_finds_and_logs_a_damaged_blob_by_itself()
    {
        // An hour at a time scale of 3600: a scrub starts every second of real time, in passes of at most a second.
        var f = new CofferFixture { TimeScale = 3600, Configure = o => o.ScrubInterval = TimeSpan.FromHours(1) };
        await f.InitializeAsync();
        try
        {
            Assert.NotNull(f.Server.Scrub);
            Assert.Equal(TimeSpan.FromSeconds(1), f.Server.Scrub.Interval);
            using var cos = new CosRawClient(f);
            var bucket = CosRawClient.NewBucket();
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
            await PutAsync(cos, bucket, "fine", 100_000);
            await PutAsync(cos, bucket, "small", 100);
            var damaged = await PutAsync(cos, bucket, "damaged", 100_000);
            var path = await WritableBlobAsync(f, bucket, damaged);
            var bytes = await File.ReadAllBytesAsync(path);
            bytes[100] ^= 0x10;
            await File.WriteAllBytesAsync(path, bytes);

            var scrubber = new Scrubber(f.Server.Services.Store, f.Server.Services.Blobs);
            var watch = Stopwatch.StartNew();
            ScrubProgress? last = null;
            while (watch.Elapsed < TimeSpan.FromSeconds(20))
            {
                last = await scrubber.GetProgressAsync(null, deep: false);
                if (last is { Completed: not null } && last.Findings.Any(x => x.Bucket == bucket))
                    break;
                await Task.Delay(100);
            }

            Assert.NotNull(last);
            var finding = Assert.Single(last.Findings, x => x.Bucket == bucket);
            Assert.Equal(damaged, finding.Key);
            Assert.Contains("does not match the checksum", finding.Problem);
            Assert.Contains(f.Log.Lines, l => l.Contains($"Scrub: {bucket}/{damaged} (version null) is damaged", StringComparison.Ordinal));
            Assert.DoesNotContain(f.Log.Lines, l => l.Contains($"Scrub: {bucket}/fine", StringComparison.Ordinal) || l.Contains($"Scrub: {bucket}/small", StringComparison.Ordinal));

            // The node running the scheduled scrub reports it as metrics.
            var samples = await Prometheus.ScrapeAsync(f);
            Assert.True(samples.Single(x => x.Name == "coffer_scrub_damaged").Value >= 1);
            Assert.True(samples.Single(x => x.Name == "coffer_scrub_objects").Value >= 3);
            Assert.True(samples.Single(x => x.Name == "coffer_scrub_bytes").Value >= 200_000);
            Assert.True(samples.Single(x => x.Name == "coffer_scrub_completed_total").Value >= 1);
        }
        finally
        {
            await f.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_flip_a_truncation_a_swap_and_a_deletion_are_each_found_by_object_and_GET_refuses_the_damaged_ranges()
    {
        var f = new CofferFixture();
        await f.InitializeAsync();
        try
        {
            using var cos = new CosRawClient(f);
            var bucket = CosRawClient.NewBucket();
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
            // Objects of 4 segments (64 KiB each): damage in the third leaves the first two readable.
            var sse = new[] { KeyValuePair.Create("x-cos-server-side-encryption", "AES256") };
            var data = new Dictionary<string, byte[]>();
            foreach (var key in new[] { "flip", "cut", "swap-a", "swap-b", "gone", "whole" })
            {
                data[key] = System.Security.Cryptography.RandomNumberGenerator.GetBytes(4 * 65536);
                Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, key, headers: sse, body: data[key])).StatusCode);
            }
            Task<string> PathOf(string key) => WritableBlobAsync(f, bucket, key);

            var flip = await PathOf("flip");
            var bytes = await File.ReadAllBytesAsync(flip);
            bytes[bytes.Length * 5 / 8] ^= 0x01;                       // in the third segment
            await File.WriteAllBytesAsync(flip, bytes);
            await using (var cut = File.OpenWrite(await PathOf("cut")))
                cut.SetLength(cut.Length * 5 / 8);                     // the last segment and a half gone
            var (a, b) = (await PathOf("swap-a"), await PathOf("swap-b"));
            File.Move(a, a + ".tmp");
            File.Move(b, a);
            File.Move(a + ".tmp", b);
            File.Delete(await PathOf("gone"));

            var result = await new Scrubber(f.Server.Services.Store, f.Server.Services.Blobs).RunAsync(new ScrubRequest(bucket));
            Assert.Equal(6, result.Progress.Objects);
            Assert.Equal(["cut", "flip", "gone", "swap-a", "swap-b"], result.Progress.Findings.Select(x => x.Key).Order().ToArray());
            Assert.All(result.Progress.Findings, x => Assert.Equal(bucket, x.Bucket));

            // GET refuses what is damaged (a swapped blob was sealed for another object: it does not authenticate here),
            // and serves what is not.
            var range = (string r) => new[] { KeyValuePair.Create("Range", r) };
            foreach (var key in new[] { "flip", "cut", "swap-a", "gone" })
            {
                var whole = await cos.SendAsync(HttpMethod.Get, bucket, key);
                var failed = whole.StatusCode != HttpStatusCode.OK;
                if (!failed)
                {
                    try { failed = !(await whole.Content.ReadAsByteArrayAsync()).AsSpan().SequenceEqual(data[key]); }
                    catch (HttpRequestException) { failed = true; }   // cut off mid-body: never passes for the object
                    catch (IOException) { failed = true; }
                }
                Assert.True(failed, $"GET {key} served damaged data as if it were whole");
            }
            var third = await cos.SendAsync(HttpMethod.Get, bucket, "flip", headers: range("bytes=131072-196607"));
            Assert.NotEqual(HttpStatusCode.PartialContent, third.StatusCode);
            var first = await cos.SendAsync(HttpMethod.Get, bucket, "flip", headers: range("bytes=0-65535"));
            Assert.Equal(HttpStatusCode.PartialContent, first.StatusCode);
            Assert.Equal(data["flip"].AsSpan(0, 65536).ToArray(), await first.Content.ReadAsByteArrayAsync());
            var whole2 = await cos.SendAsync(HttpMethod.Get, bucket, "whole");
            Assert.Equal(data["whole"], await whole2.Content.ReadAsByteArrayAsync());
        }
        finally
        {
            await f.DisposeAsync();
        }
    }

    [Fact]
    public async Task No_scrub_is_scheduled_unless_asked_and_a_bad_interval_or_rate_is_refused()
    {
        var f = new CofferFixture();
        await f.InitializeAsync();
        try
        {
            Assert.Null(f.Server.Scrub);
        }
        finally
        {
            await f.DisposeAsync();
        }

        var zero = new CofferFixture { Configure = o => o.ScrubInterval = TimeSpan.Zero };
        var e = await Assert.ThrowsAsync<ArgumentException>(zero.InitializeAsync);
        Assert.Contains("--scrub-interval must be positive", e.Message);
        var rate = new CofferFixture { Configure = o => { o.ScrubInterval = TimeSpan.FromHours(1); o.ScrubBytesPerSecond = 0; } };
        e = await Assert.ThrowsAsync<ArgumentException>(rate.InitializeAsync);
        Assert.Contains("--scrub-rate must be positive", e.Message);
    }

    [Fact]
    public async Task A_scrub_stopped_part_way_continues_after_the_last_object_it_saved()
    {
        var f = new CofferFixture();
        await f.InitializeAsync();
        try
        {
            using var cos = new CosRawClient(f);
            var bucket = CosRawClient.NewBucket();
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
            for (var i = 0; i < 6; i++)
                await PutAsync(cos, bucket, $"k{i}", i % 2 == 0 ? 200 : 70_000);
            var scrubber = new Scrubber(f.Server.Services.Store, f.Server.Services.Blobs);

            // Stopped after three objects (as by Ctrl+C): the progress up to there is saved.
            using var stop = new CancellationTokenSource();
            var seen = new List<string>();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => scrubber.RunAsync(new ScrubRequest(bucket),
                new Inline(p => { seen.Add(p.LastKey!); if (seen.Count == 3) stop.Cancel(); }), stop.Token));
            var saved = await scrubber.GetProgressAsync(bucket, deep: false);
            Assert.Equal(3, saved!.Objects);
            Assert.Equal("k2", saved.LastKey);
            Assert.Null(saved.Completed);

            // Run again: it continues with k3, and the counts cover the whole bucket once.
            seen.Clear();
            var result = await scrubber.RunAsync(new ScrubRequest(bucket), new Inline(p => seen.Add(p.LastKey!)));
            Assert.True(result.Resumed);
            Assert.True(result.Finished);
            Assert.Equal(["k3", "k4", "k5"], seen);
            Assert.Equal(6, result.Progress.Objects);
            Assert.Equal(0, result.Progress.Damaged);
            Assert.NotNull(result.Progress.Completed);

            // A budget stops a run without cancelling it; the next one continues.
            var budgeted = await scrubber.RunAsync(new ScrubRequest(bucket, Restart: true, Budget: TimeSpan.Zero));
            Assert.False(budgeted.Finished);
            Assert.False(budgeted.Resumed);
            Assert.Equal(0, budgeted.Progress.Objects);
            var rest = await scrubber.RunAsync(new ScrubRequest(bucket, RateBytesPerSecond: 1e6));
            Assert.True(rest.Resumed);
            Assert.True(rest.Finished);
            Assert.Equal(6, rest.Progress.Objects);
            Assert.Equal(6, rest.Progress.Streams);

            await Assert.ThrowsAsync<Coffer.Storage.NoSuchBucketException>(() => scrubber.RunAsync(new ScrubRequest("no-such-" + Guid.NewGuid().ToString("N")[..8])));
        }
        finally
        {
            await f.DisposeAsync();
        }
    }

    /// <summary>A synchronous progress sink (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Inline(Action<ScrubProgress> report) : IProgress<ScrubProgress>
    {
        public void Report(ScrubProgress value) => report(value);
    }
}
