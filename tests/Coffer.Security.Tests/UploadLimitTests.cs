using System.Net;
using Amazon.S3;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Protocol.Auth;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>A server of its own that receives at most two request bodies at once.</summary>
public sealed class TwoUploadsFixture : IAsyncLifetime
{
    public CofferFixture Server { get; } = new() { Configure = o => o.MaxConcurrentUploads = 2 };
    public Task InitializeAsync() => Server.InitializeAsync();
    public Task DisposeAsync() => Server.DisposeAsync();
}

/// <summary>
/// Many slow uploads cannot make the server hold buffers for all of them: beyond
/// --max-concurrent-uploads a body is refused at once with 503 SlowDown, unread, and its
/// connection closed; a body slower than the minimum rate is cut and gives its slot back.
/// </summary>
public sealed class UploadLimitTests(TwoUploadsFixture fixture) : IClassFixture<TwoUploadsFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private CofferFixture F => fixture.Server;

    [Fact]
    public async Task Beyond_the_limit_a_body_is_refused_with_SlowDown_unread_and_accepted_again_once_the_others_finish()
    {
        var bucket = await CreateBucketAsync();
        const int size = 256 * 1024;

        // Two uploads that have sent their headers and part of their bodies hold both slots.
        var holders = new List<RawConnection>();
        foreach (var i in new[] { 1, 2 })
        {
            var holder = await RawConnection.OpenAsync(F, https: false);
            await holder.WriteAsync(PutHead(bucket, $"held-{i}", size) + new string('h', 64 * 1024));
            holders.Add(holder);
        }
        await WaitForAsync(() => F.Server.Services.Uploads.Active == 2, "the two slow uploads to be received");

        // A third, over HTTP with Expect: 100-continue: the final answer comes first, no 100 Continue.
        await using (var third = await RawConnection.OpenAsync(F, https: false))
        {
            await third.WriteAsync(PutHead(bucket, "third", 1024, expect: true));
            var refused = await third.ReadResponseAsync(Bound);
            Assert.NotNull(refused);
            Assert.Equal(503, refused.Status);
            Assert.Contains("<Code>SlowDown</Code>", refused.Body);
            Assert.Contains("Reduce your request rate", refused.Body);
            Assert.Equal("close", refused.Header("Connection"), ignoreCase: true);
            Assert.DoesNotContain("HTTP/1.1", await third.ReadToCloseAsync(Bound));
        }

        // A fourth over HTTPS with its body right behind the headers, crafted to look like a request.
        await using (var fourth = await RawConnection.OpenAsync(F, https: true))
        {
            const string smuggled = "GET /_coffer/health HTTP/1.1\r\nHost: smuggled\r\n\r\n";
            await fourth.WriteAsync(PutHead(bucket, "fourth", smuggled.Length, https: true) + smuggled);
            var refused = await fourth.ReadResponseAsync(Bound);
            Assert.NotNull(refused);
            Assert.Equal(503, refused.Status);
            Assert.Contains("<Code>SlowDown</Code>", refused.Body);
            Assert.DoesNotContain("HTTP/1.1", await fourth.ReadToCloseAsync(Bound));
        }
        Assert.Equal(2, F.Server.Services.Uploads.Active);

        // The two finish; then uploads are accepted again.
        foreach (var holder in holders)
        {
            await holder.WriteAsync(new string('h', size - 64 * 1024));
            var done = await holder.ReadResponseAsync(Bound);
            Assert.NotNull(done);
            Assert.Equal(200, done.Status);
            await holder.DisposeAsync();
        }
        await WaitForAsync(() => F.Server.Services.Uploads.Active == 0, "the slots to be given back");
        using var s3 = Clients.S3(F);
        var put = await s3.PutObjectAsync(new() { BucketName = bucket, Key = "after", ContentBody = "accepted again" });
        Assert.Equal(HttpStatusCode.OK, put.HttpStatusCode);
        var listed = await s3.ListObjectsV2Async(new() { BucketName = bucket });
        Assert.Equal(["after", "held-1", "held-2"], listed.S3Objects.Select(o => o.Key).Order().ToArray());
    }

    [Fact]
    public async Task A_body_slower_than_the_minimum_rate_is_cut_and_gives_its_slot_back()
    {
        var bucket = await CreateBucketAsync();
        await using var slow = await RawConnection.OpenAsync(F, https: false);
        await slow.WriteAsync(PutHead(bucket, "slow", 1024 * 1024));

        // 500 bytes a second: faster than Kestrel's default floor (240), slower than the server's (1024).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cut = false;
        var reading = slow.ReadToCloseAsync(Bound);
        while (clock.Elapsed < Bound && !cut)
        {
            try { await slow.WriteAsync(new string('s', 250)); }
            catch (IOException) { cut = true; }
            cut |= await Task.WhenAny(reading, Task.Delay(500)) == reading;
        }
        Assert.True(cut, "a body trickling at 500 bytes/s was still being received after a minute");
        var answer = await reading;
        // Either an error answer (RequestTimeout) or the connection cut without one; never a success.
        Assert.DoesNotContain("HTTP/1.1 200", answer);
        await WaitForAsync(() => F.Server.Services.Uploads.Active == 0, "the cut upload's slot to be given back");
        using var s3 = Clients.S3(F);
        var listed = await s3.ListObjectsV2Async(new() { BucketName = bucket });
        Assert.Empty(listed.S3Objects ?? []);
    }

    private async Task<string> CreateBucketAsync()
    {
        var bucket = CofferFixture.NewBucket("upl");
        using var s3 = Clients.S3(F);
        await s3.PutBucketAsync(bucket);
        return bucket;
    }

    private string PutHead(string bucket, string key, long length, bool expect = false, bool https = false)
    {
        var url = https ? F.HttpsUrl : F.HttpUrl;
        var path = $"/{bucket}/{key}";
        var now = DateTimeOffset.UtcNow.AddSeconds(-60);
        var authorization = CosV5Signer.Sign(CofferFixture.AccessKey, CofferFixture.SecretKey, "PUT", path, [], [new("host", url.Authority)], now, now.AddHours(1));
        return $"PUT {path} HTTP/1.1\r\nHost: {url.Authority}\r\nContent-Length: {length}\r\n"
            + (expect ? "Expect: 100-continue\r\n" : "")
            + $"Authorization: {authorization}\r\n\r\n";
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Bound)
                throw new Xunit.Sdk.XunitException($"gave up waiting for {what}");
            await Task.Delay(20);
        }
    }
}
