using System.Collections.Concurrent;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk.Transfer;

/// <summary>
/// <see cref="CosClient.UploadFileAsync"/>: one PUT for small files; otherwise a multipart
/// upload with parallel parts, a checkpoint for resuming, and an end-to-end CRC-64 check.
/// </summary>
internal sealed class FileUploader(CosClient client, UploadFileRequest request)
{
    public const long MinPartSize = 1024 * 1024;
    public const int MaxParts = 10_000;

    public async Task<UploadFileResponse> RunAsync(CancellationToken cancellationToken)
    {
        request.ValidateKey();
        if (request.MaxThreads < 1)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "MaxThreads must be at least 1.");
        }

        if (request.PartSize < MinPartSize)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"PartSize must be at least {MinPartSize} bytes (1 MiB).");
        }

        var spec = SseHeaders.ForWrite(request);
        var file = new FileInfo(request.LocalFilePath);
        if (!file.Exists)
        {
            throw new CosClientException(CosClientErrorKind.Io, $"The file '{request.LocalFilePath}' does not exist.");
        }

        long size = file.Length;
        return size <= request.MultipartThreshold
            ? await SinglePutAsync(file, size, cancellationToken).ConfigureAwait(false)
            : await MultipartAsync(file, size, spec, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The part size: at least the request's, raised (in whole MiB) so that there are at most 10,000 parts.</summary>
    public static long ChoosePartSize(long size, long wanted)
    {
        long minimum = (size + MaxParts - 1) / MaxParts;
        long partSize = Math.Max(wanted, minimum);
        return (partSize + MinPartSize - 1) / MinPartSize * MinPartSize;
    }

    private async Task<UploadFileResponse> SinglePutAsync(FileInfo file, long size, CancellationToken cancellationToken)
    {
        ulong? localCrc = request.EnableCrc
            ? (await FileHashing.HashRangeAsync(file.FullName, 0, size, false, cancellationToken).ConfigureAwait(false)).Crc
            : null;
        var progress = new ProgressTracker(size, 0, request.Progress);
        var put = new PutObjectRequest
        {
            Bucket = request.Bucket,
            Key = request.Key,
            Body = CosBody.FromFile(file.FullName),
            EnableMD5 = request.EnableMD5,
            Progress = progress.ForPart(),
            IfNoneMatch = request.IfNoneMatch,
        };
        CopySettings(request, put);
        var response = await client.PutObjectAsync(put, cancellationToken).ConfigureAwait(false);
        CheckCrc(localCrc, response.Crc64, "uploaded object");
        var result = new UploadFileResponse { Multipart = false, PartCount = 1, LocalCrc64 = localCrc };
        result.Load(response);
        return result;
    }

    private async Task<UploadFileResponse> MultipartAsync(FileInfo file, long size, SseSpec spec, CancellationToken cancellationToken)
    {
        long partSize = ChoosePartSize(size, request.PartSize);
        int partCount = (int)((size + partSize - 1) / partSize);
        string path = file.FullName;
        var store = request.EnableCheckpoint
            ? new CheckpointStore<UploadCheckpoint>(request.CheckpointFile ?? CheckpointStore<UploadCheckpoint>.DefaultPath(request.CheckpointDirectory, "upload", request.Bucket, request.Key, path),
                CheckpointJson.Default.UploadCheckpoint)
            : null;

        var done = new ConcurrentDictionary<int, CheckpointPart>();
        var checkpoint = await ResumeAsync(store, file, size, partSize, partCount, spec, done, cancellationToken).ConfigureAwait(false);
        if (checkpoint is null)
        {
            var init = new CreateMultipartUploadRequest { Bucket = request.Bucket, Key = request.Key };
            CopySettings(request, init);
            var created = await client.CreateMultipartUploadAsync(init, cancellationToken).ConfigureAwait(false);
            checkpoint = new UploadCheckpoint
            {
                Bucket = request.Bucket,
                Key = request.Key,
                LocalFilePath = path,
                FileSize = size,
                FileLastWriteUtcTicks = file.LastWriteTimeUtc.Ticks,
                PartSize = partSize,
                UploadId = created.UploadId,
                SseFingerprint = spec.Fingerprint,
            };
            store?.Save(checkpoint);
        }

        int skipped = done.Count;
        long skippedBytes = done.Values.Sum(p => p.Size);
        var progress = new ProgressTracker(size, skippedBytes, request.Progress);
        var todo = Enumerable.Range(1, partCount).Where(n => !done.ContainsKey(n)).ToList();
        try
        {
            await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = request.MaxThreads, CancellationToken = cancellationToken }, async (number, ct) =>
            {
                long offset = (number - 1) * partSize;
                long length = Math.Min(partSize, size - offset);
                var (crc, md5) = await FileHashing.HashRangeAsync(path, offset, length, request.EnableMD5, ct).ConfigureAwait(false);
                var part = await client.UploadPartAsync(new UploadPartRequest
                {
                    Bucket = request.Bucket,
                    Key = request.Key,
                    UploadId = checkpoint.UploadId,
                    PartNumber = number,
                    Body = CosBody.FromFile(path, offset, length),
                    ContentMD5 = md5 is null ? null : Convert.ToBase64String(md5),
                    CustomerKey = spec.Customer,
                    Progress = progress.ForPart(),
                }, ct).ConfigureAwait(false);
                CheckCrc(crc, part.Crc64, $"part {number}");
                done[number] = new CheckpointPart { PartNumber = number, ETag = part.ETag, Size = length, Crc64 = crc };
                if (store is not null)
                {
                    lock (checkpoint)
                    {
                        checkpoint.Parts = done.Values.OrderBy(p => p.PartNumber).ToList();
                        store.Save(checkpoint);
                    }
                }
            }).ConfigureAwait(false);

            var complete = new CompleteMultipartUploadRequest { Bucket = request.Bucket, Key = request.Key, UploadId = checkpoint.UploadId, IfNoneMatch = request.IfNoneMatch };
            foreach (var part in done.Values.OrderBy(p => p.PartNumber))
            {
                complete.Parts.Add(new CompletedPart(part.PartNumber, part.ETag ?? ""));
            }

            var completed = await client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
            store?.Delete();
            ulong localCrc = FileHashing.Combine(done.Values.OrderBy(p => p.PartNumber).Select(p => (p.Crc64, p.Size)));
            if (request.EnableCrc)
            {
                CheckCrc(localCrc, completed.Crc64, "uploaded object");
            }

            var result = new UploadFileResponse
            {
                Multipart = true,
                UploadId = checkpoint.UploadId,
                PartCount = partCount,
                PartsSkipped = skipped,
                LocalCrc64 = request.EnableCrc ? localCrc : null,
            };
            result.Load(completed);
            result.SetETag(completed.ETag);
            return result;
        }
        catch (Exception) when (store is null)
        {
            // Without a checkpoint nobody can resume this upload: abandon it on the server.
            await AbortQuietlyAsync(checkpoint.UploadId).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Loads a checkpoint that still fits (same file, size, time, part size and SSE) and whose
    /// upload still exists, and fills <paramref name="done"/> with the parts that need not be
    /// sent again: listed by the server with the right size and either the ETag the checkpoint
    /// recorded or, for plain and SSE-COS uploads, the MD5 of the local bytes.
    /// </summary>
    private async Task<UploadCheckpoint?> ResumeAsync(CheckpointStore<UploadCheckpoint>? store, FileInfo file, long size, long partSize, int partCount,
        SseSpec spec, ConcurrentDictionary<int, CheckpointPart> done, CancellationToken cancellationToken)
    {
        var checkpoint = store?.Load();
        if (checkpoint is null)
        {
            return null;
        }

        bool fits = checkpoint.Version == 1 && checkpoint.Bucket == request.Bucket && checkpoint.Key == request.Key
            && checkpoint.LocalFilePath == file.FullName && checkpoint.FileSize == size
            && checkpoint.FileLastWriteUtcTicks == file.LastWriteTimeUtc.Ticks && checkpoint.PartSize == partSize
            && checkpoint.SseFingerprint == spec.Fingerprint && !string.IsNullOrEmpty(checkpoint.UploadId);
        if (!fits)
        {
            if (!string.IsNullOrEmpty(checkpoint.UploadId) && checkpoint.Bucket == request.Bucket && checkpoint.Key == request.Key)
            {
                await AbortQuietlyAsync(checkpoint.UploadId).ConfigureAwait(false);
            }

            store!.Delete();
            return null;
        }

        IReadOnlyList<PartSummary> remote;
        try
        {
            remote = await client.ListAllPartsAsync(request.Bucket, request.Key, checkpoint.UploadId, cancellationToken).ConfigureAwait(false);
        }
        catch (CofferException e) when (e.StatusCode == 404)
        {
            store!.Delete();
            return null;
        }

        var recorded = checkpoint.Parts.ToDictionary(p => p.PartNumber);
        foreach (var part in remote)
        {
            if (part.PartNumber < 1 || part.PartNumber > partCount)
            {
                continue;
            }

            long offset = (part.PartNumber - 1) * partSize;
            long length = Math.Min(partSize, size - offset);
            if (part.Size != length)
            {
                continue;
            }

            if (recorded.TryGetValue(part.PartNumber, out var mine) && FileHashing.Unquote(mine.ETag) == FileHashing.Unquote(part.ETag))
            {
                done[part.PartNumber] = mine;
                continue;
            }

            if (!spec.OpaqueETags)
            {
                var (crc, md5) = await FileHashing.HashRangeAsync(file.FullName, offset, length, true, cancellationToken).ConfigureAwait(false);
                if (string.Equals(Convert.ToHexStringLower(md5!), FileHashing.Unquote(part.ETag), StringComparison.OrdinalIgnoreCase))
                {
                    done[part.PartNumber] = new CheckpointPart { PartNumber = part.PartNumber, ETag = part.ETag, Size = length, Crc64 = crc };
                }
            }
        }

        return checkpoint;
    }

    private async Task AbortQuietlyAsync(string uploadId)
    {
        try
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { Bucket = request.Bucket, Key = request.Key, UploadId = uploadId }, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is CofferException or CosClientException)
        {
            // Best effort: an abandoned upload is only storage until the server's lifecycle removes it.
        }
    }

    internal static void CheckCrc(ulong? local, ulong? remote, string what)
    {
        if (local is { } l && remote is { } r && l != r)
        {
            throw new CosClientException(CosClientErrorKind.ChecksumMismatch,
                $"CRC-64 mismatch for the {what}: the local data has {l}, the server reports {r} (x-cos-hash-crc64ecma).");
        }
    }

    /// <summary>Copies metadata and encryption settings from one write request to another.</summary>
    internal static void CopySettings(ObjectWriteRequest from, ObjectWriteRequest to)
    {
        to.ContentType = from.ContentType;
        to.CacheControl = from.CacheControl;
        to.ContentDisposition = from.ContentDisposition;
        to.ContentEncoding = from.ContentEncoding;
        to.ContentLanguage = from.ContentLanguage;
        to.Expires = from.Expires;
        to.StorageClass = from.StorageClass;
        to.ACL = from.ACL;
        foreach (var (k, v) in from.Metadata)
        {
            to.Metadata[k] = v;
        }

        foreach (var (k, v) in from.Headers)
        {
            to.Headers[k] = v;
        }

        to.Tagging.Clear();
        foreach (var tag in from.Tagging)
        {
            to.Tagging.Add(tag);
        }

        to.Sse = from.Sse;
        to.ServerSideEncryption = from.ServerSideEncryption;
        to.SSEKMSKeyId = from.SSEKMSKeyId;
        to.SSEKMSContext = from.SSEKMSContext;
        to.CustomerKey = from.CustomerKey;
        to.SSECustomerAlgorithm = from.SSECustomerAlgorithm;
        to.SSECustomerKey = from.SSECustomerKey;
        to.SSECustomerKeyMD5 = from.SSECustomerKeyMD5;
    }
}
