namespace Coffer.Storage.Tests;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _ticks = 1_000_000;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

public sealed class GarbageCollectionTests : MetadataStoreTests
{
    private readonly TempDirectory _blobRoot = new();
    private FileSystemBlobStore _blobs = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _blobs = new FileSystemBlobStore(_blobRoot.Path);
        await CreateBucketAsync("b");
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _blobRoot.Dispose();
    }

    private async Task<string> WriteBlobAsync()
    {
        await using var writer = _blobs.CreateWriter();
        await writer.Stream.WriteAsync(new byte[] { 1, 2, 3 });
        await writer.CommitAsync();
        return writer.BlobId;
    }

    [Fact]
    public async Task The_reclaimer_keeps_blobs_until_the_grace_period_has_passed()
    {
        var clock = new ManualTimeProvider();
        await using var reclaimer = new BlobReclaimer(_blobs, timeProvider: clock);
        var id = await WriteBlobAsync();
        reclaimer.Enqueue([id]);

        Assert.Equal(0, await reclaimer.DrainAsync());
        clock.Advance(BlobReclaimer.DefaultGracePeriod - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await reclaimer.DrainAsync());
        Assert.True(await _blobs.ExistsAsync(id));
        Assert.Equal(1, reclaimer.PendingCount);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.False(await _blobs.ExistsAsync(id));
        Assert.Equal(0, reclaimer.PendingCount);
    }

    [Fact]
    public async Task Draining_deletes_only_what_is_due()
    {
        var clock = new ManualTimeProvider();
        await using var reclaimer = new BlobReclaimer(_blobs, gracePeriod: TimeSpan.FromSeconds(10), timeProvider: clock);
        var early = await WriteBlobAsync();
        var late = await WriteBlobAsync();
        reclaimer.Enqueue([early]);
        clock.Advance(TimeSpan.FromSeconds(5));
        reclaimer.Enqueue([late]);
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.False(await _blobs.ExistsAsync(early));
        Assert.True(await _blobs.ExistsAsync(late));

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.False(await _blobs.ExistsAsync(late));
    }

    [Fact]
    public async Task A_blob_opened_before_reclaiming_stays_readable()
    {
        var clock = new ManualTimeProvider();
        await using var reclaimer = new BlobReclaimer(_blobs, timeProvider: clock);
        var id = await WriteBlobAsync();
        await using var reading = await _blobs.OpenReadAsync(id);
        reclaimer.Enqueue([id]);
        clock.Advance(TimeSpan.FromMinutes(1));
        await reclaimer.DrainAsync();

        var buffer = new byte[3];
        await reading.ReadExactlyAsync(buffer);
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer);
    }

    [Fact]
    public async Task The_reclaimer_keeps_a_blob_that_metadata_still_refers_to()
    {
        var clock = new ManualTimeProvider();
        await using var reclaimer = new BlobReclaimer(_blobs, Store, timeProvider: clock);
        var shared = await WriteBlobAsync();
        await Store.PutObjectAsync(Sample.Object("b", "one", shared));
        await Store.PutObjectAsync(Sample.Object("b", "two", shared));

        var deleted = await Store.DeleteObjectAsync("b", "one");
        reclaimer.Enqueue(Sample.BlobIdsOf(deleted!));
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(0, await reclaimer.DrainAsync());
        Assert.True(await _blobs.ExistsAsync(shared));
        Assert.Equal(0, reclaimer.PendingCount);
    }

    [Fact]
    public async Task A_failed_deletion_is_reported_and_does_not_stop_the_rest()
    {
        var clock = new ManualTimeProvider();
        var errors = new List<string>();
        await using var reclaimer = new BlobReclaimer(_blobs, timeProvider: clock, onError: (id, _) => errors.Add(id));
        var good = await WriteBlobAsync();
        reclaimer.Enqueue(["not-a-blob-id", good]);
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.Equal(["not-a-blob-id"], errors);
        Assert.False(await _blobs.ExistsAsync(good));
    }

    [Fact]
    public async Task The_background_loop_deletes_due_blobs_until_stopped()
    {
        var reclaimer = new BlobReclaimer(_blobs, gracePeriod: TimeSpan.FromMilliseconds(50));
        await reclaimer.StartAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => reclaimer.StartAsync());
        var id = await WriteBlobAsync();
        reclaimer.Enqueue([id]);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await _blobs.ExistsAsync(id))
        {
            await Task.Delay(20, timeout.Token);
        }

        await reclaimer.StopAsync();
        var after = await WriteBlobAsync();
        reclaimer.Enqueue([after]);
        await Task.Delay(300);
        Assert.True(await _blobs.ExistsAsync(after));
        await reclaimer.DisposeAsync();
    }

    [Fact]
    public async Task The_sweep_removes_temporary_files_and_unreferenced_blobs_but_keeps_referenced_ones()
    {
        var referenced = await WriteBlobAsync();
        var replaced = await WriteBlobAsync();
        var orphan = await WriteBlobAsync();   // committed, then "crashed" before the metadata commit
        await Store.PutObjectAsync(Sample.Object("b", "k", replaced));
        await Store.PutObjectAsync(Sample.Object("b", "k", referenced)); // the reclaimer never ran
        var halfWritten = _blobs.CreateWriter();
        await halfWritten.Stream.WriteAsync(new byte[10]);
        await halfWritten.Stream.FlushAsync();

        var result = await OrphanSweeper.SweepAsync(Store, _blobs);
        await halfWritten.DisposeAsync();

        Assert.Equal(new OrphanSweepResult(TemporaryFilesDeleted: 1, OrphanBlobsDeleted: 2, BlobsKept: 1), result);
        Assert.True(await _blobs.ExistsAsync(referenced));
        Assert.False(await _blobs.ExistsAsync(replaced));
        Assert.False(await _blobs.ExistsAsync(orphan));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_blobRoot.Path, "tmp")));
    }

    [Fact]
    public async Task Sweeping_a_clean_store_changes_nothing()
    {
        var id = await WriteBlobAsync();
        await Store.PutObjectAsync(Sample.Object("b", "k", id));

        Assert.Equal(new OrphanSweepResult(0, 0, 1), await OrphanSweeper.SweepAsync(Store, _blobs));
        Assert.Equal(new OrphanSweepResult(0, 0, 1), await OrphanSweeper.SweepAsync(Store, _blobs));
    }
}
