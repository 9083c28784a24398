using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Coffer.Crypto.Kms;

/// <summary>
/// The built-in KMS: customer master keys (CMKs: 256-bit, with versions, sealed under the
/// <see cref="RootKey"/> and persisted through <see cref="IKmsKeyStore"/>), aliases, and the AWS
/// key states (Enabled, Disabled, PendingDeletion, Deleted). Key material is unsealed only for the
/// duration of one operation and zeroed afterwards; unsealed material is never cached here (see <see cref="KmsEnvelope"/>).
/// <para>
/// Key state: the records of Enabled keys that sealing and opening use (<see cref="GenerateDataKeyAsync"/>,
/// <see cref="DecryptAsync"/>, <see cref="EncryptAsync"/>, <see cref="ReEncryptAsync"/>, <see cref="EnsureUsableAsync"/>) are
/// kept for <see cref="KeyStateLifetime"/> (2 s, at most <see cref="KeyStateCapacity"/> keys), so a request does not read the
/// key store. Every change made through this instance removes the key's entry before it returns, so the next use on this
/// node sees it; a change made through another node (or process) is seen here within the lifetime. Reads for a change,
/// and what describes a key (<see cref="DescribeKeyAsync"/>, <see cref="DescribeOwnKeyAsync"/>, <see cref="ListKeysAsync"/>),
/// always read the store. A ciphertext naming a version the cached record does not have yet (rotated on another node)
/// reads the store again, so a rotation never makes a decryption fail.
/// </para>
/// <para>
/// Rotation adds a key version: new ciphertexts use the newest, old ones keep decrypting. It happens on
/// demand (<see cref="RotateKeyOnDemandAsync"/>) or on a schedule (<see cref="EnableKeyRotationAsync"/>,
/// and yearly for service-managed keys) when a periodic job calls <see cref="RotateDueKeysAsync"/>.
/// </para>
/// <para>
/// Deletion is crypto-shredding: once a key's deletion date has passed, the next access (or
/// <see cref="DeleteExpiredKeysAsync"/>) removes its sealed material, every version, and marks it Deleted;
/// every ciphertext under it is then unrecoverable.
/// </para>
/// <para>
/// Every change is a read-modify-write made with <see cref="IKmsKeyStore.TryUpdateKeyAsync"/> and retried on
/// conflict, so concurrent changes (a user's DisableKey, a node's rotation job) never undo each other.
/// Observers (the envelope's cache, the audit log) learn of changes through <see cref="KeyChanged"/>.
/// </para>
/// <para>
/// Ownership: every key has an owner (a user's stable id, or <see cref="ServiceOwner"/> for the SSE-COS key),
/// and aliases live in their owner's namespace, as in AWS where aliases are per account. A user can use only
/// keys it owns (<see cref="CanUse"/>), its default SSE-KMS key included and the SSE-COS key never; use
/// <see cref="DescribeOwnKeyAsync"/> to resolve a reference as a user sees it. The other methods take key ids
/// (or service aliases) and are for the server once it has resolved the key that way.
/// </para>
/// Thread-safe.
/// </summary>
public sealed partial class KeyManager
{
    /// <summary>Alias of the SSE-COS service key.</summary>
    public const string ServiceKeyAlias = "alias/coffer/sse-cos";

    /// <summary>Owner recorded on the SSE-COS service key.</summary>
    public const string ServiceOwner = "coffer:service";

    /// <summary>Prefix of each owner's default SSE-KMS key alias; see <see cref="DefaultKeyAlias"/>.</summary>
    public const string DefaultKeyAliasPrefix = "alias/cos/default";

    /// <summary>Largest plaintext <see cref="EncryptAsync"/> accepts (as AWS KMS).</summary>
    public const int MaxPlaintextSize = 4096;

    /// <summary>Automatic rotation period when none is given, and the fixed period of service-managed keys (AWS: 365 days).</summary>
    public const int DefaultRotationPeriodDays = 365;

    /// <summary>Shortest automatic rotation period AWS accepts.</summary>
    public const int MinRotationPeriodDays = 90;

    /// <summary>Longest automatic rotation period AWS accepts.</summary>
    public const int MaxRotationPeriodDays = 2560;

    /// <summary>How many on-demand rotations a key may have (AWS's lifetime limit).</summary>
    public const int MaxOnDemandRotations = 10;

    /// <summary>Most keys whose state is cached (<see cref="KeyStateLifetime"/>).</summary>
    public const int KeyStateCapacity = 4096;

    /// <summary>
    /// How long a usable key's state is used after it was read: the bound within which a change made through another node
    /// (DisableKey, ScheduleKeyDeletion, a rotation) takes effect here. The same 2 s as the credential cache's.
    /// </summary>
    public static readonly TimeSpan KeyStateLifetime = TimeSpan.FromSeconds(2);

    private const int MaterialSize = 32;

    // A change that keeps losing its compare-and-set to other writers gives up rather than spin forever.
    private const int MaxUpdateAttempts = 16;

    private readonly IKmsKeyStore _store;
    private readonly RootKey _rootKey;
    private readonly SemaphoreSlim _managedKeyLock = new(1, 1);
    private readonly KeyStateCache _keyStates;
    // (owner, alias) → key id of the service-managed keys: such an alias can be neither deleted nor moved, nor its key
    // disabled or deleted, so the mapping never goes stale.
    private readonly ConcurrentDictionary<(string Owner, string Alias), string> _managedAliases = new();
    private long _generateCalls;
    private long _decryptCalls;

    /// <summary>Creates the KMS over a key store and the installation's root key.</summary>
    /// <param name="store">Persistence of keys and aliases.</param>
    /// <param name="rootKey">Seals CMK material; must stay undisposed while this instance is used.</param>
    /// <param name="time">Clock for creation, deletion and rotation dates (tests pass a fake); system time by default.</param>
    /// <param name="timeScale">Divides deletion windows and rotation periods (1 = real days; 86400 turns a day into a
    /// second, for demos and tests). The server passes its <c>TimeScale</c>.</param>
    /// <param name="keyStateLifetime">How long a usable key's state is cached (<see cref="KeyStateLifetime"/> by default;
    /// zero reads the store on every use).</param>
    public KeyManager(IKmsKeyStore store, RootKey rootKey, TimeProvider? time = null, double timeScale = 1.0, TimeSpan? keyStateLifetime = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(rootKey);
        if (!double.IsFinite(timeScale) || timeScale <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(timeScale), timeScale, "The time scale must be a positive number.");
        }

        _store = store;
        _rootKey = rootKey;
        Time = time ?? TimeProvider.System;
        TimeScale = timeScale;
        _keyStates = new KeyStateCache(Time, KeyStateCapacity, keyStateLifetime ?? KeyStateLifetime);
    }

    /// <summary>
    /// Raised after a key change is stored: disable, deletion scheduled, material destroyed, rotation. Handlers run
    /// synchronously on the changing thread and must be quick; an exception from one is ignored (the change is
    /// committed already).
    /// </summary>
    public event Action<KmsKeyEvent>? KeyChanged;

    /// <summary>The divisor of deletion windows and rotation periods given to the constructor.</summary>
    public double TimeScale { get; }

    /// <summary>Number of <see cref="GenerateDataKeyAsync"/> calls so far (including refused ones).</summary>
    public long GenerateCalls => Interlocked.Read(ref _generateCalls);

    /// <summary>Number of <see cref="DecryptAsync"/> calls so far (including refused ones).</summary>
    public long DecryptCalls => Interlocked.Read(ref _decryptCalls);

    /// <summary>Uses of a key that its state cache answered (no key-store read) so far.</summary>
    public long KeyStateCacheHits => _keyStates.Hits;

    /// <summary>Uses of a key by id that read the key store because its state was not cached so far.</summary>
    public long KeyStateCacheMisses => _keyStates.Misses;

    internal TimeProvider Time { get; }

    /// <summary>The cache of usable keys' state (for tests).</summary>
    internal KeyStateCache KeyStates => _keyStates;

    /// <summary>
    /// Whether the user <paramref name="owner"/> (a user id) may see and use <paramref name="key"/>: only its own
    /// keys, the default SSE-KMS key included. The SSE-COS service key is no user's, root's neither.
    /// </summary>
    public static bool CanUse(string owner, KmsKeyRecord key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return !string.IsNullOrEmpty(owner) && owner != ServiceOwner && string.Equals(key.Owner, owner, StringComparison.Ordinal);
    }

    /// <summary>
    /// The alias of <paramref name="owner"/>'s default SSE-KMS key: "alias/cos/default/&lt;owner&gt;" when
    /// the owner is made of [A-Za-z0-9_-] (e.g. a COS APPID or a user name), otherwise "alias/cos/default/h-"
    /// followed by 32 hex digits of SHA-256(owner). It lives in its owner's alias namespace.
    /// </summary>
    public static string DefaultKeyAlias(string owner)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        bool plain = owner.Length <= 128 && owner.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
        return plain
            ? $"{DefaultKeyAliasPrefix}/{owner}"
            : $"{DefaultKeyAliasPrefix}/h-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(owner)))[..32]}";
    }

    /// <summary>Cheap state check (no unwrap): throws like <see cref="GenerateDataKeyAsync"/> when the key is not usable.</summary>
    public Task EnsureUsableAsync(string keyId, CancellationToken ct = default) => ResolveUsableAsync(keyId, ct);

    /// <summary>
    /// Resolves a reference to a key that is Enabled; NotFound / Disabled / PendingDeletion otherwise. A key id (or key
    /// ARN) is answered from the key-state cache when it holds the key, within <see cref="KeyStateLifetime"/>.
    /// </summary>
    /// <param name="keyIdOrAlias">Key id, ARN or service alias.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="fresh">Read the store even when the key is cached (and cache what it says).</param>
    internal async Task<KmsKeyRecord> ResolveUsableAsync(string keyIdOrAlias, CancellationToken ct, bool fresh = false)
    {
        var (isAlias, value) = KmsEncoding.ParseReference(keyIdOrAlias);
        if (!fresh && !isAlias && _keyStates.TryGet(value, out var cached))
        {
            return cached;
        }

        var stamp = _keyStates.Stamp();
        var key = Usable(await ResolveAsync(keyIdOrAlias, ct).ConfigureAwait(false), keyIdOrAlias);
        _keyStates.Add(key, stamp);
        return key;
    }

    /// <summary><paramref name="key"/> when it is Enabled; the refusal its state calls for otherwise.</summary>
    private static KmsKeyRecord Usable(KmsKeyRecord key, string keyIdOrAlias)
    {
        return key.State switch
        {
            KmsKeyState.Enabled => key,
            KmsKeyState.Disabled => throw new KmsException(KmsErrorKind.Disabled,
                $"KMS key {key.KeyId} is disabled; enable it (EnableKey) to use it."),
            KmsKeyState.PendingDeletion => throw new KmsException(KmsErrorKind.PendingDeletion,
                $"KMS key {key.KeyId} is pending deletion (on {key.DeletionDate:O}); cancel the deletion and enable it to use it."),
            _ => throw NotFound(keyIdOrAlias),
        };
    }

    private Task<KmsKeyRecord> ResolveAsync(string keyIdOrAlias, CancellationToken ct) => ResolveAsync(keyIdOrAlias, ServiceOwner, ct);

    /// <summary>Resolves a key id, ARN or alias (in <paramref name="aliasOwner"/>'s namespace) to a key that is not Deleted.</summary>
    private async Task<KmsKeyRecord> ResolveAsync(string keyIdOrAlias, string aliasOwner, CancellationToken ct)
    {
        var (isAlias, value) = KmsEncoding.ParseReference(keyIdOrAlias);
        string? keyId = isAlias ? await _store.ResolveAliasAsync(aliasOwner, value, ct).ConfigureAwait(false) : value;
        var key = keyId is null ? null : await _store.GetKeyAsync(keyId, ct).ConfigureAwait(false);
        if (key is not null && IsExpired(key))
        {
            await ShredAsync(key, IsExpired, ct).ConfigureAwait(false);
            key = null;
        }

        return key is null || key.State == KmsKeyState.Deleted ? throw NotFound(keyIdOrAlias) : key;
    }

    private KmsKeyVersion NewVersion(string keyId, int version, KmsRotationType? rotationType = null)
    {
        byte[] material = RandomNumberGenerator.GetBytes(MaterialSize);
        try
        {
            return new KmsKeyVersion(version, _rootKey.Seal(material, MaterialPurpose(keyId, version)), Time.GetUtcNow(), rotationType);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>
    /// One read-modify-write of a key: resolves it (usable or not), applies <paramref name="change"/> (which may throw a
    /// KmsException, or return null for "nothing to do") and stores the result only over the record it was computed
    /// from, retrying when another writer got there first.
    /// </summary>
    /// <returns>The stored record (unchanged when <paramref name="change"/> returned null).</returns>
    private async Task<KmsKeyRecord> ChangeAsync(string keyIdOrAlias, bool usable, Func<KmsKeyRecord, KmsKeyRecord?> change,
        Func<KmsKeyRecord, KmsKeyEvent>? notify, CancellationToken ct)
    {
        for (int attempt = 0; attempt < MaxUpdateAttempts; attempt++)
        {
            // Always from the store: the compare-and-set below needs the record as stored.
            var key = await ResolveAsync(keyIdOrAlias, ct).ConfigureAwait(false);
            if (usable)
            {
                Usable(key, keyIdOrAlias);
            }

            var updated = change(key);
            if (updated is null)
            {
                return key;
            }

            if (await TryUpdateKeyAsync(key, updated, ct).ConfigureAwait(false))
            {
                if (notify is not null)
                {
                    Raise(notify(updated));
                }

                return updated;
            }
        }

        throw Contended(keyIdOrAlias);
    }

    /// <summary>
    /// The store's compare-and-set, and then, whatever it answered (even an error: the write may have been made), the
    /// key's cached state removed, before the caller learns the outcome.
    /// </summary>
    private async Task<bool> TryUpdateKeyAsync(KmsKeyRecord expected, KmsKeyRecord replacement, CancellationToken ct)
    {
        try
        {
            return await _store.TryUpdateKeyAsync(expected, replacement, ct).ConfigureAwait(false);
        }
        finally
        {
            _keyStates.Invalidate(expected.KeyId);
        }
    }

    /// <summary>A number of days divided by <see cref="TimeScale"/>.</summary>
    private TimeSpan Scaled(int days) => TimeSpan.FromTicks((long)(TimeSpan.FromDays(days).Ticks / TimeScale));

    private void Raise(KmsKeyEvent e)
    {
        if (KeyChanged is not { } handlers)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList().Cast<Action<KmsKeyEvent>>())
        {
            try
            {
                handler(e);
            }
            catch (Exception)
            {
                // The change is committed; an observer's failure (say a full audit disk) must not turn it into an error.
            }
        }
    }

    private static InvalidOperationException Contended(string keyId)
        => new($"KMS key {keyId} kept changing while being updated; try again.");

    /// <summary>Root-seal purpose of CMK material: binds it to its key id and version.</summary>
    internal static string MaterialPurpose(string keyId, int version)
        => $"kms-cmk/{keyId}/{version.ToString(CultureInfo.InvariantCulture)}";

    private static KmsException NotFound(string reference)
        => new(KmsErrorKind.NotFound, $"KMS key {reference} does not exist (or was deleted).");
}
