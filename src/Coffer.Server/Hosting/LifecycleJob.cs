using Coffer.Server.Objects;
using Coffer.Storage;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Hosting;

/// <summary>What one lifecycle pass did.</summary>
/// <param name="Buckets">Buckets with a lifecycle configuration looked at.</param>
/// <param name="Expired">Objects deleted by an Expiration rule.</param>
/// <param name="Transitioned">Objects moved to a colder storage class by a Transition rule.</param>
/// <param name="Aborted">Multipart uploads aborted by an AbortIncompleteMultipartUpload rule.</param>
public sealed record LifecyclePassResult(int Buckets, int Expired, int Transitioned, int Aborted);

/// <summary>
/// Runs the buckets' lifecycle rules (docs/protocol/lifecycle.md): every <see cref="Interval"/>, pages through the
/// buckets that have a configuration, through each one's objects by key (only under the prefixes of rules that act on
/// objects) and through its multipart uploads, and expires, transitions or aborts what a rule names and has come due.
/// <para>
/// A leased job (<see cref="LeasedJob"/>, lease <see cref="JobName"/>): one node at a time runs the passes. A pass
/// holds one page (1,000 objects) in memory, never a whole bucket. Every action is a compare-and-set on what the
/// listing showed — a delete of the same version with the same tags (<see cref="IMetadataStore.DeleteObjectIfUnchangedAsync"/>),
/// a storage-class change of the same version, class and tags (<see cref="IMetadataStore.UpdateStorageClassAsync"/>), an
/// abort of one upload id — so an object written or retagged meanwhile is left alone, and a pass run twice or cut
/// short and run again does each thing at most once. Days are divided by <see cref="CofferServerOptions.TimeScale"/>,
/// as restores are.
/// </para>
/// </summary>
public sealed class LifecycleJob : IAsyncDisposable
{
    /// <summary>The name of its lease.</summary>
    public const string JobName = "lifecycle";

    /// <summary>Objects (and uploads) read per page.</summary>
    public const int PageSize = 1000;

    private const int BucketPage = 100;

    private readonly CofferServices _s;
    private readonly TimeProvider _clock;
    private readonly double _timeScale;
    private readonly ILogger _log;
    private readonly LeasedJob _job;

    /// <summary>Creates the job (not started).</summary>
    /// <param name="services">The server's stores and reclaimer.</param>
    /// <param name="clock">The clock rules are measured on.</param>
    /// <param name="interval">Time between passes.</param>
    /// <param name="holder">This node's id as a lease holder.</param>
    public LifecycleJob(CofferServices services, TimeProvider clock, TimeSpan interval, string holder)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(clock);
        _s = services;
        _clock = clock;
        _timeScale = services.Options.TimeScale;
        _log = services.Log;
        _job = new LeasedJob(JobName, services.Store, holder, interval, async ct => await RunOnceAsync(ct).ConfigureAwait(false), services.Log);
    }

    /// <summary>The leased loop that runs it.</summary>
    public LeasedJob Job => _job;

    /// <summary>
    /// The default interval: an hour of server time (divided by the time scale; S3 and COS run their rules once a day,
    /// so an hour keeps a rule's effect within an hour of its due time), at least 100 ms and at most an hour.
    /// </summary>
    public static TimeSpan IntervalFor(double timeScale)
    {
        var scaled = TimeSpan.FromHours(1) / Math.Max(timeScale, 1e-9);
        return scaled < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100)
            : scaled > TimeSpan.FromHours(1) ? TimeSpan.FromHours(1)
            : scaled;
    }

    /// <summary>Starts the periodic loop (the first attempt happens at once).</summary>
    public void Start() => _job.Start();

    /// <summary>One pass over every bucket with a lifecycle configuration, whether or not this node holds the lease (the leased loop calls it when it does).</summary>
    public async Task<LifecyclePassResult> RunOnceAsync(CancellationToken ct = default)
    {
        var total = new LifecyclePassResult(0, 0, 0, 0);
        string? after = null;
        while (true)
        {
            var buckets = await _s.Store.ListBucketsWithLifecycleAsync(after, BucketPage, ct).ConfigureAwait(false);
            foreach (var bucket in buckets)
            {
                LifecyclePassResult r;
                try
                {
                    r = await RunBucketAsync(bucket, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // One bucket's failure (a store error, say) must not keep the buckets after it from their rules.
                    _log.LogError(e, "Lifecycle: the rules of bucket {Bucket} could not be run; they run again at the next pass.", bucket.Name);
                    continue;
                }
                total = new LifecyclePassResult(total.Buckets + 1, total.Expired + r.Expired, total.Transitioned + r.Transitioned, total.Aborted + r.Aborted);
            }
            if (buckets.Count < BucketPage)
                break;
            after = buckets[^1].Name;
        }
        if (total.Expired + total.Transitioned + total.Aborted > 0)
        {
            _log.LogInformation("Lifecycle: expired {Expired} object(s), transitioned {Transitioned}, aborted {Aborted} upload(s) in {Buckets} bucket(s).",
                total.Expired, total.Transitioned, total.Aborted, total.Buckets);
        }
        return total;
    }

    /// <summary>
    /// Expiration of a versioned bucket's current version: a delete marker, when the key's current version is still the one
    /// the listing showed (same version id, ETag, Last-Modified and tags).
    /// </summary>
    private async Task<bool> ExpireVersionedAsync(BucketRecord bucket, ObjectRecord listed, DateTimeOffset now, CancellationToken ct)
    {
        var current = await _s.Store.GetObjectAsync(bucket.Name, listed.Key, ct).ConfigureAwait(false);
        if (current is null || current.VersionId != listed.VersionId || current.ETag != listed.ETag
            || current.LastModified != listed.LastModified || !current.Tags.SequenceEqual(listed.Tags))
            return false;
        var markerId = bucket.Versioning == BucketVersioning.Enabled ? VersionIds.New() : null;
        await _s.ReclaimAsync(await _s.Store.PutDeleteMarkerAsync(bucket.Name, listed.Key, markerId, now, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// One bucket's rules, at the clock's now. The configuration is read again before every page, so rules changed or
    /// removed during a pass apply from the next page on (a removed configuration ends the bucket's pass).
    /// </summary>
    public async Task<LifecyclePassResult> RunBucketAsync(BucketRecord bucket, CancellationToken ct = default)
    {
        if (bucket.Lifecycle is not { } lifecycle)
            return new LifecyclePassResult(1, 0, 0, 0);
        int expired = 0, transitioned = 0, aborted = 0;
        foreach (var prefix in ScanPrefixes(lifecycle.Rules.Where(LifecycleRules.ActsOnObjects).Select(r => r.Prefix)))
        {
            string? marker = null;
            do
            {
                if (await CurrentAsync(bucket.Name, ct).ConfigureAwait(false) is not { } current)
                    return new LifecyclePassResult(1, expired, transitioned, aborted);
                lifecycle = current;
                var page = await _s.Store.ListObjectsAsync(bucket.Name, prefix, null, marker, PageSize, ct).ConfigureAwait(false);
                foreach (var obj in page.Objects)
                {
                    var now = _clock.GetUtcNow();
                    if (LifecycleRules.Expiry(lifecycle, obj, _timeScale) is { } expiry && expiry.At <= now)
                    {
                        if (bucket.Versioning != BucketVersioning.Unversioned)
                        {
                            // As S3: in a versioned bucket Expiration makes the current version noncurrent behind a delete
                            // marker (Suspended: replaces the null version), and only if it is still the version listed.
                            if (await ExpireVersionedAsync(bucket, obj, now, ct).ConfigureAwait(false))
                                expired++;
                        }
                        else if (await _s.Store.DeleteObjectIfUnchangedAsync(obj, ct).ConfigureAwait(false) is { } deleted)
                        {
                            // As DeleteObject: the blobs go to the reclaimer, deleted after the grace.
                            await _s.ReclaimAsync(ObjectStream.BlobIdsOf(deleted.Streams)).ConfigureAwait(false);
                            expired++;
                        }
                    }
                    else if (LifecycleRules.DueTransition(lifecycle, obj, now, _timeScale) is { } target
                        && await _s.Store.UpdateStorageClassAsync(obj, target, ct).ConfigureAwait(false))
                    {
                        transitioned++;
                    }
                }
                marker = page.IsTruncated ? page.Objects[^1].Key : null;
            }
            while (marker is not null);
        }

        foreach (var prefix in ScanPrefixes(lifecycle.Rules.Where(r => r.Enabled && r.AbortIncompleteUploadDays is not null).Select(r => r.Prefix)))
        {
            string? keyMarker = null, uploadIdMarker = null;
            do
            {
                if (await CurrentAsync(bucket.Name, ct).ConfigureAwait(false) is not { } current)
                    return new LifecyclePassResult(1, expired, transitioned, aborted);
                lifecycle = current;
                var page = await _s.Store.ListUploadsAsync(bucket.Name, prefix, null, keyMarker, uploadIdMarker, PageSize, ct).ConfigureAwait(false);
                foreach (var upload in page.Uploads)
                {
                    if (LifecycleRules.AbortDue(lifecycle, upload, _clock.GetUtcNow(), _timeScale) is null)
                        continue;
                    if (await _s.Store.AbortUploadAsync(upload.Bucket, upload.Key, upload.UploadId, ct).ConfigureAwait(false) is { } parts)
                    {
                        await _s.ReclaimAsync(parts).ConfigureAwait(false);
                        aborted++;
                    }
                }
                (keyMarker, uploadIdMarker) = page.IsTruncated ? (page.NextKeyMarker, page.NextUploadIdMarker) : (null, null);
            }
            while (keyMarker is not null);
        }
        return new LifecyclePassResult(1, expired, transitioned, aborted);
    }

    private async Task<BucketLifecycle?> CurrentAsync(string bucket, CancellationToken ct) =>
        (await _s.Store.GetBucketAsync(bucket, ct).ConfigureAwait(false))?.Lifecycle;

    /// <summary>
    /// The prefixes to list so that every key under any of <paramref name="prefixes"/> is seen once: a prefix under another
    /// one is left out (the empty prefix covers all).
    /// </summary>
    public static IReadOnlyList<string> ScanPrefixes(IEnumerable<string> prefixes)
    {
        var sorted = prefixes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var result = new List<string>();
        foreach (var p in sorted)
        {
            if (result.Count == 0 || !p.StartsWith(result[^1], StringComparison.Ordinal))
                result.Add(p);
        }
        return result;
    }

    /// <summary>Stops the loop and releases the lease.</summary>
    public ValueTask DisposeAsync() => _job.DisposeAsync();
}
