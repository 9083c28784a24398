using System.Globalization;
using System.Security.Cryptography;
using Coffer.Protocol;
using Coffer.Protocol.Checksums;
using Coffer.Server.Access;
using Coffer.Server.Objects;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Coffer.Server.Xml;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>
/// CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
/// AbortMultipartUpload, ListParts and ListMultipartUploads (docs/protocol/objects.md#multipart-upload). The
/// object's encryption is decided once, at initiation; every part is its own sealed stream
/// under that object key; Complete only assembles metadata and reads no data.
/// </summary>
public static class MultipartHandlers
{
    /// <summary>Most parts / uploads one ListParts / ListMultipartUploads page returns.</summary>
    public const int MaxListEntries = 1000;

    /// <summary>POST /key?uploads: decides the object's encryption (headers, else the bucket default) and seals its key once.</summary>
    public static async Task CreateMultipartUploadAsync(RequestContext ctx, CofferServices s)
    {
        var bucket = ctx.Bucket!;
        var attributes = ObjectAttributes.Parse(ctx);
        var tags = Tagging.FromHeader(ctx) ?? [];
        var (checksumAlgorithm, checksumType) = PartChecksums.ParseForCreate(ctx);
        var acl = await Acls.ForNewObjectAsync(ctx, s, bucket, Acls.FromHeaders(ctx, forBucket: false));
        using var sse = SseRequest.ParseForWrite(ctx);
        using var sealedWrite = await SseService.SealNewAsync(s, ctx, sse, bucket.Name, ctx.ObjectKey, bucket.Encryption);

        var now = s.Time.GetUtcNow();
        var upload = new MultipartUpload
        {
            UploadId = MultipartUploadIds.New(now),
            Bucket = bucket.Name,
            Key = ctx.ObjectKey,
            Initiated = now,
            // An anonymous initiator (let in by a policy or an AllUsers WRITE grant) is recorded as the bucket owner, who owns what it writes.
            Owner = ctx.User?.Id ?? bucket.Owner,
            StorageClass = attributes.StorageClass,
            ContentType = attributes.ContentType,
            CacheControl = attributes.CacheControl,
            ContentDisposition = attributes.ContentDisposition,
            ContentEncoding = attributes.ContentEncoding,
            Expires = attributes.Expires,
            UserMetadata = attributes.UserMetadata,
            Encryption = sealedWrite.Encryption,
            Tags = tags,
            Acl = acl,
            ChecksumAlgorithm = checksumAlgorithm,
            ChecksumType = checksumType,
        };
        try
        {
            await s.Store.CreateUploadAsync(upload, CancellationToken.None);
        }
        catch (NoSuchBucketException)
        {
            throw new CofferException(ErrorCode.NoSuchBucket, $"The bucket '{bucket.Name}' was deleted meanwhile.", "/" + bucket.Name);
        }

        SseService.WriteHeaders(ctx, upload.Encryption, sse.Customer?.KeyMd5);
        PartChecksums.WriteUploadHeaders(ctx, upload);
        LifecycleRules.WriteAbortHeaders(ctx, upload, s.Options.TimeScale);
        using var xml = new XmlDoc("InitiateMultipartUploadResult");
        xml.Element("Bucket", bucket.Name).Element("Key", upload.Key).Element("UploadId", upload.UploadId);
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>PUT /key?partNumber=N&amp;uploadId=ID: seals the body as part N under the upload's object key, replacing an earlier upload of N.</summary>
    public static async Task UploadPartAsync(RequestContext ctx, CofferServices s)
    {
        var partNumber = Multipart.PartNumberOf(ctx);
        var upload = await Multipart.LoadUploadAsync(ctx, s);
        using var access = await Multipart.OpenForPartAsync(ctx, s, upload);
        var body = RequestBody.Open(ctx);
        var contentMd5 = ObjectHandlers.ParseContentMd5(ctx.Header("Content-MD5"));
        if (body.Length > Multipart.MaxPartBytes)
            throw new CofferException(ErrorCode.EntityTooLarge, $"The part is {body.Length} bytes; a part may hold at most {Multipart.MaxPartBytes} bytes (5 GiB).");
        PartChecksums.CheckPart(upload, body.Checksum);

        await using var pending = await ObjectWriter.WriteAsync(body.Stream, body.Length, Multipart.MaxPartBytes, access.Key, upload.Encryption.Cipher,
            blobId => Multipart.StreamIdentity(partNumber, blobId), body.Checksum, s.Blobs, ctx.Aborted);
        if (contentMd5 is not null && !CryptographicOperations.FixedTimeEquals(contentMd5, pending.Md5))
            throw new CofferException(ErrorCode.BadDigest, "The Content-MD5 you specified did not match what was received; the part was not stored.");
        ObjectHandlers.VerifyChecksum(body, pending.ChecksumBase64);

        var part = await Multipart.CommitPartAsync(ctx, s, upload, partNumber, pending, access.Key, body.Checksum);
        ctx.Response.Headers.ETag = ListHandlers.Quote(part.ETag);
        WritePartHeaders(ctx, upload, part, access);
        if (pending.ChecksumBase64 is not null)
            ctx.Response.Headers[ChecksumHasher.HeaderName(body.Checksum!.Value)] = pending.ChecksumBase64;
        ctx.Response.ContentLength = 0;
    }

    /// <summary>PUT /key?partNumber=N&amp;uploadId=ID with copy-source: part N from a range of another object, decrypted and resealed.</summary>
    public static async Task UploadPartCopyAsync(RequestContext ctx, CofferServices s)
    {
        var partNumber = Multipart.PartNumberOf(ctx);
        var upload = await Multipart.LoadUploadAsync(ctx, s);
        using var access = await Multipart.OpenForPartAsync(ctx, s, upload);
        using var source = await CopySource.Parse(ctx.FamilyHeader("copy-source")!).OpenAsync(ctx, s);
        var (offset, length) = Multipart.ParseCopyRange(ctx.FamilyHeader("copy-source-range"), source.Object.Size);

        await using var range = new ObjectRangeStream(source.Object, source.Key, offset, length, s.Blobs);
        // A checksummed upload's part gets its checksum computed as the copied bytes pass.
        ChecksumAlgorithm? checksum = ChecksumHasher.TryParse(upload.ChecksumAlgorithm ?? "", out var algorithm) ? algorithm : null;
        await using var pending = await ObjectWriter.WriteAsync(range, length, Multipart.MaxPartBytes, access.Key, upload.Encryption.Cipher,
            blobId => Multipart.StreamIdentity(partNumber, blobId), checksum, s.Blobs, ctx.Aborted);
        var part = await Multipart.CommitPartAsync(ctx, s, upload, partNumber, pending, access.Key, checksum);

        WritePartHeaders(ctx, upload, part, access);
        using var xml = new XmlDoc("CopyPartResult");
        xml.Element("ETag", ListHandlers.Quote(part.ETag)).Element("LastModified", XmlText.IsoDate(part.LastModified));
        if (part.ChecksumAlgorithm is not null)
            xml.Element("Checksum" + part.ChecksumAlgorithm, part.Checksum);
        if (ctx.Family == ProtocolFamily.Cos)
            xml.Element("CRC64", part.Crc64.ToString(CultureInfo.InvariantCulture));
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>
    /// POST /key?uploadId=ID: checks the listed parts and writes the object in one transaction; reads no data and needs
    /// no key. A Complete repeated after it succeeded answers the same result again (see <see cref="ReplayAsync"/>).
    /// </summary>
    public static async Task CompleteMultipartUploadAsync(RequestContext ctx, CofferServices s)
    {
        var condition = WritePreconditions.Parse(ctx);
        var upload = await s.Store.GetUploadAsync(ctx.BucketName, ctx.ObjectKey, Multipart.UploadIdOf(ctx), ctx.Aborted);
        if (upload is null)
        {
            await ReplayAsync(ctx, s, null, null);
            return;
        }
        using var access = await Multipart.OpenForPartAsync(ctx, s, upload, complete: true);
        var requested = Multipart.ParseCompletion(await XmlInput.ReadAsync(ctx, "CompleteMultipartUpload"));
        var parts = await s.Store.ListPartsAsync(upload.Bucket, upload.Key, upload.UploadId, 0, Multipart.MaxParts, ctx.Aborted);
        if (parts is null)
        {
            await ReplayAsync(ctx, s, requested, " any more");
            return;
        }
        var record = Multipart.Assemble(parts.Upload, requested, parts.Parts, s.Time.GetUtcNow()) with { VersionId = Versions.NewVersionId(ctx.Bucket!) };
        Multipart.CheckExpectedSize(ctx, record.Size);
        var byNumber = parts.Parts.ToDictionary(p => p.PartNumber);
        record = record with { Checksums = PartChecksums.ForComplete(ctx, parts.Upload, requested, requested.Select(r => byNumber[r.PartNumber]).ToList()) };

        var result = await CompleteAsync(s, upload, record, condition);
        if (result.Status == CompleteUploadStatus.NoSuchUpload)
        {
            // Another Complete of this upload won the race: if it made this same object, its answer is ours too.
            await ReplayAsync(ctx, s, requested, " any more");
            return;
        }
        if (result.Status == CompleteUploadStatus.PartsChanged)
            throw new CofferException(ErrorCode.InvalidPart, "A listed part was uploaded again while the upload was being completed; list the parts again and retry.");
        await s.ReclaimAsync(result.ReclaimableBlobIds);

        // x-cos-meta-* sent here is ignored: the metadata was fixed at initiation (the Node SDK sends it again).
        await WriteCompletedAsync(ctx, s, record, access.Customer?.KeyMd5);
    }

    /// <summary>
    /// A Complete whose upload no longer exists. If it completed into the key's current object and the request lists
    /// the same parts (the multipart ETag is the MD5 of the listed ETags, so equal lists give equal ETags), the same
    /// answer as then, with no second write: an SDK retrying after a lost answer must not fail (S3 answers such a
    /// repeat 200; docs/protocol/objects.md#completemultipartupload). Otherwise 404 NoSuchUpload. Conditions are not
    /// evaluated again: they held when the upload completed, and the object is still the one it made.
    /// </summary>
    private static async Task ReplayAsync(RequestContext ctx, CofferServices s, List<Multipart.RequestedPart>? requested, string? why)
    {
        var obj = await s.Store.GetCompletedUploadObjectAsync(ctx.BucketName, ctx.ObjectKey, Multipart.UploadIdOf(ctx), ctx.Aborted)
            ?? throw Multipart.NoSuchUpload(ctx, why);
        if (requested is null)
        {
            try
            {
                requested = Multipart.ParseCompletion(await XmlInput.ReadAsync(ctx, "CompleteMultipartUpload"));
            }
            catch (CofferException)
            {
                throw Multipart.NoSuchUpload(ctx, why);
            }
        }
        string etag;
        try
        {
            etag = Multipart.FinalETag(requested.Select(p => p.ETag));
        }
        catch (FormatException)
        {
            throw Multipart.NoSuchUpload(ctx, why);   // an ETag that is no hex digest was never one of its parts
        }
        if (!string.Equals(etag, obj.ETag, StringComparison.OrdinalIgnoreCase))
            throw Multipart.NoSuchUpload(ctx, why);

        // An SSE-C key sent again must still be the object's (its MD5 is echoed); other objects refuse one.
        using var customer = CustomerKey.Parse(ctx.FamilyHeader, "server-side-encryption-customer-", ctx.IsHttps);
        using var _ = customer is null || obj.Encryption.Mode != SseMode.Customer
            ? ObjectHandlers.ValidateHeadKey(obj, customer)
            : await SseService.OpenAsync(s, obj, customer, ctx.Aborted, caller: ctx);
        await WriteCompletedAsync(ctx, s, obj, customer?.KeyMd5);
    }

    /// <summary>The answer to a Complete: the object's SSE headers and CRC-64, and CompleteMultipartUploadResult.</summary>
    private static async Task WriteCompletedAsync(RequestContext ctx, CofferServices s, ObjectRecord record, string? customerKeyMd5)
    {
        SseService.WriteHeaders(ctx, record.Encryption, customerKeyMd5);
        ctx.SetFamilyHeader("hash-crc64ecma", record.Crc64.ToString(CultureInfo.InvariantCulture));
        LifecycleRules.WriteExpirationHeader(ctx, record, s.Options.TimeScale);
        Versions.WriteVersionHeader(ctx, record);
        using var xml = new XmlDoc("CompleteMultipartUploadResult");
        xml.Element("Location", Location(ctx)).Element("Bucket", record.Bucket).Element("Key", record.Key).Element("ETag", ListHandlers.Quote(record.ETag));
        PartChecksums.WriteElements(xml, record.Checksums);
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>DELETE /key?uploadId=ID: removes the upload; its part blobs go to the reclaimer. 204.</summary>
    public static async Task AbortMultipartUploadAsync(RequestContext ctx, CofferServices s)
    {
        var blobs = await s.Store.AbortUploadAsync(ctx.BucketName, ctx.ObjectKey, Multipart.UploadIdOf(ctx), CancellationToken.None)
            ?? throw Multipart.NoSuchUpload(ctx);
        await s.ReclaimAsync(blobs);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>GET /key?uploadId=ID: one page of the upload's parts in part-number order.</summary>
    public static async Task ListPartsAsync(RequestContext ctx, CofferServices s)
    {
        var maxParts = ListArgument(ctx, "max-parts", MaxListEntries);
        var marker = ListArgument(ctx, "part-number-marker", 0, limit: int.MaxValue);
        var encode = EncodingOf(ctx);
        var listing = await s.Store.ListPartsAsync(ctx.BucketName, ctx.ObjectKey, Multipart.UploadIdOf(ctx), marker, maxParts, ctx.Aborted)
            ?? throw Multipart.NoSuchUpload(ctx);

        var upload = listing.Upload;
        LifecycleRules.WriteAbortHeaders(ctx, upload, s.Options.TimeScale);
        using var xml = new XmlDoc("ListPartsResult");
        xml.Element("Bucket", upload.Bucket);
        WriteEncodingType(xml, ctx, encode);
        xml.Element("Key", Encode(upload.Key, encode)).Element("UploadId", upload.UploadId);
        WriteOwner(xml, "Initiator", upload.Owner, ctx.User);
        WriteOwner(xml, "Owner", upload.Owner, ctx.User);
        xml.Element("PartNumberMarker", marker);
        foreach (var part in listing.Parts)
        {
            xml.Start("Part").Element("PartNumber", part.PartNumber).Element("LastModified", XmlText.IsoDate(part.LastModified))
                .Element("ETag", ListHandlers.Quote(part.ETag)).Element("Size", part.Size);
            if (part.ChecksumAlgorithm is not null)
                xml.Element("Checksum" + part.ChecksumAlgorithm, part.Checksum);
            xml.End();
        }
        if (upload.ChecksumAlgorithm is not null)
            xml.Element("ChecksumAlgorithm", upload.ChecksumAlgorithm).Element("ChecksumType", upload.ChecksumType);
        xml.Element("NextPartNumberMarker", listing.NextPartNumberMarker)
            .Element("StorageClass", StorageClasses.ForFamily(upload.StorageClass, ctx.Family))
            .Element("MaxParts", maxParts)
            .Element("IsTruncated", listing.IsTruncated);
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>GET /?uploads: the bucket's uploads in key order and, for one key, oldest first.</summary>
    public static async Task ListMultipartUploadsAsync(RequestContext ctx, CofferServices s)
    {
        var q = ctx.Query;
        var maxUploads = ListArgument(ctx, "max-uploads", MaxListEntries);
        var encode = EncodingOf(ctx);
        var (prefix, delimiter) = (q.Get("prefix") ?? "", NullIfEmpty(q.Get("delimiter")));
        var (keyMarker, uploadIdMarker) = (NullIfEmpty(q.Get("key-marker")), NullIfEmpty(q.Get("upload-id-marker")));
        var page = await s.Store.ListUploadsAsync(ctx.BucketName, prefix, delimiter, keyMarker, uploadIdMarker, maxUploads, ctx.Aborted);

        using var xml = new XmlDoc("ListMultipartUploadsResult");
        xml.Element("Bucket", ctx.BucketName);
        WriteEncodingType(xml, ctx, encode);
        xml.Element("KeyMarker", Encode(keyMarker ?? "", encode)).Element("UploadIdMarker", keyMarker is null ? "" : uploadIdMarker ?? "")
            .Element("NextKeyMarker", Encode(page.NextKeyMarker ?? "", encode)).Element("NextUploadIdMarker", page.NextUploadIdMarker ?? "")
            .Element("MaxUploads", maxUploads).Element("IsTruncated", page.IsTruncated)
            .Element("Prefix", Encode(prefix, encode));
        if (delimiter is not null)
            xml.Element("Delimiter", Encode(delimiter, encode));
        foreach (var u in page.Uploads)
        {
            xml.Start("Upload").Element("Key", Encode(u.Key, encode)).Element("UploadId", u.UploadId)
                .Element("StorageClass", StorageClasses.ForFamily(u.StorageClass, ctx.Family));
            WriteOwner(xml, "Initiator", u.Owner, ctx.User);
            WriteOwner(xml, "Owner", u.Owner, ctx.User);
            xml.Element("Initiated", XmlText.IsoDate(u.Initiated)).End();
        }
        foreach (var p in page.CommonPrefixes)
            xml.Start("CommonPrefixes").Element("Prefix", Encode(p, encode)).End();
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>Completes in the store; a bucket deleted meanwhile leaves the upload's blobs to the orphan sweep.</summary>
    private static async Task<CompleteUploadResult> CompleteAsync(CofferServices s, MultipartUpload upload, ObjectRecord record, WriteCondition? condition)
    {
        try
        {
            return await s.Store.CompleteUploadAsync(upload.UploadId, record, condition, CancellationToken.None);
        }
        catch (NoSuchBucketException)
        {
            throw new CofferException(ErrorCode.NoSuchBucket, $"The bucket '{upload.Bucket}' was deleted while the upload was being completed.", "/" + upload.Bucket);
        }
        catch (WriteConditionFailedException e)
        {
            // The upload and its parts stay as they were: the client may complete it again, with or without a condition.
            throw WritePreconditions.Failed(e, upload.Bucket, upload.Key);
        }
    }

    /// <summary>ETag aside, what UploadPart and UploadPartCopy answer in headers: the part's CRC-64 and the upload's SSE.</summary>
    private static void WritePartHeaders(RequestContext ctx, MultipartUpload upload, MultipartPart part, PartAccess access)
    {
        ctx.SetFamilyHeader("hash-crc64ecma", part.Crc64.ToString(CultureInfo.InvariantCulture));
        SseService.WriteHeaders(ctx, upload.Encryption, access.Customer?.KeyMd5);
    }

    /// <summary>The object's URL as the client addressed it (path style or virtual host), key percent-encoded.</summary>
    private static string Location(RequestContext ctx)
    {
        var path = ctx.Target.VirtualHosted ? "/" : "/" + ctx.BucketName + "/";
        return $"{ctx.Request.Scheme}://{ctx.Request.Host}{path}{XmlText.UrlEncode(ctx.ObjectKey)}";
    }

    /// <summary>An Owner/Initiator element: the user's stable id, and its name when it is the caller (it always is: uploads
    /// are made in one's own buckets); otherwise the id again.</summary>
    private static void WriteOwner(XmlDoc xml, string element, string owner, UserRecord? caller) =>
        xml.Start(element).Element("ID", owner).Element("DisplayName", owner == caller?.Id ? caller.Name : owner).End();

    /// <summary>COS names the element Encoding-Type, S3 EncodingType; both only when url encoding was asked.</summary>
    private static void WriteEncodingType(XmlDoc xml, RequestContext ctx, bool encode)
    {
        if (encode)
            xml.Element(ctx.Family == ProtocolFamily.Cos ? "Encoding-Type" : "EncodingType", "url");
    }

    private static bool EncodingOf(RequestContext ctx)
    {
        var encoding = ctx.Query.Get("encoding-type");
        if (encoding is not null && encoding != "url")
            throw new CofferException(ErrorCode.InvalidArgument, $"encoding-type may only be 'url'; got '{encoding}'.");
        return encoding == "url";
    }

    private static string Encode(string value, bool encode) => encode ? XmlText.UrlEncode(value) : value;

    /// <summary>A whole-number list argument; values above <paramref name="limit"/> are capped as S3 caps max-keys.</summary>
    private static int ListArgument(RequestContext ctx, string name, int fallback, int limit = MaxListEntries)
    {
        var raw = ctx.Query.Get(name);
        if (raw is null)
            return fallback;
        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            throw new CofferException(ErrorCode.InvalidArgument, $"{name} must be a whole number from 0 to {limit}; got '{raw}'.");
        return Math.Min(value, limit);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
