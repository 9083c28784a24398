namespace Coffer.Crypto.Kms;

/// <summary>
/// The bucket keys <see cref="KmsEnvelope"/> holds unwrapped, by name: "s…" entries seal new objects under a
/// (CMK, newest version, bucket, context) and "d…" entries open sealed keys by their KMS blob and context.
/// <para>
/// Bound: at most <c>capacity</c> entries (1024 by default; expired entries go first, then the oldest), each
/// used for at most <c>lifetime</c> (5 minutes by default) after it was made. Entries still being made are
/// bounded by the requests in flight and may run over the capacity briefly. A miss makes one KMS call shared by
/// concurrent callers. Entries are reference-counted and their keys zeroed when evicted and no longer leased.
/// </para>
/// Thread-safe.
/// </summary>
internal sealed class BucketKeyCache
{
    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly TimeSpan _lifetime;
    private readonly object _lock = new();
    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private long _hits;
    private long _misses;

    public BucketKeyCache(TimeProvider time, int capacity, TimeSpan lifetime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        _time = time;
        _capacity = capacity;
        _lifetime = lifetime;
    }

    /// <summary>Number of entries now (for metrics and tests).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _slots.Count;
            }
        }
    }

    /// <summary>Acquisitions answered by an entry (made now or earlier by another caller) so far (for metrics).</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Acquisitions that made the entry, with a KMS call, so far (for metrics).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>
    /// A leased bucket key from the cache, creating it (one KMS call, shared by concurrent callers) on a miss.
    /// Created is true when this call made the KMS call.
    /// </summary>
    public async Task<(BucketKey Key, bool Created)> AcquireAsync(string cacheKey, string keyId, Func<Task<BucketKey>> create)
    {
        while (true)
        {
            Slot slot;
            bool creator = false;
            lock (_lock)
            {
                var now = _time.GetUtcNow();
                if (!_slots.TryGetValue(cacheKey, out slot!) || slot.IsExpired(now) || slot.IsFaulted)
                {
                    if (slot is not null)
                    {
                        _slots.Remove(cacheKey);
                        slot.Drop();
                    }

                    slot = new Slot(now + _lifetime, keyId);
                    MakeRoomLocked(now);
                    _slots[cacheKey] = slot;
                    creator = true;
                }
            }

            if (creator)
            {
                try
                {
                    slot.Complete(await create().ConfigureAwait(false));
                }
                catch (Exception e)
                {
                    lock (_lock)
                    {
                        if (_slots.TryGetValue(cacheKey, out var current) && ReferenceEquals(current, slot))
                        {
                            _slots.Remove(cacheKey);
                        }
                    }

                    slot.Fail(e);
                    throw;
                }
            }

            BucketKey bucketKey;
            try
            {
                bucketKey = await slot.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!creator)
            {
                continue; // the caller making this entry was cancelled, not this one: try again
            }

            if (bucketKey.TryAddRef())
            {
                if (creator)
                {
                    Interlocked.Increment(ref _misses);
                }
                else
                {
                    Interlocked.Increment(ref _hits);
                }

                return (bucketKey, creator);
            }

            // Evicted and zeroed between lookup and lease: look again.
        }
    }

    /// <summary>Caches an already-made bucket key under a second name (the decrypt side of a fresh bucket key).</summary>
    public void Insert(string cacheKey, BucketKey bucketKey)
    {
        if (!bucketKey.TryAddRef())
        {
            return;
        }

        var slot = new Slot(_time.GetUtcNow() + _lifetime, bucketKey.KeyId);
        slot.Complete(bucketKey);
        Slot? previous;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            _slots.TryGetValue(cacheKey, out previous);
            _slots.Remove(cacheKey);
            MakeRoomLocked(now);
            _slots[cacheKey] = slot;
        }

        previous?.Drop();
    }

    /// <summary>
    /// Drops every cached bucket key made under <paramref name="keyId"/> (zeroed once no operation uses it). Called
    /// when the key becomes unusable (<see cref="KmsEnvelope"/> listens to <see cref="KeyManager.KeyChanged"/>).
    /// </summary>
    /// <returns>How many entries were dropped.</returns>
    public int Evict(string keyId)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        List<Slot> removed = [];
        lock (_lock)
        {
            foreach (var (name, slot) in _slots.Where(p => string.Equals(p.Value.KeyId, keyId, StringComparison.Ordinal)).ToList())
            {
                _slots.Remove(name);
                removed.Add(slot);
            }
        }

        foreach (var slot in removed)
        {
            slot.Drop();
        }

        return removed.Count;
    }

    /// <summary>Drops every cached bucket key (zeroed once no operation uses it), e.g. after a key-state change.</summary>
    public void Clear()
    {
        List<Slot> removed;
        lock (_lock)
        {
            removed = [.. _slots.Values];
            _slots.Clear();
        }

        foreach (var slot in removed)
        {
            slot.Drop();
        }
    }

    /// <summary>Removes expired entries, then the oldest completed ones, until one more fits. O(n) on a miss only.</summary>
    private void MakeRoomLocked(DateTimeOffset now)
    {
        if (_slots.Count < _capacity)
        {
            return;
        }

        foreach (var (k, s) in _slots.Where(p => p.Value.IsExpired(now) && p.Value.IsCompleted).ToList())
        {
            _slots.Remove(k);
            s.Drop();
        }

        while (_slots.Count >= _capacity)
        {
            var oldest = _slots.Where(p => p.Value.IsCompleted).OrderBy(p => p.Value.Expires).Select(p => (KeyValuePair<string, Slot>?)p).FirstOrDefault();
            if (oldest is not { } victim)
            {
                return; // only pending entries: they are bounded by concurrency; let the cache run over briefly
            }

            _slots.Remove(victim.Key);
            victim.Value.Drop();
        }
    }

    /// <summary>A cache entry: a bucket key being made or made, with its expiry.</summary>
    private sealed class Slot(DateTimeOffset expires, string keyId)
    {
        private readonly TaskCompletionSource<BucketKey> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public DateTimeOffset Expires { get; } = expires;

        /// <summary>The CMK the bucket key is (being) made under, for <see cref="Evict"/>.</summary>
        public string KeyId { get; } = keyId;

        public Task<BucketKey> Task => _tcs.Task;

        public bool IsCompleted => _tcs.Task.IsCompletedSuccessfully;

        public bool IsFaulted => _tcs.Task.IsFaulted || _tcs.Task.IsCanceled;

        public bool IsExpired(DateTimeOffset now) => now >= Expires;

        public void Complete(BucketKey key) => _tcs.SetResult(key);

        public void Fail(Exception e) => _tcs.TrySetException(e);

        /// <summary>Gives up this slot's reference; the key is zeroed when no one else holds it.</summary>
        public void Drop()
        {
            if (_tcs.Task.IsCompletedSuccessfully)
            {
                _tcs.Task.Result.Release();
            }
        }
    }
}

/// <summary>An unwrapped bucket key with a reference count: one per cache slot naming it plus one per lease.</summary>
internal sealed class BucketKey(ObjectKey key, byte[] kmsBlob, string keyId, int version)
{
    private int _references = 1;

    public int Version { get; } = version;

    public ObjectKey Key { get; } = key;

    public byte[] KmsBlob { get; } = kmsBlob;

    public string KeyId { get; } = keyId;

    public bool TryAddRef()
    {
        while (true)
        {
            int current = Volatile.Read(ref _references);
            if (current == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Key.Dispose();
        }
    }
}
