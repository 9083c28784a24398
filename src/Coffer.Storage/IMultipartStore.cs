namespace Coffer.Storage;

/// <summary>
/// The metadata of multipart uploads in progress and their parts. Every method is one
/// transaction. An upload is addressed by bucket, key and upload id together: an id used
/// with another bucket or key is an upload that does not exist. Part blobs are referenced
/// by the parts table, so the orphan sweep and the reclaimer keep them while the upload lives.
/// </summary>
public interface IMultipartStore
{
    /// <summary>Records a new upload.</summary>
    /// <exception cref="NoSuchBucketException">The bucket does not exist.</exception>
    Task CreateUploadAsync(MultipartUpload upload, CancellationToken ct = default);

    /// <summary>The upload, or null when it does not exist.</summary>
    Task<MultipartUpload?> GetUploadAsync(string bucket, string key, string uploadId, CancellationToken ct = default);

    /// <summary>
    /// Stores a part, atomically replacing a part with the same number (whose blob id is
    /// returned for reclaiming). When the upload is gone, nothing is stored.
    /// </summary>
    Task<PutPartResult> PutPartAsync(string bucket, string key, string uploadId, MultipartPart part, CancellationToken ct = default);

    /// <summary>
    /// The upload and up to <paramref name="maxParts"/> of its parts numbered above
    /// <paramref name="partNumberMarker"/>, in one snapshot; null when the upload does not exist.
    /// </summary>
    Task<MultipartPartListing?> ListPartsAsync(string bucket, string key, string uploadId, int partNumberMarker, int maxParts, CancellationToken ct = default);

    /// <summary>
    /// Writes the object and removes the upload in one transaction, remembering the upload as the key's last
    /// completed one (<see cref="GetCompletedUploadObjectAsync"/>). <paramref name="obj"/>'s
    /// streams must be parts of the upload as they are now (checked by blob id); parts not
    /// among them are dropped. The object replaces any object of that key.
    /// </summary>
    /// <exception cref="NoSuchBucketException">The bucket does not exist.</exception>
    Task<CompleteUploadResult> CompleteUploadAsync(string uploadId, ObjectRecord obj, CancellationToken ct = default);

    /// <summary>
    /// <see cref="CompleteUploadAsync(string, ObjectRecord, CancellationToken)"/> under a condition on the object it
    /// replaces, checked in the same transaction (null: none). When the condition fails the upload stays as it was.
    /// </summary>
    /// <exception cref="NoSuchBucketException">The bucket does not exist.</exception>
    /// <exception cref="WriteConditionFailedException">The upload exists and its parts are unchanged, but the condition did not hold; nothing changed.</exception>
    Task<CompleteUploadResult> CompleteUploadAsync(string uploadId, ObjectRecord obj, WriteCondition? condition, CancellationToken ct = default);

    /// <summary>
    /// The object a completed upload made, while it is still the current object of its key (the ETag and Last-Modified
    /// it had when the upload completed); null when no upload of that id completed into this bucket and key, or its
    /// object has been replaced or deleted since (or another upload completed into the key after it). A Complete
    /// repeated after it succeeded (a client retrying after a lost answer) replays its answer from this.
    /// </summary>
    Task<ObjectRecord?> GetCompletedUploadObjectAsync(string bucket, string key, string uploadId, CancellationToken ct = default);

    /// <summary>Removes the upload and its parts; returns the part blobs to reclaim, or null when the upload does not exist.</summary>
    Task<IReadOnlyList<string>?> AbortUploadAsync(string bucket, string key, string uploadId, CancellationToken ct = default);

    /// <summary>
    /// Lists a bucket's uploads whose key starts with <paramref name="prefix"/>, in key order
    /// (UTF-8 bytes) and, for one key, oldest first. Starts after (<paramref name="keyMarker"/>,
    /// <paramref name="uploadIdMarker"/>): without an upload-id marker, after every upload of the
    /// key marker. With a delimiter, keys that contain it after the prefix are rolled up into
    /// common prefixes; uploads plus prefixes count against <paramref name="maxUploads"/>.
    /// </summary>
    Task<MultipartUploadListing> ListUploadsAsync(string bucket, string prefix, string? delimiter, string? keyMarker, string? uploadIdMarker,
        int maxUploads, CancellationToken ct = default);
}
