namespace Coffer.Crypto.Kms;

/// <summary>Lifecycle state of a KMS master key (CMK), as AWS KMS names them.</summary>
public enum KmsKeyState { Enabled, Disabled, PendingDeletion, Deleted }

/// <summary>Who manages a key: a user ("CUSTOMER") or the service itself ("AWS"-style managed key used by SSE-COS).</summary>
public enum KmsKeyManager { Customer, Service }

/// <summary>
/// One version of a CMK's key material, sealed under the root key. Rotation adds versions;
/// old versions keep decrypting. Destroyed material is removed (crypto-shredding).
/// </summary>
public sealed record KmsKeyVersion(int Version, byte[] SealedMaterial, DateTimeOffset Created);

/// <summary>A KMS master key as persisted. Never holds unsealed material.</summary>
public sealed record KmsKeyRecord
{
    /// <summary>A UUID, as AWS KMS key ids are.</summary>
    public required string KeyId { get; init; }
    public required string Owner { get; init; }
    public required DateTimeOffset Created { get; init; }
    public string Description { get; init; } = "";
    public KmsKeyState State { get; init; } = KmsKeyState.Enabled;
    public KmsKeyManager Manager { get; init; } = KmsKeyManager.Customer;
    public DateTimeOffset? DeletionDate { get; init; }
    public bool RotationEnabled { get; init; }
    public required IReadOnlyList<KmsKeyVersion> Versions { get; init; }
}

/// <summary>Persistence of KMS keys and aliases (implemented by Coffer.Storage).</summary>
public interface IKmsKeyStore
{
    Task CreateKeyAsync(KmsKeyRecord key, CancellationToken ct = default);
    Task<KmsKeyRecord?> GetKeyAsync(string keyId, CancellationToken ct = default);
    Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default);
    /// <summary>Replaces the stored record (state changes, rotation, shredding).</summary>
    Task UpdateKeyAsync(KmsKeyRecord key, CancellationToken ct = default);

    /// <summary>Creates an alias ("alias/name"); false if it exists.</summary>
    Task<bool> CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default);
    /// <summary>The key id an alias points to, or null.</summary>
    Task<string?> ResolveAliasAsync(string alias, CancellationToken ct = default);
    Task<IReadOnlyList<(string Alias, string KeyId)>> ListAliasesAsync(string? owner, CancellationToken ct = default);
    Task<bool> DeleteAliasAsync(string alias, CancellationToken ct = default);
}
