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
/// not finish (<see cref="IKeyMaterialScrubber"/>: for SQLite, a WAL truncation that a reader held up; for
/// PostgreSQL, the rewrite of the key table, owed until it runs even when the node that destroyed the material
/// stopped or was killed first: the store keeps that note in the database, so this node finds it).
/// Destroys and automatic rotations, whether made here or lazily by a request, go to the audit log.
/// <para>
/// A leased job (<see cref="LeasedJob"/>, lease <see cref="JobName"/>): every node runs the loop, and only the
/// node holding the lease runs the passes. A pass run twice (two nodes, or a pass cut short and taken over) does
/// no harm: a key is destroyed by a conditional update of a key still pending deletion and past its date, a
/// rotation by a conditional update of the key's rotation date (the second node's finds it moved), and the scrub
/// is idempotent.
/// </para>
/// </summary>
public sealed class KmsMaintenance : IAsyncDisposable
{
    private readonly KeyManager _kms;
    private readonly IKeyMaterialScrubber _scrubber;
    private readonly ILogger _log;
    private readonly IDisposable _auditSubscription;
    private readonly LeasedJob _job;

    /// <summary>The name of its lease.</summary>
    public const string JobName = "kms-maintenance";

    /// <summary>Creates the job (not started) and subscribes the audit log to key changes.</summary>
    /// <param name="kms">The key manager.</param>
    /// <param name="scrubber">The store's scrub of destroyed key material.</param>
    /// <param name="audit">The KMS audit log.</param>
    /// <param name="log">Where results and failures go.</param>
    /// <param name="interval">Time between passes.</param>
    /// <param name="leases">The shared backend's job leases.</param>
    /// <param name="holder">This node's id as a lease holder.</param>
    public KmsMaintenance(KeyManager kms, IKeyMaterialScrubber scrubber, KmsAuditLog audit, ILogger log, TimeSpan interval, IJobLeases leases, string holder)
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
        _job = new LeasedJob(JobName, leases, holder, interval, async ct => await RunOnceAsync(ct).ConfigureAwait(false), log);
    }

    /// <summary>The leased loop that runs it.</summary>
    public LeasedJob Job => _job;

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

    /// <summary>Starts the periodic loop (the first attempt happens at once).</summary>
    public void Start() => _job.Start();

    /// <summary>One run, whether or not this node holds the lease (the leased loop calls it when it does): destroy expired keys, rotate due keys, finish a scrub of destroyed key material.</summary>
    /// <returns>How many keys were destroyed and rotated.</returns>
    public async Task<(int Destroyed, int Rotated)> RunOnceAsync(CancellationToken ct = default)
    {
        int destroyed = await _kms.DeleteExpiredKeysAsync(ct).ConfigureAwait(false);
        var rotated = await _kms.RotateDueKeysAsync(ct).ConfigureAwait(false);
        if (await _scrubber.MayHoldDestroyedKeyMaterialAsync(ct).ConfigureAwait(false) && !await _scrubber.ScrubDestroyedKeyMaterialAsync(TimeSpan.FromSeconds(5), ct).ConfigureAwait(false))
        {
            _log.LogWarning("The metadata store may still hold a copy of destroyed KMS key material (for SQLite: pages in its WAL that a reader kept busy); retrying.");
        }

        if (destroyed > 0)
            _log.LogInformation("Destroyed the material of {Count} KMS key(s) whose deletion date had passed.", destroyed);
        foreach (var key in rotated)
            _log.LogInformation("Rotated KMS key {KeyId} to version {Version} (automatic rotation).", key.KeyId, key.Versions[^1].Version);
        return (destroyed, rotated.Count);
    }

    /// <summary>Stops the loop, releases the lease and unsubscribes.</summary>
    public async ValueTask DisposeAsync()
    {
        await _job.DisposeAsync().ConfigureAwait(false);
        _auditSubscription.Dispose();
    }
}
