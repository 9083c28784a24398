namespace Coffer.Sdk;

/// <summary>Initiate Multipart Upload (Python <c>create_multipart_upload</c>). The encryption chosen here applies to every part.</summary>
public sealed class CreateMultipartUploadRequest : ObjectWriteRequest
{
}

/// <summary>Upload Part (Python <c>upload_part</c>). An SSE-C upload needs the same customer key on every part.</summary>
public sealed class UploadPartRequest : SseCustomerKeyRequest
{
    /// <summary>The upload id from <see cref="CosClient.CreateMultipartUploadAsync"/>. Required.</summary>
    public string UploadId { get; set; } = "";

    /// <summary>The part number, 1–10000. Required.</summary>
    public int PartNumber { get; set; }

    /// <summary>The part's content (at least 1 MB unless it is the last part).</summary>
    public CosBody? Body { get; set; }

    /// <summary>The base64 MD5 of the part, checked by the server.</summary>
    public string? ContentMD5 { get; set; }

    /// <summary>Compute and send Content-MD5 for a body that can be rewound.</summary>
    public bool EnableMD5 { get; set; }

    /// <summary>Bandwidth limit in bit/s (<c>x-cos-traffic-limit</c>).</summary>
    public long? TrafficLimit { get; set; }

    /// <summary>Called with the number of bytes sent so far and the total.</summary>
    public Action<long, long?>? Progress { get; set; }
}

/// <summary>Upload Part - Copy (Python <c>upload_part_copy</c>): one part read from a range of another object.</summary>
public sealed class UploadPartCopyRequest : SseCustomerKeyRequest, ICopySourceRequest
{
    /// <summary>The upload id. Required.</summary>
    public string UploadId { get; set; } = "";

    /// <summary>The part number, 1–10000. Required.</summary>
    public int PartNumber { get; set; }

    /// <summary>The source range, "bytes=first-last" (inclusive); the whole source when null.</summary>
    public string? CopySourceRange { get; set; }

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
}

/// <summary>One part of a <see cref="CompleteMultipartUploadRequest"/>.</summary>
/// <param name="PartNumber">The part number.</param>
/// <param name="ETag">The ETag UploadPart returned (quoted or not).</param>
public sealed record CompletedPart(int PartNumber, string ETag);

/// <summary>Complete Multipart Upload (Python <c>complete_multipart_upload</c>).</summary>
public sealed class CompleteMultipartUploadRequest : ObjectRequest
{
    /// <summary>The upload id. Required.</summary>
    public string UploadId { get; set; } = "";

    /// <summary>The parts, in ascending part-number order (the client sorts them).</summary>
    public IList<CompletedPart> Parts { get; } = new List<CompletedPart>();

    /// <summary>
    /// <c>If-None-Match</c>: <c>"*"</c> completes only if the key has no object yet (else 412 PreconditionFailed; the upload stays, to complete again).
    /// Checked atomically with the completion: of two writers racing with it, one wins.
    /// </summary>
    public string? IfNoneMatch { get; set; }

    /// <summary>
    /// <c>If-Match</c>: completes only over an object with this ETag, or any object with <c>"*"</c> (412
    /// PreconditionFailed when it differs, 404 NoSuchKey when the key has none). Checked atomically with the completion.
    /// </summary>
    public string? IfMatch { get; set; }
}

/// <summary>Abort Multipart Upload (Python <c>abort_multipart_upload</c>).</summary>
public sealed class AbortMultipartUploadRequest : ObjectRequest
{
    /// <summary>The upload id. Required.</summary>
    public string UploadId { get; set; } = "";
}

/// <summary>List Parts (Python <c>list_parts</c>).</summary>
public sealed class ListPartsRequest : ObjectRequest
{
    /// <summary>The upload id. Required.</summary>
    public string UploadId { get; set; } = "";

    /// <summary>At most this many parts (default 1000).</summary>
    public int? MaxParts { get; set; }

    /// <summary>List parts after this part number.</summary>
    public int? PartNumberMarker { get; set; }
}

/// <summary>List Multipart Uploads (Python <c>list_multipart_uploads</c>).</summary>
public sealed class ListMultipartUploadsRequest : CosRequest
{
    /// <summary>Only keys starting with this.</summary>
    public string? Prefix { get; set; }

    /// <summary>Group keys up to this character.</summary>
    public string? Delimiter { get; set; }

    /// <summary>Start after this key.</summary>
    public string? KeyMarker { get; set; }

    /// <summary>With <see cref="KeyMarker"/>: start after this upload id.</summary>
    public string? UploadIdMarker { get; set; }

    /// <summary>At most this many uploads (1–1000).</summary>
    public int? MaxUploads { get; set; }
}
