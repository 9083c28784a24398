using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Testing;

namespace Coffer.EndToEnd.Tests.Remote;

/// <summary>
/// The lifecycle job on PostgreSQL + RGW: rules stored in PostgreSQL, objects whose ciphertext is in RGW expired (their
/// blobs deleted from the backend after the grace) and archived, each once although two nodes' passes overlap.
/// </summary>
public sealed class RemoteLifecycleTests : IAsyncLifetime
{
    private const double Scale = 1000;
    private readonly ShiftableClock _clock = new();
    private readonly RemoteServer _remote = new("coffer_lifecycle");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _remote.DisposeAsync().AsTask();

    [PostgresFact]
    public async Task Rules_in_postgresql_expire_and_archive_objects_in_rgw_once_across_two_nodes()
    {
        var f = await _remote.StartAsync(o =>
        {
            o.TimeScale = Scale;
            o.LifecycleClock = _clock;
            o.LifecycleInterval = TimeSpan.FromHours(1);
        });
        var backend = _remote.Backend;
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket("lifecycle");
        await s3.PutBucketAsync(bucket);
        await LifecycleTests.PutRulesAsync(s3, bucket, LifecycleTests.ExpireRule("expire", "tmp/", 1), new LifecycleRule
        {
            Id = "archive",
            Filter = new LifecycleFilter { And = new LifecycleRuleAndOperator { Prefix = "cold/", ObjectSizeGreaterThan = 0 } },
            Status = LifecycleRuleStatus.Enabled,
            Transitions = [new LifecycleTransition { Days = 1, StorageClass = S3StorageClass.Glacier }],
        });
        Assert.Equal(1L, await _remote.Database.ScalarAsync<long>($"SELECT count(*) FROM buckets WHERE name = '{bucket}' AND lifecycle IS NOT NULL"));
        foreach (var key in new[] { "tmp/a", "tmp/b", "cold/a", "keep/a" })
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(new byte[200 * 1024]) });
        var expiredBlob = RemoteBackend.Prefix + (await f.Server.Services.Store.GetObjectAsync(bucket, "tmp/a"))!.Streams.Single().BlobId;
        Assert.Contains(expiredBlob, await backend.KeysAsync());

        _clock.Advance(TimeSpan.FromDays(1) / Scale + TimeSpan.FromSeconds(1));
        await using var other = new Coffer.Server.Hosting.LifecycleJob(f.Server.Services, _clock, TimeSpan.FromHours(1), "another-node");
        var passes = await Task.WhenAll(f.Server.Lifecycle.RunOnceAsync(), other.RunOnceAsync());

        Assert.Equal(2, passes.Sum(p => p.Expired));
        Assert.Equal(1, passes.Sum(p => p.Transitioned));
        var left = (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects.ToDictionary(o => o.Key, o => o.StorageClass.Value);
        Assert.Equal(new Dictionary<string, string> { ["cold/a"] = "GLACIER", ["keep/a"] = "STANDARD" }, left);
        var archived = await Assert.ThrowsAsync<InvalidObjectStateException>(() => s3.GetObjectAsync(bucket, "cold/a"));
        Assert.Equal(HttpStatusCode.Forbidden, archived.StatusCode);
        Assert.Empty(await backend.WaitGoneAsync([expiredBlob], TimeSpan.FromSeconds(20)));
    }
}
