using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Coffer.Crypto.Internal;

namespace Coffer.Crypto.Kms;

/// <summary>
/// SSE-KMS / SSE-COS envelope with S3-style bucket keys (docs/keys.md). A bucket key is a KMS data
/// key for (CMK, encryption context, bucket); it is cached, bounded in count (<c>capacity</c>) and in
/// lifetime (default 5 minutes, after which a new one is generated). Every object gets a fresh random
/// <see cref="ObjectKey"/>, sealed under the bucket key with its <see cref="KeyBinding"/> as associated data.
/// <para>
/// The stored sealed key is a versioned blob: the KMS ciphertext of the bucket key followed by the sealed
/// object key. Each Seal/Unseal makes at most one KMS data-key call (GenerateDataKey or Decrypt), none
/// when the bucket key is cached; the CMK's state is checked on every use (no unwrap) through the KMS's
/// key-state cache (<see cref="KeyManager.KeyStateLifetime"/>), so a disabled or deleted CMK refuses even while
/// its bucket key is cached: at the next use when the change was made through this node's <see cref="KeyManager"/>,
/// within the key-state lifetime (2 s) when it was made through another node.
/// </para>
/// <para>
/// Rotation: the sealing cache is keyed by the CMK's newest version (as the state check sees it), so after a
/// rotation the next seal misses and makes a new bucket key under the new version: at once on the node that
/// rotated, within the key-state lifetime on the others (meanwhile they seal under the previous version, which
/// every node still opens); bucket keys made under older versions stay cached for reading until they expire.
/// Disabling, scheduling the deletion of, or destroying a CMK evicts every cached bucket key made under it (on
/// this node, through <see cref="KeyManager.KeyChanged"/>; other nodes refuse through the state check, within
/// the key-state lifetime, and then drop theirs).
/// </para>
/// Cached bucket keys are reference-counted and zeroed when evicted and no longer in use. Thread-safe.
/// </summary>
public sealed class KmsEnvelope
{
    /// <summary>Version byte of the sealed object key blob.</summary>
    internal const byte Version = 0x01;

    private const int TrailerSize = OneShotAead.SaltSize + ObjectKey.Size + OneShotAead.TagSize;
    private static ReadOnlySpan<byte> Label => "coffer bucket-key seal v1"u8;

    private readonly KeyManager _kms;
    private readonly BucketKeyCache _cache;

    /// <summary>Creates an envelope over the KMS.</summary>
    /// <param name="kms">The KMS that makes and opens bucket keys.</param>
    /// <param name="capacity">Most cache entries (bucket keys for sealing plus unwrapped ones for reading).</param>
    /// <param name="lifetime">How long a bucket key is used and cached; 5 minutes by default.</param>
    public KmsEnvelope(KeyManager kms, int capacity = 1024, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(kms);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var life = lifetime ?? TimeSpan.FromMinutes(5);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(life, TimeSpan.Zero, nameof(lifetime));
        _kms = kms;
        _cache = new BucketKeyCache(kms.Time, capacity, life);
        kms.KeyChanged += OnKeyChanged;
    }

    /// <summary>Number of cached entries (for metrics and tests).</summary>
    public int CachedCount => _cache.Count;

    /// <summary>Bucket-key lookups answered from the cache (no KMS call) so far.</summary>
    public long BucketKeyHits => _cache.Hits;

    /// <summary>Bucket-key lookups that made a KMS call so far.</summary>
    public long BucketKeyMisses => _cache.Misses;

    /// <summary>Creates a fresh object key and seals it under the bucket key of (CMK, context, bucket).</summary>
    /// <param name="keyIdOrAlias">The CMK: key id, ARN or a service alias (a user's reference is resolved with KeyManager.DescribeOwnKeyAsync first).</param>
    /// <param name="context">The KMS encryption context; the same context must be given to <see cref="UnsealAsync"/>.</param>
    /// <param name="binding">Bucket, object name and mode the sealed key is bound to.</param>
    /// <param name="ct">Cancellation.</param>
    /// <exception cref="KmsException">NotFound / Disabled / PendingDeletion for the CMK.</exception>
    public async Task<SealedObjectKey> SealNewAsync(string keyIdOrAlias, IReadOnlyDictionary<string, string> context, KeyBinding binding, CancellationToken ct = default)
    {
        var key = ObjectKey.Generate();
        try
        {
            return await SealCoreAsync(key, keyIdOrAlias, context, binding, ct).ConfigureAwait(false);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Re-wraps an existing object key under another CMK / context / binding without touching data
    /// (copy-in-place, rekey, SSE-C → SSE-KMS). The result holds its own copy of the key; the caller still
    /// owns and disposes <paramref name="key"/>.
    /// </summary>
    public async Task<SealedObjectKey> ResealAsync(ObjectKey key, string keyIdOrAlias, IReadOnlyDictionary<string, string> context, KeyBinding binding, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var copy = ObjectKey.FromBytes(key.Bytes);
        try
        {
            return await SealCoreAsync(copy, keyIdOrAlias, context, binding, ct).ConfigureAwait(false);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>Opens a sealed object key made by this class.</summary>
    /// <exception cref="KmsException">InvalidCiphertext (malformed blob, other context, other bucket / object
    /// name / mode); NotFound / Disabled / PendingDeletion for the CMK it names.</exception>
    public async Task<ObjectKey> UnsealAsync(ReadOnlyMemory<byte> sealedKey, IReadOnlyDictionary<string, string> context, KeyBinding binding, CancellationToken ct = default)
        => (await UnsealWithDetailsAsync(sealedKey, context, binding, ct).ConfigureAwait(false)).Key;

    /// <summary>
    /// As <see cref="UnsealAsync"/>, and says which CMK and version the sealed key uses and whether its bucket key
    /// came from the cache (no KMS call), for audit records.
    /// </summary>
    /// <exception cref="KmsException">As <see cref="UnsealAsync"/>.</exception>
    public async Task<UnsealedObjectKey> UnsealWithDetailsAsync(ReadOnlyMemory<byte> sealedKey, IReadOnlyDictionary<string, string> context, KeyBinding binding, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(binding);
        if (!TrySplit(sealedKey.Span, out int kmsLength)
            || !KmsCiphertext.TryReadHeader(sealedKey.Span.Slice(3, kmsLength), out string keyId, out int keyVersion))
        {
            throw new KmsException(KmsErrorKind.InvalidCiphertext, "The sealed object key is malformed or of an unknown version.");
        }

        await ResolveUsableOrEvictAsync(keyId, ct).ConfigureAwait(false);
        byte[] kmsBlob = sealedKey.Slice(3, kmsLength).ToArray();
        byte[] canonical = KmsEncoding.CanonicalContext(context);
        string cacheKey = "d\n" + Convert.ToBase64String(kmsBlob) + "\n" + Convert.ToBase64String(canonical);
        var (bucketKey, created) = await _cache.AcquireAsync(cacheKey, keyId, async () =>
        {
            var result = await _kms.DecryptAsync(kmsBlob, context, ct).ConfigureAwait(false);
            try
            {
                if (result.Plaintext.Length != ObjectKey.Size)
                {
                    throw new KmsException(KmsErrorKind.InvalidCiphertext, "The sealed object key does not hold a bucket key.");
                }

                return new BucketKey(ObjectKey.FromBytes(result.Plaintext), kmsBlob, result.KeyId, keyVersion);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(result.Plaintext);
            }
        }).ConfigureAwait(false);

        try
        {
            var key = Open(sealedKey.Span, kmsLength, bucketKey.Key, binding)
                ?? throw new KmsException(KmsErrorKind.InvalidCiphertext,
                    "The sealed object key does not match this bucket, object name and SSE mode (or was tampered with).");
            return new UnsealedObjectKey(key, keyId, keyVersion, !created);
        }
        finally
        {
            bucketKey.Release();
        }
    }

    /// <summary>
    /// Drops every cached bucket key made under <paramref name="keyId"/> (zeroed once no operation uses it). Called
    /// on this envelope's KMS's <see cref="KeyManager.KeyChanged"/> when the key becomes unusable.
    /// </summary>
    /// <returns>How many entries were dropped.</returns>
    public int Evict(string keyId) => _cache.Evict(keyId);

    /// <summary>Drops every cached bucket key (zeroed once no operation uses it), e.g. after a key-state change.</summary>
    public void Clear() => _cache.Clear();


    private async Task<SealedObjectKey> SealCoreAsync(ObjectKey key, string keyIdOrAlias, IReadOnlyDictionary<string, string> context, KeyBinding binding, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(binding);
        var cmk = await ResolveUsableOrEvictAsync(keyIdOrAlias, ct).ConfigureAwait(false);
        byte[] canonical = KmsEncoding.CanonicalContext(context);
        // The newest version is part of the name: after a rotation the next seal gets a bucket key under it.
        int newest = cmk.Versions.Count == 0 ? 0 : cmk.Versions.Max(v => v.Version);
        string cacheKey = "s\n" + cmk.KeyId + "\n" + newest.ToString(CultureInfo.InvariantCulture) + "\n" + binding.Bucket + "\n" + Convert.ToBase64String(canonical);
        var (bucketKey, created) = await _cache.AcquireAsync(cacheKey, cmk.KeyId, async () =>
        {
            var dataKey = await _kms.GenerateDataKeyAsync(cmk.KeyId, context, ct).ConfigureAwait(false);
            KmsCiphertext.TryReadHeader(dataKey.CiphertextBlob, out _, out int version);
            var made = new BucketKey(dataKey.Plaintext, dataKey.CiphertextBlob, dataKey.KeyId, version);
            // Reading back an object sealed under this bucket key needs no KMS Decrypt while it is cached.
            _cache.Insert("d\n" + Convert.ToBase64String(dataKey.CiphertextBlob) + "\n" + Convert.ToBase64String(canonical), made);
            return made;
        }).ConfigureAwait(false);

        try
        {
            byte[] sealedKey = Seal(key, bucketKey, binding);
            return new SealedObjectKey(key, sealedKey, bucketKey.KeyId) { KeyVersion = bucketKey.Version, BucketKeyCached = !created };
        }
        finally
        {
            bucketKey.Release();
        }
    }

    /// <summary>
    /// The CMK when usable; when not (disabled, pending deletion, destroyed: possibly by another node, whose key
    /// events this node does not see), first drops this cache's bucket keys under it, so that their material does
    /// not stay in memory for the rest of their lifetime.
    /// </summary>
    private async Task<KmsKeyRecord> ResolveUsableOrEvictAsync(string keyIdOrAlias, CancellationToken ct)
    {
        try
        {
            return await _kms.ResolveUsableAsync(keyIdOrAlias, ct).ConfigureAwait(false);
        }
        catch (KmsException e) when (e.Kind is KmsErrorKind.Disabled or KmsErrorKind.PendingDeletion or KmsErrorKind.NotFound)
        {
            Evict(keyIdOrAlias);
            throw;
        }
    }

    private void OnKeyChanged(KmsKeyEvent e)
    {
        if (e.Kind is KmsKeyEventKind.Disabled or KmsKeyEventKind.DeletionScheduled or KmsKeyEventKind.Destroyed)
        {
            Evict(e.KeyId);
        }
    }

    private static byte[] Seal(ObjectKey key, BucketKey bucketKey, KeyBinding binding)
    {
        byte[] kmsBlob = bucketKey.KmsBlob;
        int headerSize = 3 + kmsBlob.Length + OneShotAead.SaltSize;
        byte[] sealedKey = new byte[3 + kmsBlob.Length + TrailerSize];
        sealedKey[0] = Version;
        BinaryPrimitives.WriteUInt16BigEndian(sealedKey.AsSpan(1), checked((ushort)kmsBlob.Length));
        kmsBlob.CopyTo(sealedKey.AsSpan(3));
        Span<byte> salt = sealedKey.AsSpan(3 + kmsBlob.Length, OneShotAead.SaltSize);
        RandomNumberGenerator.Fill(salt);
        byte[] info = binding.Encode(Label);
        byte[] aad = Fields.Concat(sealedKey.AsSpan(0, headerSize), info);
        OneShotAead.Seal(bucketKey.Key.Bytes, salt, info, aad, key.Bytes,
            sealedKey.AsSpan(headerSize, ObjectKey.Size), sealedKey.AsSpan(headerSize + ObjectKey.Size));
        return sealedKey;
    }

    private static ObjectKey? Open(ReadOnlySpan<byte> sealedKey, int kmsLength, ObjectKey bucketKey, KeyBinding binding)
    {
        int headerSize = 3 + kmsLength + OneShotAead.SaltSize;
        Span<byte> plain = stackalloc byte[ObjectKey.Size];
        try
        {
            byte[] info = binding.Encode(Label);
            byte[] aad = Fields.Concat(sealedKey[..headerSize], info);
            return OneShotAead.TryOpen(bucketKey.Bytes, sealedKey.Slice(3 + kmsLength, OneShotAead.SaltSize), info, aad,
                sealedKey.Slice(headerSize, ObjectKey.Size), sealedKey[(headerSize + ObjectKey.Size)..], plain)
                ? ObjectKey.FromBytes(plain)
                : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>version (1) ‖ u16be kmsLength ‖ KMS blob ‖ salt (32) ‖ sealed key (32) ‖ tag (16).</summary>
    private static bool TrySplit(ReadOnlySpan<byte> sealedKey, out int kmsLength)
    {
        kmsLength = 0;
        if (sealedKey.Length < 3 || sealedKey[0] != Version)
        {
            return false;
        }

        kmsLength = BinaryPrimitives.ReadUInt16BigEndian(sealedKey[1..]);
        return sealedKey.Length == 3 + kmsLength + TrailerSize;
    }
}
