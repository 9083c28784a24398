using System.Globalization;
using System.Security.Cryptography;
using Coffer.Protocol;
using Coffer.Protocol.Checksums;
using Coffer.Server.Access;
using Coffer.Server.Objects;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Coffer.Server.Telemetry;
using Coffer.Server.Xml;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>PutObject, GetObject and HeadObject.</summary>
public static class ObjectHandlers
{
    /// <summary>Largest single PUT: 5 GiB, as COS and S3 allow.</summary>
    public const long MaxPutBytes = 5L * 1024 * 1024 * 1024;

    /// <summary>User metadata limit: 2 KB of names and values, as COS and S3 allow.</summary>
    public const int MaxMetadataBytes = 2048;

    public static async Task PutObjectAsync(RequestContext ctx, CofferServices s)
    {
        var bucket = ctx.Bucket!;
        var attributes = ObjectAttributes.Parse(ctx);
        var tags = Tagging.FromHeader(ctx) ?? [];
        var acl = await Acls.ForNewObjectAsync(ctx, s, bucket, Acls.FromHeaders(ctx, forBucket: false));
        var body = RequestBody.Open(ctx);
        using var sse = SseRequest.ParseForWrite(ctx);
        var contentMd5 = ParseContentMd5(ctx.Header("Content-MD5"));
        var condition = WritePreconditions.Parse(ctx);
        await WritePreconditions.CheckAsync(ctx, s, condition);

        using var sealedWrite = await SseService.SealNewAsync(s, ctx, sse, bucket.Name, ctx.ObjectKey, bucket.Encryption);
        await using var pending = await ObjectWriter.WriteAsync(body.Stream, body.Length, MaxPutBytes, sealedWrite.Key, sealedWrite.Encryption.Cipher, "object",
            body.Checksum, s.Blobs, s.Options.InlineMaxBytes, ctx.Aborted);

        if (contentMd5 is not null && !CryptographicOperations.FixedTimeEquals(contentMd5, pending.Md5))
            throw new CofferException(ErrorCode.BadDigest, "The Content-MD5 you specified did not match what was received; nothing was stored.");
        VerifyChecksum(body, pending.ChecksumBase64);

        await pending.CommitAsync(s.Store, s.Time, ctx.Aborted);
        var record = attributes.ToRecord(bucket.Name, ctx.ObjectKey, s.Time.GetUtcNow()) with
        {
            Size = pending.PlainSize,
            ETag = SseService.ETag(sealedWrite.Encryption.Mode, sealedWrite.Key, pending.Md5),
            Crc64 = pending.Crc64,
            Streams = [pending.ToObjectStream()],
            Encryption = sealedWrite.Encryption,
            Tags = tags,
            Acl = acl,
            Checksums = pending.ChecksumBase64 is null ? new Dictionary<string, string>()
                : new Dictionary<string, string> { [body.Checksum!.Value.ToString().ToUpperInvariant()] = pending.ChecksumBase64 },
            VersionId = Versions.NewVersionId(bucket),
        };
        await CommitRecordAsync(s, record, condition);
        Versions.WriteVersionHeader(ctx, record);

        ctx.Response.Headers.ETag = ListHandlers.Quote(record.ETag);
        ctx.SetFamilyHeader("hash-crc64ecma", record.Crc64.ToString(CultureInfo.InvariantCulture));
        SseService.WriteHeaders(ctx, record.Encryption, sse.Customer?.KeyMd5);
        LifecycleRules.WriteExpirationHeader(ctx, record, s.Options.TimeScale);
        if (pending.ChecksumBase64 is not null)
            ctx.Response.Headers[ChecksumHasher.HeaderName(body.Checksum!.Value)] = pending.ChecksumBase64;
        ctx.Response.ContentLength = 0;
    }

    /// <summary>
    /// The row of the request's object: the one the Authorizer already read to decide (an object ACL grant, an
    /// s3:ExistingObjectTag condition), else read now. Null when there is no such object.
    /// </summary>
    public static async ValueTask<ObjectRecord?> ReadObjectAsync(RequestContext ctx, CofferServices s)
    {
        if (ctx.AuthorizedObject is { } authorized)
            return authorized;
        using (CofferTracing.Source.StartActivity("coffer.metadata.get_object"))
            return await s.Store.GetObjectAsync(ctx.BucketName, ctx.ObjectKey, ctx.Aborted);
    }

    public static async Task GetObjectAsync(RequestContext ctx, CofferServices s, bool head)
    {
        SseRequest.RejectOnRead(ctx);
        using var customer = CustomerKey.Parse(ctx.FamilyHeader, "server-side-encryption-customer-", ctx.IsHttps);
        var versionId = Versions.Requested(ctx);
        var obj = await Versions.FindAsync(ctx, s, ctx.ObjectKey, versionId);

        var response = ctx.Response;
        if (Preconditions.Evaluate(ctx.Header, obj) == Preconditions.Result.NotModified)
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            response.Headers.ETag = ListHandlers.Quote(obj.ETag);
            response.Headers.LastModified = XmlText.HttpDate(obj.LastModified);
            Versions.WriteVersionHeader(ctx, obj);
            return;
        }

        // HEAD of an SSE-C object still proves the key; LIST and HEAD of other objects need no KMS call.
        using var key = head && obj.Encryption.Mode != SseMode.Customer
            ? ValidateHeadKey(obj, customer)
            : await SseService.OpenAsync(s, obj, customer, ctx.Aborted, caller: ctx);

        var now = ArchiveRestore.Now(s);
        if (!head && !ArchiveRestore.IsReadable(obj, now))
        {
            var e = new CofferException(ErrorCode.InvalidObjectState, "The operation is not valid for the object's storage class: restore the archived object first (POST ?restore).");
            e.Headers[ctx.Family.Header("storage-class")] = StorageClasses.ForFamily(obj.StorageClass, ctx.Family);
            throw e;
        }

        var range = PartRange(ctx, obj) ?? ByteRange.Parse(ctx.Header("Range"), obj.Size);
        WriteObjectHeaders(ctx, obj, customer?.KeyMd5, now);
        LifecycleRules.WriteExpirationHeader(ctx, obj, s.Options.TimeScale);
        if (range is { } r)
        {
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {r.Offset}-{r.Offset + r.Length - 1}/{obj.Size}";
            response.ContentLength = r.Length;
        }
        else
        {
            response.ContentLength = obj.Size;
            if (ctx.Header("x-amz-checksum-mode")?.Equals("ENABLED", StringComparison.OrdinalIgnoreCase) == true)
                foreach (var (name, value) in obj.Checksums)
                    if (ChecksumHasher.TryParse(name, out var alg))
                    {
                        response.Headers[ChecksumHasher.HeaderName(alg)] = value;
                        response.Headers["x-amz-checksum-type"] = PartChecksums.TypeOf(value);
                    }
        }
        if (head)
            return;

        var (offset, count) = range is { } rr ? (rr.Offset, rr.Length) : (0L, obj.Size);
        await ObjectReader.CopyRangeAsync(obj, key, offset, count, response.Body, s.Blobs, ctx.Aborted);
    }

    /// <summary>
    /// Commits an object's metadata (its blobs are already durable) and hands the replaced
    /// blobs to the reclaimer. A bucket deleted meanwhile, or a write condition that no longer
    /// holds at commit time (another writer came first), leaves the new blobs to reclaim.
    /// </summary>
    public static async Task CommitRecordAsync(CofferServices s, ObjectRecord record, WriteCondition? condition = null)
    {
        try
        {
            IReadOnlyList<string> replaced;
            using (CofferTracing.Source.StartActivity("coffer.metadata.put_object"))
                replaced = await s.Store.PutObjectAsync(record, condition, CancellationToken.None);
            await s.ReclaimAsync(replaced);
        }
        catch (NoSuchBucketException)
        {
            await s.ReclaimAsync(ObjectStream.BlobIdsOf(record.Streams));
            throw new CofferException(ErrorCode.NoSuchBucket, $"The bucket '{record.Bucket}' was deleted while the object was being written.");
        }
        catch (WriteConditionFailedException e)
        {
            await s.ReclaimAsync(ObjectStream.BlobIdsOf(record.Streams));
            throw WritePreconditions.Failed(e, record.Bucket, record.Key);
        }
    }

    /// <summary>
    /// GET/HEAD ?partNumber=N: the bytes of part N of a multipart object (a single-part object
    /// has part 1 only), with the part count, as S3 answers it.
    /// </summary>
    private static ByteRange? PartRange(RequestContext ctx, ObjectRecord obj)
    {
        var text = ctx.Query.Get("partNumber");
        if (text is null)
            return null;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 10000)
            throw new CofferException(ErrorCode.InvalidArgument, $"partNumber must be a whole number from 1 to 10000; got '{text}'.");
        if (ctx.Header("Range") is not null)
            throw new CofferException(ErrorCode.InvalidRequest, "Send either partNumber or Range, not both.");
        var multipart = obj.Streams.Count > 1 || obj.Streams.Any(x => x.StreamIdentity.StartsWith("part:", StringComparison.Ordinal));
        var parts = multipart ? obj.Streams.Count : 1;
        if (number > parts)
            throw new CofferException(ErrorCode.InvalidPartNumber, $"The object has {parts} part(s); part {number} does not exist.");
        ctx.Response.Headers[ctx.Family.Header("mp-parts-count")] = parts.ToString(CultureInfo.InvariantCulture);
        if (!multipart)
            return obj.Size == 0 ? null : new ByteRange(0, obj.Size);
        var offset = obj.Streams.Take(number - 1).Sum(x => x.PlainSize);
        return new ByteRange(offset, obj.Streams[number - 1].PlainSize);
    }

    /// <summary>HEAD of a non-SSE-C object: only refuse customer keys, without unwrapping anything.</summary>
    internal static Crypto.ObjectKey? ValidateHeadKey(ObjectRecord obj, CustomerKey? customer)
    {
        if (customer is not null)
            throw new CofferException(ErrorCode.SseHeaderNotAllowed, "The object is not encrypted with a customer-provided key; do not send the customer key headers.");
        return null;
    }

    private static void WriteObjectHeaders(RequestContext ctx, ObjectRecord obj, string? customerKeyMd5, DateTimeOffset now)
    {
        var h = ctx.Response.Headers;
        var q = ctx.Query;
        h.ETag = ListHandlers.Quote(obj.ETag);
        h.LastModified = XmlText.HttpDate(obj.LastModified);
        h.AcceptRanges = "bytes";
        h.ContentType = q.Get("response-content-type") ?? obj.ContentType ?? "application/octet-stream";
        SetIfPresent(h, "Cache-Control", q.Get("response-cache-control") ?? obj.CacheControl);
        SetIfPresent(h, "Content-Disposition", q.Get("response-content-disposition") ?? obj.ContentDisposition);
        SetIfPresent(h, "Content-Encoding", q.Get("response-content-encoding") ?? obj.ContentEncoding);
        SetIfPresent(h, "Content-Language", q.Get("response-content-language"));
        SetIfPresent(h, "Expires", q.Get("response-expires") ?? obj.Expires);
        // Printable ASCII as is, anything else RFC 2047-encoded: a response header carries ASCII only.
        foreach (var (name, value) in obj.UserMetadata)
            h[ctx.Family.Header("meta-" + name)] = MetadataValues.Encode(value);
        if (obj.StorageClass != StorageClasses.Standard)
            ctx.SetFamilyHeader("storage-class", StorageClasses.ForFamily(obj.StorageClass, ctx.Family));
        if (ctx.Family == ProtocolFamily.Cos && StorageClasses.Tier(obj.StorageClass) is { } tier)
            ctx.SetFamilyHeader("storage-tier", tier);
        ctx.SetFamilyHeader("hash-crc64ecma", obj.Crc64.ToString(CultureInfo.InvariantCulture));
        if (obj.Tags.Count > 0)
            ctx.SetFamilyHeader("tagging-count", obj.Tags.Count.ToString(CultureInfo.InvariantCulture));
        ArchiveRestore.WriteHeaders(ctx, obj.Restore, now);
        SseService.WriteHeaders(ctx, obj.Encryption, customerKeyMd5);
        Versions.WriteVersionHeader(ctx, obj);
    }

    private static void SetIfPresent(IHeaderDictionary headers, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
            headers[name] = value;
    }

    internal static byte[]? ParseContentMd5(string? header)
    {
        if (header is null)
            return null;
        var md5 = new byte[16];
        if (!Convert.TryFromBase64String(header, md5, out var n) || n != 16)
            throw new CofferException(ErrorCode.InvalidDigest, "The Content-MD5 you specified is not valid: send the base64 of the 16-byte MD5 of the body.");
        return md5;
    }

    internal static void VerifyChecksum(RequestBody body, string? computed)
    {
        if (body.Checksum is not { } algorithm)
            return;
        var expected = body.ExpectedChecksum
            ?? throw new CofferException(ErrorCode.InvalidRequest, $"The request announced a {algorithm} checksum but did not send it.");
        if (!string.Equals(expected, computed, StringComparison.Ordinal))
            throw new CofferException(ErrorCode.InvalidChecksum, $"The {algorithm} checksum you specified did not match the calculated checksum; nothing was stored.");
    }
}
