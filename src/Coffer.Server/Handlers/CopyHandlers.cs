using System.Globalization;
using System.Security.Cryptography;
using Coffer.Crypto;
using Coffer.Protocol;
using Coffer.Server.Access;
using Coffer.Server.Objects;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Handlers;

/// <summary>
/// CopyObject (PUT with x-cos-copy-source / x-amz-copy-source), within and across buckets, under
/// every SSE transition. When source and destination are both encrypted, the data is not touched:
/// the source's object key is re-sealed for the destination (its mode, key and binding) and the
/// destination shares the source's blobs (docs/copy-and-restore.md#data-re-wrap-never-re-encrypt). When both are
/// plain the blobs are shared as they are. Only a change between plain and encrypted, or between the
/// AES-256-GCM and SM4-GCM ciphers (SM4 ↔ AES256, SM4 ↔ KMS), rewrites the data, in one pass from the
/// source's plaintext into a new sealed stream under a fresh object key.
/// </summary>
public static class CopyHandlers
{
    /// <summary>Largest object one CopyObject copies: 5 GiB, as COS and S3 allow (larger ones: UploadPartCopy).</summary>
    public const long MaxCopyBytes = 5L * 1024 * 1024 * 1024;

    /// <summary>
    /// Copies the source named by the copy-source header onto the request's key: source conditions
    /// and archive state checked, destination encryption from the request or the bucket default,
    /// metadata copied or replaced, class from the request; answers CopyObjectResult.
    /// </summary>
    public static async Task CopyObjectAsync(RequestContext ctx, CofferServices s)
    {
        var bucket = ctx.Bucket!;
        var request = CopyRequest.Parse(ctx, s.Options.Domain);
        var replacementTags = Tagging.ReplacesOnCopy(ctx) ? Tagging.FromHeader(ctx) ?? [] : null;
        // The copy gets the request's ACL (none: the default), never the source's.
        var acl = await Acls.ForNewObjectAsync(ctx, s, bucket, Acls.FromHeaders(ctx, forBucket: false));
        var condition = WritePreconditions.Parse(ctx);
        await WritePreconditions.CheckAsync(ctx, s, condition);
        using var sse = SseRequest.ParseForWrite(ctx);
        using var source = await request.Source.OpenAsync(ctx, s);
        var src = source.Object;
        if (src.Size > MaxCopyBytes)
            throw new CofferException(ErrorCode.EntityTooLarge, $"The copy source has {src.Size} bytes; one copy handles at most {MaxCopyBytes} (5 GiB): copy larger objects part by part with UploadPartCopy.");

        // An encrypted destination of an encrypted source with the same cipher gets the source's object key, re-sealed.
        var sameCipher = src.Encryption.Cipher == SseService.CipherOf(sse, bucket.Encryption);
        var reuse = SseService.ModeOf(sse, bucket.Encryption) == SseMode.None || !sameCipher ? null : source.Key;
        using var sealedWrite = await SseService.SealNewAsync(s, ctx, sse, bucket.Name, ctx.ObjectKey, bucket.Encryption, reuse);
        RejectUnchangedSelfCopy(ctx, request, source, sse, sealedWrite.Encryption);

        var attributes = (request.Replacement ?? AttributesOf(src)) with { StorageClass = request.StorageClass };
        var record = attributes.ToRecord(bucket.Name, ctx.ObjectKey, s.Time.GetUtcNow()) with
        {
            Size = src.Size,
            Crc64 = src.Crc64,
            Encryption = sealedWrite.Encryption,
            Checksums = src.Checksums,
            Tags = replacementTags ?? src.Tags,
            Acl = acl,
            VersionId = Versions.NewVersionId(bucket),
        };

        if ((source.Key is null && sealedWrite.Key is null) || (source.Key is not null && sealedWrite.Key is not null && sameCipher))
        {
            record = record with { Streams = src.Streams, ETag = await SharedETagAsync(s, source, sealedWrite, ctx.Aborted) };
            await CommitSharedAsync(s, record, condition);
        }
        else
        {
            await using var plaintext = ObjectReader.Open(src, source.Key, s.Blobs);
            await using var pending = await ObjectWriter.WriteAsync(plaintext, src.Size, MaxCopyBytes, sealedWrite.Key, sealedWrite.Encryption.Cipher, "object", null,
                s.Blobs, s.Options.InlineMaxBytes, ctx.Aborted);
            if (pending.Crc64 != src.Crc64)
                throw new InvalidOperationException($"The copy of {src.Bucket}/{src.Key} read data whose CRC-64 differs from the stored one.");
            await pending.CommitAsync(s.Store, s.Time, ctx.Aborted);
            record = record with { Streams = [pending.ToObjectStream()], ETag = SseService.ETag(sealedWrite.Encryption.Mode, sealedWrite.Key, pending.Md5) };
            await ObjectHandlers.CommitRecordAsync(s, record, condition);
        }

        LifecycleRules.WriteExpirationHeader(ctx, record, s.Options.TimeScale);
        await WriteResultAsync(ctx, record, sse.Customer?.KeyMd5, request.Source.VersionId ?? src.VersionId);
    }

    /// <summary>
    /// The ETag of a copy that shares the source's data: a multipart ETag ("…-N") stays as it is;
    /// otherwise it follows the destination's mode (SseService.ETag). The keyed ETag of SSE-KMS and
    /// SSE-C is a MAC of the plaintext MD5 under the object key, and the key is the source's, so
    /// between those modes (and between plain/SSE-COS MD5 ETags) the value carries over. From an
    /// SSE-COS source the MD5 is its ETag. Only SSE-KMS/SSE-C → SSE-COS needs the plaintext MD5,
    /// which is stored nowhere (it would reveal what the keyed ETag hides): the data is read and
    /// hashed once, without writing anything.
    /// </summary>
    private static async Task<string> SharedETagAsync(CofferServices s, OpenedSource source, SealedWrite destination, CancellationToken ct)
    {
        var src = source.Object;
        var sourceKeyed = src.Encryption.Mode is SseMode.Kms or SseMode.Customer;
        var destinationKeyed = destination.Encryption.Mode is SseMode.Kms or SseMode.Customer;
        if (src.ETag.Contains('-') || sourceKeyed == destinationKeyed)
            return src.ETag;
        var md5 = sourceKeyed ? await PlaintextMd5Async(s, source, ct) : Convert.FromHexString(src.ETag);
        return SseService.ETag(destination.Encryption.Mode, destination.Key, md5);
    }

    private static async Task<byte[]> PlaintextMd5Async(CofferServices s, OpenedSource source, CancellationToken ct)
    {
        await using var plaintext = ObjectReader.Open(source.Object, source.Key, s.Blobs);
        return await MD5.HashDataAsync(plaintext, ct);
    }

    /// <summary>
    /// Copying an object onto itself must change something (metadata with Replaced, storage class or
    /// encryption), as COS and S3 require; SSE-C with another customer key is a change.
    /// </summary>
    private static void RejectUnchangedSelfCopy(RequestContext ctx, CopyRequest request, OpenedSource source, SseRequest sse, ObjectEncryption destination)
    {
        var src = source.Object;
        if (src.Bucket != ctx.BucketName || src.Key != ctx.ObjectKey || request.Source.VersionId is not null || request.ReplacesMetadata || request.StorageClass != src.StorageClass
            || src.Encryption.Mode != destination.Mode || (src.Encryption.Mode != SseMode.None && src.Encryption.Cipher != destination.Cipher))
            return;
        var sameEncryption = destination.Mode switch
        {
            SseMode.Kms => src.Encryption.KmsKeyId == destination.KmsKeyId && src.Encryption.KmsContext == destination.KmsContext,
            SseMode.Customer => CryptographicOperations.FixedTimeEquals(source.Customer!.Bytes, sse.Customer!.Bytes),
            _ => true,
        };
        if (sameEncryption)
            throw new CofferException(ErrorCode.InvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class or encryption attributes: send the metadata directive Replaced (S3: REPLACE), another storage class or other encryption headers.");
    }

    /// <summary>Commits a record that shares the source's blobs; if the source was replaced meanwhile and its blobs are no longer held, nothing is written and the client retries.</summary>
    private static async Task CommitSharedAsync(CofferServices s, ObjectRecord record, WriteCondition? condition)
    {
        IReadOnlyList<string>? replaced;
        try
        {
            replaced = await s.Store.PutObjectSharingBlobsAsync(record, condition, CancellationToken.None);
        }
        catch (NoSuchBucketException)
        {
            throw new CofferException(ErrorCode.NoSuchBucket, $"The bucket '{record.Bucket}' was deleted while the object was being copied.");
        }
        catch (WriteConditionFailedException e)
        {
            // Nothing to reclaim: the copy shares the source's blobs and wrote none.
            throw WritePreconditions.Failed(e, record.Bucket, record.Key);
        }
        if (replaced is null)
            throw new CofferException(ErrorCode.InternalError, "The copy source was overwritten or deleted while it was being copied; nothing was written. Retry the copy.");
        await s.ReclaimAsync(replaced);
    }

    private static ObjectAttributes AttributesOf(ObjectRecord src) =>
        new(src.ContentType, src.CacheControl, src.ContentDisposition, src.ContentEncoding, src.Expires, src.UserMetadata, src.StorageClass);

    /// <summary>CopyObjectResult (ETag, COS CRC64, LastModified), the destination's SSE headers and CRC-64 header.</summary>
    private static async Task WriteResultAsync(RequestContext ctx, ObjectRecord record, string? customerKeyMd5, string? sourceVersionId)
    {
        var crc = record.Crc64.ToString(CultureInfo.InvariantCulture);
        SseService.WriteHeaders(ctx, record.Encryption, customerKeyMd5);
        ctx.SetFamilyHeader("hash-crc64ecma", crc);
        if (sourceVersionId is not null)
            ctx.SetFamilyHeader("copy-source-version-id", sourceVersionId);
        Versions.WriteVersionHeader(ctx, record);

        using var xml = new XmlDoc("CopyObjectResult");
        if (ctx.Family == ProtocolFamily.Cos)
            xml.Element("ETag", ListHandlers.Quote(record.ETag)).Element("CRC64", crc).Element("LastModified", XmlText.IsoDate(record.LastModified));
        else
            xml.Element("LastModified", XmlText.IsoDate(record.LastModified)).Element("ETag", ListHandlers.Quote(record.ETag));
        await xml.WriteAsync(ctx.Response);
    }
}
