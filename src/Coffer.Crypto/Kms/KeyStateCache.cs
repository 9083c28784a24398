using System.Collections.Concurrent;

namespace Coffer.Crypto.Kms;

/// <summary>
/// The records of usable (Enabled) KMS keys that <see cref="KeyManager"/> has read, by key id, so that sealing and
/// opening object keys does not read the key store on every request (docs/caches-and-jobs.md).
/// <para>
/// Bound: at most <c>capacity</c> entries (when full, expired entries go, and if none has expired, all of them), each
/// used for at most <c>lifetime</c> after the read it came from began. The lifetime is the staleness bound across nodes:
/// a key disabled (or scheduled for deletion, or destroyed, or rotated) through another node is seen here at the latest
/// one lifetime later. A change made through this node's <see cref="KeyManager"/> removes the entry at once
/// (<see cref="Invalidate"/>), before the change's call returns.
/// </para>
/// <para>
/// A read that began before an invalidation never stores what it read (<see cref="Stamp"/>, <see cref="Add"/>): otherwise
/// a request racing a DisableKey could put the key's old, Enabled record back after the change removed it.
/// </para>
/// Only Enabled records are kept: a refused key is read again on its next use, so enabling it elsewhere takes effect at
/// once. The records hold key material only sealed under the root key, never unsealed. Thread-safe.
/// </summary>
internal sealed class KeyStateCache
{
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly TimeSpan _lifetime;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly object _writeLock = new();
    private long _generation;
    private long _hits;
    private long _misses;

    public KeyStateCache(TimeProvider time, int capacity, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(lifetime, TimeSpan.Zero);
        _time = time;
        _capacity = capacity;
        _lifetime = lifetime;
    }

    /// <summary>How long an entry is used after the read it came from began; zero turns the cache off.</summary>
    public TimeSpan Lifetime => _lifetime;

    /// <summary>Number of entries now, expired ones included until they are replaced or swept (for tests).</summary>
    public int Count => _entries.Count;

    /// <summary>Lookups answered from the cache so far (for metrics).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that found no usable entry and read the store so far (for metrics).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>The cached record of <paramref name="keyId"/> when there is one and it has not expired.</summary>
    public bool TryGet(string keyId, out KmsKeyRecord record)
    {
        if (_entries.TryGetValue(keyId, out var entry) && _time.GetUtcNow() < entry.Expires)
        {
            Interlocked.Increment(ref _hits);
            record = entry.Record;
            return true;
        }

        Interlocked.Increment(ref _misses);
        record = null!;
        return false;
    }

    /// <summary>Taken before a read of the store, and given to <see cref="Add"/> with what the read returned.</summary>
    public ReadStamp Stamp() => new(Interlocked.Read(ref _generation), _time.GetUtcNow());

    /// <summary>
    /// Keeps <paramref name="record"/> (only an Enabled one) until one lifetime after <paramref name="stamp"/>'s time,
    /// unless any entry was invalidated since the stamp was taken (the record may predate that change).
    /// </summary>
    public void Add(KmsKeyRecord record, ReadStamp stamp)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.State != KmsKeyState.Enabled || _lifetime == TimeSpan.Zero)
        {
            return;
        }

        var expires = stamp.Time + _lifetime;
        lock (_writeLock)
        {
            if (_generation != stamp.Generation)
            {
                return;
            }

            var now = _time.GetUtcNow();
            if (expires <= now)
            {
                return;
            }

            if (_entries.Count >= _capacity && !_entries.ContainsKey(record.KeyId))
            {
                foreach (var (keyId, entry) in _entries)
                {
                    if (entry.Expires <= now)
                    {
                        _entries.TryRemove(keyId, out _);
                    }
                }

                if (_entries.Count >= _capacity)
                {
                    _entries.Clear();
                }
            }

            _entries[record.KeyId] = new Entry(record, expires);
        }
    }

    /// <summary>Removes <paramref name="keyId"/>'s entry, and keeps every read begun before this call from being stored.</summary>
    public void Invalidate(string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        lock (_writeLock)
        {
            _generation++;
            _entries.TryRemove(keyId, out _);
        }
    }

    /// <summary>When a read of the store began, and the invalidations made before it.</summary>
    internal readonly record struct ReadStamp(long Generation, DateTimeOffset Time);

    private sealed record Entry(KmsKeyRecord Record, DateTimeOffset Expires);
}
