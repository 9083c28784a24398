namespace Coffer.Storage;

/// <summary>
/// Deletes the blobs of replaced and deleted objects once a grace period has passed, so a
/// GET that read the old metadata just before the overwrite can still open its blob.
/// </summary>
/// <remarks>
/// The queue is durable: rows of the metadata store's <see cref="IBlobLedger"/>, so blobs queued when
/// the process stops (or crashes) are deleted by the next reclaimer to run, on this node or another.
/// Each due blob is checked against the metadata in the same read: a blob that an object still refers
/// to (a blob shared by two objects, as a copy that only re-seals the key leaves) is kept and its row
/// dropped. Two reclaimers draining one queue at once (two nodes) do no harm: deleting a blob twice
/// is not an error, and a row is removed only as it was read.
/// </remarks>
public sealed class BlobReclaimer : IAsyncDisposable
{
    /// <summary>The default time between a blob's replacement and its deletion.</summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(30);

    /// <summary>How many due rows one read of the queue takes.</summary>
    private const int BatchSize = 256;

    private readonly IBlobStore _blobs;
    private readonly IBlobLedger _ledger;
    private readonly TimeProvider _time;
    private readonly Action<string, Exception>? _onError;
    private readonly Lock _lock = new();
    private CancellationTokenSource? _stopping;
    private Task? _loop;

    /// <summary>Creates a stopped reclaimer; call <see cref="StartAsync"/> to run it in the background.</summary>
    /// <param name="blobs">Where the blobs live.</param>
    /// <param name="ledger">The durable queue (and the reference check) in the metadata store.</param>
    /// <param name="gracePeriod">How long a blob survives its enqueueing (default <see cref="DefaultGracePeriod"/>).</param>
    /// <param name="timeProvider">The clock (default the system's; tests pass their own).</param>
    /// <param name="onError">
    /// Told of a blob that could not be deleted (it stays queued and is tried again after another grace
    /// period), or, with an empty blob id, of a background drain that could not read the queue (retried at the next poll).
    /// </param>
    public BlobReclaimer(
        IBlobStore blobs,
        IBlobLedger ledger,
        TimeSpan? gracePeriod = null,
        TimeProvider? timeProvider = null,
        Action<string, Exception>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(ledger);
        GracePeriod = gracePeriod ?? DefaultGracePeriod;
        ArgumentOutOfRangeException.ThrowIfLessThan(GracePeriod, TimeSpan.Zero, nameof(gracePeriod));
        _blobs = blobs;
        _ledger = ledger;
        _time = timeProvider ?? TimeProvider.System;
        _onError = onError;
        PollInterval = TimeSpan.FromTicks(Math.Clamp(GracePeriod.Ticks / 4, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromSeconds(1).Ticks));
    }

    /// <summary>How long a blob survives its enqueueing.</summary>
    public TimeSpan GracePeriod { get; }

    /// <summary>How often the background loop deletes what is due.</summary>
    public TimeSpan PollInterval { get; }

    /// <summary>Schedules the blobs for deletion after the grace period (a durable row each).</summary>
    public Task EnqueueAsync(IEnumerable<string> blobIds, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(blobIds);
        return _ledger.EnqueueReclaimAsync(blobIds, _time.GetUtcNow() + GracePeriod, ct);
    }

    /// <summary>Deletes every queued blob whose grace period has passed; returns how many were deleted.</summary>
    /// <remarks>
    /// Blobs still referenced are dropped from the queue without deletion; a blob whose deletion fails
    /// is reported to the error callback and tried again after another grace period.
    /// </remarks>
    public Task<int> DrainAsync(CancellationToken ct = default) => DrainDueAsync(_time.GetUtcNow(), ct);

    /// <summary>For tests: deletes every queued blob now, as if its grace period had passed (still keeping referenced ones).</summary>
    internal Task<int> DrainAllAsync(CancellationToken ct = default) => DrainDueAsync(DateTimeOffset.MaxValue, ct);

    private async Task<int> DrainDueAsync(DateTimeOffset now, CancellationToken ct)
    {
        var deleted = 0;
        while (true)
        {
            var due = await _ledger.DueReclaimsAsync(now, BatchSize, ct).ConfigureAwait(false);
            var progressed = false;
            foreach (var reclaim in due)
            {
                ct.ThrowIfCancellationRequested();
                try
                {
                    if (!reclaim.Referenced)
                    {
                        await _blobs.DeleteAsync(reclaim.BlobId, ct).ConfigureAwait(false);
                        deleted++;
                    }
                    progressed |= await _ledger.RemoveReclaimAsync(reclaim, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw; // The row stays: a later drain finishes it.
                }
                catch (Exception e)
                {
                    _onError?.Invoke(reclaim.BlobId, e);
                    await _ledger.EnqueueReclaimAsync([reclaim.BlobId], _time.GetUtcNow() + GracePeriod, ct).ConfigureAwait(false);
                    progressed = true;
                }
            }
            // A short page is the end of what is due; a page that moved nothing (another node holds the
            // same rows) is left for the next poll rather than read again at once.
            if (due.Count < BatchSize || !progressed)
            {
                return deleted;
            }
        }
    }

    /// <summary>Starts the background loop that drains every <see cref="PollInterval"/>.</summary>
    /// <exception cref="InvalidOperationException">It is already running.</exception>
    public Task StartAsync(CancellationToken ct = default)
    {
        lock (_lock)
        {
            if (_loop is not null)
            {
                throw new InvalidOperationException("The blob reclaimer is already running.");
            }
            _stopping = new CancellationTokenSource();
            var token = _stopping.Token;
            _loop = Task.Run(() => RunAsync(token), CancellationToken.None);
        }
        return Task.CompletedTask;
    }

    /// <summary>Stops the background loop (blobs not yet deleted stay queued in the metadata store).</summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        Task? loop;
        CancellationTokenSource? stopping;
        lock (_lock)
        {
            (loop, stopping) = (_loop, _stopping);
            (_loop, _stopping) = (null, null);
        }
        if (loop is null || stopping is null)
        {
            return;
        }
        try
        {
            await stopping.CancelAsync().ConfigureAwait(false);
            await loop.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            stopping.Dispose();
        }
    }

    /// <summary>Stops the background loop.</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(PollInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await DrainAsync(ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The metadata store failed (busy, gone for a moment): the rows stay; try at the next tick.
                    _onError?.Invoke("", e);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped.
        }
    }
}
