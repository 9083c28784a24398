using Coffer.Crypto.Kms;
using Coffer.Server.Audit;
using Coffer.Storage;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Hosting;

/// <summary>
/// The server's KMS job, run every <see cref="Interval"/>: destroys the keys whose deletion date has passed
/// (<see cref="KeyManager.DeleteExpiredKeysAsync"/>: every version's material, with the store scrubbing what
/// it keeps of it), adds a version to the keys whose automatic rotation is due
/// (<see cref="KeyManager.RotateDueKeysAsync"/>), and retries a scrub of destroyed key material that could
/// not finish (<see cref="IKeyMaterialScrubber"/>: for SQLite, a WAL truncation that a reader held up).
/// Destroys and automatic rotations, whether made here or lazily by a request, go to the audit log.
/// <para>
/// One node: the embedded server runs it in-process. (Several nodes over one database would each run it;
/// the conditional key updates make that safe, if wasteful, until it becomes a leased job.)
/// </para>
/// </summary>
public sealed class KmsMaintenance : IAsyncDisposable
{
    private readonly KeyManager _kms;
    private readonly IKeyMaterialScrubber _scrubber;
    private readonly ILogger _log;
    private readonly IDisposable _auditSubscription;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Creates the job (not started) and subscribes the audit log to key changes.</summary>
    public KmsMaintenance(KeyManager kms, IKeyMaterialScrubber scrubber, KmsAuditLog audit, ILogger log, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(kms);
        ArgumentNullException.ThrowIfNull(scrubber);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        _kms = kms;
        _scrubber = scrubber;
        _log = log;
        Interval = interval;
        _auditSubscription = audit.RecordKeyEvents(kms, "server");
    }

    /// <summary>Time between runs.</summary>
    public TimeSpan Interval { get; }

    /// <summary>
    /// The default interval: an hour of server time (divided by the time scale, so scaled deletion windows and
    /// rotation periods are kept to within about an hour of scaled time), at least 100 ms and at most a minute.
    /// </summary>
    public static TimeSpan IntervalFor(double timeScale)
    {
        var scaled = TimeSpan.FromHours(1) / Math.Max(timeScale, 1e-9);
        return scaled < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100)
            : scaled > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1)
            : scaled;
    }

    /// <summary>Starts the periodic loop (the first run happens at once).</summary>
    public void Start() => _loop ??= Task.Run(LoopAsync);

    /// <summary>One run: destroy expired keys, rotate due keys, finish a scrub of destroyed key material.</summary>
    /// <returns>How many keys were destroyed and rotated.</returns>
    public async Task<(int Destroyed, int Rotated)> RunOnceAsync(CancellationToken ct = default)
    {
        int destroyed = await _kms.DeleteExpiredKeysAsync(ct).ConfigureAwait(false);
        var rotated = await _kms.RotateDueKeysAsync(ct).ConfigureAwait(false);
        if (_scrubber.MayHoldDestroyedKeyMaterial && !await _scrubber.ScrubDestroyedKeyMaterialAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false))
        {
            _log.LogWarning("The metadata store may still hold a copy of destroyed KMS key material (for SQLite: pages in its WAL that a reader kept busy); retrying.");
        }

        if (destroyed > 0)
            _log.LogInformation("Destroyed the material of {Count} KMS key(s) whose deletion date had passed.", destroyed);
        foreach (var key in rotated)
            _log.LogInformation("Rotated KMS key {KeyId} to version {Version} (automatic rotation).", key.KeyId, key.Versions[^1].Version);
        return (destroyed, rotated.Count);
    }

    /// <summary>Stops the loop and unsubscribes.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _auditSubscription.Dispose();
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Keep running: a transient store error must not stop deletions and rotations for good.
                _log.LogError(e, "The KMS maintenance job failed; it runs again in {Interval}.", Interval);
            }

            await Task.Delay(Interval, ct).ConfigureAwait(false);
        }
    }
}
