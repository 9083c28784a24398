using System.Security.Cryptography;
using System.Text;
using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Server.Audit;
using Coffer.Storage;

namespace Coffer.Server.Sse;

/// <summary>What <see cref="Rekeyer.RunAsync"/> re-wraps.</summary>
/// <param name="Bucket">The bucket.</param>
/// <param name="ToKey">The KMS key (id, alias or ARN) to re-wrap under; a customer key of the bucket's owner.</param>
/// <param name="Prefix">Only object keys that start with this.</param>
/// <param name="FromKey">Only objects under this KMS key; null for every SSE-KMS object not under <paramref name="ToKey"/>.</param>
/// <param name="Limit">Stop after re-wrapping this many objects (run again to continue); null for no limit.</param>
/// <param name="Restart">Ignore the progress of an interrupted run and start from the first key.</param>
public sealed record RekeyRequest(string Bucket, string ToKey, string Prefix = "", string? FromKey = null, long? Limit = null, bool Restart = false);

/// <summary>Outcome of a rekey run.</summary>
/// <param name="Job">The job's progress as saved (counters cover every run of the job since it started).</param>
/// <param name="Finished">True when every object was looked at; false when the run stopped at its limit.</param>
/// <param name="Resumed">True when the run continued an interrupted one.</param>
public sealed record RekeyResult(RekeyJobRecord Job, bool Finished, bool Resumed);

/// <summary>A rekey run was refused before it touched anything (bad bucket or key); the message says what to fix.</summary>
public sealed class RekeyException(string message) : Exception(message);

/// <summary>
/// Re-wraps the object keys of a bucket's SSE-KMS objects under another KMS key without rewriting data
/// (MinIO's "keyrotate" batch job; S3's UpdateObjectEncryption): for each object, open its object key
/// (<see cref="KmsEnvelope.UnsealAsync"/>, same context and binding), seal it again under the target key
/// (<see cref="KmsEnvelope.ResealAsync"/>) and swap the sealed key with a compare-and-set on the object's
/// current sealed key. An object overwritten, deleted or re-keyed meanwhile is read again and retried, never
/// clobbered. Progress is saved in the same transaction as each swap, so a run that is stopped (limit,
/// Ctrl+C, crash) continues after the last object done when run again with the same parameters.
/// <para>
/// It works on the shared metadata database, so it may run while the server runs; the server's caches need
/// nothing (a rekeyed object names its new bucket key in its sealed key). Each re-wrapped object is one
/// <c>Rekey</c> entry of the KMS audit log.
/// </para>
/// </summary>
public sealed class Rekeyer
{
    /// <summary>Listing page size.</summary>
    public const int PageSize = 500;

    // An object rewritten this often while we try is left to its writers (and counted as a conflict).
    private const int MaxAttempts = 5;

    private readonly IMetadataStore _store;
    private readonly IRekeyJobStore _jobs;
    private readonly KeyManager _kms;
    private readonly KmsEnvelope _envelope;
    private readonly KmsAuditLog _audit;
    private readonly TimeProvider _time;

    /// <summary>Creates a rekeyer over a metadata backend and a KMS (with its envelope) on the same backend.</summary>
    public Rekeyer(IMetadataBackend store, KeyManager kms, KmsEnvelope envelope, KmsAuditLog audit, TimeProvider? time = null)
        : this(store, store, kms, envelope, audit, time)
    {
    }

    /// <summary>Creates a rekeyer that reads objects from <paramref name="store"/> and keeps its progress and swaps in <paramref name="jobs"/> (the same database).</summary>
    public Rekeyer(IMetadataStore store, IRekeyJobStore jobs, KeyManager kms, KmsEnvelope envelope, KmsAuditLog audit, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(kms);
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(audit);
        _store = store;
        _jobs = jobs;
        _kms = kms;
        _envelope = envelope;
        _audit = audit;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Who the audit entries name.</summary>
    public string Principal { get; init; } = "coffer admin rekey";

    /// <summary>For tests: runs after an object's key is re-wrapped and before the swap, to race a write against it.</summary>
    internal Func<ObjectRecord, Task>? BeforeSwap { get; init; }

    /// <summary>The job id of a request: a digest of bucket, prefix and resolved key ids (the same command resumes the same job).</summary>
    public static string JobIdOf(string bucket, string prefix, string? fromKeyId, string toKeyId)
    {
        var text = string.Join('\0', "rekey v1", bucket, prefix, fromKeyId ?? "*", toKeyId);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..32];
    }

    /// <summary>Runs (or continues) the job; <paramref name="progress"/> hears of every object looked at.</summary>
    /// <exception cref="RekeyException">No such bucket; a key that does not exist, is not usable or is not the bucket owner's.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the progress up to the last swap is saved.</exception>
    public async Task<RekeyResult> RunAsync(RekeyRequest request, IProgress<RekeyJobRecord>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var bucket = await _store.GetBucketAsync(request.Bucket, ct).ConfigureAwait(false)
            ?? throw new RekeyException($"The bucket '{request.Bucket}' does not exist.");
        // The owner's own keys only (its default key included): never the SSE-COS key nor another user's. Aliases are
        // the bucket owner's.
        var to = await UsableKeyAsync(bucket.Owner, request.ToKey, "--to-key", ct).ConfigureAwait(false);
        var from = request.FromKey is null ? null : await UsableKeyAsync(bucket.Owner, request.FromKey, "--from-key", ct).ConfigureAwait(false);
        if (from is not null && string.Equals(from.KeyId, to.KeyId, StringComparison.Ordinal))
        {
            throw new RekeyException("--from-key and --to-key name the same key; there is nothing to do.");
        }

        var jobId = JobIdOf(bucket.Name, request.Prefix, from?.KeyId, to.KeyId);
        var now = _time.GetUtcNow();
        var saved = await _jobs.GetRekeyJobAsync(jobId, ct).ConfigureAwait(false);
        bool resumed = saved is { Completed: null } && !request.Restart;
        var job = resumed ? saved! : new RekeyJobRecord
        {
            JobId = jobId,
            Bucket = bucket.Name,
            Prefix = request.Prefix,
            FromKeyId = from?.KeyId,
            ToKeyId = to.KeyId,
            Started = now,
            Updated = now,
        };
        await _jobs.SaveRekeyJobAsync(job, ct).ConfigureAwait(false);

        long done = 0;
        var run = new Run(this, bucket.Name, from?.KeyId, to.KeyId);
        try
        {
            while (true)
            {
                var page = await _store.ListObjectsAsync(bucket.Name, request.Prefix, null, job.LastKey, PageSize, ct).ConfigureAwait(false);
                foreach (var obj in page.Objects)
                {
                    if (request.Limit is { } limit && done >= limit)
                    {
                        return new RekeyResult(job, false, resumed);
                    }

                    long before = job.Rekeyed;
                    job = await run.OneAsync(obj, job, ct).ConfigureAwait(false);
                    done += job.Rekeyed - before;
                    progress?.Report(job);
                }

                if (!page.IsTruncated)
                {
                    break;
                }
            }

            job = job with { Updated = _time.GetUtcNow(), Completed = _time.GetUtcNow() };
            return new RekeyResult(job, true, resumed);
        }
        finally
        {
            // Skips since the last swap are saved too (not the caller's token: an interrupted run saves what it did).
            await _jobs.SaveRekeyJobAsync(job with { Updated = _time.GetUtcNow() }, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Checks a request as <see cref="RunAsync"/> does before it touches anything, without running it: the id of the job
    /// it would run (or continue) and the key ids its references resolve to.
    /// </summary>
    /// <exception cref="RekeyException">No such bucket; a key that does not exist, is not usable or is not the bucket owner's.</exception>
    public async Task<(string JobId, string? FromKeyId, string ToKeyId)> ValidateAsync(RekeyRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var bucket = await _store.GetBucketAsync(request.Bucket, ct).ConfigureAwait(false)
            ?? throw new RekeyException($"The bucket '{request.Bucket}' does not exist.");
        var to = await UsableKeyAsync(bucket.Owner, request.ToKey, "--to-key", ct).ConfigureAwait(false);
        var from = request.FromKey is null ? null : await UsableKeyAsync(bucket.Owner, request.FromKey, "--from-key", ct).ConfigureAwait(false);
        if (from is not null && string.Equals(from.KeyId, to.KeyId, StringComparison.Ordinal))
        {
            throw new RekeyException("--from-key and --to-key name the same key; there is nothing to do.");
        }

        return (JobIdOf(bucket.Name, request.Prefix, from?.KeyId, to.KeyId), from?.KeyId, to.KeyId);
    }

    /// <summary>One of <paramref name="owner"/>'s keys, usable; an administrator is told plainly when it is someone else's.</summary>
    private async Task<KmsKeyRecord> UsableKeyAsync(string owner, string reference, string option, CancellationToken ct)
    {
        try
        {
            var key = await _kms.DescribeOwnKeyAsync(owner, reference, ct).ConfigureAwait(false);
            await _kms.EnsureUsableAsync(key.KeyId, ct).ConfigureAwait(false);
            return key;
        }
        catch (KmsException e)
        {
            if (e.Kind == KmsErrorKind.NotFound && await ExistsAsync(reference, ct).ConfigureAwait(false))
            {
                throw new RekeyException($"{option} {reference}: the KMS key does not belong to the bucket's owner; objects can only be moved to and from their owner's keys.");
            }

            throw new RekeyException($"{option} {reference}: {e.Message}");
        }
    }

    private async Task<bool> ExistsAsync(string reference, CancellationToken ct)
    {
        try
        {
            await _kms.DescribeKeyAsync(reference, ct).ConfigureAwait(false);
            return true;
        }
        catch (KmsException)
        {
            return false;
        }
    }

    /// <summary>One run's fixed parameters and the per-object work.</summary>
    private sealed class Run(Rekeyer owner, string bucket, string? fromKeyId, string toKeyId)
    {
        public async Task<RekeyJobRecord> OneAsync(ObjectRecord obj, RekeyJobRecord job, CancellationToken ct)
        {
            ObjectRecord? current = obj;
            for (int attempt = 0; attempt < MaxAttempts; attempt++)
            {
                if (current is null || !Matches(current))
                {
                    // Another mode or key (or deleted meanwhile): nothing to do for this object.
                    return job with { LastKey = obj.Key, Skipped = job.Skipped + 1 };
                }

                var enc = current.Encryption;
                var clientContext = enc.KmsContext is null ? null : SseRequest.ParseContext(enc.KmsContext);
                var context = SseService.KmsContext(bucket, clientContext);
                var binding = new KeyBinding(bucket, current.Key, SseService.ModeKms);
                var audit = new KmsAuditEntry
                {
                    Source = "admin",
                    Principal = owner.Principal,
                    Operation = "Rekey",
                    KeyId = toKeyId,
                    SourceKeyId = enc.KmsKeyId,
                    Bucket = bucket,
                    Object = current.Key,
                    Mode = SseService.ModeKms,
                    ContextKeys = KmsAuditEntry.KeysOf(context),
                    Outcome = KmsAuditEntry.Ok,
                };

                SealedObjectKey resealed;
                try
                {
                    using var objectKey = await owner._envelope.UnsealAsync(enc.SealedKey, context, binding, ct).ConfigureAwait(false);
                    resealed = await owner._envelope.ResealAsync(objectKey, toKeyId, context, binding, ct).ConfigureAwait(false);
                }
                catch (KmsException e)
                {
                    owner._audit.Write(audit with { Outcome = KmsAuditEntry.Failed, Error = KmsErrors.ApiType(e.Kind) });
                    return job with { LastKey = obj.Key, Failed = job.Failed + 1 };
                }

                using (resealed.Key)
                {
                    if (owner.BeforeSwap is { } hook)
                    {
                        await hook(current).ConfigureAwait(false);
                    }

                    var next = job with { LastKey = obj.Key, Rekeyed = job.Rekeyed + 1, Updated = owner._time.GetUtcNow() };
                    var replacement = enc with { SealedKey = resealed.SealedKey, KmsKeyId = resealed.KeyId };
                    if (await owner._jobs.TryReplaceObjectEncryptionAsync(bucket, current.Key, enc.SealedKey, replacement, next, ct).ConfigureAwait(false))
                    {
                        owner._audit.Write(audit with { KeyVersion = resealed.KeyVersion, Cached = resealed.BucketKeyCached });
                        return next;
                    }
                }

                // Written meanwhile: what is there now may need re-wrapping too (or not); never overwrite it blindly.
                job = job with { Conflicts = job.Conflicts + 1 };
                current = await owner._store.GetObjectAsync(bucket, obj.Key, ct).ConfigureAwait(false);
            }

            return job with { LastKey = obj.Key };
        }

        private bool Matches(ObjectRecord obj) =>
            obj.Encryption.Mode == SseMode.Kms
            && !string.Equals(obj.Encryption.KmsKeyId, toKeyId, StringComparison.Ordinal)
            && (fromKeyId is null || string.Equals(obj.Encryption.KmsKeyId, fromKeyId, StringComparison.Ordinal));
    }

}
