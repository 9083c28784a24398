using System.Diagnostics;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Protocol.Checksums;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>What <see cref="Scrubber.RunAsync"/> checks.</summary>
/// <param name="Bucket">One bucket; null for every bucket.</param>
/// <param name="Deep">Also decrypt every object whose key the server holds (not SSE-C) and check its CRC-64.</param>
/// <param name="RateBytesPerSecond">Read at most this many stored bytes per second; null for no limit.</param>
/// <param name="Restart">Forget the progress of an interrupted run and start from the first object.</param>
/// <param name="Budget">Stop (progress saved, not finished) after this long; null for no limit. Scheduled passes use it.</param>
public sealed record ScrubRequest(string? Bucket = null, bool Deep = false, double? RateBytesPerSecond = null, bool Restart = false, TimeSpan? Budget = null);

/// <summary>One damaged object.</summary>
/// <param name="Bucket">Its bucket.</param>
/// <param name="Key">Its key.</param>
/// <param name="VersionId">Its version ("null" until buckets keep versions).</param>
/// <param name="Problem">What is wrong, without any key material: a missing blob, a size or checksum mismatch, a failed decryption.</param>
/// <param name="Found">When it was found.</param>
public sealed record ScrubFinding(string Bucket, string Key, string VersionId, string Problem, DateTimeOffset Found);

/// <summary>
/// The saved progress of a scrub: where it is (<see cref="Bucket"/>, <see cref="LastKey"/>), what it counted and the
/// first <see cref="Scrubber.MaxFindings"/> damaged objects. Saved as JSON under <see cref="Scrubber.StateNameOf"/>.
/// </summary>
public sealed record ScrubProgress
{
    /// <summary>The bucket scrubbed, or null for all.</summary>
    public string? Scope { get; init; }
    /// <summary>Whether objects are decrypted too.</summary>
    public bool Deep { get; init; }
    /// <summary>The bucket being scrubbed (null before the first).</summary>
    public string? Bucket { get; init; }
    /// <summary>The last object key checked in <see cref="Bucket"/> (null before its first).</summary>
    public string? LastKey { get; init; }
    /// <summary>Objects checked.</summary>
    public long Objects { get; init; }
    /// <summary>Stored streams checked (blobs and inline streams).</summary>
    public long Streams { get; init; }
    /// <summary>Stored (ciphertext) bytes read.</summary>
    public long Bytes { get; init; }
    /// <summary>Damaged objects found.</summary>
    public long Damaged { get; init; }
    /// <summary>Deep scrub only: objects whose data the server cannot decrypt by itself (SSE-C, or a KMS key that is not usable), checked keyless only.</summary>
    public long NotDecrypted { get; init; }
    /// <summary>Objects overwritten or deleted while they were checked (not damage: the new object is checked next time).</summary>
    public long Changed { get; init; }
    /// <summary>The first damaged objects found (at most <see cref="Scrubber.MaxFindings"/>).</summary>
    public IReadOnlyList<ScrubFinding> Findings { get; init; } = [];
    /// <summary>When this scrub started.</summary>
    public DateTimeOffset Started { get; init; }
    /// <summary>When its progress was last saved.</summary>
    public DateTimeOffset Updated { get; init; }
    /// <summary>When it finished; null while it runs or after an interruption.</summary>
    public DateTimeOffset? Completed { get; init; }
}

/// <summary>Outcome of a scrub run.</summary>
/// <param name="Progress">The scrub's progress as saved (counters cover every run since it started).</param>
/// <param name="Finished">True when every object was checked; false when the run stopped at its budget.</param>
/// <param name="Resumed">True when the run continued an interrupted one.</param>
public sealed record ScrubResult(ScrubProgress Progress, bool Finished, bool Resumed);

/// <summary>
/// Checks stored data for damage. Keyless (the default): every stream of every object is read back from the blob
/// store (or the metadata row, when inline) and compared, in size and XxHash128, with what was recorded when it was
/// written: no key is needed, so it may run anywhere the stores are reachable. Deep: every object the server can
/// open by itself (plain, SSE-COS, SSE-KMS; not SSE-C) is also decrypted in full, which authenticates every frame,
/// and its CRC-64 compared. A damaged object is reported by bucket, key and version, never repaired.
/// <para>
/// Progress (a cursor, counters, findings) is saved in the metadata store (<see cref="IJobLeases.SaveJobStateAsync"/>)
/// every few hundred objects and when the run ends, so a scrub stopped by its budget, Ctrl+C, a crash or a lost
/// lease continues after the last object saved when run again, on any node. An object rewritten or deleted
/// while it is checked is read again: its blob going away is not damage.
/// </para>
/// </summary>
public sealed class Scrubber
{
    /// <summary>Findings kept in the saved progress (the count goes on).</summary>
    public const int MaxFindings = 1000;

    private const int PageSize = 500;
    private const int SaveEvery = 200;
    private const int ChunkSize = 1 << 20;
    private static readonly TimeSpan SaveInterval = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly IMetadataBackend _store;
    private readonly IBlobStore _blobs;
    private readonly Func<ObjectRecord, CancellationToken, Task<ObjectKey>>? _openKey;
    private readonly TimeProvider _time;

    /// <summary>Creates a scrubber.</summary>
    /// <param name="store">The metadata backend (objects, and where progress is saved).</param>
    /// <param name="blobs">The blob store the objects' streams live in.</param>
    /// <param name="openKey">Opens the object key of an SSE-COS or SSE-KMS object (through the KMS); needed for deep scrubs only.</param>
    /// <param name="time">The clock.</param>
    public Scrubber(IMetadataBackend store, IBlobStore blobs, Func<ObjectRecord, CancellationToken, Task<ObjectKey>>? openKey = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(blobs);
        _store = store;
        _blobs = blobs;
        _openKey = openKey;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Hears of each damaged object as it is found (the server logs it).</summary>
    public Action<ScrubFinding>? OnFinding { get; init; }

    /// <summary>The name a scrub's progress is saved under: one per scope and depth, so the same command continues the same scrub.</summary>
    public static string StateNameOf(string? bucket, bool deep) => $"scrub:{(deep ? "deep" : "keyless")}:{bucket ?? "*"}";

    /// <summary>The saved progress of a scrub, or null when none was run.</summary>
    public async Task<ScrubProgress?> GetProgressAsync(string? bucket, bool deep, CancellationToken ct = default)
    {
        var saved = await _store.GetJobStateAsync(StateNameOf(bucket, deep), ct).ConfigureAwait(false);
        if (saved is null)
            return null;
        try
        {
            return JsonSerializer.Deserialize<ScrubProgress>(saved.State, Json);
        }
        catch (JsonException)
        {
            return null; // written by a version that saved something else: start over
        }
    }

    /// <summary>Runs (or continues) a scrub; <paramref name="progress"/> hears of every object checked.</summary>
    /// <exception cref="NoSuchBucketException">The request names a bucket that does not exist.</exception>
    /// <exception cref="InvalidOperationException">A deep scrub without a way to open keys.</exception>
    /// <exception cref="BlobStoreUnavailableException">The blob store stopped answering; the progress is saved.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the progress up to the last object checked is saved.</exception>
    public async Task<ScrubResult> RunAsync(ScrubRequest request, IProgress<ScrubProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Deep && _openKey is null)
            throw new InvalidOperationException("A deep scrub needs the KMS to open object keys.");
        if (request.RateBytesPerSecond is <= 0)
            throw new ArgumentOutOfRangeException(nameof(request), "The rate must be positive.");
        if (request.Bucket is not null && await _store.GetBucketAsync(request.Bucket, ct).ConfigureAwait(false) is null)
            throw new NoSuchBucketException(request.Bucket);

        var name = StateNameOf(request.Bucket, request.Deep);
        var now = _time.GetUtcNow();
        var saved = request.Restart ? null : await GetProgressAsync(request.Bucket, request.Deep, ct).ConfigureAwait(false);
        var resumed = saved is { Completed: null };
        var state = new Run(this, request, resumed ? saved! : new ScrubProgress { Scope = request.Bucket, Deep = request.Deep, Started = now, Updated = now });
        await SaveAsync(name, state.Progress, ct).ConfigureAwait(false);
        try
        {
            var finished = await state.WalkAsync(progress, ct).ConfigureAwait(false);
            if (finished)
                state.Progress = state.Progress with { Completed = _time.GetUtcNow() };
            return new ScrubResult(state.Progress, finished, resumed);
        }
        finally
        {
            // Not the caller's token: an interrupted run saves what it did.
            state.Progress = state.Progress with { Updated = _time.GetUtcNow() };
            await SaveAsync(name, state.Progress, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private Task SaveAsync(string name, ScrubProgress progress, CancellationToken ct) =>
        _store.SaveJobStateAsync(name, JsonSerializer.Serialize(progress, Json), progress.Updated, ct);

    /// <summary>One run: the walk over buckets and objects, with its counters, rate limit and budget.</summary>
    private sealed class Run(Scrubber owner, ScrubRequest request, ScrubProgress start)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly List<ScrubFinding> _findings = [.. start.Findings];
        private long _bytesThisRun;
        private int _sinceSave;
        private TimeSpan _lastSave = TimeSpan.Zero;

        public ScrubProgress Progress { get; set; } = start;

        /// <summary>Walks from the saved cursor to the end; false when the budget ran out first.</summary>
        public async Task<bool> WalkAsync(IProgress<ScrubProgress>? progress, CancellationToken ct)
        {
            var name = StateNameOf(request.Bucket, request.Deep);
            while (true)
            {
                var bucket = Progress.Bucket ?? await NextBucketAsync(null, ct).ConfigureAwait(false);
                if (bucket is null)
                    return true;
                if (Progress.Bucket is null)
                    Progress = Progress with { Bucket = bucket, LastKey = null };

                while (true)
                {
                    ObjectListing page;
                    try
                    {
                        page = await owner._store.ListObjectsAsync(bucket, "", null, Progress.LastKey, PageSize, ct).ConfigureAwait(false);
                    }
                    catch (NoSuchBucketException)
                    {
                        break; // deleted meanwhile: nothing left to check in it
                    }
                    foreach (var listed in page.Objects)
                    {
                        if (request.Budget is { } budget && _clock.Elapsed >= budget)
                            return false;
                        await CheckAsync(listed, ct).ConfigureAwait(false);
                        Progress = Progress with { LastKey = listed.Key, Objects = Progress.Objects + 1 };
                        progress?.Report(Progress);
                        if (++_sinceSave >= SaveEvery || _clock.Elapsed - _lastSave >= SaveInterval)
                        {
                            _sinceSave = 0;
                            _lastSave = _clock.Elapsed;
                            Progress = Progress with { Updated = owner._time.GetUtcNow() };
                            await owner.SaveAsync(name, Progress, ct).ConfigureAwait(false);
                        }
                    }
                    if (!page.IsTruncated)
                        break;
                }

                if (request.Bucket is not null)
                    return true;
                var next = await NextBucketAsync(bucket, ct).ConfigureAwait(false);
                if (next is null)
                    return true;
                Progress = Progress with { Bucket = next, LastKey = null };
            }
        }

        private async Task<string?> NextBucketAsync(string? after, CancellationToken ct)
        {
            if (request.Bucket is not null)
                return after is null ? request.Bucket : null;
            var names = await owner._store.ListBucketNamesAsync(after, 1, ct).ConfigureAwait(false);
            return names.Count == 0 ? null : names[0];
        }

        private async Task CheckAsync(ObjectRecord listed, CancellationToken ct)
        {
            // Listings leave inline data out: read the row for it.
            var obj = listed.Streams.Any(s => s.IsInline)
                ? await owner._store.GetObjectAsync(listed.Bucket, listed.Key, ct).ConfigureAwait(false)
                : listed;
            if (obj is null || !obj.Streams.SequenceEqual(listed.Streams, StreamIdentity.Instance))
            {
                Progress = Progress with { Changed = Progress.Changed + 1 };
                return;
            }

            var problem = await KeylessAsync(obj, ct).ConfigureAwait(false);
            if (problem is null && request.Deep)
                problem = await DeepAsync(obj, ct).ConfigureAwait(false);
            if (problem is null)
                return;

            // Damage, unless the object changed under us (its old blob reclaimed after an overwrite or delete).
            var now = await owner._store.GetObjectAsync(obj.Bucket, obj.Key, ct).ConfigureAwait(false);
            if (now is null || !now.Streams.SequenceEqual(obj.Streams, StreamIdentity.Instance) || now.LastModified != obj.LastModified)
            {
                Progress = Progress with { Changed = Progress.Changed + 1 };
                return;
            }
            var finding = new ScrubFinding(obj.Bucket, obj.Key, "null", problem, owner._time.GetUtcNow());
            if (_findings.Count < MaxFindings)
                _findings.Add(finding);
            Progress = Progress with { Damaged = Progress.Damaged + 1, Findings = _findings.ToArray() };
            owner.OnFinding?.Invoke(finding);
        }

        /// <summary>Every stream's stored bytes against the size and XxHash128 recorded at write; null when all match.</summary>
        private async Task<string?> KeylessAsync(ObjectRecord obj, CancellationToken ct)
        {
            for (var i = 0; i < obj.Streams.Count; i++)
            {
                var stream = obj.Streams[i];
                var where = obj.Streams.Count == 1 ? "its data" : $"stream {i + 1} of {obj.Streams.Count}";
                var hash = new XxHash128();
                long size;
                if (stream.IsInline)
                {
                    if (stream.Inline is not { } inline)
                        return $"{where}: the inline data is missing from the metadata row";
                    hash.Append(inline);
                    size = inline.Length;
                    await ThrottleAsync(size, ct).ConfigureAwait(false);
                }
                else
                {
                    try
                    {
                        size = await HashBlobAsync(stream.BlobId, hash, ct).ConfigureAwait(false);
                    }
                    catch (FileNotFoundException)
                    {
                        return $"{where}: blob {stream.BlobId} is missing from the blob store";
                    }
                }
                Progress = Progress with { Streams = Progress.Streams + 1, Bytes = Progress.Bytes + size };
                if (size != stream.BlobSize)
                    return $"{where}: blob {Name(stream)} holds {size} bytes, {stream.BlobSize} were written";
                if (stream.BlobChecksum.Length > 0 && !string.Equals(Convert.ToHexStringLower(hash.GetCurrentHash()), stream.BlobChecksum, StringComparison.Ordinal))
                    return $"{where}: blob {Name(stream)} does not match the checksum recorded when it was written (its bytes changed)";
            }
            return null;
        }

        private static string Name(ObjectStream stream) => stream.IsInline ? "(inline)" : stream.BlobId;

        private async Task<long> HashBlobAsync(string blobId, XxHash128 hash, CancellationToken ct)
        {
            var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkSize);
            try
            {
                await using var input = await owner._blobs.OpenReadAsync(blobId, 0, null, ct).ConfigureAwait(false);
                long total = 0;
                int read;
                while ((read = await input.ReadAsync(buffer.AsMemory(0, ChunkSize), ct).ConfigureAwait(false)) > 0)
                {
                    hash.Append(buffer.AsSpan(0, read));
                    total += read;
                    await ThrottleAsync(read, ct).ConfigureAwait(false);
                }
                return total;
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>Decrypts the whole object (every frame authenticated) and compares its CRC-64; null when it reads back whole.</summary>
        private async Task<string?> DeepAsync(ObjectRecord obj, CancellationToken ct)
        {
            ObjectKey? key = null;
            switch (obj.Encryption.Mode)
            {
                case SseMode.Customer:
                    Progress = Progress with { NotDecrypted = Progress.NotDecrypted + 1 };
                    return null;
                case SseMode.None:
                    break;
                default:
                    try
                    {
                        key = await owner._openKey!(obj, ct).ConfigureAwait(false);
                    }
                    catch (KmsException)
                    {
                        // A disabled, pending-deletion or deleted KMS key: the keyless check stands.
                        Progress = Progress with { NotDecrypted = Progress.NotDecrypted + 1 };
                        return null;
                    }
                    catch (CryptographicException)
                    {
                        return "its sealed object key does not open (the stored encryption metadata is damaged)";
                    }
                    break;
            }

            using (key)
            {
                var crc = new Crc64Xz();
                long total = 0;
                var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkSize);
                try
                {
                    await using var plain = ObjectReader.Open(obj, key, owner._blobs);
                    int read;
                    while ((read = await plain.ReadAsync(buffer.AsMemory(0, ChunkSize), ct).ConfigureAwait(false)) > 0)
                    {
                        crc.Append(buffer.AsSpan(0, read));
                        total += read;
                        await ThrottleAsync(read, ct).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is SealedStreamException or CryptographicException or InvalidDataException or FileNotFoundException)
                {
                    return $"decryption failed: {e.Message}";
                }
                finally
                {
                    System.Buffers.ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
                }
                if (total != obj.Size)
                    return $"decrypted to {total} bytes, the object has {obj.Size}";
                if (crc.Value != obj.Crc64)
                    return "the decrypted data does not match the object's CRC-64";
                return null;
            }
        }

        /// <summary>Holds the run to its rate: after <paramref name="bytes"/> more, waits until the average is back under it.</summary>
        private async Task ThrottleAsync(long bytes, CancellationToken ct)
        {
            _bytesThisRun += bytes;
            if (request.RateBytesPerSecond is not { } rate)
                return;
            var due = TimeSpan.FromSeconds(_bytesThisRun / rate);
            var ahead = due - _clock.Elapsed;
            if (ahead > TimeSpan.FromMilliseconds(5))
                await Task.Delay(ahead, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Streams compared by what identifies their stored bytes (the inline data left out: listings do not carry it).</summary>
    private sealed class StreamIdentity : IEqualityComparer<ObjectStream>
    {
        public static readonly StreamIdentity Instance = new();

        public bool Equals(ObjectStream? x, ObjectStream? y) =>
            x is not null && y is not null && x.BlobId == y.BlobId && x.BlobSize == y.BlobSize && x.BlobChecksum == y.BlobChecksum && x.StreamIdentity == y.StreamIdentity;

        public int GetHashCode(ObjectStream obj) => HashCode.Combine(obj.BlobId, obj.BlobSize, obj.BlobChecksum);
    }
}
