namespace Coffer.Storage;

/// <summary>
/// Deletes the blobs of replaced and deleted objects once a grace period has passed, so a
/// GET that read the old metadata just before the overwrite can still open its blob.
/// </summary>
/// <remarks>
/// The queue lives in memory: blobs still queued when the process stops (or crashes) are
/// orphans, and <see cref="OrphanSweeper"/> deletes them at the next start. Given the metadata
/// store, the reclaimer asks it before each deletion and keeps a blob that an object still
/// refers to (a blob shared by two objects, as a copy that only re-seals the key leaves).
/// </remarks>
public sealed class BlobReclaimer : IAsyncDisposable
{
    /// <summary>The default time between a blob's replacement and its deletion.</summary>
    public static readonly TimeSpan DefaultGracePeriod = TimeSpan.FromSeconds(30);

    private readonly IBlobStore _blobs;
    private readonly IMetadataStore? _metadata;
    private readonly TimeProvider _time;
    private readonly Action<string, Exception>? _onError;
    private readonly Queue<(string BlobId, long Due)> _queue = new();
    private readonly Lock _lock = new();
    private CancellationTokenSource? _stopping;
    private Task? _loop;

    /// <summary>Creates a stopped reclaimer; call <see cref="StartAsync"/> to run it in the background.</summary>
    /// <param name="blobs">Where the blobs live.</param>
    /// <param name="metadata">When given, a blob is deleted only if no metadata refers to it any more.</param>
    /// <param name="gracePeriod">How long a blob survives its enqueueing (default <see cref="DefaultGracePeriod"/>).</param>
    /// <param name="timeProvider">The clock (default the system's; tests pass their own).</param>
    /// <param name="onError">Told of a blob that could not be deleted (it is left to the orphan sweep).</param>
    public BlobReclaimer(
        IBlobStore blobs,
        IMetadataStore? metadata = null,
        TimeSpan? gracePeriod = null,
        TimeProvider? timeProvider = null,
        Action<string, Exception>? onError = null)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        GracePeriod = gracePeriod ?? DefaultGracePeriod;
        ArgumentOutOfRangeException.ThrowIfLessThan(GracePeriod, TimeSpan.Zero, nameof(gracePeriod));
        _blobs = blobs;
        _metadata = metadata;
        _time = timeProvider ?? TimeProvider.System;
        _onError = onError;
        PollInterval = TimeSpan.FromTicks(Math.Clamp(GracePeriod.Ticks / 4, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromSeconds(1).Ticks));
    }

    /// <summary>How long a blob survives its enqueueing.</summary>
    public TimeSpan GracePeriod { get; }

    /// <summary>How often the background loop deletes what is due.</summary>
    public TimeSpan PollInterval { get; }

    /// <summary>Blobs waiting for deletion.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Schedules the blobs for deletion after the grace period.</summary>
    public void Enqueue(IEnumerable<string> blobIds)
    {
        ArgumentNullException.ThrowIfNull(blobIds);
        var due = _time.GetTimestamp() + (long)(GracePeriod.TotalSeconds * _time.TimestampFrequency);
        lock (_lock)
        {
            foreach (var id in blobIds)
            {
                _queue.Enqueue((id, due));
            }
        }
    }

    /// <summary>Deletes every blob whose grace period has passed; returns how many were deleted.</summary>
    /// <remarks>
    /// Blobs still referenced (see the constructor) are dropped from the queue without
    /// deletion; blobs whose deletion fails are reported to the error callback and dropped.
    /// </remarks>
    public async Task<int> DrainAsync(CancellationToken ct = default)
    {
        var deleted = 0;
        while (TryDequeueDue(out var blobId))
        {
            try
            {
                ct.ThrowIfCancellationRequested();
                if (_metadata is not null && await _metadata.IsBlobReferencedAsync(blobId, ct).ConfigureAwait(false))
                {
                    continue;
                }
                await _blobs.DeleteAsync(blobId, ct).ConfigureAwait(false);
                deleted++;
            }
            catch (OperationCanceledException)
            {
                // Not done: requeued as already due, for a later drain.
                lock (_lock)
                {
                    _queue.Enqueue((blobId, long.MinValue));
                }
                throw;
            }
            catch (Exception e)
            {
                _onError?.Invoke(blobId, e);
            }
        }
        return deleted;
    }

    /// <summary>For tests: deletes every queued blob now, as if its grace period had passed (still keeping referenced ones).</summary>
    internal Task<int> DrainAllAsync(CancellationToken ct = default)
    {
        lock (_lock)
        {
            var queued = _queue.ToArray();
            _queue.Clear();
            foreach (var (blobId, _) in queued)
            {
                _queue.Enqueue((blobId, long.MinValue));
            }
        }
        return DrainAsync(ct);
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

    /// <summary>Stops the background loop (blobs not yet due stay queued; see the class remarks).</summary>
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
                await DrainAsync(ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private bool TryDequeueDue(out string blobId)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_queue.TryPeek(out var head) && head.Due <= now)
            {
                _queue.Dequeue();
                blobId = head.BlobId;
                return true;
            }
        }
        blobId = "";
        return false;
    }
}
