using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using Coffer.Protocol.Checksums;
using Microsoft.Win32.SafeHandles;

namespace Coffer.Sdk.Transfer;

/// <summary>
/// <see cref="CosClient.DownloadFileAsync"/>: HEAD, then ranged GETs (with If-Match on the
/// ETag, so a changed object stops the download) written in parallel into a temporary file,
/// a checkpoint for resuming, size and CRC-64 checks, and an atomic rename at the end.
/// </summary>
internal sealed class FileDownloader(CosClient client, DownloadFileRequest request)
{
    public async Task<DownloadFileResponse> RunAsync(CancellationToken cancellationToken)
    {
        request.ValidateKey();
        if (string.IsNullOrEmpty(request.DestFilePath))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "DestFilePath is required.");
        }

        if (request.MaxThreads < 1 || request.PartSize < 1 || request.MaxPartCount < 1)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "MaxThreads, PartSize and MaxPartCount must be positive.");
        }

        var customer = Internal.SseHeaders.Customer(request);
        var head = await client.HeadObjectAsync(new HeadObjectRequest
        {
            Bucket = request.Bucket,
            Key = request.Key,
            VersionId = request.VersionId,
            CustomerKey = customer,
        }, cancellationToken).ConfigureAwait(false);
        long size = head.ContentLength;
        string dest = Path.GetFullPath(request.DestFilePath);
        long partSize = request.PartSize;
        while (partSize * request.MaxPartCount < size)
        {
            partSize *= 2;
        }

        int partCount = size == 0 ? 1 : (int)((size + partSize - 1) / partSize);
        var store = request.EnableCheckpoint
            ? new CheckpointStore<DownloadCheckpoint>(request.CheckpointFile ?? CheckpointStore<DownloadCheckpoint>.DefaultPath(request.CheckpointDirectory, "download", request.Bucket, request.Key, request.VersionId ?? "", dest),
                CheckpointJson.Default.DownloadCheckpoint)
            : null;

        var checkpoint = store?.Load();
        if (checkpoint is not null && !Fits(checkpoint, head, size, dest, partSize))
        {
            TryDelete(checkpoint.TempFilePath);
            store!.Delete();
            checkpoint = null;
        }

        checkpoint ??= new DownloadCheckpoint
        {
            Bucket = request.Bucket,
            Key = request.Key,
            VersionId = request.VersionId,
            DestFilePath = dest,
            TempFilePath = dest + "." + Guid.NewGuid().ToString("N")[..12] + ".cosdownload",
            ETag = head.ETag,
            Size = size,
            LastModified = head.Headers.Get("Last-Modified"),
            PartSize = partSize,
        };

        var done = new ConcurrentDictionary<int, CheckpointPart>(checkpoint.Parts.ToDictionary(p => p.PartNumber));
        int skipped = done.Count;
        var progress = new ProgressTracker(size, done.Values.Sum(p => p.Size), request.Progress);
        bool completed = false;
        try
        {
            using (var handle = OpenTemp(checkpoint.TempFilePath, size))
            {
                store?.Save(checkpoint);
                var todo = Enumerable.Range(1, partCount).Where(n => !done.ContainsKey(n)).ToList();
                await Parallel.ForEachAsync(todo, new ParallelOptions { MaxDegreeOfParallelism = request.MaxThreads, CancellationToken = cancellationToken }, async (number, ct) =>
                {
                    long offset = (number - 1) * partSize;
                    long length = Math.Min(partSize, size - offset);
                    ulong crc = await FetchPartAsync(handle, head, customer, partCount == 1, offset, length, size, progress, ct).ConfigureAwait(false);
                    done[number] = new CheckpointPart { PartNumber = number, Size = length, Crc64 = crc };
                    if (store is not null)
                    {
                        lock (checkpoint)
                        {
                            checkpoint.Parts = done.Values.OrderBy(p => p.PartNumber).ToList();
                            store.Save(checkpoint);
                        }
                    }
                }).ConfigureAwait(false);
                RandomAccess.FlushToDisk(handle);
            }

            long written = new FileInfo(checkpoint.TempFilePath).Length;
            if (written != size)
            {
                throw new CosClientException(CosClientErrorKind.SizeMismatch, $"The downloaded file has {written} bytes; the object has {size}.");
            }

            ulong localCrc = FileHashing.Combine(done.Values.OrderBy(p => p.PartNumber).Select(p => (p.Crc64, p.Size)));
            if (request.EnableCrc)
            {
                FileUploader.CheckCrc(localCrc, head.Crc64, "downloaded object");
            }

            File.Move(checkpoint.TempFilePath, dest, overwrite: true);
            completed = true;
            store?.Delete();
            var result = new DownloadFileResponse
            {
                ContentLength = size,
                PartCount = partCount,
                PartsSkipped = skipped,
                LocalCrc64 = request.EnableCrc ? localCrc : null,
            };
            result.Load(head);
            return result;
        }
        catch (CosClientException e) when (e.Kind is CosClientErrorKind.ChecksumMismatch or CosClientErrorKind.SizeMismatch or CosClientErrorKind.ObjectChanged)
        {
            // The bytes on disk cannot be trusted: start from scratch next time.
            TryDelete(checkpoint.TempFilePath);
            store?.Delete();
            throw;
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            throw new CosClientException(CosClientErrorKind.Io, $"The file '{checkpoint.TempFilePath}' could not be written: {e.Message}", e);
        }
        finally
        {
            if (!completed && store is null)
            {
                TryDelete(checkpoint.TempFilePath);
            }
        }
    }

    private bool Fits(DownloadCheckpoint c, HeadObjectResponse head, long size, string dest, long partSize) =>
        c.Version == 1 && c.Bucket == request.Bucket && c.Key == request.Key && c.VersionId == request.VersionId
        && c.DestFilePath == dest && c.ETag == head.ETag && c.Size == size && c.LastModified == head.Headers.Get("Last-Modified")
        && c.PartSize == partSize && File.Exists(c.TempFilePath) && new FileInfo(c.TempFilePath).Length == size;

    private static SafeFileHandle OpenTemp(string path, long size)
    {
        try
        {
            var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, FileOptions.Asynchronous);
            if (RandomAccess.GetLength(handle) != size)
            {
                RandomAccess.SetLength(handle, size);
            }

            return handle;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CosClientException(CosClientErrorKind.Io, $"The temporary file '{path}' could not be created: {e.Message}", e);
        }
    }

    /// <summary>GETs one range into the file and returns its CRC-64; a body cut short is fetched again (with backoff) up to the retry limit.</summary>
    private async Task<ulong> FetchPartAsync(SafeFileHandle handle, HeadObjectResponse head, SseCustomer? customer, bool whole,
        long offset, long length, long size, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var retry = client.Settings.Retry;
        for (int attempt = 0; ; attempt++)
        {
            long written = 0;
            try
            {
                var get = new GetObjectRequest
                {
                    Bucket = request.Bucket,
                    Key = request.Key,
                    VersionId = request.VersionId,
                    CustomerKey = customer,
                    IfMatch = head.ETag,
                };
                if (!whole)
                {
                    get.SetRange(offset, offset + length - 1);
                }

                await using var response = await client.GetObjectAsync(get, cancellationToken).ConfigureAwait(false);
                if (!whole && !ContentRangeTotalIs(response.ContentRange, size))
                {
                    throw new CosClientException(CosClientErrorKind.ObjectChanged, $"The range answer '{response.ContentRange}' does not match the object's size {size}; the object changed.");
                }

                var crc = new Crc64Xz();
                byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 17);
                try
                {
                    while (written < length)
                    {
                        int n = await response.Body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - written)), cancellationToken).ConfigureAwait(false);
                        if (n == 0)
                        {
                            throw new IOException($"The body ended after {written} of {length} bytes.");
                        }

                        await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, n), offset + written, cancellationToken).ConfigureAwait(false);
                        crc.Append(buffer.AsSpan(0, n));
                        written += n;
                        progress.Add(n);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                return crc.Value;
            }
            catch (CofferException e) when (e.StatusCode == 412)
            {
                throw new CosClientException(CosClientErrorKind.ObjectChanged, "The object changed during the download (its ETag no longer matches); download it again.", e);
            }
            catch (Exception e) when ((e is IOException or HttpRequestException || e is CosClientException { IsTransient: true })
                && !cancellationToken.IsCancellationRequested && attempt < retry.MaxRetries)
            {
                progress.Add(-written);
                var delay = TimeSpan.FromTicks(Math.Min(retry.MaxDelay.Ticks, retry.BaseDelay.Ticks << Math.Min(attempt, 20)));
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                throw new CosClientException(CosClientErrorKind.Network, $"The range {offset}-{offset + length - 1} could not be downloaded: {e.Message}", e);
            }
        }
    }

    private static bool ContentRangeTotalIs(string? contentRange, long size)
    {
        int slash = contentRange?.LastIndexOf('/') ?? -1;
        return slash >= 0 && long.TryParse(contentRange.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long total) && total == size;
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next run's checkpoint check.
        }
    }
}
