using Coffer.Sdk.Transfer;

namespace Coffer.Sdk;

public sealed partial class CosClient
{
    /// <summary>
    /// Uploads a local file (Python <c>upload_file</c>): a single PUT up to
    /// <see cref="UploadFileRequest.MultipartThreshold"/>, else a multipart upload with
    /// <see cref="UploadFileRequest.MaxThreads"/> parts in flight. An interrupted multipart upload
    /// (crash, cancellation, network failure) resumes from its checkpoint on the next call with
    /// the same file, key and encryption, skipping finished parts. The object's CRC-64 is
    /// checked against the file's. Works with every SSE mode; an SSE-C key goes on every part.
    /// </summary>
    /// <param name="request">Bucket, Key, LocalFilePath, part and thread settings, metadata and encryption.</param>
    /// <param name="cancellationToken">Cancels the upload; the checkpoint is kept for resuming.</param>
    public Task<UploadFileResponse> UploadFileAsync(UploadFileRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new FileUploader(this, request).RunAsync(cancellationToken);
    }

    /// <summary>
    /// Downloads an object to a local file (Python <c>download_file</c>): ranged GETs with
    /// <see cref="DownloadFileRequest.MaxThreads"/> in flight into a temporary file beside the
    /// destination, renamed into place once its size and CRC-64 are verified. An interrupted
    /// download resumes from its checkpoint while the object's ETag, size and Last-Modified are
    /// unchanged. An SSE-C key goes on the HEAD and every GET.
    /// </summary>
    /// <param name="request">Bucket, Key, DestFilePath, part and thread settings, and the SSE-C key.</param>
    /// <param name="cancellationToken">Cancels the download; the checkpoint and partial file are kept for resuming.</param>
    public Task<DownloadFileResponse> DownloadFileAsync(DownloadFileRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new FileDownloader(this, request).RunAsync(cancellationToken);
    }

    /// <summary>
    /// Copies an object of any size (Python <c>copy</c>): CopyObject up to
    /// <see cref="CopyRequest.CopyThreshold"/>, else Initiate, UploadPartCopy ranges with
    /// <see cref="CopyRequest.MaxThreads"/> in flight, and Complete (aborted on failure). The
    /// source's SSE-C key and the destination's encryption are independent.
    /// </summary>
    /// <param name="request">Destination, CopySource, both sides' encryption and part settings.</param>
    /// <param name="cancellationToken">Cancels the copy (a multipart copy is then aborted).</param>
    public Task<CopyResponse> CopyAsync(CopyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ObjectCopier(this, request).RunAsync(cancellationToken);
    }
}
