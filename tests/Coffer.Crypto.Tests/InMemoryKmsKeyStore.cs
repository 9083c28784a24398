using System.Collections.Concurrent;
using Coffer.Crypto.Kms;

namespace Coffer.Crypto.Tests;

/// <summary>A test fake of the KMS persistence contract (Coffer.Storage has the real ones).</summary>
internal sealed class InMemoryKmsKeyStore : IKmsKeyStore
{
    private readonly ConcurrentDictionary<string, KmsKeyRecord> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Owner, string Alias), string> _aliases = new();

    public int GetKeyCalls;

    public int ResolveAliasCalls;

    /// <summary>Runs (once) inside the next <see cref="GetKeyAsync"/>, after the record was read and before it is returned.</summary>
    public Func<Task>? DuringNextGet;

    public IReadOnlyCollection<KmsKeyRecord> AllKeys => _keys.Values.ToList();

    public Task CreateKeyAsync(KmsKeyRecord key, CancellationToken ct = default)
    {
        if (!_keys.TryAdd(key.KeyId, key))
        {
            throw new InvalidOperationException("duplicate key id");
        }

        return Task.CompletedTask;
    }

    public async Task<KmsKeyRecord?> GetKeyAsync(string keyId, CancellationToken ct = default)
    {
        Interlocked.Increment(ref GetKeyCalls);
        var key = _keys.TryGetValue(keyId, out var found) ? found : null;
        if (Interlocked.Exchange(ref DuringNextGet, null) is { } during)
        {
            await during();
        }

        return key;
    }

    public Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default)
        => Task.FromResult<IReadOnlyList<KmsKeyRecord>>(_keys.Values.Where(k => owner is null || k.Owner == owner).ToList());

    public Task UpdateKeyAsync(KmsKeyRecord key, CancellationToken ct = default)
    {
        if (!_keys.ContainsKey(key.KeyId))
        {
            throw new InvalidOperationException("no such key");
        }

        lock (_keys)
        {
            _keys[key.KeyId] = key;
        }

        return Task.CompletedTask;
    }

    public Task<bool> TryUpdateKeyAsync(KmsKeyRecord expected, KmsKeyRecord replacement, CancellationToken ct = default)
    {
        lock (_keys)
        {
            if (!_keys.TryGetValue(expected.KeyId, out var current) || !current.ContentEquals(expected))
            {
                return Task.FromResult(false);
            }

            _keys[expected.KeyId] = replacement;
            return Task.FromResult(true);
        }
    }

    public Task<bool> CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default)
        => Task.FromResult(_aliases.TryAdd((owner, alias), keyId));

    public Task<string?> ResolveAliasAsync(string owner, string alias, CancellationToken ct = default)
    {
        Interlocked.Increment(ref ResolveAliasCalls);
        return Task.FromResult(_aliases.TryGetValue((owner, alias), out var keyId) ? keyId : null);
    }

    public Task<IReadOnlyList<(string Alias, string KeyId)>> ListAliasesAsync(string? owner, CancellationToken ct = default)
        => Task.FromResult<IReadOnlyList<(string, string)>>(
            _aliases.Where(a => owner is null || a.Key.Owner == owner).OrderBy(a => a.Key.Alias, StringComparer.Ordinal).Select(a => (a.Key.Alias, a.Value)).ToList());

    public Task<bool> DeleteAliasAsync(string owner, string alias, CancellationToken ct = default)
        => Task.FromResult(_aliases.TryRemove((owner, alias), out _));
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
