using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// What <see cref="IBlobLedger"/> promises, with garbage collection running on two nodes: every test opens
/// the backend twice on one database (<see cref="OpenAsync"/>), as two Coffer nodes would, over one shared
/// blob store. A backend proves it by subclassing this with its own factory (SQLite: <c>SqliteBlobLedgerTests</c> in Coffer.Storage.Tests).
/// </summary>
public abstract class BlobLedgerContract : IAsyncLifetime
{
    private readonly TempDirectory _blobRoot = new();
    private readonly List<IMetadataBackend> _opened = [];

    /// <summary>A shared blob store.</summary>
    private protected FileSystemBlobStore Blobs { get; private set; } = null!;

    /// <summary>Both nodes' clock.</summary>
    private protected ManualTimeProvider Clock { get; } = new();

    /// <summary>Node A's and node B's view of the one database.</summary>
    private protected IMetadataBackend A { get; private set; } = null!;
    private protected IMetadataBackend B { get; private set; } = null!;

    /// <summary>Opens the backend under test on this test's database: each call is another node on the same data.</summary>
    protected abstract Task<IMetadataBackend> OpenAsync();

    public virtual async Task InitializeAsync()
    {
        Blobs = new FileSystemBlobStore(_blobRoot.Path);
        A = await OpenTrackedAsync();
        B = await OpenTrackedAsync();
        Assert.True(await A.CreateBucketAsync(new BucketRecord("b", "alice", "ap-guangzhou", Sample.Instant)));
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var backend in _opened)
        {
            await backend.DisposeAsync();
        }
        _blobRoot.Dispose();
    }

    private async Task<IMetadataBackend> OpenTrackedAsync()
    {
        var backend = await OpenAsync();
        _opened.Add(backend);
        return backend;
    }

    /// <summary>Writes a blob the way the server does: pending row first, then the commit.</summary>
    private async Task<string> WritePendingBlobAsync(IMetadataBackend node)
    {
        await using var writer = Blobs.CreateWriter();
        await writer.Stream.WriteAsync(new byte[] { 1, 2, 3 });
        await node.CommitBlobAsync(writer, Clock);
        return writer.BlobId;
    }

    /// <summary>A blob committed without any ledger row (as a crash that lost it leaves one).</summary>
    private async Task<string> WriteUnrecordedBlobAsync()
    {
        await using var writer = Blobs.CreateWriter();
        await writer.Stream.WriteAsync(new byte[] { 4, 5, 6 });
        await writer.CommitAsync();
        return writer.BlobId;
    }

    private BlobReclaimer Reclaimer(IMetadataBackend node) => new(Blobs, node, BlobReclaimer.DefaultGracePeriod, Clock);

    private static async Task<IReadOnlyList<BlobReclaim>> QueuedAsync(IBlobLedger node) =>
        await node.DueReclaimsAsync(DateTimeOffset.MaxValue, int.MaxValue);

    [ContractFact]
    public async Task Another_nodes_sweep_keeps_a_blob_that_is_pending_and_not_yet_committed()
    {
        var pending = await WritePendingBlobAsync(A);
        var orphan = await WriteUnrecordedBlobAsync();

        var swept = await OrphanSweeper.SweepAsync(B, Blobs, Clock);

        Assert.True(await Blobs.ExistsAsync(pending));
        Assert.False(await Blobs.ExistsAsync(orphan));
        Assert.Equal(new OrphanSweepResult(0, 1, 1), swept);

        // A's commit names it and drops the pending row in the same transaction; B's next sweep keeps it as referenced.
        await A.PutObjectAsync(Sample.Object("b", "k", pending));
        Clock.Advance(BlobLedger.PendingLifetime + TimeSpan.FromMinutes(1));
        Assert.Equal(new OrphanSweepResult(0, 0, 1), await OrphanSweeper.SweepAsync(B, Blobs, Clock));
        Assert.True(await Blobs.ExistsAsync(pending));
        Assert.Empty(await QueuedAsync(B));
    }

    [ContractFact]
    public async Task A_part_commit_drops_the_pending_row_as_an_object_commit_does()
    {
        var blob = await WritePendingBlobAsync(A);
        var upload = new MultipartUpload { UploadId = MultipartUploadIds.New(Sample.Instant), Bucket = "b", Key = "k", Initiated = Sample.Instant, Owner = "alice" };
        await A.CreateUploadAsync(upload);
        var part = new MultipartPart(1, new ObjectStream(blob, 3, "part:1:x", 59, "00112233445566778899aabbccddeeff"), "0123", 7, Sample.Instant);
        Assert.True((await A.PutPartAsync("b", "k", upload.UploadId, part)).UploadFound);

        // Past the pending lifetime, only the part keeps the blob; nothing was handed to the reclaim queue.
        Clock.Advance(BlobLedger.PendingLifetime + TimeSpan.FromMinutes(1));
        Assert.Equal(new OrphanSweepResult(0, 0, 1), await OrphanSweeper.SweepAsync(B, Blobs, Clock));
        Assert.Empty(await QueuedAsync(B));
        Assert.True(await Blobs.ExistsAsync(blob));
    }

    [ContractFact]
    public async Task A_pending_blob_whose_writer_is_gone_is_reclaimed_once_its_row_expires()
    {
        var abandoned = await WritePendingBlobAsync(A);

        Clock.Advance(BlobLedger.PendingLifetime - TimeSpan.FromSeconds(1));
        await OrphanSweeper.SweepAsync(B, Blobs, Clock);
        Assert.True(await Blobs.ExistsAsync(abandoned));
        Assert.Empty(await QueuedAsync(B));

        Clock.Advance(TimeSpan.FromSeconds(1));
        var swept = await OrphanSweeper.SweepAsync(B, Blobs, Clock);
        Assert.Equal(0, swept.OrphanBlobsDeleted); // handed to the reclaim queue, due now
        Assert.Equal([abandoned], (await QueuedAsync(A)).Select(r => r.BlobId));

        await using var reclaimer = Reclaimer(A);
        Assert.Equal(1, await reclaimer.DrainAsync());
        Assert.False(await Blobs.ExistsAsync(abandoned));
        Assert.Empty(await QueuedAsync(B));
    }

    [ContractFact]
    public async Task A_reclaim_queued_on_one_node_is_carried_out_by_the_other_after_the_grace_and_not_before()
    {
        var blob = await WritePendingBlobAsync(A);
        await A.PutObjectAsync(Sample.Object("b", "k", blob));
        var deleted = await A.DeleteObjectAsync("b", "k");
        await using var onA = Reclaimer(A);
        await onA.EnqueueAsync(Sample.BlobIdsOf(deleted!));
        await using var onB = Reclaimer(B);

        Clock.Advance(BlobReclaimer.DefaultGracePeriod - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await onB.DrainAsync());
        Assert.True(await Blobs.ExistsAsync(blob));
        // The queue keeps it from another node's sweep meanwhile.
        Assert.Equal(new OrphanSweepResult(0, 0, 1), await OrphanSweeper.SweepAsync(B, Blobs, Clock));
        Assert.True(await Blobs.ExistsAsync(blob));

        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await onB.DrainAsync());
        Assert.False(await Blobs.ExistsAsync(blob));
        Assert.Empty(await QueuedAsync(A));
    }

    [ContractFact]
    public async Task A_blob_referenced_again_before_the_grace_survives_and_leaves_the_queue()
    {
        var blob = await WritePendingBlobAsync(A);
        await A.PutObjectAsync(Sample.Object("b", "one", blob));
        var deleted = await A.DeleteObjectAsync("b", "one");
        await using var onA = Reclaimer(A);
        await onA.EnqueueAsync(Sample.BlobIdsOf(deleted!));

        Clock.Advance(TimeSpan.FromSeconds(5));
        await B.PutObjectAsync(Sample.Object("b", "two", blob));
        Clock.Advance(BlobReclaimer.DefaultGracePeriod);

        await using var onB = Reclaimer(B);
        Assert.Equal(0, await onB.DrainAsync());
        Assert.True(await Blobs.ExistsAsync(blob));
        Assert.Empty(await QueuedAsync(A));
        Assert.True(await A.IsBlobReferencedAsync(blob));
    }

    [ContractFact]
    public async Task A_blob_still_shared_by_another_object_is_kept_when_one_is_deleted()
    {
        var shared = await WritePendingBlobAsync(A);
        await A.PutObjectAsync(Sample.Object("b", "one", shared));
        Assert.NotNull(await B.PutObjectSharingBlobsAsync(Sample.Object("b", "two", shared)));
        await using var onA = Reclaimer(A);
        await onA.EnqueueAsync(Sample.BlobIdsOf((await A.DeleteObjectAsync("b", "one"))!));

        Clock.Advance(BlobReclaimer.DefaultGracePeriod);
        var due = Assert.Single(await B.DueReclaimsAsync(Clock.GetUtcNow(), 10));
        Assert.True(due.Referenced);
        await using var onB = Reclaimer(B);
        Assert.Equal(0, await onB.DrainAsync());
        Assert.True(await Blobs.ExistsAsync(shared));
    }

    [ContractFact]
    public async Task Two_nodes_draining_the_same_queue_delete_each_blob_and_empty_the_queue()
    {
        var ids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await WritePendingBlobAsync(A));
        }
        await A.EnqueueReclaimAsync(ids, Clock.GetUtcNow());
        await using var onA = Reclaimer(A);
        await using var onB = Reclaimer(B);

        var counts = await Task.WhenAll(onA.DrainAsync(), onB.DrainAsync());

        Assert.InRange(counts.Sum(), ids.Count, 2 * ids.Count);
        foreach (var id in ids)
            Assert.False(await Blobs.ExistsAsync(id));
        Assert.Empty(await QueuedAsync(A));
    }

    [ContractFact]
    public async Task Queuing_a_blob_drops_its_pending_row_and_keeps_the_later_time()
    {
        var blob = await WritePendingBlobAsync(A);
        var now = Clock.GetUtcNow();
        await A.EnqueueReclaimAsync([blob], now.AddSeconds(30));
        await B.EnqueueReclaimAsync([blob], now.AddSeconds(10));

        var row = Assert.Single(await QueuedAsync(B));
        Assert.Equal(now.AddSeconds(30), row.NotBefore);
        Assert.Empty(await B.DueReclaimsAsync(now.AddSeconds(29), 10));
        // Not pending any more: when the pending lifetime passes nothing moves it to the queue again.
        Clock.Advance(BlobLedger.PendingLifetime);
        Assert.Equal(0, await B.ExpirePendingAsync(Clock.GetUtcNow()));
    }

    [ContractFact]
    public async Task A_queue_row_is_removed_only_as_it_was_read()
    {
        var blob = await WriteUnrecordedBlobAsync();
        var now = Clock.GetUtcNow();
        await A.EnqueueReclaimAsync([blob], now);
        var read = Assert.Single(await B.DueReclaimsAsync(now, 10));
        Assert.False(read.Referenced);

        await A.EnqueueReclaimAsync([blob], now.AddSeconds(30)); // queued again meanwhile
        Assert.False(await B.RemoveReclaimAsync(read));
        var again = Assert.Single(await QueuedAsync(A));
        Assert.True(await B.RemoveReclaimAsync(again));
        Assert.Empty(await QueuedAsync(A));
    }

    [ContractFact]
    public async Task The_ledger_is_durable_a_node_opened_later_sees_the_queue_and_the_pending_rows()
    {
        var queued = await WriteUnrecordedBlobAsync();
        var pending = await WritePendingBlobAsync(A);
        await A.EnqueueReclaimAsync([queued], Clock.GetUtcNow().AddSeconds(30));

        var later = await OpenTrackedAsync();
        var unknown = await WriteUnrecordedBlobAsync();
        var live = await later.LiveBlobIdsAsync([queued, pending, unknown], Clock.GetUtcNow());
        Assert.Equal(new HashSet<string> { queued, pending }, live);
        Assert.Equal([queued], (await QueuedAsync(later)).Select(r => r.BlobId));
    }

    [ContractFact]
    public async Task A_blob_committed_on_another_node_while_the_sweep_lists_is_never_swept()
    {
        // Blobs already there when the sweep starts: some referenced, some orphans, over several pages.
        var orphans = new List<string>();
        for (var i = 0; i < 6; i++)
            orphans.Add(await WriteUnrecordedBlobAsync());
        var named = await WritePendingBlobAsync(A);
        await A.PutObjectAsync(Sample.Object("b", "named", named));

        // While B's sweep is between pages, A commits blobs (pending rows first, as the server does), and names
        // one of them in an object; the others are still in flight when the sweep checks their page, or later.
        var committed = new List<string>();
        var listing = new InterleavedListing(Blobs, async () =>
        {
            committed.Add(await WritePendingBlobAsync(A));
            if (committed.Count % 2 == 0)
                await A.PutObjectAsync(Sample.Object("b", $"late{committed.Count}", committed[^1]));
        });

        var swept = await OrphanSweeper.SweepAsync(B, listing, Clock, pageSize: 2);

        Assert.NotEmpty(committed);
        foreach (var id in committed)
            Assert.True(await Blobs.ExistsAsync(id), $"in-flight blob {id} was swept");
        Assert.True(await Blobs.ExistsAsync(named));
        foreach (var id in orphans)
            Assert.False(await Blobs.ExistsAsync(id));
        Assert.Equal(orphans.Count, swept.OrphanBlobsDeleted);
    }

    /// <summary>A blob store whose listing runs <c>between</c> after every blob it yields (another node's writes), and lists what they add too.</summary>
    private sealed class InterleavedListing(IBlobStore inner, Func<Task> between) : IBlobStore
    {
        public IBlobWriter CreateWriter() => inner.CreateWriter();
        public ValueTask<Stream> OpenReadAsync(string blobId, long offset = 0, long? length = null, CancellationToken ct = default) => inner.OpenReadAsync(blobId, offset, length, ct);
        public ValueTask<bool> ExistsAsync(string blobId, CancellationToken ct = default) => inner.ExistsAsync(blobId, ct);
        public ValueTask DeleteAsync(string blobId, CancellationToken ct = default) => inner.DeleteAsync(blobId, ct);

        public async IAsyncEnumerable<BlobInfo> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var found = true;
            while (found)
            {
                found = false;
                var snapshot = new List<BlobInfo>();
                await foreach (var blob in inner.ListAsync(ct))
                    snapshot.Add(blob);
                foreach (var blob in snapshot.Where(b => seen.Add(b.BlobId)))
                {
                    found = true;
                    yield return blob;
                    if (seen.Count <= 12)
                        await between();
                }
            }
        }
    }
}
