namespace Coffer.Crypto.Kms;

/// <summary>Lifecycle state of a KMS master key (CMK), as AWS KMS names them.</summary>
public enum KmsKeyState { Enabled, Disabled, PendingDeletion, Deleted }

/// <summary>Who manages a key: a user ("CUSTOMER") or the service itself ("AWS"-style managed key used by SSE-COS).</summary>
public enum KmsKeyManager { Customer, Service }

/// <summary>How a key version beyond the first came to be (AWS ListKeyRotations' RotationType).</summary>
public enum KmsRotationType
{
    /// <summary>Added by the rotation schedule (EnableKeyRotation, or the yearly rotation of service-managed keys).</summary>
    Automatic,

    /// <summary>Added on request (RotateKeyOnDemand).</summary>
    OnDemand,
}

/// <summary>
/// One version of a CMK's key material, sealed under the root key. Rotation adds versions;
/// old versions keep decrypting. Destroyed material is removed (crypto-shredding).
/// </summary>
/// <param name="Version">1 for the original material, then 2, 3, … per rotation.</param>
/// <param name="SealedMaterial">The 32-byte material sealed under the root key (docs/keys.md §3).</param>
/// <param name="Created">When the version was made (its rotation date, for versions beyond 1).</param>
/// <param name="RotationType">How a rotated version was made; null for version 1.</param>
public sealed record KmsKeyVersion(int Version, byte[] SealedMaterial, DateTimeOffset Created, KmsRotationType? RotationType = null);

/// <summary>A KMS master key as persisted. Never holds unsealed material.</summary>
public sealed record KmsKeyRecord
{
    /// <summary>A UUID, as AWS KMS key ids are.</summary>
    public required string KeyId { get; init; }

    /// <summary>The user (its stable id) the key belongs to; <see cref="KeyManager.ServiceOwner"/> for the SSE-COS key.</summary>
    public required string Owner { get; init; }

    /// <summary>When the key was created.</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>The user's description (AWS Description).</summary>
    public string Description { get; init; } = "";

    /// <summary>The lifecycle state.</summary>
    public KmsKeyState State { get; init; } = KmsKeyState.Enabled;

    /// <summary>Customer- or service-managed.</summary>
    public KmsKeyManager Manager { get; init; } = KmsKeyManager.Customer;

    /// <summary>When a key pending deletion is destroyed; null otherwise.</summary>
    public DateTimeOffset? DeletionDate { get; init; }

    /// <summary>Whether automatic rotation is on (EnableKeyRotation). Service-managed keys always rotate yearly, whatever this says.</summary>
    public bool RotationEnabled { get; init; }

    /// <summary>The automatic rotation period in days (AWS RotationPeriodInDays, 90..2560); null means 365.</summary>
    public int? RotationPeriodDays { get; init; }

    /// <summary>When automatic rotation next adds a version; null when it was never scheduled (then it is computed
    /// from the newest version for keys that rotate).</summary>
    public DateTimeOffset? NextRotationDate { get; init; }

    /// <summary>The material versions, oldest first; empty once the key is Deleted.</summary>
    public required IReadOnlyList<KmsKeyVersion> Versions { get; init; }

    /// <summary>
    /// Whether <paramref name="other"/> holds the same content: every field, and every version's number, date,
    /// rotation type and sealed bytes. (Record equality compares the version list by reference.)
    /// </summary>
    public bool ContentEquals(KmsKeyRecord other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return this with { Versions = [] } == other with { Versions = [] }
            && Versions.Count == other.Versions.Count
            && Versions.Zip(other.Versions).All(p => p.First.Version == p.Second.Version
                && p.First.Created == p.Second.Created
                && p.First.RotationType == p.Second.RotationType
                && p.First.SealedMaterial.AsSpan().SequenceEqual(p.Second.SealedMaterial));
    }
}

/// <summary>Persistence of KMS keys and aliases (implemented by Coffer.Storage).</summary>
public interface IKmsKeyStore
{
    /// <summary>Stores a new key.</summary>
    Task CreateKeyAsync(KmsKeyRecord key, CancellationToken ct = default);

    /// <summary>The key with that id (in any state, Deleted included), or null.</summary>
    Task<KmsKeyRecord?> GetKeyAsync(string keyId, CancellationToken ct = default);

    /// <summary>The keys of an owner, or of everyone when <paramref name="owner"/> is null.</summary>
    Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default);

    /// <summary>Replaces the stored record (state changes, rotation, shredding).</summary>
    Task UpdateKeyAsync(KmsKeyRecord key, CancellationToken ct = default);

    /// <summary>
    /// Replaces the stored record only if it still has the content of <paramref name="expected"/>
    /// (<see cref="KmsKeyRecord.ContentEquals"/>), atomically: optimistic concurrency for read-modify-write
    /// changes, so a background rotation never undoes a DisableKey made meanwhile.
    /// </summary>
    /// <returns>false when the stored record changed (or vanished) since <paramref name="expected"/> was read.</returns>
    /// <remarks>
    /// Versions missing from <paramref name="replacement"/> are destroyed: the store must leave no copy of their
    /// sealed material in what it persists (crypto-shredding).
    /// </remarks>
    Task<bool> TryUpdateKeyAsync(KmsKeyRecord expected, KmsKeyRecord replacement, CancellationToken ct = default);

    /// <summary>
    /// Creates an alias ("alias/name") in <paramref name="owner"/>'s namespace; false if that owner has it already.
    /// Aliases are per owner, as AWS aliases are per account: two owners may each have "alias/app".
    /// </summary>
    Task<bool> CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default);

    /// <summary>The key id <paramref name="owner"/>'s alias points to, or null (another owner's alias of that name does not count).</summary>
    Task<string?> ResolveAliasAsync(string owner, string alias, CancellationToken ct = default);

    /// <summary>Aliases of an owner (all when null) with their key ids.</summary>
    Task<IReadOnlyList<(string Alias, string KeyId)>> ListAliasesAsync(string? owner, CancellationToken ct = default);

    /// <summary>Deletes <paramref name="owner"/>'s alias; false if that owner had none of that name.</summary>
    Task<bool> DeleteAliasAsync(string owner, string alias, CancellationToken ct = default);
}
