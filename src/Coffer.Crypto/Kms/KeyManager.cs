using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Coffer.Crypto.Kms;

/// <summary>
/// The built-in KMS: customer master keys (CMKs: 256-bit, with versions, sealed under the
/// <see cref="RootKey"/> and persisted through <see cref="IKmsKeyStore"/>), aliases, and the AWS
/// key states (Enabled, Disabled, PendingDeletion, Deleted). Key material is unsealed only for the
/// duration of one operation and zeroed afterwards; nothing is cached here (see <see cref="KmsEnvelope"/>).
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
public sealed class KeyManager
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

    private const int MaterialSize = 32;

    // A change that keeps losing its compare-and-set to other writers gives up rather than spin forever.
    private const int MaxUpdateAttempts = 16;

    private static readonly string[] ReservedAliasPrefixes = ["alias/aws/", "alias/cos/", "alias/coffer/"];

    private readonly IKmsKeyStore _store;
    private readonly RootKey _rootKey;
    private readonly SemaphoreSlim _managedKeyLock = new(1, 1);
    private long _generateCalls;
    private long _decryptCalls;

    /// <summary>Creates the KMS over a key store and the installation's root key.</summary>
    /// <param name="store">Persistence of keys and aliases.</param>
    /// <param name="rootKey">Seals CMK material; must stay undisposed while this instance is used.</param>
    /// <param name="time">Clock for creation, deletion and rotation dates (tests pass a fake); system time by default.</param>
    /// <param name="timeScale">Divides deletion windows and rotation periods (1 = real days; 86400 turns a day into a
    /// second, for demos and tests). The server passes its <c>TimeScale</c>.</param>
    public KeyManager(IKmsKeyStore store, RootKey rootKey, TimeProvider? time = null, double timeScale = 1.0)
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

    internal TimeProvider Time { get; }

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

    /// <summary>Creates an enabled, customer-managed key with fresh 256-bit material (version 1).</summary>
    public Task<KmsKeyRecord> CreateKeyAsync(string owner, string description = "", CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(owner))
        {
            throw new KmsException(KmsErrorKind.InvalidArgument, "A key owner is required.");
        }

        if (description is null || description.Length > 8192)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument, "The key description must be at most 8192 characters.");
        }

        return CreateKeyCoreAsync(owner, description, KmsKeyManager.Customer, ct);
    }

    /// <summary>
    /// The key named by a key id, "alias/name", or an ARN ("arn:…:key/&lt;id&gt;" / "arn:…:alias/name"),
    /// in any state except Deleted.
    /// </summary>
    /// <exception cref="KmsException"><see cref="KmsErrorKind.NotFound"/> when unknown or deleted.</exception>
    /// <remarks>Server-side resolution: an alias is looked up among the service's aliases only
    /// (<see cref="ServiceKeyAlias"/>); a user's reference goes through <see cref="DescribeOwnKeyAsync"/>.</remarks>
    public Task<KmsKeyRecord> DescribeKeyAsync(string keyIdOrAlias, CancellationToken ct = default)
        => ResolveAsync(keyIdOrAlias, ct);

    /// <summary>
    /// The key a reference names as the user <paramref name="owner"/> sees it: an alias is one of the owner's
    /// aliases; a key id or ARN must name one of the owner's keys (<see cref="CanUse"/>). Any state but Deleted.
    /// </summary>
    /// <exception cref="KmsException"><see cref="KmsErrorKind.NotFound"/>, with the same message whether the key does
    /// not exist, was deleted or belongs to someone else: nothing about other users' keys is confirmed.</exception>
    public async Task<KmsKeyRecord> DescribeOwnKeyAsync(string owner, string keyIdOrAlias, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var key = await ResolveAsync(keyIdOrAlias, owner, ct).ConfigureAwait(false);
        return CanUse(owner, key) ? key : throw NotFound(keyIdOrAlias);
    }

    /// <summary>
    /// The SSE-COS key: service-managed (<see cref="KmsKeyManager.Service"/>), alias
    /// <see cref="ServiceKeyAlias"/>, created on first use. Users cannot disable or delete it
    /// (<see cref="KmsErrorKind.AccessDenied"/>) nor point an alias at it.
    /// </summary>
    public Task<KmsKeyRecord> GetOrCreateServiceKeyAsync(CancellationToken ct = default)
        => GetOrCreateManagedKeyAsync(ServiceKeyAlias, ServiceOwner, "Coffer SSE-COS service key", ct);

    /// <summary>
    /// The owner's default SSE-KMS key (used when a request asks for SSE-KMS without a key id), created on
    /// first use under <see cref="DefaultKeyAlias"/>(<paramref name="displayName"/>, else the owner) in the owner's
    /// alias namespace. Like AWS's aws/s3 key it is service-managed: the owner can use and describe it but not
    /// disable or delete it; nobody else can use it.
    /// </summary>
    /// <param name="owner">The owner's stable id (the key's owner).</param>
    /// <param name="displayName">The owner's name, for the alias; the id when null.</param>
    /// <param name="ct">Cancels the lookup or creation.</param>
    public Task<KmsKeyRecord> GetOrCreateDefaultKeyAsync(string owner, string? displayName = null, CancellationToken ct = default)
        => GetOrCreateManagedKeyAsync(DefaultKeyAlias(displayName ?? owner), owner, "Default SSE-KMS key", ct);

    /// <summary>Enables a Disabled key. Enabling an Enabled key does nothing.</summary>
    /// <exception cref="KmsException">NotFound; InvalidState when pending deletion (cancel it first).</exception>
    public Task EnableKeyAsync(string keyId, CancellationToken ct = default)
        => ChangeAsync(keyId, usable: false, key =>
        {
            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw new KmsException(KmsErrorKind.InvalidState,
                    $"KMS key {key.KeyId} is pending deletion; cancel the deletion (CancelKeyDeletion) before enabling it.");
            }

            return key.State == KmsKeyState.Enabled ? null : key with { State = KmsKeyState.Enabled };
        }, null, ct);

    /// <summary>Disables a key: data keys under it can neither be generated nor decrypted until it is enabled.</summary>
    /// <exception cref="KmsException">NotFound; AccessDenied for a service-managed key; InvalidState when pending deletion.</exception>
    public Task DisableKeyAsync(string keyId, CancellationToken ct = default)
        => ChangeAsync(keyId, usable: false, key =>
        {
            ThrowIfServiceManaged(key, "disabled");
            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is pending deletion; it is already unusable.");
            }

            return key.State == KmsKeyState.Disabled ? null : key with { State = KmsKeyState.Disabled };
        }, k => new KmsKeyEvent(k.KeyId, KmsKeyEventKind.Disabled), ct);

    /// <summary>
    /// Schedules deletion after <paramref name="pendingWindowDays"/> (7..30) days, divided by <see cref="TimeScale"/>;
    /// the key is unusable meanwhile.
    /// </summary>
    /// <returns>The deletion date.</returns>
    /// <exception cref="KmsException">InvalidArgument (window), NotFound, AccessDenied (service-managed), InvalidState (already pending).</exception>
    public async Task<DateTimeOffset> ScheduleKeyDeletionAsync(string keyId, int pendingWindowDays, CancellationToken ct = default)
    {
        if (pendingWindowDays is < 7 or > 30)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument,
                $"The pending window must be 7 to 30 days; got {pendingWindowDays.ToString(CultureInfo.InvariantCulture)}.");
        }

        var key = await ChangeAsync(keyId, usable: false, key =>
        {
            ThrowIfServiceManaged(key, "deleted");
            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is already pending deletion (on {key.DeletionDate:O}).");
            }

            return key with { State = KmsKeyState.PendingDeletion, DeletionDate = Time.GetUtcNow() + Scaled(pendingWindowDays) };
        }, k => new KmsKeyEvent(k.KeyId, KmsKeyEventKind.DeletionScheduled), ct).ConfigureAwait(false);
        return key.DeletionDate!.Value;
    }

    /// <summary>Cancels a scheduled deletion; the key becomes Disabled, as in AWS KMS (enable it to use it).</summary>
    /// <exception cref="KmsException">NotFound; InvalidState when the key is not pending deletion.</exception>
    public Task CancelKeyDeletionAsync(string keyId, CancellationToken ct = default)
        => ChangeAsync(keyId, usable: false, key => key.State != KmsKeyState.PendingDeletion
            ? throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is not pending deletion.")
            : key with { State = KmsKeyState.Disabled, DeletionDate = null }, null, ct);

    /// <summary>Adds a new version of the key's material on demand; same as <see cref="RotateKeyOnDemandAsync"/>.</summary>
    /// <exception cref="KmsException">As <see cref="RotateKeyOnDemandAsync"/>.</exception>
    public Task<KmsKeyRecord> RotateKeyAsync(string keyId, CancellationToken ct = default) => RotateKeyOnDemandAsync(keyId, ct);

    /// <summary>
    /// Adds a new version of the key's material now (AWS RotateKeyOnDemand); new data keys use it, old versions keep
    /// decrypting. Does not move the automatic rotation schedule.
    /// </summary>
    /// <exception cref="KmsException">NotFound; Disabled / PendingDeletion when the key is not usable; Unsupported for
    /// service-managed keys (they rotate on their own); LimitExceeded after <see cref="MaxOnDemandRotations"/>.</exception>
    public Task<KmsKeyRecord> RotateKeyOnDemandAsync(string keyId, CancellationToken ct = default)
        => ChangeAsync(keyId, usable: true, key =>
        {
            if (key.Manager == KmsKeyManager.Service)
            {
                throw new KmsException(KmsErrorKind.Unsupported,
                    $"KMS key {key.KeyId} is managed by the service, which rotates it yearly; it cannot be rotated on demand.");
            }

            if (key.Versions.Count(v => v.RotationType == KmsRotationType.OnDemand) >= MaxOnDemandRotations)
            {
                throw new KmsException(KmsErrorKind.LimitExceeded,
                    $"KMS key {key.KeyId} has had {MaxOnDemandRotations} on-demand rotations, the most allowed; use automatic rotation (EnableKeyRotation).");
            }

            return AddVersion(key, KmsRotationType.OnDemand);
        }, k => new KmsKeyEvent(k.KeyId, KmsKeyEventKind.Rotated, k.Versions[^1].Version, KmsRotationType.OnDemand), ct);

    /// <summary>
    /// Turns on automatic rotation: every <paramref name="rotationPeriodDays"/> days (default 365; divided by
    /// <see cref="TimeScale"/>) <see cref="RotateDueKeysAsync"/> adds a version. The first rotation is one period from now;
    /// enabling again with the same period keeps the schedule, with another period restarts it from now.
    /// </summary>
    /// <exception cref="KmsException">InvalidArgument (period outside 90..2560); NotFound; Disabled / PendingDeletion;
    /// AccessDenied for service-managed keys (they always rotate yearly).</exception>
    public Task<KmsKeyRecord> EnableKeyRotationAsync(string keyId, int? rotationPeriodDays = null, CancellationToken ct = default)
    {
        int period = rotationPeriodDays ?? DefaultRotationPeriodDays;
        if (period is < MinRotationPeriodDays or > MaxRotationPeriodDays)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument,
                $"The rotation period must be {MinRotationPeriodDays} to {MaxRotationPeriodDays} days; got {period.ToString(CultureInfo.InvariantCulture)}.");
        }

        return ChangeAsync(keyId, usable: true, key =>
        {
            ThrowIfServiceManaged(key, "configured for rotation (the service rotates it yearly)");
            if (key.RotationEnabled && (key.RotationPeriodDays ?? DefaultRotationPeriodDays) == period && key.NextRotationDate is not null)
            {
                return null;
            }

            return key with { RotationEnabled = true, RotationPeriodDays = period, NextRotationDate = Time.GetUtcNow() + Scaled(period) };
        }, null, ct);
    }

    /// <summary>Turns off automatic rotation; existing versions stay.</summary>
    /// <exception cref="KmsException">NotFound; Disabled / PendingDeletion; AccessDenied for service-managed keys.</exception>
    public Task<KmsKeyRecord> DisableKeyRotationAsync(string keyId, CancellationToken ct = default)
        => ChangeAsync(keyId, usable: true, key =>
        {
            ThrowIfServiceManaged(key, "configured for rotation (the service rotates it yearly)");
            return key.RotationEnabled || key.NextRotationDate is not null
                ? key with { RotationEnabled = false, RotationPeriodDays = null, NextRotationDate = null }
                : null;
        }, null, ct);

    /// <summary>
    /// Whether and when the key rotates automatically (AWS GetKeyRotationStatus). As in AWS, a key pending deletion
    /// reports false (it is not rotated; cancelling the deletion restores the status); a disabled key keeps its
    /// status but is not rotated until enabled again, when an overdue rotation happens at the next job run.
    /// </summary>
    /// <exception cref="KmsException">NotFound.</exception>
    public async Task<KmsRotationStatus> GetKeyRotationStatusAsync(string keyId, CancellationToken ct = default)
    {
        var key = await ResolveAsync(keyId, ct).ConfigureAwait(false);
        bool rotates = Rotates(key) && key.State != KmsKeyState.PendingDeletion;
        var lastOnDemand = key.Versions.Where(v => v.RotationType == KmsRotationType.OnDemand).Select(v => (DateTimeOffset?)v.Created).LastOrDefault();
        return new KmsRotationStatus(
            key.KeyId,
            rotates,
            rotates ? key.RotationPeriodDays ?? DefaultRotationPeriodDays : null,
            rotates ? NextRotation(key) : null,
            lastOnDemand);
    }

    /// <summary>
    /// Adds a version to every Enabled key whose automatic rotation is due (customer keys with rotation enabled,
    /// and service-managed keys yearly) and schedules the next rotation one period later. For a periodic job.
    /// </summary>
    /// <returns>The rotated keys, as stored after the rotation.</returns>
    public async Task<IReadOnlyList<KmsKeyRecord>> RotateDueKeysAsync(CancellationToken ct = default)
    {
        var rotated = new List<KmsKeyRecord>();
        foreach (var candidate in await _store.ListKeysAsync(null, ct).ConfigureAwait(false))
        {
            if (!IsRotationDue(candidate))
            {
                continue;
            }

            bool changed = false;
            var key = await ChangeAsync(candidate.KeyId, usable: false, key =>
            {
                // Re-checked on the record the change is based on (each attempt): a DisableKey made meanwhile wins.
                changed = IsRotationDue(key);
                if (!changed)
                {
                    return null;
                }

                return AddVersion(key, KmsRotationType.Automatic) with
                {
                    NextRotationDate = Time.GetUtcNow() + Scaled(key.RotationPeriodDays ?? DefaultRotationPeriodDays),
                };
            }, k => new KmsKeyEvent(k.KeyId, KmsKeyEventKind.Rotated, k.Versions[^1].Version, KmsRotationType.Automatic), ct).ConfigureAwait(false);
            if (changed)
            {
                rotated.Add(key);
            }
        }

        return rotated;
    }

    /// <summary>
    /// Decrypts a KMS ciphertext blob under its key and <paramref name="sourceContext"/> and encrypts the plaintext
    /// under <paramref name="destinationKeyIdOrAlias"/> (newest version) and <paramref name="destinationContext"/>
    /// (AWS ReEncrypt). The plaintext never leaves this method and is zeroed.
    /// </summary>
    /// <exception cref="KmsException">As <see cref="DecryptAsync"/> for the source; NotFound / Disabled / PendingDeletion
    /// for the destination (checked first, so nothing is decrypted for nothing).</exception>
    public async Task<ReEncryptResult> ReEncryptAsync(ReadOnlyMemory<byte> ciphertextBlob, IReadOnlyDictionary<string, string> sourceContext,
        string destinationKeyIdOrAlias, IReadOnlyDictionary<string, string> destinationContext, CancellationToken ct = default)
    {
        var destination = await ResolveUsableAsync(destinationKeyIdOrAlias, ct).ConfigureAwait(false);
        var source = await DecryptAsync(ciphertextBlob, sourceContext, ct).ConfigureAwait(false);
        try
        {
            byte[] blob = EncryptCore(destination, source.Plaintext, destinationContext);
            return new ReEncryptResult(source.KeyId, destination.KeyId, blob);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(source.Plaintext);
        }
    }

    /// <summary>
    /// Reads the key id and version a KMS ciphertext blob names, without decrypting anything (for authorization
    /// checks and audit records before a Decrypt).
    /// </summary>
    /// <returns>false when the blob is malformed.</returns>
    public static bool TryReadCiphertextHeader(ReadOnlySpan<byte> ciphertextBlob, out string keyId, out int version)
        => KmsCiphertext.TryReadHeader(ciphertextBlob, out keyId, out version);

    /// <summary>Creates an alias ("alias/name": letters, digits, '/', '_', '-') for a customer-managed key of <paramref name="owner"/>.</summary>
    /// <exception cref="KmsException">InvalidArgument (name or reserved prefix alias/aws/, alias/cos/, alias/coffer/),
    /// NotFound (no such key, or another owner's), AccessDenied (a service-managed key), InvalidState (pending deletion),
    /// AlreadyExists (the owner has that alias already; other owners' aliases do not count).</exception>
    public async Task CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default)
    {
        CheckUserAlias(alias);
        var (isAlias, _) = KmsEncoding.ParseReference(keyId);
        if (isAlias)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument, "An alias must point at a key id, not at another alias.");
        }

        var key = await DescribeOwnKeyAsync(owner, keyId, ct).ConfigureAwait(false);
        if (key.Manager == KmsKeyManager.Service)
        {
            throw new KmsException(KmsErrorKind.AccessDenied, $"An alias can only name a customer-managed key; {key.KeyId} is managed by the service.");
        }

        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is pending deletion.");
        }

        if (!await _store.CreateAliasAsync(alias, key.KeyId, owner, ct).ConfigureAwait(false))
        {
            throw new KmsException(KmsErrorKind.AlreadyExists, $"The alias {alias} already exists; delete it first or choose another name.");
        }
    }

    /// <summary>Deletes a user alias of <paramref name="owner"/>; false if the owner has no such alias (another owner's is not touched).</summary>
    /// <exception cref="KmsException">InvalidArgument for reserved aliases.</exception>
    public Task<bool> DeleteAliasAsync(string alias, string owner, CancellationToken ct = default)
    {
        CheckUserAlias(alias);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return _store.DeleteAliasAsync(owner, alias, ct);
    }

    /// <summary>Keys of an owner (all owners when null), without deleted ones.</summary>
    public async Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default)
    {
        var keys = await _store.ListKeysAsync(owner, ct).ConfigureAwait(false);
        return keys.Where(k => k.State != KmsKeyState.Deleted).ToList();
    }

    /// <summary>
    /// Generates a 256-bit data key under the key's newest version and returns it with its KMS ciphertext
    /// blob; <paramref name="context"/> becomes the blob's associated data and must be given again to decrypt.
    /// </summary>
    /// <exception cref="KmsException">NotFound / Disabled / PendingDeletion when the key can't be used.</exception>
    public async Task<DataKey> GenerateDataKeyAsync(string keyIdOrAlias, IReadOnlyDictionary<string, string> context, CancellationToken ct = default)
    {
        Interlocked.Increment(ref _generateCalls);
        var key = await ResolveUsableAsync(keyIdOrAlias, ct).ConfigureAwait(false);
        var dataKey = ObjectKey.Generate();
        try
        {
            byte[] blob = EncryptCore(key, dataKey.Bytes, context);
            return new DataKey(key.KeyId, dataKey, blob);
        }
        catch
        {
            dataKey.Dispose();
            throw;
        }
    }

    /// <summary>Encrypts up to <see cref="MaxPlaintextSize"/> bytes under the key's newest version.</summary>
    /// <exception cref="KmsException">InvalidArgument (size); NotFound / Disabled / PendingDeletion.</exception>
    public async Task<byte[]> EncryptAsync(string keyIdOrAlias, ReadOnlyMemory<byte> plaintext, IReadOnlyDictionary<string, string> context, CancellationToken ct = default)
    {
        if (plaintext.Length is 0 or > MaxPlaintextSize)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument, $"The plaintext must be 1 to {MaxPlaintextSize} bytes.");
        }

        var key = await ResolveUsableAsync(keyIdOrAlias, ct).ConfigureAwait(false);
        return EncryptCore(key, plaintext.Span, context);
    }

    /// <summary>
    /// Decrypts a KMS ciphertext blob. The blob names its key and version; <paramref name="context"/> must
    /// equal the one given when it was made (order of entries does not matter).
    /// </summary>
    /// <exception cref="KmsException">InvalidCiphertext (malformed, tampered, other context, destroyed version);
    /// NotFound / Disabled / PendingDeletion for the key it names.</exception>
    public async Task<DecryptResult> DecryptAsync(ReadOnlyMemory<byte> ciphertextBlob, IReadOnlyDictionary<string, string> context, CancellationToken ct = default)
    {
        Interlocked.Increment(ref _decryptCalls);
        if (!KmsCiphertext.TryReadHeader(ciphertextBlob.Span, out string keyId, out int version))
        {
            throw new KmsException(KmsErrorKind.InvalidCiphertext, "The ciphertext blob is malformed or was not produced by this KMS.");
        }

        if (KmsEncoding.ParseReference(keyId).IsAlias)
        {
            throw new KmsException(KmsErrorKind.InvalidCiphertext, "The ciphertext blob names an alias instead of a key id.");
        }

        var key = await ResolveUsableAsync(keyId, ct).ConfigureAwait(false);
        if (!string.Equals(key.KeyId, keyId, StringComparison.Ordinal))
        {
            throw new KmsException(KmsErrorKind.InvalidCiphertext, "The ciphertext blob does not name a key id of this KMS.");
        }

        var keyVersion = key.Versions.FirstOrDefault(v => v.Version == version)
            ?? throw new KmsException(KmsErrorKind.InvalidCiphertext, $"Version {version} of KMS key {key.KeyId} does not exist.");
        byte[] material = UnsealMaterial(key.KeyId, keyVersion);
        try
        {
            byte[] plaintext = KmsCiphertext.TryDecrypt(ciphertextBlob.Span, key.KeyId, version, material, KmsEncoding.CanonicalContext(context))
                ?? throw new KmsException(KmsErrorKind.InvalidCiphertext,
                    "The ciphertext blob does not decrypt: it was tampered with, or the encryption context differs from the one used to encrypt.");
            return new DecryptResult(key.KeyId, plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    /// <summary>Cheap state check (no unwrap): throws like <see cref="GenerateDataKeyAsync"/> when the key is not usable.</summary>
    public Task EnsureUsableAsync(string keyId, CancellationToken ct = default) => ResolveUsableAsync(keyId, ct);

    /// <summary>
    /// Shreds every key whose deletion date has passed: removes the sealed material of every version (the store
    /// leaves no copy behind) and marks it Deleted. For a periodic job; keys are also shredded lazily when next
    /// accessed. Each shred raises <see cref="KeyChanged"/> with <see cref="KmsKeyEventKind.Destroyed"/>.
    /// </summary>
    /// <returns>How many keys this call shredded.</returns>
    public async Task<int> DeleteExpiredKeysAsync(CancellationToken ct = default)
    {
        int shredded = 0;
        foreach (var key in await _store.ListKeysAsync(null, ct).ConfigureAwait(false))
        {
            if (IsExpired(key) && await ShredAsync(key, IsExpired, ct).ConfigureAwait(false))
            {
                shredded++;
            }
        }

        return shredded;
    }

    /// <summary>Resolves a reference to a key that is Enabled; NotFound / Disabled / PendingDeletion otherwise.</summary>
    internal async Task<KmsKeyRecord> ResolveUsableAsync(string keyIdOrAlias, CancellationToken ct)
    {
        var key = await ResolveAsync(keyIdOrAlias, ct).ConfigureAwait(false);
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

    private async Task<KmsKeyRecord> GetOrCreateManagedKeyAsync(string alias, string owner, string description, CancellationToken ct)
    {
        if (await TryResolveAliasAsync(owner, alias, ct).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        await _managedKeyLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (await TryResolveAliasAsync(owner, alias, ct).ConfigureAwait(false) is { } raced)
            {
                return raced;
            }

            var key = await CreateKeyCoreAsync(owner, description, KmsKeyManager.Service, ct).ConfigureAwait(false);
            if (await _store.CreateAliasAsync(alias, key.KeyId, owner, ct).ConfigureAwait(false))
            {
                return key;
            }

            // Another node created the alias first: ours was never used, shred it and use theirs.
            await ShredAsync(key, static _ => true, ct).ConfigureAwait(false);
            return await TryResolveAliasAsync(owner, alias, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The alias {alias} exists but names no usable key.");
        }
        finally
        {
            _managedKeyLock.Release();
        }
    }

    private async Task<KmsKeyRecord?> TryResolveAliasAsync(string owner, string alias, CancellationToken ct)
    {
        string? keyId = await _store.ResolveAliasAsync(owner, alias, ct).ConfigureAwait(false);
        var key = keyId is null ? null : await _store.GetKeyAsync(keyId, ct).ConfigureAwait(false);
        return key is null || key.State == KmsKeyState.Deleted ? null : key;
    }

    private async Task<KmsKeyRecord> CreateKeyCoreAsync(string owner, string description, KmsKeyManager manager, CancellationToken ct)
    {
        string keyId = Guid.NewGuid().ToString("D");
        var key = new KmsKeyRecord
        {
            KeyId = keyId,
            Owner = owner,
            Created = Time.GetUtcNow(),
            Description = description,
            State = KmsKeyState.Enabled,
            Manager = manager,
            Versions = [NewVersion(keyId, 1)],
        };
        await _store.CreateKeyAsync(key, ct).ConfigureAwait(false);
        return key;
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

    private byte[] EncryptCore(KmsKeyRecord key, ReadOnlySpan<byte> plaintext, IReadOnlyDictionary<string, string> context)
    {
        var version = key.Versions.MaxBy(v => v.Version)
            ?? throw new InvalidOperationException($"KMS key {key.KeyId} has no key material.");
        byte[] material = UnsealMaterial(key.KeyId, version);
        try
        {
            Span<byte> salt = stackalloc byte[32];
            RandomNumberGenerator.Fill(salt);
            return KmsCiphertext.Encrypt(key.KeyId, version.Version, material, plaintext, KmsEncoding.CanonicalContext(context), salt);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    private byte[] UnsealMaterial(string keyId, KmsKeyVersion version)
    {
        try
        {
            return _rootKey.Unseal(version.SealedMaterial, MaterialPurpose(keyId, version.Version));
        }
        catch (CryptographicException e)
        {
            // A server fault, not a client error: wrong root key for this key store, or a corrupted record.
            throw new InvalidOperationException(
                $"The material of KMS key {keyId} version {version.Version} does not unseal under this installation's root key.", e);
        }
    }

    private bool IsExpired(KmsKeyRecord key)
        => key.State == KmsKeyState.PendingDeletion && key.DeletionDate is { } date && date <= Time.GetUtcNow();

    /// <summary>
    /// Destroys the key's material if <paramref name="due"/> still holds for the stored record (retried on conflicts).
    /// </summary>
    /// <returns>true when this call destroyed it; false when it was gone already or no longer due.</returns>
    private async Task<bool> ShredAsync(KmsKeyRecord key, Func<KmsKeyRecord, bool> due, CancellationToken ct)
    {
        for (int attempt = 0; attempt < MaxUpdateAttempts; attempt++)
        {
            if (await _store.TryUpdateKeyAsync(key, key with { State = KmsKeyState.Deleted, Versions = [] }, ct).ConfigureAwait(false))
            {
                Raise(new KmsKeyEvent(key.KeyId, KmsKeyEventKind.Destroyed));
                return true;
            }

            var current = await _store.GetKeyAsync(key.KeyId, ct).ConfigureAwait(false);
            if (current is null || current.State == KmsKeyState.Deleted || !due(current))
            {
                return false;
            }

            key = current;
        }

        throw Contended(key.KeyId);
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
            var key = usable
                ? await ResolveUsableAsync(keyIdOrAlias, ct).ConfigureAwait(false)
                : await ResolveAsync(keyIdOrAlias, ct).ConfigureAwait(false);
            var updated = change(key);
            if (updated is null)
            {
                return key;
            }

            if (await _store.TryUpdateKeyAsync(key, updated, ct).ConfigureAwait(false))
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

    private KmsKeyRecord AddVersion(KmsKeyRecord key, KmsRotationType type)
    {
        int version = key.Versions.Count == 0
            ? throw new InvalidOperationException($"KMS key {key.KeyId} has no key material.")
            : key.Versions.Max(v => v.Version) + 1;
        return key with { Versions = [.. key.Versions, NewVersion(key.KeyId, version, type)] };
    }

    /// <summary>Customer keys rotate when rotation is enabled; service-managed keys always (yearly), as AWS managed keys.</summary>
    private static bool Rotates(KmsKeyRecord key) => key.Manager == KmsKeyManager.Service || key.RotationEnabled;

    /// <summary>The next automatic rotation, or null when the key does not rotate.</summary>
    private DateTimeOffset? NextRotation(KmsKeyRecord key)
    {
        if (!Rotates(key) || key.Versions.Count == 0)
        {
            return null;
        }

        return key.NextRotationDate ?? key.Versions.Max(v => v.Created) + Scaled(key.RotationPeriodDays ?? DefaultRotationPeriodDays);
    }

    private bool IsRotationDue(KmsKeyRecord key)
        => key.State == KmsKeyState.Enabled && NextRotation(key) is { } due && due <= Time.GetUtcNow();

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

    private static void ThrowIfServiceManaged(KmsKeyRecord key, string action)
    {
        if (key.Manager == KmsKeyManager.Service)
        {
            throw new KmsException(KmsErrorKind.AccessDenied,
                $"KMS key {key.KeyId} is managed by the service (SSE-COS or a default key) and cannot be {action}.");
        }
    }

    private static void CheckUserAlias(string alias)
    {
        if (string.IsNullOrEmpty(alias) || !alias.StartsWith(KmsEncoding.AliasPrefix, StringComparison.Ordinal)
            || alias.Length == KmsEncoding.AliasPrefix.Length || alias.Length > 256
            || !alias.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-'))
        {
            throw new KmsException(KmsErrorKind.InvalidArgument,
                "An alias is \"alias/\" followed by 1 to 250 letters, digits, '/', '_' or '-'.");
        }

        foreach (string reserved in ReservedAliasPrefixes)
        {
            if (alias.StartsWith(reserved, StringComparison.Ordinal))
            {
                throw new KmsException(KmsErrorKind.InvalidArgument, $"Aliases beginning with {reserved} are reserved for the service.");
            }
        }
    }

    private static KmsException NotFound(string reference)
        => new(KmsErrorKind.NotFound, $"KMS key {reference} does not exist (or was deleted).");
}
