namespace Coffer.Storage;

/// <summary>
/// The metadata of buckets, objects and users. Every method is one transaction. Keys are
/// compared and ordered by their UTF-8 bytes (ordinal), as COS and S3 list them.
/// </summary>
public interface IMetadataStore : IAsyncDisposable
{
    // Users
    Task<bool> AddUserAsync(UserRecord user, CancellationToken ct = default);
    Task<UserRecord?> GetUserAsync(string accessKeyId, CancellationToken ct = default);
    Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct = default);
    Task<bool> RemoveUserAsync(string nameOrAccessKeyId, CancellationToken ct = default);

    // Buckets
    /// <summary>Creates the bucket; false when a bucket of that name exists.</summary>
    Task<bool> CreateBucketAsync(BucketRecord bucket, CancellationToken ct = default);
    Task<BucketRecord?> GetBucketAsync(string name, CancellationToken ct = default);
    Task<IReadOnlyList<BucketRecord>> ListBucketsAsync(string owner, CancellationToken ct = default);
    /// <summary>
    /// The names of every bucket, whoever owns it (a removed user's too), in byte order after <paramref name="after"/>
    /// (null: from the first), at most <paramref name="limit"/>: for jobs that walk the whole store (scrub).
    /// </summary>
    Task<IReadOnlyList<string>> ListBucketNamesAsync(string? after, int limit, CancellationToken ct = default);
    Task<DeleteBucketResult> DeleteBucketAsync(string name, CancellationToken ct = default);
    /// <summary>Sets (or with null removes) the default encryption; false when the bucket is missing.</summary>
    Task<bool> SetBucketEncryptionAsync(string name, BucketEncryption? encryption, CancellationToken ct = default);

    // Objects
    Task<ObjectRecord?> GetObjectAsync(string bucket, string key, CancellationToken ct = default);
    /// <summary>
    /// Inserts or replaces the object atomically. Returns the blob ids of the replaced version
    /// (to be reclaimed by the caller), empty when there was none.
    /// </summary>
    Task<IReadOnlyList<string>> PutObjectAsync(ObjectRecord obj, CancellationToken ct = default);
    /// <summary>
    /// <see cref="PutObjectAsync(ObjectRecord, CancellationToken)"/> under a condition on the object it replaces,
    /// checked in the same transaction (null: none).
    /// </summary>
    /// <exception cref="WriteConditionFailedException">The condition did not hold; nothing was written.</exception>
    Task<IReadOnlyList<string>> PutObjectAsync(ObjectRecord obj, WriteCondition? condition, CancellationToken ct = default);
    /// <summary>Deletes the object; returns the deleted record (its blobs to reclaim) or null.</summary>
    Task<ObjectRecord?> DeleteObjectAsync(string bucket, string key, CancellationToken ct = default);
    /// <summary>
    /// Inserts or replaces an object whose streams are blobs that existing objects already hold (a
    /// copy that re-seals only the object key). Commits only if every blob it names is still
    /// referenced at commit time, since a blob nobody refers to may already be reclaimed; then
    /// returns what <see cref="PutObjectAsync"/> returns. Null, and nothing written, when a blob
    /// was no longer referenced (the source changed meanwhile: read it again).
    /// </summary>
    Task<IReadOnlyList<string>?> PutObjectSharingBlobsAsync(ObjectRecord obj, CancellationToken ct = default);
    /// <summary>
    /// <see cref="PutObjectSharingBlobsAsync(ObjectRecord, CancellationToken)"/> under a condition on the object it
    /// replaces, checked in the same transaction (null: none).
    /// </summary>
    /// <exception cref="WriteConditionFailedException">The condition did not hold; nothing was written.</exception>
    Task<IReadOnlyList<string>?> PutObjectSharingBlobsAsync(ObjectRecord obj, WriteCondition? condition, CancellationToken ct = default);
    /// <summary>
    /// Compare-and-set of the restore state alone: sets <paramref name="updated"/> only if the
    /// object is still the version <paramref name="current"/> was read as (same ETag and
    /// Last-Modified) with the same restore state, so of two concurrent restores one starts.
    /// False when anything changed (read again and decide again).
    /// </summary>
    Task<bool> UpdateRestoreAsync(ObjectRecord current, RestoreState? updated, CancellationToken ct = default);
    /// <summary>
    /// Lists objects whose key starts with <paramref name="prefix"/> and sorts after
    /// <paramref name="after"/> (exclusive; null = from the start). With a delimiter, keys that
    /// contain it after the prefix are rolled up into common prefixes; objects plus prefixes
    /// count against <paramref name="maxKeys"/>.
    /// </summary>
    Task<ObjectListing> ListObjectsAsync(string bucket, string prefix, string? delimiter, string? after, int maxKeys, CancellationToken ct = default);

    // Versions (docs/protocol/versioning.md). `objects` holds each key's current version; noncurrent versions and delete
    // markers live beside it, newest first. PutObjectAsync keeps the replaced current version when either it or the new
    // object has a version id (VersionId null: the null version, which replaces any other null version of the key).
    /// <summary>Sets the bucket's versioning state (Enabled or Suspended); false when the bucket is missing.</summary>
    Task<bool> SetBucketVersioningAsync(string name, BucketVersioning versioning, CancellationToken ct = default);
    /// <summary>
    /// The version <paramref name="versionId"/> (wire form: <see cref="VersionIds.Null"/> for the null version) of the key,
    /// current or not, a delete marker too; null when there is none.
    /// </summary>
    Task<ObjectRecord?> GetObjectVersionAsync(string bucket, string key, string versionId, CancellationToken ct = default);
    /// <summary>
    /// A delete without a version id in a versioned bucket: makes a delete marker the key's current version. With
    /// <paramref name="markerVersionId"/> null (Suspended) the marker is the null version and the key's previous null version
    /// (current or not) is removed for good; otherwise the current version becomes noncurrent. Returns the blob ids of a
    /// removed version that nothing refers to any more (to be reclaimed).
    /// </summary>
    /// <exception cref="NoSuchBucketException">The bucket does not exist.</exception>
    Task<IReadOnlyList<string>> PutDeleteMarkerAsync(string bucket, string key, string? markerVersionId, DateTimeOffset now, CancellationToken ct = default);
    /// <summary>
    /// Removes exactly the version <paramref name="versionId"/> (wire form) of the key, a delete marker too; when it was the
    /// current version, the newest remaining one becomes current. Returns the removed version (its blobs to reclaim; the
    /// reclaimer keeps those another version still names) or null when there was none.
    /// </summary>
    Task<ObjectRecord?> DeleteObjectVersionAsync(string bucket, string key, string versionId, CancellationToken ct = default);
    /// <summary>
    /// ListObjectVersions: every version and delete marker of the keys under <paramref name="prefix"/>, keys in byte order and
    /// each key's newest first, resuming strictly after (<paramref name="keyMarker"/>, <paramref name="versionIdMarker"/>)
    /// (a key marker alone: after every version of that key). Common prefixes roll up as in <see cref="ListObjectsAsync"/>.
    /// </summary>
    Task<VersionListing> ListObjectVersionsAsync(string bucket, string prefix, string? delimiter, string? keyMarker, string? versionIdMarker, int maxKeys, CancellationToken ct = default);

    // Tags (an object's are part of its row: an overwrite replaces them, a delete removes them)
    /// <summary>
    /// Replaces the tags of the current object of that key (empty: removes them) and nothing else; false
    /// when there is no such object.
    /// </summary>
    Task<bool> SetObjectTagsAsync(string bucket, string key, IReadOnlyList<Tag> tags, CancellationToken ct = default);
    /// <summary>Replaces (or with null or empty removes) the bucket's tag set; false when the bucket is missing.</summary>
    Task<bool> SetBucketTagsAsync(string name, IReadOnlyList<Tag>? tags, CancellationToken ct = default);

    // Bucket policy (docs/protocol/policy.md)
    /// <summary>Replaces (or with null removes) the bucket's policy JSON; false when the bucket is missing.</summary>
    Task<bool> SetBucketPolicyAsync(string name, string? policy, CancellationToken ct = default);
    // Access control (docs/protocol/acl.md)
    /// <summary>Replaces (or with null resets to the default) the bucket's ACL; false when the bucket is missing.</summary>
    Task<bool> SetBucketAclAsync(string name, AccessControlList? acl, CancellationToken ct = default);
    /// <summary>Sets (or with null removes) the bucket's Object Ownership setting; false when the bucket is missing.</summary>
    Task<bool> SetBucketOwnershipAsync(string name, ObjectOwnership? ownership, CancellationToken ct = default);
    /// <summary>Sets (or with null removes) the bucket's Block Public Access flags; false when the bucket is missing.</summary>
    Task<bool> SetPublicAccessBlockAsync(string name, PublicAccessBlock? block, CancellationToken ct = default);
    /// <summary>
    /// Replaces (or with null resets to the default) the ACL of the current object of that key and nothing else; false when
    /// there is no such object.
    /// </summary>
    Task<bool> SetObjectAclAsync(string bucket, string key, AccessControlList? acl, CancellationToken ct = default);
    // CORS (docs/protocol/cors.md)
    /// <summary>Replaces (or with null removes) the bucket's CORS configuration; false when the bucket is missing.</summary>
    Task<bool> SetBucketCorsAsync(string name, BucketCors? cors, CancellationToken ct = default);

    // Lifecycle (docs/protocol/lifecycle.md)
    /// <summary>Replaces (or with null removes) the bucket's lifecycle configuration; false when the bucket is missing.</summary>
    Task<bool> SetBucketLifecycleAsync(string name, BucketLifecycle? lifecycle, CancellationToken ct = default);
    /// <summary>
    /// Up to <paramref name="limit"/> buckets that have a lifecycle configuration, by name after <paramref name="after"/>
    /// (exclusive; null = from the start): the lifecycle job's pages.
    /// </summary>
    Task<IReadOnlyList<BucketRecord>> ListBucketsWithLifecycleAsync(string? after, int limit, CancellationToken ct = default);
    /// <summary>
    /// Deletes the object only if it is still what <paramref name="current"/> was read as: the same version (ETag and
    /// Last-Modified) with the same tags, so a rule's decision taken on a listing never deletes an object written or
    /// retagged since. Returns the deleted record (its blobs to reclaim) or null when nothing was deleted.
    /// </summary>
    Task<ObjectRecord?> DeleteObjectIfUnchangedAsync(ObjectRecord current, CancellationToken ct = default);
    /// <summary>
    /// Compare-and-set of the storage class alone (a lifecycle transition): sets <paramref name="storageClass"/> only if the
    /// object is still the version <paramref name="current"/> was read as (same ETag and Last-Modified) with the same tags
    /// and storage class. False when anything changed.
    /// </summary>
    Task<bool> UpdateStorageClassAsync(ObjectRecord current, string storageClass, CancellationToken ct = default);

    /// <summary>Every blob id any object (or pending upload) refers to, for the orphan sweep.</summary>
    Task<IReadOnlySet<string>> ReferencedBlobIdsAsync(CancellationToken ct = default);

    /// <summary>
    /// Whether any object (or pending upload) still refers to the blob. The reclaimer asks
    /// before it deletes, so a blob shared by two objects survives the deletion of one.
    /// </summary>
    async Task<bool> IsBlobReferencedAsync(string blobId, CancellationToken ct = default) =>
        (await ReferencedBlobIdsAsync(ct).ConfigureAwait(false)).Contains(blobId);
}
