using System.Diagnostics;
using System.Net;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// The data of a replaced object stays on disk for a grace period (30 s, for reads already in
/// flight) and is then deleted; `--time-scale` divides the grace like every other server timer.
/// </summary>
public sealed class ReclaimTests
{
    [Fact]
    public async Task The_grace_before_replaced_data_is_deleted_is_30_seconds_divided_by_the_time_scale()
    {
        foreach (var (scale, expected) in new[] { (1.0, TimeSpan.FromSeconds(30)), (100.0, TimeSpan.FromMilliseconds(300)) })
        {
            var f = new CofferFixture { TimeScale = scale };
            await f.InitializeAsync();
            try
            {
                Assert.Equal(expected, f.Server.Services.Reclaimer.GracePeriod);
            }
            finally
            {
                await f.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task At_a_time_scale_of_100_an_overwritten_objects_blob_is_gone_within_seconds_and_the_new_one_reads_back()
    {
        var f = new CofferFixture { TimeScale = 100 };
        await f.InitializeAsync();
        try
        {
            using var cos = new CosRawClient(f);
            var bucket = CosRawClient.NewBucket();
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
            // Larger than the inline limit, so each version's data is a blob.
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "k", body: new byte[100_000])).StatusCode);
            var blobs = Path.Combine(f.DataDirectory, "blobs");
            var first = Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Single();

            var second = System.Security.Cryptography.RandomNumberGenerator.GetBytes(100_000);
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "k", body: second)).StatusCode);
            var watch = Stopwatch.StartNew();
            while (File.Exists(first) && watch.Elapsed < TimeSpan.FromSeconds(10))
                await Task.Delay(20);

            Assert.False(File.Exists(first), "the replaced data was not deleted after the scaled grace period");
            Assert.Single(Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories));
            var got = await cos.SendAsync(HttpMethod.Get, bucket, "k");
            Assert.Equal(second, await got.Content.ReadAsByteArrayAsync());

            // Overwritten by a small version, kept inline: its blob goes too, and none takes its place.
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "k", body: "third"u8.ToArray())).StatusCode);
            watch.Restart();
            while (Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories).Any() && watch.Elapsed < TimeSpan.FromSeconds(10))
                await Task.Delay(20);
            Assert.Empty(Directory.EnumerateFiles(blobs, "*", SearchOption.AllDirectories));
            Assert.Equal("third", await (await cos.SendAsync(HttpMethod.Get, bucket, "k")).Content.ReadAsStringAsync());
        }
        finally
        {
            await f.DisposeAsync();
        }
    }
}
