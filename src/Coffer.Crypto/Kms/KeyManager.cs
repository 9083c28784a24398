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
/// Deletion is crypto-shredding: once a key's deletion date has passed, the next access (or
/// <see cref="DeleteExpiredKeysAsync"/>) removes its sealed material and marks it Deleted; every
/// ciphertext under it is then unrecoverable.
/// </para>
/// Thread-safe. Owner checks for per-user operations (describe, decrypt) are the server's job; this
/// class enforces what the key itself allows.
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

    private const int MaterialSize = 32;
    private static readonly string[] ReservedAliasPrefixes = ["alias/aws/", "alias/cos/", "alias/coffer/"];

    private readonly IKmsKeyStore _store;
    private readonly RootKey _rootKey;
    private readonly SemaphoreSlim _managedKeyLock = new(1, 1);
    private long _generateCalls;
    private long _decryptCalls;

    /// <summary>Creates the KMS over a key store and the installation's root key.</summary>
    /// <param name="store">Persistence of keys and aliases.</param>
    /// <param name="rootKey">Seals CMK material; must stay undisposed while this instance is used.</param>
    /// <param name="time">Clock for creation and deletion dates (tests pass a fake); system time by default.</param>
    public KeyManager(IKmsKeyStore store, RootKey rootKey, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(rootKey);
        _store = store;
        _rootKey = rootKey;
        Time = time ?? TimeProvider.System;
    }

    /// <summary>Number of <see cref="GenerateDataKeyAsync"/> calls so far (including refused ones).</summary>
    public long GenerateCalls => Interlocked.Read(ref _generateCalls);

    /// <summary>Number of <see cref="DecryptAsync"/> calls so far (including refused ones).</summary>
    public long DecryptCalls => Interlocked.Read(ref _decryptCalls);

    internal TimeProvider Time { get; }

    /// <summary>
    /// The alias of <paramref name="owner"/>'s default SSE-KMS key: "alias/cos/default/&lt;owner&gt;" when
    /// the owner is made of [A-Za-z0-9_-] (e.g. a COS APPID), otherwise "alias/cos/default/h-" followed by
    /// 32 hex digits of SHA-256(owner). Aliases live in one namespace, so the owner is part of the name.
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
    public Task<KmsKeyRecord> DescribeKeyAsync(string keyIdOrAlias, CancellationToken ct = default)
        => ResolveAsync(keyIdOrAlias, ct);

    /// <summary>
    /// The SSE-COS key: service-managed (<see cref="KmsKeyManager.Service"/>), alias
    /// <see cref="ServiceKeyAlias"/>, created on first use. Users cannot disable or delete it
    /// (<see cref="KmsErrorKind.AccessDenied"/>) nor point an alias at it.
    /// </summary>
    public Task<KmsKeyRecord> GetOrCreateServiceKeyAsync(CancellationToken ct = default)
        => GetOrCreateManagedKeyAsync(ServiceKeyAlias, ServiceOwner, "Coffer SSE-COS service key", ct);

    /// <summary>
    /// The owner's default SSE-KMS key (used when a request asks for SSE-KMS without a key id), created on
    /// first use under <see cref="DefaultKeyAlias"/>. Like AWS's aws/s3 key it is service-managed: the owner
    /// can use and describe it but not disable or delete it.
    /// </summary>
    public Task<KmsKeyRecord> GetOrCreateDefaultKeyAsync(string owner, CancellationToken ct = default)
        => GetOrCreateManagedKeyAsync(DefaultKeyAlias(owner), owner, "Default SSE-KMS key", ct);

    /// <summary>Enables a Disabled key. Enabling an Enabled key does nothing.</summary>
    /// <exception cref="KmsException">NotFound; InvalidState when pending deletion (cancel it first).</exception>
    public async Task EnableKeyAsync(string keyId, CancellationToken ct = default)
    {
        var key = await ResolveAsync(keyId, ct).ConfigureAwait(false);
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw new KmsException(KmsErrorKind.InvalidState,
                $"KMS key {key.KeyId} is pending deletion; cancel the deletion (CancelKeyDeletion) before enabling it.");
        }

        if (key.State != KmsKeyState.Enabled)
        {
            await _store.UpdateKeyAsync(key with { State = KmsKeyState.Enabled }, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Disables a key: data keys under it can neither be generated nor decrypted until it is enabled.</summary>
    /// <exception cref="KmsException">NotFound; AccessDenied for a service-managed key; InvalidState when pending deletion.</exception>
    public async Task DisableKeyAsync(string keyId, CancellationToken ct = default)
    {
        var key = await ResolveAsync(keyId, ct).ConfigureAwait(false);
        ThrowIfServiceManaged(key, "disabled");
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is pending deletion; it is already unusable.");
        }

        if (key.State != KmsKeyState.Disabled)
        {
            await _store.UpdateKeyAsync(key with { State = KmsKeyState.Disabled }, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Schedules deletion after <paramref name="pendingWindowDays"/> (7..30) days; the key is unusable meanwhile.</summary>
    /// <returns>The deletion date.</returns>
    /// <exception cref="KmsException">InvalidArgument (window), NotFound, AccessDenied (service-managed), InvalidState (already pending).</exception>
    public async Task<DateTimeOffset> ScheduleKeyDeletionAsync(string keyId, int pendingWindowDays, CancellationToken ct = default)
    {
        if (pendingWindowDays is < 7 or > 30)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument,
                $"The pending window must be 7 to 30 days; got {pendingWindowDays.ToString(CultureInfo.InvariantCulture)}.");
        }

        var key = await ResolveAsync(keyId, ct).ConfigureAwait(false);
        ThrowIfServiceManaged(key, "deleted");
        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is already pending deletion (on {key.DeletionDate:O}).");
        }

        var date = Time.GetUtcNow().AddDays(pendingWindowDays);
        await _store.UpdateKeyAsync(key with { State = KmsKeyState.PendingDeletion, DeletionDate = date }, ct).ConfigureAwait(false);
        return date;
    }

    /// <summary>Cancels a scheduled deletion; the key becomes Disabled, as in AWS KMS (enable it to use it).</summary>
    /// <exception cref="KmsException">NotFound; InvalidState when the key is not pending deletion.</exception>
    public async Task CancelKeyDeletionAsync(string keyId, CancellationToken ct = default)
    {
        var key = await ResolveAsync(keyId, ct).ConfigureAwait(false);
        if (key.State != KmsKeyState.PendingDeletion)
        {
            throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is not pending deletion.");
        }

        await _store.UpdateKeyAsync(key with { State = KmsKeyState.Disabled, DeletionDate = null }, ct).ConfigureAwait(false);
    }

    /// <summary>Adds a new version of the key's material; new data keys use it, old versions keep decrypting.</summary>
    /// <exception cref="KmsException">NotFound; Disabled / PendingDeletion when the key is not usable.</exception>
    public async Task<KmsKeyRecord> RotateKeyAsync(string keyId, CancellationToken ct = default)
    {
        var key = await ResolveUsableAsync(keyId, ct).ConfigureAwait(false);
        int version = key.Versions.Max(v => v.Version) + 1;
        var rotated = key with { Versions = [.. key.Versions, NewVersion(key.KeyId, version)] };
        await _store.UpdateKeyAsync(rotated, ct).ConfigureAwait(false);
        return rotated;
    }

    /// <summary>Creates an alias ("alias/name": letters, digits, '/', '_', '-') for a customer-managed key of <paramref name="owner"/>.</summary>
    /// <exception cref="KmsException">InvalidArgument (name or reserved prefix alias/aws/, alias/cos/, alias/coffer/),
    /// NotFound, AccessDenied (another owner's or a service-managed key), InvalidState (pending deletion),
    /// AlreadyExists.</exception>
    public async Task CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default)
    {
        CheckUserAlias(alias);
        var (isAlias, _) = KmsEncoding.ParseReference(keyId);
        if (isAlias)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument, "An alias must point at a key id, not at another alias.");
        }

        var key = await ResolveAsync(keyId, ct).ConfigureAwait(false);
        if (key.Manager == KmsKeyManager.Service || !string.Equals(key.Owner, owner, StringComparison.Ordinal))
        {
            throw new KmsException(KmsErrorKind.AccessDenied, $"An alias can only name a customer-managed key of its owner; {key.KeyId} is not one.");
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

    /// <summary>Deletes a user alias of <paramref name="owner"/>; false if it does not exist.</summary>
    /// <exception cref="KmsException">InvalidArgument for reserved aliases; AccessDenied for another owner's alias.</exception>
    public async Task<bool> DeleteAliasAsync(string alias, string owner, CancellationToken ct = default)
    {
        CheckUserAlias(alias);
        var mine = await _store.ListAliasesAsync(owner, ct).ConfigureAwait(false);
        if (!mine.Any(a => string.Equals(a.Alias, alias, StringComparison.Ordinal)))
        {
            if (await _store.ResolveAliasAsync(alias, ct).ConfigureAwait(false) is not null)
            {
                throw new KmsException(KmsErrorKind.AccessDenied, $"The alias {alias} belongs to another owner.");
            }

            return false;
        }

        return await _store.DeleteAliasAsync(alias, ct).ConfigureAwait(false);
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
    /// Shreds every key whose deletion date has passed (removes its sealed material, state Deleted).
    /// For a periodic job; keys are also shredded lazily when next accessed.
    /// </summary>
    /// <returns>How many keys were shredded.</returns>
    public async Task<int> DeleteExpiredKeysAsync(CancellationToken ct = default)
    {
        int shredded = 0;
        foreach (var key in await _store.ListKeysAsync(null, ct).ConfigureAwait(false))
        {
            if (IsExpired(key))
            {
                await ShredAsync(key, ct).ConfigureAwait(false);
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

    private async Task<KmsKeyRecord> ResolveAsync(string keyIdOrAlias, CancellationToken ct)
    {
        var (isAlias, value) = KmsEncoding.ParseReference(keyIdOrAlias);
        string? keyId = isAlias ? await _store.ResolveAliasAsync(value, ct).ConfigureAwait(false) : value;
        var key = keyId is null ? null : await _store.GetKeyAsync(keyId, ct).ConfigureAwait(false);
        if (key is not null && IsExpired(key))
        {
            await ShredAsync(key, ct).ConfigureAwait(false);
            key = null;
        }

        return key is null || key.State == KmsKeyState.Deleted ? throw NotFound(keyIdOrAlias) : key;
    }

    private async Task<KmsKeyRecord> GetOrCreateManagedKeyAsync(string alias, string owner, string description, CancellationToken ct)
    {
        if (await TryResolveAliasAsync(alias, ct).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }

        await _managedKeyLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (await TryResolveAliasAsync(alias, ct).ConfigureAwait(false) is { } raced)
            {
                return raced;
            }

            var key = await CreateKeyCoreAsync(owner, description, KmsKeyManager.Service, ct).ConfigureAwait(false);
            if (await _store.CreateAliasAsync(alias, key.KeyId, owner, ct).ConfigureAwait(false))
            {
                return key;
            }

            // Another node created the alias first: ours was never used, shred it and use theirs.
            await ShredAsync(key, ct).ConfigureAwait(false);
            return await TryResolveAliasAsync(alias, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The alias {alias} exists but names no usable key.");
        }
        finally
        {
            _managedKeyLock.Release();
        }
    }

    private async Task<KmsKeyRecord?> TryResolveAliasAsync(string alias, CancellationToken ct)
    {
        string? keyId = await _store.ResolveAliasAsync(alias, ct).ConfigureAwait(false);
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

    private KmsKeyVersion NewVersion(string keyId, int version)
    {
        byte[] material = RandomNumberGenerator.GetBytes(MaterialSize);
        try
        {
            return new KmsKeyVersion(version, _rootKey.Seal(material, MaterialPurpose(keyId, version)), Time.GetUtcNow());
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

    private Task ShredAsync(KmsKeyRecord key, CancellationToken ct)
        => _store.UpdateKeyAsync(key with { State = KmsKeyState.Deleted, Versions = [] }, ct);

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
