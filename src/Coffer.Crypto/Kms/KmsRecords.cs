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
public sealed record SealedObjectKey(ObjectKey Key, byte[] SealedKey, string KeyId);
