using System.Security.Cryptography;

namespace Coffer.Crypto.Kms;

/// <summary>Data keys and ciphertexts: GenerateDataKey, Encrypt, Decrypt and ReEncrypt.</summary>
public sealed partial class KeyManager
{
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

        var keyVersion = key.Versions.FirstOrDefault(v => v.Version == version);
        if (keyVersion is null)
        {
            // The cached state may predate a rotation made through another node: ask the store before refusing.
            key = await ResolveUsableAsync(keyId, ct, fresh: true).ConfigureAwait(false);
            keyVersion = key.Versions.FirstOrDefault(v => v.Version == version)
                ?? throw new KmsException(KmsErrorKind.InvalidCiphertext, $"Version {version} of KMS key {key.KeyId} does not exist.");
        }

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
}
