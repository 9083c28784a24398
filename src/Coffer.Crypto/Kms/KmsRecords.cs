namespace Coffer.Crypto.Kms;

/// <summary>A data key from <see cref="KeyManager.GenerateDataKeyAsync"/>: the plaintext key (dispose it
/// when done) and the KMS ciphertext blob that <see cref="KeyManager.DecryptAsync"/> turns back into it.</summary>
/// <param name="KeyId">The CMK's key id (never an alias).</param>
/// <param name="Plaintext">The plaintext data key; the caller owns and disposes it.</param>
/// <param name="CiphertextBlob">The KMS ciphertext blob (docs/keys.md, "KMS ciphertext blob").</param>
public sealed record DataKey(string KeyId, ObjectKey Plaintext, byte[] CiphertextBlob);

/// <summary>Result of <see cref="KeyManager.DecryptAsync"/>.</summary>
/// <param name="KeyId">The CMK the blob named.</param>
/// <param name="Plaintext">The plaintext; zero it when done if it is key material.</param>
public sealed record DecryptResult(string KeyId, byte[] Plaintext);

/// <summary>A freshly sealed (or re-sealed) object key from <see cref="KmsEnvelope"/>.</summary>
/// <param name="Key">The plaintext object key; the caller owns and disposes it.</param>
/// <param name="SealedKey">What to store in the object's metadata (docs/keys.md, "Sealed object key (KMS)").</param>
/// <param name="KeyId">The CMK's key id (aliases resolved).</param>
public sealed record SealedObjectKey(ObjectKey Key, byte[] SealedKey, string KeyId)
{
    /// <summary>The CMK version that encrypted the bucket key (the newest when the bucket key was made).</summary>
    public int KeyVersion { get; init; }

    /// <summary>True when the bucket key came from the cache: sealing made no KMS call.</summary>
    public bool BucketKeyCached { get; init; }
}

/// <summary>An opened object key from <see cref="KmsEnvelope.UnsealWithDetailsAsync"/>.</summary>
/// <param name="Key">The plaintext object key; the caller owns and disposes it.</param>
/// <param name="KeyId">The CMK its bucket key was made under.</param>
/// <param name="KeyVersion">The CMK version.</param>
/// <param name="BucketKeyCached">True when the bucket key came from the cache: opening made no KMS call.</param>
public sealed record UnsealedObjectKey(ObjectKey Key, string KeyId, int KeyVersion, bool BucketKeyCached);

/// <summary>Result of <see cref="KeyManager.ReEncryptAsync"/>: the new blob, never the plaintext.</summary>
/// <param name="SourceKeyId">The CMK the input blob was made under.</param>
/// <param name="KeyId">The destination CMK (its newest version encrypted the new blob).</param>
/// <param name="CiphertextBlob">The new KMS ciphertext blob.</param>
public sealed record ReEncryptResult(string SourceKeyId, string KeyId, byte[] CiphertextBlob);

/// <summary>Result of <see cref="KeyManager.GetKeyRotationStatusAsync"/> (AWS GetKeyRotationStatus).</summary>
/// <param name="KeyId">The key id.</param>
/// <param name="RotationEnabled">Whether the key rotates automatically (false while pending deletion).</param>
/// <param name="RotationPeriodDays">The period as configured (not divided by the time scale), when it rotates.</param>
/// <param name="NextRotationDate">When the next automatic rotation is due, when it rotates.</param>
/// <param name="OnDemandRotationStartDate">When the last on-demand rotation happened, if any.</param>
public sealed record KmsRotationStatus(string KeyId, bool RotationEnabled, int? RotationPeriodDays, DateTimeOffset? NextRotationDate,
    DateTimeOffset? OnDemandRotationStartDate);

/// <summary>What happened to a key (<see cref="KeyManager.KeyChanged"/>).</summary>
public enum KmsKeyEventKind
{
    /// <summary>DisableKey: the key refuses every use until enabled.</summary>
    Disabled,

    /// <summary>ScheduleKeyDeletion: the key refuses every use until the deletion is cancelled.</summary>
    DeletionScheduled,

    /// <summary>The material of every version was destroyed (crypto-shredding); the key is gone for good.</summary>
    Destroyed,

    /// <summary>A version was added (automatically or on demand).</summary>
    Rotated,
}

/// <summary>A stored key change, for observers such as caches and the audit log.</summary>
/// <param name="KeyId">The key id.</param>
/// <param name="Kind">What happened.</param>
/// <param name="Version">The new version (<see cref="KmsKeyEventKind.Rotated"/>).</param>
/// <param name="RotationType">How the version came to be (<see cref="KmsKeyEventKind.Rotated"/>).</param>
public sealed record KmsKeyEvent(string KeyId, KmsKeyEventKind Kind, int? Version = null, KmsRotationType? RotationType = null);
