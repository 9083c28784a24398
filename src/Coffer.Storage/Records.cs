using Coffer.Crypto;

namespace Coffer.Storage;

/// <summary>A user of the server: a stable id, an access key pair and a display name.</summary>
/// <param name="Name">The display name; unique among current users, but may be given again after the user is removed.</param>
/// <param name="SealedSecret">The secret access key sealed under the root key (never stored in clear).</param>
/// <param name="Id">The stable id (<see cref="UserIds"/>): what buckets, KMS keys, aliases and uploads record as their
/// owner. Given at creation and never given to another user, so a removed user's things stay out of reach of anyone who
/// later gets the same name.</param>
public sealed record UserRecord(string Name, string AccessKeyId, byte[] SealedSecret, bool IsRoot, DateTimeOffset Created, string Id);

/// <summary>User ids: 64 lowercase hex digits (256 random bits, the shape of an S3 canonical user id).</summary>
public static class UserIds
{
    /// <summary>A fresh user id.</summary>
    public static string New() => System.Security.Cryptography.RandomNumberGenerator.GetHexString(64, lowercase: true);
}

/// <summary>The default encryption of a bucket (PUT ?encryption).</summary>
/// <param name="Algorithm">"AES256", "SM4" (SSE-COS with the SM4 cipher), "KMS", or "KMS/SM4" (SSE-KMS whose data is sealed
/// with SM4: COS's KMSAlgorithm SM4). Stored normalised: COS "KMS", S3 "aws:kms" and "cos/kms" all become "KMS".</param>
/// <param name="KmsKeyId">The CMK for "KMS" and "KMS/SM4"; null means the account's default key.</param>
public sealed record BucketEncryption(string Algorithm, string? KmsKeyId);

/// <param name="Owner">The owner's user id (<see cref="UserRecord.Id"/>).</param>
/// <param name="Tags">The bucket's tag set (PUT ?tagging), in the order given; null when it has none.</param>
/// <param name="Lifecycle">The bucket's lifecycle configuration (PUT ?lifecycle); null when it has none.</param>
/// <param name="Policy">The bucket policy's JSON exactly as it was stored (PUT ?policy, docs/protocol/policy.md); null when it has none.</param>
/// <param name="Acl">The bucket's ACL (PUT ?acl, CreateBucket's ACL headers); null: the default, its owner's FULL_CONTROL only.</param>
/// <param name="Ownership">The Object Ownership setting (PUT ?ownershipControls); null when none is set (GET answers
/// OwnershipControlsNotFoundError), which behaves as <see cref="ObjectOwnership.ObjectWriter"/>.</param>
/// <param name="PublicAccessBlock">The Block Public Access flags (PUT ?publicAccessBlock); null when none are set (nothing blocked).</param>
/// <param name="Cors">The bucket's CORS configuration (PUT ?cors); null when it has none.</param>
/// <param name="Versioning">The bucket's versioning state (PUT ?versioning); never back to Unversioned once set.</param>
public sealed record BucketRecord(
    string Name,
    string Owner,
    string Region,
    DateTimeOffset Created,
    BucketEncryption? Encryption = null,
    IReadOnlyList<Tag>? Tags = null,
    BucketLifecycle? Lifecycle = null,
    string? Policy = null,
    AccessControlList? Acl = null,
    ObjectOwnership? Ownership = null,
    PublicAccessBlock? PublicAccessBlock = null,
    BucketCors? Cors = null,
    BucketVersioning Versioning = BucketVersioning.Unversioned)
{
    /// <summary>Whether ACLs are disabled (BucketOwnerEnforced): the bucket owner owns every object and no ACL grants anything.</summary>
    public bool AclsDisabled => Ownership == ObjectOwnership.BucketOwnerEnforced;
}

/// <summary>One tag of an object or a bucket: a key and a value, both case-sensitive (the server checks the limits).</summary>
public sealed record Tag(string Key, string Value);

/// <summary>How an object's data is protected at rest.</summary>
public enum SseMode
{
    /// <summary>No SSE asked and no bucket default: stored in the segment framing without a cipher.</summary>
    None = 0,
    /// <summary>SSE-COS / SSE-S3 (AES256): a service-owned KMS key.</summary>
    Cos = 1,
    /// <summary>SSE-KMS (cos/kms, aws:kms): a user's KMS key and an optional encryption context.</summary>
    Kms = 2,
    /// <summary>SSE-C: the customer's key, never stored.</summary>
    Customer = 3,
}

/// <summary>What is needed to recover an object's data key; never the key itself.</summary>
/// <param name="SealedKey">The object key sealed (SSE-C) or wrapped (KMS modes); empty for <see cref="SseMode.None"/>.</param>
/// <param name="KmsKeyId">The CMK id (KMS modes).</param>
/// <param name="KmsContext">The client's encryption context exactly as sent (base64 JSON), or null.</param>
public sealed record ObjectEncryption(SseMode Mode, byte[] SealedKey, string? KmsKeyId = null, string? KmsContext = null)
{
    public static readonly ObjectEncryption None = new(SseMode.None, []);

    /// <summary>
    /// The cipher of the object's streams (AES-256-GCM unless the object was written with COS's SM4): SSE-COS
    /// answers it as its algorithm (<c>AES256</c> or <c>SM4</c>). Meaningless for <see cref="SseMode.None"/>.
    /// </summary>
    public StreamCipher Cipher { get; init; }

    /// <summary>
    /// The value of the <c>sse_mode</c> column: the mode in the low byte and the cipher above it. AES-256-GCM is 0,
    /// so rows written before SM4 existed read as they are, and no schema change was needed. Part of the stored
    /// format: do not change.
    /// </summary>
    public int StoredMode => (int)Mode | ((int)Cipher << 8);

    /// <summary>The mode and cipher of a stored <see cref="StoredMode"/> value.</summary>
    public static (SseMode Mode, StreamCipher Cipher) FromStoredMode(long stored) => ((SseMode)(stored & 0xFF), (StreamCipher)(stored >> 8));
}

/// <summary>
/// One stored stream of an object: a single PUT has one, a multipart object one per part,
/// in order. Each stream is an independent sealed stream (its own salt) in its own blob.
/// </summary>
/// <param name="BlobId">The blob holding the sealed stream.</param>
/// <param name="PlainSize">Plaintext bytes in this stream.</param>
/// <param name="StreamIdentity">What the stream was sealed with as its identity (e.g. "object", "part:3").</param>
/// <param name="BlobSize">Stored (ciphertext) bytes.</param>
/// <param name="BlobChecksum">XxHash128 (hex) of the stored bytes: a keyless integrity check for scrubbing.</param>
public sealed record ObjectStream(string BlobId, long PlainSize, string StreamIdentity, long BlobSize, string BlobChecksum)
{
    /// <summary>The <see cref="BlobId"/> of a stream kept inline in the object's metadata row instead of in a blob.</summary>
    public const string InlineBlobId = "";

    /// <summary>
    /// The sealed stream itself, for a stream kept inline in the object's row (a small single-PUT object:
    /// its metadata commit is then the only write). Loaded by <see cref="IMetadataStore.GetObjectAsync"/>;
    /// null in listings, which do not read the data.
    /// </summary>
    public byte[]? Inline { get; init; }

    /// <summary>Whether the stream lives in the object's row rather than in a blob (it then has no blob to reference or reclaim).</summary>
    public bool IsInline => BlobId.Length == 0;

    /// <summary>Equal when every field is, the inline bytes compared by content.</summary>
    public bool Equals(ObjectStream? other) =>
        other is not null && BlobId == other.BlobId && PlainSize == other.PlainSize && StreamIdentity == other.StreamIdentity
        && BlobSize == other.BlobSize && BlobChecksum == other.BlobChecksum
        && (Inline is null ? other.Inline is null : other.Inline is not null && Inline.AsSpan().SequenceEqual(other.Inline));

    public override int GetHashCode() => HashCode.Combine(BlobId, PlainSize, StreamIdentity, BlobSize, BlobChecksum, Inline?.Length);

    /// <summary>The blob ids of <paramref name="streams"/>, leaving out inline streams (they have none).</summary>
    public static IEnumerable<string> BlobIdsOf(IEnumerable<ObjectStream> streams) =>
        streams.Where(x => !x.IsInline).Select(x => x.BlobId);
}

public sealed record ObjectRecord
{
    public required string Bucket { get; init; }
    public required string Key { get; init; }
    /// <summary>Plaintext size.</summary>
    public required long Size { get; init; }
    /// <summary>Without quotes.</summary>
    public required string ETag { get; init; }
    /// <summary>CRC-64/XZ of the plaintext (x-cos-hash-crc64ecma).</summary>
    public required ulong Crc64 { get; init; }
    public required DateTimeOffset LastModified { get; init; }
    public required IReadOnlyList<ObjectStream> Streams { get; init; }
    public ObjectEncryption Encryption { get; init; } = ObjectEncryption.None;
    public string StorageClass { get; init; } = "STANDARD";
    public string? ContentType { get; init; }
    public string? CacheControl { get; init; }
    public string? ContentDisposition { get; init; }
    public string? ContentEncoding { get; init; }
    public string? Expires { get; init; }
    /// <summary>User metadata: lowercase suffix (after x-cos-meta- / x-amz-meta-) → value.</summary>
    public IReadOnlyDictionary<string, string> UserMetadata { get; init; } = new Dictionary<string, string>();
    /// <summary>Additional checksums the client sent (e.g. "CRC32" → base64), returned on GET/HEAD when asked.</summary>
    public IReadOnlyDictionary<string, string> Checksums { get; init; } = new Dictionary<string, string>();
    /// <summary>Restore state of archived objects: null when never restored.</summary>
    public RestoreState? Restore { get; init; }
    /// <summary>The object's tags (x-cos-tagging / ?tagging), in the order given; empty when it has none.</summary>
    public IReadOnlyList<Tag> Tags { get; init; } = [];
    /// <summary>
    /// The object's ACL (its owner when that is not the bucket owner, and its grants); null: the default, owned by the
    /// bucket owner, who alone has FULL_CONTROL. Part of the row: an overwrite replaces it, a delete removes it.
    /// </summary>
    public AccessControlList? Acl { get; init; }
    /// <summary>
    /// The version id (docs/protocol/versioning.md); null for the <c>null</c> version, which is every object written while
    /// the bucket was unversioned or suspended. Part of the row: a write in an Enabled bucket sets a fresh one.
    /// </summary>
    public string? VersionId { get; init; }
    /// <summary>Whether this is a delete marker (only ever a version listed or read by its id, never a current object).</summary>
    public bool IsDeleteMarker { get; init; }
}

/// <summary>
/// State of a restore of an archived object, as instants only: nothing runs in the background,
/// so a restart neither loses nor repeats a restore. Whether it is ongoing, done or expired is
/// computed from the clock on every read.
/// </summary>
/// <param name="RequestDate">When the restore that made this state was requested (x-cos-restore-status request-date).</param>
/// <param name="Tier">Expedited, Standard or Bulk.</param>
/// <param name="Days">Days the restored copy lives (of the latest request; a repeat extends it).</param>
/// <param name="ReadyAt">When the restored copy becomes readable; before it the restore is ongoing.</param>
/// <param name="ExpiresAt">When the restored copy goes away; from then on the object is archived again.</param>
public sealed record RestoreState(DateTimeOffset RequestDate, string Tier, int Days, DateTimeOffset ReadyAt, DateTimeOffset ExpiresAt)
{
    /// <summary>The restore runs: the copy is not readable yet.</summary>
    public bool IsOngoing(DateTimeOffset now) => now < ReadyAt;

    /// <summary>The restored copy is readable (done and not yet expired).</summary>
    public bool IsRestored(DateTimeOffset now) => ReadyAt <= now && now < ExpiresAt;

    /// <summary>The restored copy has gone: the state only records history, a new restore may start.</summary>
    public bool IsExpired(DateTimeOffset now) => now >= ExpiresAt;
}

/// <summary>One page of a listing.</summary>
public sealed record ObjectListing(
    IReadOnlyList<ObjectRecord> Objects,
    IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated,
    /// <summary>The last key or common prefix returned (the marker for the next page), when truncated.</summary>
    string? NextMarker);

public enum DeleteBucketResult { Deleted, NotFound, NotEmpty }
