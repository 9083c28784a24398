using System.Buffers;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary>
/// <c>coffer cp - cos://B/K</c> (standard input to an object) and <c>coffer cp cos://B/K -</c> (an object to standard
/// output). The size of standard input is unknown: what fits under the multipart threshold goes up in one PUT, anything
/// longer in parts of --part-size read one after the other (an upload that fails is aborted, leaving no parts behind).
/// </summary>
internal static partial class CopyCommand
{
    /// <summary>The path that means standard input (as the source) or standard output (as the destination).</summary>
    public const string StandardStream = "-";

    private const long DefaultStdinPartSize = 8L * 1024 * 1024;
    private const long DefaultStdinThreshold = 20L * 1024 * 1024;
    private const int MaxParts = 10_000;

    /// <summary>The plan of a copy from or to a standard stream; null when neither path is "-".</summary>
    private static IReadOnlyList<Item>? PlanStdio(Invocation run, string source, string destination, bool recursive, bool move)
    {
        var fromStdin = source == StandardStream;
        var toStdout = destination == StandardStream;
        if (!fromStdin && !toStdout)
            return null;
        if (fromStdin && toStdout)
            throw new UsageException("'-' is standard input as the source and standard output as the destination; one of the paths must be cos://BUCKET/KEY.");
        if (recursive)
            throw new UsageException("--recursive copies folders and prefixes; '-' is one stream.");
        if (move)
            throw new UsageException("mv does not take '-'; use cp to read standard input or write standard output.");
        if (fromStdin)
        {
            if (!RemotePath.IsRemote(destination))
                throw new UsageException("with '-' (standard input) as the source, the destination must be cos://BUCKET/KEY.");
            var to = RemotePath.Parse(destination);
            if (to.IsFolder)
                throw new UsageException($"{to} names no object: standard input has no file name, so give the key, e.g. {to.WithKey(to.Key + "data.bin")}.");
            run.Target = to;
            return [new Item(Kind.UploadStdin, StandardStream, null, to)];
        }
        if (!RemotePath.IsRemote(source))
            throw new UsageException("with '-' (standard output) as the destination, the source must be cos://BUCKET/KEY.");
        var from = RemotePath.Parse(source);
        if (from.IsFolder)
            throw new UsageException($"{from} names no object; give a key.");
        run.Target = from;
        return [new Item(Kind.DownloadStdout, StandardStream, from, null)];
    }

    private static async Task<Result> DownloadToStdoutAsync(CosClient client, Item item, TransferOptions options, CancellationToken ct)
    {
        var from = item.Source!.Value;
        await using var get = await client.GetObjectAsync(from.Bucket, from.Key, options.Encryption.ReadKey(options.Parse), ct);
        await using var stdout = Console.OpenStandardOutput();
        await get.CopyToAsync(stdout, ct);
        return new Result("download", from.ToString(), StandardStream, get.ContentLength, false, 1, 0);
    }

    private static async Task<Result> UploadFromStdinAsync(CosClient client, Item item, TransferOptions options, TransferDisplay display, CancellationToken ct)
    {
        var to = item.Destination!.Value;
        var sse = options.Encryption.WriteSse(options.Parse);
        var storageClass = options.Encryption.StorageClassValue(options.Parse);
        var partSize = options.PartSize ?? DefaultStdinPartSize;
        var threshold = options.Threshold ?? DefaultStdinThreshold;
        var bar = display.Start($"standard input → {to}", 0);
        await using var stdin = Console.OpenStandardInput();

        // Up to the threshold: one PUT, as for a file of that size.
        var head = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(threshold, partSize), int.MaxValue - 64) + 1);
        try
        {
            var headLength = await stdin.ReadAtLeastAsync(head.AsMemory(0, (int)Math.Min(threshold + 1, head.Length)), (int)Math.Min(threshold + 1, head.Length), throwOnEndOfStream: false, ct);
            if (headLength <= threshold)
            {
                await client.PutObjectAsync(new PutObjectRequest
                {
                    Bucket = to.Bucket,
                    Key = to.Key,
                    Body = head.AsMemory(0, headLength).ToArray(),
                    Sse = sse,
                    StorageClass = storageClass,
                }, ct);
                bar.Complete();
                return new Result("upload", StandardStream, to.ToString(), headLength, false, 1, 0);
            }

            // Longer: parts of partSize, read and sent one after the other (what was read so far is the start of part 1).
            var created = await client.CreateMultipartUploadAsync(new CreateMultipartUploadRequest
            {
                Bucket = to.Bucket,
                Key = to.Key,
                Sse = sse,
                StorageClass = storageClass,
            }, ct);
            try
            {
                var parts = new List<CompletedPart>();
                long total = 0;
                var part = new byte[partSize];
                var carried = headLength;
                while (true)
                {
                    // The bytes of the first read that are not sent yet come first, then standard input.
                    var filled = 0;
                    if (carried > 0)
                    {
                        var offset = headLength - carried;
                        var take = (int)Math.Min(carried, partSize);
                        head.AsSpan(offset, take).CopyTo(part);
                        carried -= take;
                        filled = take;
                    }
                    if (filled < partSize)
                        filled += await stdin.ReadAtLeastAsync(part.AsMemory(filled), part.Length - filled, throwOnEndOfStream: false, ct);
                    if (filled == 0)
                        break;
                    if (parts.Count == MaxParts)
                        throw new UsageException($"standard input is longer than {MaxParts} parts of {partSize} bytes; give a larger --part-size.");
                    var uploaded = await client.UploadPartAsync(new UploadPartRequest
                    {
                        Bucket = to.Bucket,
                        Key = to.Key,
                        UploadId = created.UploadId,
                        PartNumber = parts.Count + 1,
                        Body = part.AsMemory(0, filled).ToArray(),
                        CustomerKey = sse as SseCustomer,
                    }, ct);
                    parts.Add(new CompletedPart(parts.Count + 1, uploaded.ETag ?? ""));
                    total += filled;
                    bar.Callback?.Invoke(new TransferProgress(total, 0, 0));
                    if (filled < partSize)
                        break;
                }
                var complete = new CompleteMultipartUploadRequest { Bucket = to.Bucket, Key = to.Key, UploadId = created.UploadId };
                foreach (var p in parts)
                    complete.Parts.Add(p);
                await client.CompleteMultipartUploadAsync(complete, ct);
                bar.Complete();
                return new Result("upload", StandardStream, to.ToString(), total, true, parts.Count, 0);
            }
            catch
            {
                try
                {
                    await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { Bucket = to.Bucket, Key = to.Key, UploadId = created.UploadId }, CancellationToken.None);
                }
                catch (Exception e) when (e is CofferException or CosClientException or IOException)
                {
                    Output.Warn($"the failed multipart upload {created.UploadId} could not be aborted ({e.Message}); its parts stay until it is (AbortMultipartUpload).");
                }
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }
    }
}
