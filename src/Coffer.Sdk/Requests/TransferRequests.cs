namespace Coffer.Sdk;

/// <summary>Progress of a transfer: bytes done, the total and the current rate.</summary>
/// <param name="TransferredBytes">Bytes transferred so far (parts finished by an earlier, resumed run count as transferred).</param>
/// <param name="TotalBytes">The total size.</param>
/// <param name="BytesPerSecond">The average rate of this run so far.</param>
public readonly record struct TransferProgress(long TransferredBytes, long TotalBytes, double BytesPerSecond);

/// <summary>
/// Upload a local file (Python <c>upload_file</c>): one PUT up to <see cref="MultipartThreshold"/>,
/// else a multipart upload of parts sent <see cref="MaxThreads"/> at a time, resumable from a
/// checkpoint file, checked end to end with CRC-64.
/// </summary>
public sealed class UploadFileRequest : ObjectWriteRequest
{
    /// <summary>The file to upload. Required.</summary>
    public string LocalFilePath { get; set; } = "";

    /// <summary>Files larger than this go multipart; 20 MiB by default.</summary>
    public long MultipartThreshold { get; set; } = 20L * 1024 * 1024;

    /// <summary>The part size, at least 1 MiB; raised as needed so that there are at most 10,000 parts. 8 MiB by default.</summary>
    public long PartSize { get; set; } = 8L * 1024 * 1024;

    /// <summary>How many parts are sent at once (Python <c>MAXThread</c>); 5 by default.</summary>
    public int MaxThreads { get; set; } = 5;

    /// <summary>Send Content-MD5 with every part and single PUT (Python <c>EnableMD5</c>).</summary>
    public bool EnableMD5 { get; set; }

    /// <summary>Verify the whole object's CRC-64 (x-cos-hash-crc64ecma) against the file's; true by default.</summary>
    public bool EnableCrc { get; set; } = true;

    /// <summary>
    /// Keep a checkpoint file so that an interrupted multipart upload resumes where it stopped;
    /// true by default. The checkpoint holds the upload id, the file's size and time, the
    /// encryption settings (never the SSE-C key itself: only its MD5) and each finished part.
    /// </summary>
    public bool EnableCheckpoint { get; set; } = true;

    /// <summary>The checkpoint file; by default one named after bucket, key and file in <see cref="CheckpointDirectory"/>.</summary>
    public string? CheckpointFile { get; set; }

    /// <summary>Where checkpoints go by default: a "coffer-sdk" folder in the temporary directory.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Called as bytes are sent.</summary>
    public Action<TransferProgress>? Progress { get; set; }

    /// <summary>
    /// <c>If-None-Match</c> of the single PUT or of the multipart Complete: <c>"*"</c> writes only if the key has no
    /// object yet, checked atomically at the end (412 PreconditionFailed otherwise, and nothing is written).
    /// </summary>
    public string? IfNoneMatch { get; set; }
}

/// <summary>
/// Download an object to a local file (Python <c>download_file</c>): parallel ranged GETs into a
/// temporary file, resumable from a checkpoint while the object is unchanged, checked by
/// size and CRC-64, renamed into place at the end. An SSE-C key goes on every request.
/// </summary>
public sealed class DownloadFileRequest : SseCustomerKeyRequest
{
    /// <summary>The file to write. Required. It is replaced only when the download is complete and verified.</summary>
    public string DestFilePath { get; set; } = "";

    /// <summary>A version, or null.</summary>
    public string? VersionId { get; set; }

    /// <summary>The range size of each GET, doubled as needed to keep at most <see cref="MaxPartCount"/> ranges; 20 MiB by default. Objects no larger than this are fetched with one GET.</summary>
    public long PartSize { get; set; } = 20L * 1024 * 1024;

    /// <summary>The most ranges; 10,000 by default.</summary>
    public int MaxPartCount { get; set; } = 10_000;

    /// <summary>How many ranges are fetched at once; 5 by default.</summary>
    public int MaxThreads { get; set; } = 5;

    /// <summary>Verify the file's CRC-64 against the object's x-cos-hash-crc64ecma; true by default.</summary>
    public bool EnableCrc { get; set; } = true;

    /// <summary>Keep a checkpoint (and the partial temporary file) so that an interrupted download resumes; true by default.</summary>
    public bool EnableCheckpoint { get; set; } = true;

    /// <summary>The checkpoint file; by default one named after bucket, key and destination in <see cref="CheckpointDirectory"/>.</summary>
    public string? CheckpointFile { get; set; }

    /// <summary>Where checkpoints go by default: a "coffer-sdk" folder in the temporary directory.</summary>
    public string? CheckpointDirectory { get; set; }

    /// <summary>Called as bytes arrive.</summary>
    public Action<TransferProgress>? Progress { get; set; }
}

/// <summary>
/// Copy an object of any size (Python <c>copy</c>): CopyObject up to <see cref="CopyThreshold"/>,
/// else a multipart copy of UploadPartCopy ranges, <see cref="MaxThreads"/> at a time. The
/// source's SSE-C key and the destination's encryption are independent (SSE-C to SSE-C with a
/// new key, SSE-C to SSE-KMS, plain to SSE-COS…).
/// </summary>
public sealed class CopyRequest : ObjectWriteRequest, ICopySourceRequest
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
    /// <summary>"Copy" (keep the source's metadata; the default) or "Replaced" (take it from this request).</summary>
    public string? CopyStatus { get; set; }

    /// <summary>"Copy" (the destination gets the source's tags; the default) or "Replaced" (it gets <see cref="ObjectWriteRequest.Tagging"/>).</summary>
    public string? TaggingDirective { get; set; }

    /// <summary>Sources larger than this are copied in parts; 5 GiB by default (the CopyObject limit).</summary>
    public long CopyThreshold { get; set; } = 5L * 1024 * 1024 * 1024;

    /// <summary>The part size of a multipart copy; raised to keep at most 10,000 parts. 10 MiB by default.</summary>
    public long PartSize { get; set; } = 10L * 1024 * 1024;

    /// <summary>How many parts are copied at once (Python <c>MAXThread</c>); 5 by default.</summary>
    public int MaxThreads { get; set; } = 5;

    /// <summary>Called as parts finish.</summary>
    public Action<TransferProgress>? Progress { get; set; }
}
