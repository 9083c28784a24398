using System.Collections.Concurrent;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk.Transfer;

/// <summary>
/// <see cref="CosClient.CopyAsync"/>: HEAD the source; CopyObject up to the threshold, else a
/// multipart copy of UploadPartCopy ranges in parallel, aborted if anything fails; the result's
/// CRC-64 is checked against the source's.
/// </summary>
internal sealed class ObjectCopier(CosClient client, CopyRequest request)
{
    public async Task<CopyResponse> RunAsync(CancellationToken cancellationToken)
    {
        request.ValidateKey();
        var source = request.CopySource ?? throw new CosClientException(CosClientErrorKind.InvalidArgument, "CopySource is required.");
        if (request.MaxThreads < 1)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "MaxThreads must be at least 1.");
        }

        var sourceKey = SseHeaders.CopySourceCustomer(request);
        var destination = SseHeaders.ForWrite(request);
        var head = await client.HeadObjectAsync(new HeadObjectRequest
        {
            Bucket = source.Bucket,
            Key = source.Key,
            VersionId = source.VersionId,
            CustomerKey = sourceKey,
        }, cancellationToken).ConfigureAwait(false);
        long size = head.ContentLength;

        if (size <= request.CopyThreshold)
        {
            var copy = new CopyObjectRequest { Bucket = request.Bucket, Key = request.Key, CopySource = source, CopyStatus = request.CopyStatus, TaggingDirective = request.TaggingDirective };
            FileUploader.CopySettings(request, copy);
            CopyConditions(request, copy);
            copy.CopySourceCustomerKey = sourceKey;
            var single = await client.CopyObjectAsync(copy, cancellationToken).ConfigureAwait(false);
            FileUploader.CheckCrc(head.Crc64, single.Crc64, "copied object");
            var result = new CopyResponse { Multipart = false, PartCount = 1 };
            result.Load(single);
            result.Set(single.ETag, single.Crc64);
            request.Progress?.Invoke(new TransferProgress(size, size, 0));
            return result;
        }

        return await MultipartAsync(source, sourceKey, destination, head, size, cancellationToken).ConfigureAwait(false);
    }

    private async Task<CopyResponse> MultipartAsync(CopySource source, SseCustomer? sourceKey, SseSpec destination, HeadObjectResponse head, long size, CancellationToken cancellationToken)
    {
        long partSize = FileUploader.ChoosePartSize(size, Math.Max(request.PartSize, FileUploader.MinPartSize));
        int partCount = (int)((size + partSize - 1) / partSize);
        var init = new CreateMultipartUploadRequest { Bucket = request.Bucket, Key = request.Key };
        FileUploader.CopySettings(request, init);
        if (!string.Equals(request.CopyStatus, "Replaced", StringComparison.OrdinalIgnoreCase))
        {
            // "Copy": the new object keeps the source's metadata, carried to Initiate as the Node SDK does.
            init.ContentType = head.ContentType;
            init.CacheControl = head.CacheControl;
            init.ContentDisposition = head.ContentDisposition;
            init.ContentEncoding = head.ContentEncoding;
            init.ContentLanguage = head.Headers.Get("Content-Language");
            init.Expires = head.Expires;
            init.Metadata.Clear();
            foreach (var (name, value) in head.Metadata)
            {
                init.Metadata[name] = value;
            }
        }

        if (!string.Equals(request.TaggingDirective, "Replaced", StringComparison.OrdinalIgnoreCase)
            && !string.Equals(request.TaggingDirective, "REPLACE", StringComparison.OrdinalIgnoreCase))
        {
            // "Copy": the new object gets the source's tags, read first and carried to Initiate (as awscli does).
            init.Tagging.Clear();
            if (head.TaggingCount > 0)
            {
                var tags = await client.GetObjectTaggingAsync(source.Bucket, source.Key, source.VersionId, cancellationToken).ConfigureAwait(false);
                foreach (var tag in tags.TagSet)
                {
                    init.Tagging.Add(tag);
                }
            }
        }

        var created = await client.CreateMultipartUploadAsync(init, cancellationToken).ConfigureAwait(false);
        var etags = new ConcurrentDictionary<int, string>();
        var progress = new ProgressTracker(size, 0, request.Progress);
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(1, partCount), new ParallelOptions { MaxDegreeOfParallelism = request.MaxThreads, CancellationToken = cancellationToken }, async (number, ct) =>
            {
                long first = (number - 1) * partSize;
                long last = Math.Min(size, first + partSize) - 1;
                var part = new UploadPartCopyRequest
                {
                    Bucket = request.Bucket,
                    Key = request.Key,
                    UploadId = created.UploadId,
                    PartNumber = number,
                    CopySource = source,
                    CopySourceRange = $"bytes={first}-{last}",
                    CopySourceCustomerKey = sourceKey,
                    CopySourceIfMatch = request.CopySourceIfMatch ?? head.ETag,
                    CustomerKey = destination.Customer,
                };
                var copied = await client.UploadPartCopyAsync(part, ct).ConfigureAwait(false);
                etags[number] = copied.ETag!;
                progress.Add(last - first + 1);
            }).ConfigureAwait(false);

            var complete = new CompleteMultipartUploadRequest { Bucket = request.Bucket, Key = request.Key, UploadId = created.UploadId };
            foreach (var (number, etag) in etags.OrderBy(p => p.Key))
            {
                complete.Parts.Add(new CompletedPart(number, etag));
            }

            var done = await client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
            FileUploader.CheckCrc(head.Crc64, done.Crc64, "copied object");
            var result = new CopyResponse { Multipart = true, PartCount = partCount };
            result.Load(done);
            result.Set(done.ETag, done.Crc64);
            return result;
        }
        catch (Exception e) when (e is not CosClientException { Kind: CosClientErrorKind.ChecksumMismatch })
        {
            try
            {
                await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { Bucket = request.Bucket, Key = request.Key, UploadId = created.UploadId }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception abort) when (abort is CofferException or CosClientException)
            {
                // Best effort; the original failure is what the caller needs.
            }

            throw;
        }
    }

    private static void CopyConditions(CopyRequest from, CopyObjectRequest to)
    {
        to.CopySourceIfMatch = from.CopySourceIfMatch;
        to.CopySourceIfNoneMatch = from.CopySourceIfNoneMatch;
        to.CopySourceIfModifiedSince = from.CopySourceIfModifiedSince;
        to.CopySourceIfUnmodifiedSince = from.CopySourceIfUnmodifiedSince;
    }
}
