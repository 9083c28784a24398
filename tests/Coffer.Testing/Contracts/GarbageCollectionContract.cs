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
    public async Task The_lone_start_removes_temporary_files_and_the_sweep_unreferenced_blobs_but_keeps_referenced_ones()
    {
        var referenced = await WriteBlobAsync();
        var replaced = await WriteBlobAsync();
        var orphan = await WriteBlobAsync();   // committed, then "crashed" before the metadata commit
        await Store.PutObjectAsync(Sample.Object("b", "k", replaced));
        await Store.PutObjectAsync(Sample.Object("b", "k", referenced)); // the reclaimer never ran
        var halfWritten = _blobs.CreateWriter();
        await halfWritten.Stream.WriteAsync(new byte[10]);
        await halfWritten.Stream.FlushAsync();

        var temporary = await OrphanSweeper.PrepareAloneAsync(Store, _blobs);
        await halfWritten.DisposeAsync();
        Assert.Equal(1, temporary);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_blobRoot.Path, "tmp")));
        Assert.True(await _blobs.ExistsAsync(orphan));   // the start reads no blob listing: that is the sweep's

        var result = await OrphanSweeper.SweepAsync(Store, _blobs);
        Assert.Equal(new OrphanSweepResult(TemporaryFilesDeleted: 0, OrphanBlobsDeleted: 2, BlobsKept: 1), result);
        Assert.True(await _blobs.ExistsAsync(referenced));
        Assert.False(await _blobs.ExistsAsync(replaced));
        Assert.False(await _blobs.ExistsAsync(orphan));
    }

    [ContractFact]
    public async Task The_sweep_checks_page_by_page_and_finds_the_same_as_in_one_go()
    {
        var referenced = new List<string>();
        var orphans = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            var id = await WriteBlobAsync();
            if (i % 3 == 0)
            {
                await Store.PutObjectAsync(Sample.Object("b", $"k{i}", id));
                referenced.Add(id);
            }
            else
            {
                orphans.Add(id);
            }
        }

        // Pages of 5 over 12 blobs: two full pages and a last short one.
        Assert.Equal(new OrphanSweepResult(0, orphans.Count, referenced.Count), await OrphanSweeper.SweepAsync(Store, _blobs, pageSize: 5));
        foreach (var id in referenced)
            Assert.True(await _blobs.ExistsAsync(id));
        foreach (var id in orphans)
            Assert.False(await _blobs.ExistsAsync(id));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => OrphanSweeper.SweepAsync(Store, _blobs, pageSize: 0));
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
    public async Task Starting_alone_hands_pending_blobs_to_the_reclaimer_at_once_and_queued_ones_keep_their_time()
    {
        var clock = new ManualTimeProvider();
        var referenced = await WriteBlobAsync();
        await Store.PutObjectAsync(Sample.Object("b", "k", referenced));
        var queued = await WriteBlobAsync();
        await Store.EnqueueReclaimAsync([queued], clock.GetUtcNow().AddSeconds(30));
        await using var writer = _blobs.CreateWriter();
        await writer.Stream.WriteAsync(new byte[] { 7 });
        await Store.CommitBlobAsync(writer, clock);   // pending: its writer died in the crash before this start

        // The sweep keeps both (a writer or a reader may still need them)...
        Assert.Equal(new OrphanSweepResult(0, 0, 3), await OrphanSweeper.SweepAsync(Store, _blobs, clock));
        // ...the start of the only node hands the pending one to the reclaimer, due now (its writer is gone)...
        Assert.Equal(0, await OrphanSweeper.PrepareAloneAsync(Store, _blobs, clock));
        Assert.Equal([writer.BlobId], (await Store.DueReclaimsAsync(clock.GetUtcNow(), 10)).Select(r => r.BlobId));
        await using var reclaimer = new BlobReclaimer(_blobs, Store, timeProvider: clock);
        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.False(await _blobs.ExistsAsync(writer.BlobId));
        Assert.True(await _blobs.ExistsAsync(queued));   // ...and the queued one waits out its grace as before
        Assert.Equal(0, await Store.ExpirePendingAsync(clock.GetUtcNow() + BlobLedger.PendingLifetime));

        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.False(await _blobs.ExistsAsync(queued));
        Assert.True(await _blobs.ExistsAsync(referenced));
        Assert.Equal(0, await QueuedAsync());
        Assert.Equal(new OrphanSweepResult(0, 0, 1), await OrphanSweeper.SweepAsync(Store, _blobs, clock));
    }

    [ContractFact]
    public async Task Starting_alone_keeps_a_pending_blob_that_an_object_names_after_all()
    {
        var clock = new ManualTimeProvider();
        await using var writer = _blobs.CreateWriter();
        await writer.Stream.WriteAsync(new byte[] { 7 });
        await Store.CommitBlobAsync(writer, clock);
        await Store.PutObjectAsync(Sample.Object("b", "k", writer.BlobId));
        await Store.RecordPendingAsync(writer.BlobId, clock.GetUtcNow() + BlobLedger.PendingLifetime); // a row left behind

        Assert.Equal(0, await OrphanSweeper.PrepareAloneAsync(Store, _blobs, clock));
        await using var reclaimer = new BlobReclaimer(_blobs, Store, timeProvider: clock);
        await reclaimer.DrainAsync();
        Assert.True(await _blobs.ExistsAsync(writer.BlobId));
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
