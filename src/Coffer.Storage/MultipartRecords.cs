using System.Globalization;
using System.Security.Cryptography;

namespace Coffer.Storage;

/// <summary>
/// A multipart upload in progress: where the object will go, the attributes it will get, and
/// how its data is encrypted. The encryption is decided once, at initiation; every part is
/// sealed under the same object key.
/// </summary>
public sealed record MultipartUpload
{
    /// <summary>The opaque id clients pass as <c>uploadId</c> (see <see cref="MultipartUploadIds"/>).</summary>
    public required string UploadId { get; init; }
    /// <summary>The bucket of the object to be.</summary>
    public required string Bucket { get; init; }
    /// <summary>The key of the object to be.</summary>
    public required string Key { get; init; }
    /// <summary>When CreateMultipartUpload ran.</summary>
    public required DateTimeOffset Initiated { get; init; }
    /// <summary>The id of the user who initiated the upload (ListParts / ListMultipartUploads Initiator and Owner).</summary>
    public required string Owner { get; init; }
    /// <summary>The storage class the object will have, in its stored (COS) spelling.</summary>
    public string StorageClass { get; init; } = "STANDARD";
    /// <summary>Content-Type the object will have.</summary>
    public string? ContentType { get; init; }
    /// <summary>Cache-Control the object will have.</summary>
    public string? CacheControl { get; init; }
    /// <summary>Content-Disposition the object will have.</summary>
    public string? ContentDisposition { get; init; }
    /// <summary>Content-Encoding the object will have.</summary>
    public string? ContentEncoding { get; init; }
    /// <summary>Expires the object will have.</summary>
    public string? Expires { get; init; }
    /// <summary>User metadata given at initiation (lowercase suffix → value); metadata sent on Complete is ignored.</summary>
    public IReadOnlyDictionary<string, string> UserMetadata { get; init; } = new Dictionary<string, string>();
    /// <summary>The sealed object key every part is written under, and the mode; never the key itself.</summary>
    public ObjectEncryption Encryption { get; init; } = ObjectEncryption.None;
    /// <summary>The tags given at initiation (x-cos-tagging), which the object gets at completion.</summary>
    public IReadOnlyList<Tag> Tags { get; init; } = [];
    /// <summary>The ACL given at initiation (x-amz-acl, x-amz-grant-*), which the object gets at completion; null: the default.</summary>
    public AccessControlList? Acl { get; init; }
    /// <summary>S3's x-amz-checksum-algorithm given at initiation ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"), or null.</summary>
    public string? ChecksumAlgorithm { get; init; }
    /// <summary>S3's checksum type of the object to be, "COMPOSITE" or "FULL_OBJECT", when <see cref="ChecksumAlgorithm"/> is set.</summary>
    public string? ChecksumType { get; init; }
}

/// <summary>One uploaded part: an independent sealed stream in its own blob.</summary>
/// <param name="PartNumber">1..10000.</param>
/// <param name="Stream">The sealed stream (blob id, plaintext size, identity, blob size and checksum).</param>
/// <param name="ETag">
/// The ETag UploadPart answered, without quotes: the hex MD5 of the plaintext for plain and SSE-COS
/// parts, a value keyed by the object key for SSE-KMS and SSE-C parts. No plaintext MD5 of an
/// encrypted part is kept (schema version 4).
/// </param>
/// <param name="Crc64">CRC-64/XZ of the part's plaintext.</param>
/// <param name="LastModified">When the part was stored.</param>
public sealed record MultipartPart(int PartNumber, ObjectStream Stream, string ETag, ulong Crc64, DateTimeOffset LastModified)
{
    /// <summary>The S3 algorithm of the checksum the part was sent with ("CRC32", …), or null when it had none.</summary>
    public string? ChecksumAlgorithm { get; init; }

    /// <summary>The part's checksum (base64) in <see cref="ChecksumAlgorithm"/>, verified against its data when it was stored.</summary>
    public string? Checksum { get; init; }

    /// <summary>Plaintext bytes of the part.</summary>
    public long Size => Stream.PlainSize;
}

/// <summary>An upload with one page of its parts, in part-number order, read in one snapshot.</summary>
/// <param name="Upload">The upload.</param>
/// <param name="Parts">Parts with a number above the marker, at most the page size.</param>
/// <param name="IsTruncated">Whether more parts follow.</param>
/// <param name="NextPartNumberMarker">The last part number of the page (the marker of the next page), 0 when the page is empty.</param>
public sealed record MultipartPartListing(MultipartUpload Upload, IReadOnlyList<MultipartPart> Parts, bool IsTruncated, int NextPartNumberMarker);

/// <summary>One page of a bucket's uploads in progress, in key order and, for one key, in initiation order.</summary>
/// <param name="Uploads">The uploads of the page.</param>
/// <param name="CommonPrefixes">Keys rolled up at the delimiter.</param>
/// <param name="IsTruncated">Whether more entries follow.</param>
/// <param name="NextKeyMarker">The key-marker of the next page (the last key or common prefix returned), or null for an empty page.</param>
/// <param name="NextUploadIdMarker">The upload-id-marker of the next page (the last upload id returned; null when the last entry is a common prefix).</param>
public sealed record MultipartUploadListing(
    IReadOnlyList<MultipartUpload> Uploads,
    IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated,
    string? NextKeyMarker,
    string? NextUploadIdMarker);

/// <summary>What storing a part did.</summary>
/// <param name="UploadFound">False when the upload does not exist (never created, completed or aborted): nothing was stored.</param>
/// <param name="ReplacedBlobId">The blob of the part this one replaced (same part number), to reclaim; null when there was none.</param>
public sealed record PutPartResult(bool UploadFound, string? ReplacedBlobId);

/// <summary>How a Complete ended.</summary>
public enum CompleteUploadStatus
{
    /// <summary>The object was written and the upload removed.</summary>
    Completed,
    /// <summary>The upload does not exist (never created, already completed or aborted); nothing changed.</summary>
    NoSuchUpload,
    /// <summary>A chosen part was replaced or is missing since the caller read the parts; nothing changed.</summary>
    PartsChanged,
}

/// <summary>The outcome of <see cref="IMultipartStore.CompleteUploadAsync"/>.</summary>
/// <param name="Status">What happened.</param>
/// <param name="ReclaimableBlobIds">When completed: the replaced object's blobs and the parts not used, that nothing refers to any more.</param>
public sealed record CompleteUploadResult(CompleteUploadStatus Status, IReadOnlyList<string> ReclaimableBlobIds);

/// <summary>
/// Upload ids as COS makes them: a 10-digit Unix time followed by 32 lowercase hex digits. Ours
/// put the sub-second time (100 ns ticks, 6 hex digits) before 26 random hex digits (104 bits),
/// so within one key the ids sort in initiation order and listing by id lists oldest first.
/// Clients treat them as opaque.
/// </summary>
public static class MultipartUploadIds
{
    /// <summary>Length of an upload id.</summary>
    public const int Length = 42;

    /// <summary>A fresh upload id for an upload initiated at <paramref name="initiated"/>.</summary>
    public static string New(DateTimeOffset initiated)
    {
        var utc = initiated.ToUniversalTime();
        var seconds = utc.ToUnixTimeSeconds();
        var subSecondTicks = (utc.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % TimeSpan.TicksPerSecond;
        return seconds.ToString("D10", CultureInfo.InvariantCulture)
            + subSecondTicks.ToString("x6", CultureInfo.InvariantCulture)
            + RandomNumberGenerator.GetHexString(26, lowercase: true);
    }

    /// <summary>Whether <paramref name="uploadId"/> has the form of an id this server issues (cheap rejection before any lookup).</summary>
    public static bool IsWellFormed(string? uploadId)
    {
        if (uploadId is null || uploadId.Length != Length)
        {
            return false;
        }
        for (var i = 0; i < Length; i++)
        {
            var c = uploadId[i];
            var ok = i < 10 ? char.IsAsciiDigit(c) : char.IsAsciiDigit(c) || c is >= 'a' and <= 'f';
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }
}
