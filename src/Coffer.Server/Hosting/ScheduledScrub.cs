using Coffer.Server.Objects;
using Coffer.Storage;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Hosting;

/// <summary>
/// The scheduled keyless scrub (<c>coffer serve --scrub-interval</c>): every <see cref="Interval"/> of server time
/// a scrub of every stored object starts (<see cref="Scrubber"/>, keyless, at <c>--scrub-rate</c>). It runs as a
/// leased job in bounded passes: each pass continues the current scrub for at most <see cref="PassBudget"/> and
/// saves its progress, so one node runs it at a time, a node that stops or dies leaves the rest to the next holder,
/// and a pass run twice re-reads a few objects, nothing worse. Damaged objects are logged as errors as they are
/// found and stay in the saved progress (<c>coffer admin scrub --status</c>); the node that runs it reports them as
/// metrics (<see cref="Telemetry.CofferMetrics.ObserveScrub"/>).
/// </summary>
public sealed class ScheduledScrub : IAsyncDisposable
{
    /// <summary>The job's lease name.</summary>
    public const string JobName = "scrub";

    private readonly Scrubber _scrubber;
    private readonly double _rate;
    private readonly TimeProvider _time;
    private readonly LeasedJob _job;

    /// <summary>Creates the job (not started).</summary>
    public ScheduledScrub(IMetadataBackend store, IBlobStore blobs, TimeSpan interval, double bytesPerSecond, string holder, ILogger log, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(bytesPerSecond, 0);
        Interval = interval;
        _rate = bytesPerSecond;
        _time = time ?? TimeProvider.System;
        _scrubber = new Scrubber(store, blobs, time: _time)
        {
            OnFinding = f => log.LogError("Scrub: {Bucket}/{Key} (version {VersionId}) is damaged: {Problem}", f.Bucket, f.Key, f.VersionId, f.Problem),
        };
        var period = PassPeriodFor(interval);
        PassBudget = period;
        _job = new LeasedJob(JobName, store, holder, period, async ct =>
        {
            var result = await RunPassAsync(ct).ConfigureAwait(false);
            if (result is { Finished: true } r)
                log.LogInformation("Scrub finished: {Objects} objects, {Bytes} bytes checked, {Damaged} damaged, {Changed} changed while checked.",
                    r.Progress.Objects, r.Progress.Bytes, r.Progress.Damaged, r.Progress.Changed);
        }, log, time: _time, firstDelay: true);
    }

    /// <summary>Time from the start of one scrub to the start of the next.</summary>
    public TimeSpan Interval { get; }

    /// <summary>The longest a pass runs before it saves its progress and gives the node back (the pass period).</summary>
    public TimeSpan PassBudget { get; }

    /// <summary>The progress of the current (or last) scrub as this node last ran or read it; null before its first pass.</summary>
    public ScrubProgress? Last { get; private set; }

    /// <summary>Scrubs this node has finished.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    private long _completed;

    /// <summary>The leased job (tests run passes with <see cref="LeasedJob.RunOnceAsync"/>).</summary>
    public LeasedJob Job => _job;

    /// <summary>
    /// Time between passes (and each pass's budget): a tenth of the interval, between 1 s and 1 minute, so a pass
    /// ends well within its lease (three periods, at least 30 s) and a stopped node's scrub resumes soon elsewhere.
    /// </summary>
    public static TimeSpan PassPeriodFor(TimeSpan interval)
    {
        var tenth = interval / 10;
        return tenth < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : tenth > TimeSpan.FromMinutes(1) ? TimeSpan.FromMinutes(1) : tenth;
    }

    /// <summary>Starts the schedule.</summary>
    public void Start() => _job.Start();

    /// <summary>
    /// One pass: continues the current scrub for at most <see cref="PassBudget"/>; starts a new one when the last
    /// finished at least <see cref="Interval"/> after it started. Null when no scrub is due.
    /// </summary>
    public async Task<ScrubResult?> RunPassAsync(CancellationToken ct = default)
    {
        var last = await _scrubber.GetProgressAsync(null, deep: false, ct).ConfigureAwait(false);
        Last = last ?? Last;
        var restart = false;
        if (last is { Completed: not null })
        {
            if (_time.GetUtcNow() < last.Started + Interval)
                return null;
            restart = true;
        }
        var result = await _scrubber.RunAsync(new ScrubRequest(Bucket: null, Deep: false, RateBytesPerSecond: _rate, Restart: restart, Budget: PassBudget), null, ct)
            .ConfigureAwait(false);
        Last = result.Progress;
        if (result.Finished)
            Interlocked.Increment(ref _completed);
        return result;
    }

    /// <summary>Stops the schedule; a pass under way saves its progress.</summary>
    public ValueTask DisposeAsync() => _job.DisposeAsync();
}
