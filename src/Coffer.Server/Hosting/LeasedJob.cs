using Coffer.Storage;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Hosting;

/// <summary>
/// A background job that runs on one node at a time among all the nodes sharing a metadata backend: a loop
/// that, every <see cref="Interval"/>, takes (or renews) the job's lease in <see cref="IJobLeases"/>, runs one
/// pass, and renews the lease again. A node that does not get the lease, or loses it, skips the pass; a node
/// that stops releases it, and one that dies stops renewing, so its lease expires after <see cref="LeaseDuration"/>
/// and another node's next attempt takes the job over.
/// </summary>
/// <remarks>
/// A lease guards the schedule, not the data: a pass that outlives its lease (a stalled node) may overlap with
/// the next holder's pass, and a node killed mid-pass leaves the rest of its pass to the next holder. So a pass
/// must be harmless when run twice or cut short (see docs/caches-and-jobs.md for each job's argument).
/// </remarks>
public sealed class LeasedJob : IAsyncDisposable
{
    private readonly IJobLeases _leases;
    private readonly Func<CancellationToken, Task> _pass;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly bool _firstDelay;
    private readonly bool _firstPassAlone;
    private JobLease? _lease;
    private Task? _loop;

    /// <summary>Creates the job (not started).</summary>
    /// <param name="name">The job's name: its lease row (the same on every node).</param>
    /// <param name="leases">The shared backend's leases.</param>
    /// <param name="holder">This node's id (<see cref="NewNodeId"/>).</param>
    /// <param name="interval">Time between passes on the holding node (and between attempts on the others).</param>
    /// <param name="pass">One pass of the job.</param>
    /// <param name="log">Where failures go.</param>
    /// <param name="leaseDuration">How long a lease lasts unrenewed (default <see cref="LeaseDurationFor"/>).</param>
    /// <param name="time">The clock (default the system's).</param>
    /// <param name="firstDelay">Whether the first attempt waits one interval (a job that also ran at start) rather than happening at once.</param>
    /// <param name="firstPassAlone">
    /// Whether this node is the only one on its backend (the embedded SQLite database): then the loop's first pass runs
    /// without the lease, since a lease that a killed earlier process of this node still holds would otherwise hold the
    /// job up for a whole lease duration; later passes take the lease as usual.
    /// </param>
    public LeasedJob(string name, IJobLeases leases, string holder, TimeSpan interval, Func<CancellationToken, Task> pass, ILogger log,
        TimeSpan? leaseDuration = null, TimeProvider? time = null, bool firstDelay = false, bool firstPassAlone = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(leases);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(pass);
        ArgumentNullException.ThrowIfNull(log);
        Name = name;
        Holder = holder;
        Interval = interval;
        LeaseDuration = leaseDuration ?? LeaseDurationFor(interval);
        _leases = leases;
        _pass = pass;
        _log = log;
        _time = time ?? TimeProvider.System;
        _firstDelay = firstDelay;
        _firstPassAlone = firstPassAlone;
    }

    /// <summary>An id for this process as a lease holder: host, process id and a random part (unique even for two servers in one process).</summary>
    public static string NewNodeId() => $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// The default lease duration: three intervals (so the holder renews it twice over before it lapses), at least
    /// 30 s (a pass may take a while; a garbage-collection pause must not hand the job over). A dead node's job
    /// resumes elsewhere within this duration plus one interval.
    /// </summary>
    public static TimeSpan LeaseDurationFor(TimeSpan interval)
    {
        var three = interval * 3;
        return three < TimeSpan.FromSeconds(30) ? TimeSpan.FromSeconds(30) : three;
    }

    /// <summary>The job's name (its lease row).</summary>
    public string Name { get; }

    /// <summary>This node's id as a holder.</summary>
    public string Holder { get; }

    /// <summary>Time between passes.</summary>
    public TimeSpan Interval { get; }

    /// <summary>How long a lease lasts unrenewed.</summary>
    public TimeSpan LeaseDuration { get; }

    /// <summary>Whether this node held the lease after its last attempt.</summary>
    public bool HoldsLease => _lease is not null;

    /// <summary>How many passes this node has run.</summary>
    public int PassesRun { get; private set; }

    /// <summary>Starts the loop (the first attempt happens at once, or after one interval when so made).</summary>
    public void Start() => _loop ??= Task.Run(LoopAsync);

    /// <summary>
    /// One attempt: takes or renews the lease, and when this node holds it, runs one pass and renews the lease.
    /// </summary>
    /// <returns>Whether this node ran the pass.</returns>
    public async Task<bool> RunOnceAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (_lease is { } held)
            {
                _lease = await _leases.RenewAsync(held, now, ct).ConfigureAwait(false);
                if (_lease is null)
                    _log.LogInformation("Lost the lease on background job {Job} to another node; it runs there.", Name);
            }
            _lease ??= await _leases.TryAcquireAsync(Name, Holder, LeaseDuration, now, ct).ConfigureAwait(false);
            if (_lease is null)
                return false;

            await _pass(ct).ConfigureAwait(false);
            PassesRun++;
            _lease = await _leases.RenewAsync(_lease, _time.GetUtcNow(), ct).ConfigureAwait(false);
            if (_lease is null)
                _log.LogWarning("Background job {Job} outlived its lease ({Duration}); another node has taken it over.", Name, LeaseDuration);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops the loop and releases the lease, so another node takes the job at its next attempt.</summary>
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

        if (_lease is { } lease)
        {
            try
            {
                await _leases.ReleaseAsync(lease).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The lease then expires by itself.
                _log.LogWarning("Could not release the lease on background job {Job} ({Error}); it expires within {Duration}.", Name, e.Message, LeaseDuration);
            }
            _lease = null;
        }
        _stop.Dispose();
    }

    /// <summary>One pass without the lease (a node alone on its backend, see the constructor's <c>firstPassAlone</c>).</summary>
    private async Task RunAloneAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _pass(ct).ConfigureAwait(false);
            PassesRun++;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LoopAsync()
    {
        var ct = _stop.Token;
        if (_firstDelay)
        {
            await Task.Delay(Interval, _time, ct).ConfigureAwait(false);
        }
        var alone = _firstPassAlone;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (alone)
                {
                    alone = false;
                    await RunAloneAsync(ct).ConfigureAwait(false);
                }
                else
                {
                    await RunOnceAsync(ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Keep running: a transient store error must not stop the job for good. The lease, if held, is kept
                // (renewed at the next attempt, or lost to another node if that comes too late).
                _log.LogError(e, "Background job {Job} failed; it runs again in {Interval}.", Name, Interval);
            }

            await Task.Delay(Interval, _time, ct).ConfigureAwait(false);
        }
    }
}
