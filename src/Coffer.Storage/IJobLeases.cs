namespace Coffer.Storage;

/// <summary>
/// A lease on a background job held by one node: <see cref="Holder"/> may run <see cref="JobName"/> until
/// <see cref="ExpiresAt"/>, and <see cref="Generation"/> fences it (it grows by one every time the lease is
/// acquired, so an older holder's renewal or release no longer matches).
/// </summary>
/// <param name="JobName">The job's name (one lease row per job).</param>
/// <param name="Holder">The node holding it (an id unique per process).</param>
/// <param name="Generation">The fencing generation: greater than every earlier lease on this job.</param>
/// <param name="ExpiresAt">When the lease lapses unless renewed.</param>
/// <param name="Duration">How long each acquisition or renewal keeps it.</param>
public sealed record JobLease(string JobName, string Holder, long Generation, DateTimeOffset ExpiresAt, TimeSpan Duration);

/// <summary>
/// Leases on the background jobs that must run on one node at a time when several share a metadata
/// backend (KMS rotation and deletion windows, the orphan sweep): a lease row per job (name, holder,
/// generation, expiry). A node acquires a job's lease, runs one pass, renews; a node that cannot get it skips
/// the pass; a node that dies stops renewing, and its lease expires and passes to another.
/// </summary>
/// <remarks>
/// Times are the caller's clock (<paramref name="now"/> arguments): nodes must keep their clocks within a small
/// part of a lease's duration of each other (NTP). A lease is no lock on the data: a pass that outlives its
/// lease may overlap with the next holder's, so every leased job must be harmless when run twice.
/// </remarks>
public interface IJobLeases
{
    /// <summary>
    /// Takes the lease on <paramref name="jobName"/> for <paramref name="holder"/> when nobody holds it, its
    /// holder's lease has expired (at <paramref name="now"/>), or <paramref name="holder"/> holds it already.
    /// </summary>
    /// <returns>The lease, with a generation greater than any before it; null when another holder's lease is current.</returns>
    Task<JobLease?> TryAcquireAsync(string jobName, string holder, TimeSpan leaseDuration, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Extends <paramref name="lease"/> to <paramref name="now"/> plus its duration, if it is still the current lease.</summary>
    /// <returns>The renewed lease; null when it was lost (another holder acquired the job since, or it was released).</returns>
    Task<JobLease?> RenewAsync(JobLease lease, DateTimeOffset now, CancellationToken ct = default);

    /// <summary>Gives the lease up at once (when it is still the current one), so another node may take the job without waiting for expiry.</summary>
    Task ReleaseAsync(JobLease lease, CancellationToken ct = default);

    /// <summary>
    /// The saved state of a resumable job (<paramref name="name"/>, e.g. a scrub's cursor and findings), as the job
    /// serialized it; null when none was saved. Any node reads what any node saved.
    /// </summary>
    Task<JobState?> GetJobStateAsync(string name, CancellationToken ct = default);

    /// <summary>Creates or replaces the saved state of a resumable job (one row per name; last writer wins).</summary>
    Task SaveJobStateAsync(string name, string state, DateTimeOffset updated, CancellationToken ct = default);
}

/// <summary>The saved state of a resumable job: what the job serialized (JSON by convention) and when.</summary>
/// <param name="Name">The job's state name.</param>
/// <param name="State">The state as the job wrote it.</param>
/// <param name="Updated">When it was saved.</param>
public sealed record JobState(string Name, string State, DateTimeOffset Updated);
