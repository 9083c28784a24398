namespace Coffer.Sdk;

/// <summary>PUT Object (Python <c>put_object</c>).</summary>
public sealed class PutObjectRequest : ObjectWriteRequest
{
    /// <summary>The content: text, bytes, a stream or a file (<see cref="CosBody"/>); empty when null.</summary>
    public CosBody? Body { get; set; }

    /// <summary>The base64 MD5 of the body, checked by the server; see also <see cref="EnableMD5"/>.</summary>
    public string? ContentMD5 { get; set; }

    /// <summary>Compute and send Content-MD5 for a body that can be rewound (Python's <c>EnableMD5</c>).</summary>
    public bool EnableMD5 { get; set; }

    /// <summary>Bandwidth limit in bit/s (<c>x-cos-traffic-limit</c>).</summary>
    public long? TrafficLimit { get; set; }

    /// <summary>Called with the number of bytes sent so far and the total (null when unknown).</summary>
    public Action<long, long?>? Progress { get; set; }

    /// <summary>
    /// <c>If-None-Match</c>: <c>"*"</c> writes only if the key has no object yet (else 412 PreconditionFailed).
    /// Checked atomically with the write: of two writers racing with it, one wins.
    /// </summary>
    public string? IfNoneMatch { get; set; }

    /// <summary>
    /// <c>If-Match</c>: writes only over an object with this ETag, or any object with <c>"*"</c> (412
    /// PreconditionFailed when it differs, 404 NoSuchKey when the key has none). Checked atomically with the write.
    /// </summary>
    public string? IfMatch { get; set; }
}

/// <summary>GET Object (Python <c>get_object</c>). The body is streamed, never buffered whole.</summary>
public sealed class GetObjectRequest : SseCustomerKeyRequest
{
    /// <summary>A range header value, e.g. "bytes=0-9"; see also <see cref="SetRange"/>.</summary>
    public string? Range { get; set; }

    /// <summary>A version to read, or null for the current one.</summary>
    public string? VersionId { get; set; }

    /// <summary>Only if the ETag matches (else 412).</summary>
    public string? IfMatch { get; set; }

    /// <summary>Only if the ETag differs (else 304, thrown as code "NotModified").</summary>
    public string? IfNoneMatch { get; set; }

    /// <summary>Only if modified after this time (else 304).</summary>
    public DateTimeOffset? IfModifiedSince { get; set; }

    /// <summary>Only if not modified after this time (else 412).</summary>
    public DateTimeOffset? IfUnmodifiedSince { get; set; }

    /// <summary>Overrides the response's Content-Type (<c>response-content-type</c>).</summary>
    public string? ResponseContentType { get; set; }

    /// <summary>Overrides the response's Content-Language.</summary>
    public string? ResponseContentLanguage { get; set; }

    /// <summary>Overrides the response's Expires.</summary>
    public string? ResponseExpires { get; set; }

    /// <summary>Overrides the response's Cache-Control.</summary>
    public string? ResponseCacheControl { get; set; }

    /// <summary>Overrides the response's Content-Disposition.</summary>
    public string? ResponseContentDisposition { get; set; }

    /// <summary>Overrides the response's Content-Encoding.</summary>
    public string? ResponseContentEncoding { get; set; }

    /// <summary>Bandwidth limit in bit/s (<c>x-cos-traffic-limit</c>).</summary>
    public long? TrafficLimit { get; set; }

    /// <summary>Sets <see cref="Range"/> to bytes <paramref name="first"/> to <paramref name="last"/> (inclusive; null for the end).</summary>
    /// <param name="first">The first byte, zero-based.</param>
    /// <param name="last">The last byte (inclusive), or null for the end of the object.</param>
    public void SetRange(long first, long? last = null)
    {
        if (first < 0 || last < first)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"Invalid range {first}-{last}.");
        }

        Range = $"bytes={first}-{last}";
    }
}

/// <summary>HEAD Object (Python <c>head_object</c>).</summary>
public sealed class HeadObjectRequest : SseCustomerKeyRequest
{
    /// <summary>A version, or null for the current one.</summary>
    public string? VersionId { get; set; }

    /// <summary>Only if the ETag matches (else 412).</summary>
    public string? IfMatch { get; set; }

    /// <summary>Only if the ETag differs (else 304).</summary>
    public string? IfNoneMatch { get; set; }

    /// <summary>Only if modified after this time (else 304).</summary>
    public DateTimeOffset? IfModifiedSince { get; set; }

    /// <summary>Only if not modified after this time (else 412).</summary>
    public DateTimeOffset? IfUnmodifiedSince { get; set; }
}

/// <summary>DELETE Object (Python <c>delete_object</c>).</summary>
public sealed class DeleteObjectRequest : ObjectRequest
{
    /// <summary>A version to delete, or null.</summary>
    public string? VersionId { get; set; }
}

/// <summary>PUT Object - Copy (Python <c>copy_object</c>): a server-side copy in one request (up to 5 GB).</summary>
public sealed class CopyObjectRequest : ObjectWriteRequest, ICopySourceRequest
{

    /// <summary>The source object. Required.</summary>
    public CopySource? CopySource { get; set; }

    /// <summary>The source's SSE-C key, typed.</summary>
    public SseCustomer? CopySourceCustomerKey { get; set; }

    /// <summary>Raw <c>x-cos-copy-source-server-side-encryption-customer-algorithm</c>: "AES256".</summary>
    public string? CopySourceSSECustomerAlgorithm { get; set; }

    /// <summary>Raw <c>x-cos-copy-source-server-side-encryption-customer-key</c>: base64 of the source's 32-byte key.</summary>
    public string? CopySourceSSECustomerKey { get; set; }

    /// <summary>Raw <c>x-cos-copy-source-server-side-encryption-customer-key-MD5</c> (computed when null).</summary>
    public string? CopySourceSSECustomerKeyMD5 { get; set; }

    /// <summary>Copy only if the source's ETag matches.</summary>
    public string? CopySourceIfMatch { get; set; }

    /// <summary>Copy only if the source's ETag differs.</summary>
    public string? CopySourceIfNoneMatch { get; set; }

    /// <summary>Copy only if the source changed after this time.</summary>
    public DateTimeOffset? CopySourceIfModifiedSince { get; set; }

    /// <summary>Copy only if the source did not change after this time.</summary>
    public DateTimeOffset? CopySourceIfUnmodifiedSince { get; set; }
    /// <summary>
    /// "Copy" (the default: the destination keeps the source's metadata) or "Replaced" (the
    /// metadata comes from this request), sent as <c>x-cos-metadata-directive</c>; Python's <c>CopyStatus</c>.
    /// </summary>
    public string? CopyStatus { get; set; }

    /// <summary>
    /// "Copy" (the default: the destination gets the source's tags) or "Replaced" (it gets <see cref="ObjectWriteRequest.Tagging"/>),
    /// sent as <c>x-cos-tagging-directive</c> (S3: <c>x-amz-tagging-directive</c> COPY or REPLACE).
    /// </summary>
    public string? TaggingDirective { get; set; }

    /// <summary>
    /// <c>If-None-Match</c> on the destination: <c>"*"</c> copies only if the key has no object yet (else 412 PreconditionFailed).
    /// Checked atomically with the copy: of two writers racing with it, one wins.
    /// </summary>
    public string? IfNoneMatch { get; set; }

    /// <summary>
    /// <c>If-Match</c>: copies only over an object with this ETag, or any object with <c>"*"</c> (412
    /// PreconditionFailed when it differs, 404 NoSuchKey when the key has none). Checked atomically with the copy.
    /// </summary>
    public string? IfMatch { get; set; }
}

/// <summary>POST Object restore (Python <c>restore_object</c>): makes a temporary readable copy of an archived object.</summary>
public sealed class RestoreObjectRequest : SseCustomerKeyRequest
{
    /// <summary>How many days the restored copy lives (<c>RestoreRequest/Days</c>); 1 by default.</summary>
    public int Days { get; set; } = 1;

    /// <summary>The retrieval tier: "Expedited", "Standard" (default) or "Bulk" (<c>CASJobParameters/Tier</c>).</summary>
    public string Tier { get; set; } = "Standard";

    /// <summary>A version, or null.</summary>
    public string? VersionId { get; set; }
}

/// <summary>GET Bucket (List Objects, v1; Python <c>list_objects</c>). Keys are requested URL-encoded and decoded.</summary>
public sealed class ListObjectsRequest : CosRequest
{
    /// <summary>Only keys starting with this.</summary>
    public string? Prefix { get; set; }

    /// <summary>Group keys up to this character into common prefixes, e.g. "/".</summary>
    public string? Delimiter { get; set; }

    /// <summary>Start after this key.</summary>
    public string? Marker { get; set; }

    /// <summary>At most this many entries (1–1000).</summary>
    public int? MaxKeys { get; set; }
}

/// <summary>
/// GET Object attributes (S3 GetObjectAttributes; the COS Python SDK has no such call): an object's ETag, checksum,
/// parts, storage class and size from its metadata, without reading it. An SSE-C object needs its key.
/// </summary>
public sealed class GetObjectAttributesRequest : SseCustomerKeyRequest
{
    /// <summary>What to return: any of <c>ETag</c>, <c>Checksum</c>, <c>ObjectParts</c>, <c>StorageClass</c>, <c>ObjectSize</c>. Required.</summary>
    public IList<string> ObjectAttributes { get; } = new List<string>();

    /// <summary>The version; null for the current one.</summary>
    public string? VersionId { get; set; }

    /// <summary>Most parts to list (server default and limit 1,000).</summary>
    public int? MaxParts { get; set; }

    /// <summary>List parts numbered above this one.</summary>
    public int? PartNumberMarker { get; set; }
}

/// <summary>GET Bucket versions (ListObjectVersions; Python <c>list_objects_versions</c>). Keys are requested URL-encoded and decoded.</summary>
public sealed class ListObjectVersionsRequest : CosRequest
{
    /// <summary>Only keys starting with this.</summary>
    public string? Prefix { get; set; }

    /// <summary>Group keys up to this character into common prefixes, e.g. "/".</summary>
    public string? Delimiter { get; set; }

    /// <summary>Start after this key (with <see cref="VersionIdMarker"/>: after that version of it).</summary>
    public string? KeyMarker { get; set; }

    /// <summary>Start after this version of <see cref="KeyMarker"/> (<c>null</c> names the null version).</summary>
    public string? VersionIdMarker { get; set; }

    /// <summary>At most this many versions, delete markers and common prefixes together (1–1000).</summary>
    public int? MaxKeys { get; set; }
}
