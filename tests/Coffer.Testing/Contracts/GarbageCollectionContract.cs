using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// The reclaimer and the orphan sweeps over one node's backend: engine-neutral, so run on every backend
/// (<c>SqliteGarbageCollectionTests</c>, <c>PostgresGarbageCollectionTests</c> in Coffer.Storage.Tests). What holds
/// across nodes is <see cref="BlobLedgerContract"/>'s.
/// </summary>
public abstract class GarbageCollectionContract : IAsyncLifetime
{
    private readonly TempDirectory _blobRoot = new();
    private FileSystemBlobStore _blobs = null!;

    private protected IMetadataBackend Store { get; private set; } = null!;

    /// <summary>Opens the backend under test on an empty database.</summary>
    protected abstract Task<IMetadataBackend> OpenAsync();

    public virtual async Task InitializeAsync()
    {
        Store = await OpenAsync();
        _blobs = new FileSystemBlobStore(_blobRoot.Path);
        Assert.True(await Store.CreateBucketAsync(new BucketRecord("b", "alice", "ap-guangzhou", Sample.Instant)));
    }

    public virtual async Task DisposeAsync()
    {
        if (Store is not null)
            await Store.DisposeAsync();
        _blobRoot.Dispose();
    }

    private async Task<string> WriteBlobAsync()
    {
        await using var writer = _blobs.CreateWriter();
        await writer.Stream.WriteAsync(new byte[] { 1, 2, 3 });
        await writer.CommitAsync();
        return writer.BlobId;
    }

    private async Task<int> QueuedAsync() => (await Store.DueReclaimsAsync(DateTimeOffset.MaxValue, int.MaxValue)).Count;

    [ContractFact]
    public async Task The_reclaimer_keeps_blobs_until_the_grace_period_has_passed()
    {
        var clock = new ManualTimeProvider();
        await using var reclaimer = new BlobReclaimer(_blobs, Store, timeProvider: clock);
        var id = await WriteBlobAsync();
        await reclaimer.EnqueueAsync([id]);

        Assert.Equal(0, await reclaimer.DrainAsync());
        clock.Advance(BlobReclaimer.DefaultGracePeriod - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await reclaimer.DrainAsync());
        Assert.True(await _blobs.ExistsAsync(id));
        Assert.Equal(1, await QueuedAsync());

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.False(await _blobs.ExistsAsync(id));
        Assert.Equal(0, await QueuedAsync());
    }

    [ContractFact]
    public async Task Draining_deletes_only_what_is_due()
    {
        var clock = new ManualTimeProvider();
        await using var reclaimer = new BlobReclaimer(_blobs, Store, gracePeriod: TimeSpan.FromSeconds(10), timeProvider: clock);
        var early = await WriteBlobAsync();
        var late = await WriteBlobAsync();
        await reclaimer.EnqueueAsync([early]);
        clock.Advance(TimeSpan.FromSeconds(5));
        await reclaimer.EnqueueAsync([late]);
        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.False(await _blobs.ExistsAsync(early));
        Assert.True(await _blobs.ExistsAsync(late));

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.False(await _blobs.ExistsAsync(late));
    }

    [ContractFact]
    public async Task A_blob_opened_before_reclaiming_stays_readable()
    {
        var clock = new ManualTimeProvider();
        await using var reclaimer = new BlobReclaimer(_blobs, Store, timeProvider: clock);
        var id = await WriteBlobAsync();
        await using var reading = await _blobs.OpenReadAsync(id);
        await reclaimer.EnqueueAsync([id]);
        clock.Advance(TimeSpan.FromMinutes(1));
        await reclaimer.DrainAsync();

        var buffer = new byte[3];
        await reading.ReadExactlyAsync(buffer);
        Assert.Equal(new byte[] { 1, 2, 3 }, buffer);
    }

    [ContractFact]
    public async Task The_reclaimer_keeps_a_blob_that_metadata_still_refers_to()
    {
        var clock = new ManualTimeProvider();
        await using var reclaimer = new BlobReclaimer(_blobs, Store, timeProvider: clock);
        var shared = await WriteBlobAsync();
        await Store.PutObjectAsync(Sample.Object("b", "one", shared));
        await Store.PutObjectAsync(Sample.Object("b", "two", shared));

        var deleted = await Store.DeleteObjectAsync("b", "one");
        await reclaimer.EnqueueAsync(Sample.BlobIdsOf(deleted!));
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(0, await reclaimer.DrainAsync());
        Assert.True(await _blobs.ExistsAsync(shared));
        Assert.Equal(0, await QueuedAsync());
    }

    [ContractFact]
    public async Task A_failed_deletion_is_reported_and_does_not_stop_the_rest()
    {
        var clock = new ManualTimeProvider();
        var errors = new List<string>();
        await using var reclaimer = new BlobReclaimer(_blobs, Store, timeProvider: clock, onError: (id, _) => errors.Add(id));
        var good = await WriteBlobAsync();
        await reclaimer.EnqueueAsync(["not-a-blob-id", good]);
        clock.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.Equal(["not-a-blob-id"], errors);
        Assert.False(await _blobs.ExistsAsync(good));
        Assert.Equal(1, await QueuedAsync()); // tried again after another grace period
    }

    [ContractFact]
    public async Task The_background_loop_deletes_due_blobs_until_stopped()
    {
        var reclaimer = new BlobReclaimer(_blobs, Store, gracePeriod: TimeSpan.FromMilliseconds(50));
        await reclaimer.StartAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => reclaimer.StartAsync());
        var id = await WriteBlobAsync();
        await reclaimer.EnqueueAsync([id]);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await _blobs.ExistsAsync(id))
        {
            await Task.Delay(20, timeout.Token);
        }

        await reclaimer.StopAsync();
        var after = await WriteBlobAsync();
        await reclaimer.EnqueueAsync([after]);
        await Task.Delay(300);
        Assert.True(await _blobs.ExistsAsync(after));
        await reclaimer.DisposeAsync();
    }

    [ContractFact]
    public async Task The_lone_sweep_removes_temporary_files_and_unreferenced_blobs_but_keeps_referenced_ones()
    {
        var referenced = await WriteBlobAsync();
        var replaced = await WriteBlobAsync();
        var orphan = await WriteBlobAsync();   // committed, then "crashed" before the metadata commit
        await Store.PutObjectAsync(Sample.Object("b", "k", replaced));
        await Store.PutObjectAsync(Sample.Object("b", "k", referenced)); // the reclaimer never ran
        var halfWritten = _blobs.CreateWriter();
        await halfWritten.Stream.WriteAsync(new byte[10]);
        await halfWritten.Stream.FlushAsync();

        var result = await OrphanSweeper.SweepAloneAsync(Store, _blobs);
        await halfWritten.DisposeAsync();

        Assert.Equal(new OrphanSweepResult(TemporaryFilesDeleted: 1, OrphanBlobsDeleted: 2, BlobsKept: 1), result);
        Assert.True(await _blobs.ExistsAsync(referenced));
        Assert.False(await _blobs.ExistsAsync(replaced));
        Assert.False(await _blobs.ExistsAsync(orphan));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_blobRoot.Path, "tmp")));
    }

    [ContractFact]
    public async Task Sweeping_a_clean_store_changes_nothing()
    {
        var id = await WriteBlobAsync();
        await Store.PutObjectAsync(Sample.Object("b", "k", id));

        Assert.Equal(new OrphanSweepResult(0, 0, 1), await OrphanSweeper.SweepAsync(Store, _blobs));
        Assert.Equal(new OrphanSweepResult(0, 0, 1), await OrphanSweeper.SweepAsync(Store, _blobs));
    }

    [ContractFact]
    public async Task Sweeping_alone_removes_pending_and_queued_blobs_too_but_keeps_referenced_ones()
    {
        var clock = new ManualTimeProvider();
        var referenced = await WriteBlobAsync();
        await Store.PutObjectAsync(Sample.Object("b", "k", referenced));
        var queued = await WriteBlobAsync();
        await Store.EnqueueReclaimAsync([queued], clock.GetUtcNow().AddSeconds(30));
        await using var writer = _blobs.CreateWriter();
        await writer.Stream.WriteAsync(new byte[] { 7 });
        await Store.CommitBlobAsync(writer, clock);   // pending: its writer died in the crash before this start

        // The shared sweep keeps both (another node may still commit or read them)...
        Assert.Equal(new OrphanSweepResult(0, 0, 3), await OrphanSweeper.SweepAsync(Store, _blobs, clock));
        // ...the sweep of the only node, before it serves, does not.
        Assert.Equal(new OrphanSweepResult(0, 2, 1), await OrphanSweeper.SweepAloneAsync(Store, _blobs));
        Assert.True(await _blobs.ExistsAsync(referenced));
        Assert.False(await _blobs.ExistsAsync(queued));
        Assert.False(await _blobs.ExistsAsync(writer.BlobId));

        // The queue row left behind is a no-op for the reclaimer.
        await using var reclaimer = new BlobReclaimer(_blobs, Store, timeProvider: clock);
        clock.Advance(TimeSpan.FromMinutes(1));
        await reclaimer.DrainAsync();
        Assert.Equal(0, await QueuedAsync());
    }

    [ContractFact]
    public async Task The_shared_sweep_leaves_temporary_files_which_may_be_another_nodes_writes()
    {
        await using var inFlight = _blobs.CreateWriter();
        await inFlight.Stream.WriteAsync(new byte[10]);
        await inFlight.Stream.FlushAsync();

        Assert.Equal(new OrphanSweepResult(0, 0, 0), await OrphanSweeper.SweepAsync(Store, _blobs));

        await Store.CommitBlobAsync(inFlight, TimeProvider.System);
        Assert.True(await _blobs.ExistsAsync(inFlight.BlobId));
    }
}
