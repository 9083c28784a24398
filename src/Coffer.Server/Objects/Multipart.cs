using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Protocol;
using Coffer.Protocol.Checksums;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>
/// The rules of multipart uploads that the handlers share: limits, the part number and upload id
/// of a request, the SSE a part request must repeat, storing a part, and assembling the object
/// on Complete (order, ETags, sizes, the final ETag and CRC-64).
/// </summary>
public static partial class Multipart
{
    /// <summary>Highest part number, and so the most parts an object can have (COS and S3).</summary>
    public const int MaxParts = 10_000;

    /// <summary>Largest part: 5 GiB (COS and S3).</summary>
    public const long MaxPartBytes = 5L * 1024 * 1024 * 1024;

    /// <summary>
    /// Smallest part that is not the last: exactly 1 MiB. COS documents 1 MB and its SDKs upload
    /// 1 MiB parts (Python PartSize=1, Node ChunkSize 1 MB); S3's 5 MiB would refuse them.
    /// </summary>
    public const long MinPartBytes = 1024 * 1024;

    /// <summary>
    /// Largest multipart object: 10,000 parts of 5 GiB = 48.83 TiB, COS's limit ("48.82 TB").
    /// S3 caps objects at 5 TiB; we take COS's, which the part limits already imply.
    /// </summary>
    public const long MaxObjectBytes = MaxParts * MaxPartBytes;

    /// <summary>The stream identity a part is sealed with: its number and its blob, so no other upload of the number authenticates in its place (format.md §8.7).</summary>
    public static string StreamIdentity(int partNumber, string blobId) => $"part:{partNumber.ToString(CultureInfo.InvariantCulture)}:{blobId}";

    /// <summary>The <c>partNumber</c> query argument: 1..10000, else InvalidArgument.</summary>
    public static int PartNumberOf(RequestContext ctx)
    {
        var text = ctx.Query.Get("partNumber");
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 1 or > MaxParts)
            throw new CofferException(ErrorCode.InvalidArgument, $"Part number must be an integer between 1 and {MaxParts}, inclusive; got '{text}'.");
        return n;
    }

    /// <summary>The upload a request names with <c>uploadId</c>, under its bucket and key; NoSuchUpload when there is none.</summary>
    public static async Task<MultipartUpload> LoadUploadAsync(RequestContext ctx, CofferServices s) =>
        await s.Store.GetUploadAsync(ctx.BucketName, ctx.ObjectKey, UploadIdOf(ctx), ctx.Aborted) ?? throw NoSuchUpload(ctx);

    /// <summary>The <c>uploadId</c> query argument.</summary>
    public static string UploadIdOf(RequestContext ctx) => ctx.Query.Get("uploadId") ?? "";

    /// <summary>404 NoSuchUpload for the request's upload id.</summary>
    public static CofferException NoSuchUpload(RequestContext ctx, string? why = null) =>
        new(ErrorCode.NoSuchUpload, $"The multipart upload '{UploadIdOf(ctx)}' does not exist for '{ctx.ObjectKey}'{why ?? ""}: it may have been completed or aborted; initiate a new upload.");

    /// <summary>
    /// Checks the SSE headers of a part request (UploadPart, UploadPartCopy) or of Complete
    /// against the upload and recovers the object key the part is sealed under (null when
    /// plain, and on Complete). See <see cref="PartAccess"/>.
    /// </summary>
    public static async Task<PartAccess> OpenForPartAsync(RequestContext ctx, CofferServices s, MultipartUpload upload, bool complete = false)
    {
        await CheckSseHeadersAsync(ctx, s, upload.Encryption);
        var customer = CustomerKey.Parse(ctx.FamilyHeader, "server-side-encryption-customer-", ctx.IsHttps);
        try
        {
            var enc = upload.Encryption;
            if (enc.Mode != SseMode.Customer)
            {
                if (customer is not null)
                    throw new CofferException(ErrorCode.SseHeaderNotAllowed, "The multipart upload was not initiated with a customer-provided key; do not send the customer key headers with its parts.");
                return new PartAccess(complete || enc.Mode == SseMode.None ? null : await SseService.OpenAsync(s, AsRecord(upload), null, ctx.Aborted, caller: ctx), null);
            }
            // Complete may come without the key: the COS SDKs send none there, and nothing is sealed.
            if (customer is null)
                return complete ? new PartAccess(null, null) : throw new CofferException(ErrorCode.InvalidRequest,
                    "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.");
            // A key that does not open the upload's object key is answered 400 InvalidArgument, as
            // S3 (and MinIO) answer a part whose SSE-C key differs from the initiate's: the caller
            // owns the upload, so this is a wrong parameter, not a refused read (GET/HEAD with a
            // wrong key stay 403 AccessDenied). Either code tells exactly "wrong key", nothing more.
            var key = CustomerKeySealing.TryUnseal(enc.SealedKey, customer.Bytes, new KeyBinding(upload.Bucket, upload.Key, SseService.ModeCustomer))
                ?? throw new CofferException(ErrorCode.InvalidArgument, "The provided encryption parameters did not match the ones used originally: send the customer key the upload was initiated with.");
            if (complete)
                key.Dispose();
            return new PartAccess(complete ? null : key, customer);
        }
        catch
        {
            customer?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Seals a written part into the upload: commits its blob, records it (replacing an earlier
    /// upload of the number, whose blob goes to the reclaimer) and returns it. If the upload
    /// vanished meanwhile (completed or aborted), the new blob is reclaimed and NoSuchUpload thrown.
    /// </summary>
    public static async Task<MultipartPart> CommitPartAsync(RequestContext ctx, CofferServices s, MultipartUpload upload, int partNumber, PendingStream pending, ObjectKey? key,
        ChecksumAlgorithm? checksum = null)
    {
        await pending.CommitAsync(s.Store, s.Time, ctx.Aborted);
        // Only the ETag is kept: the plaintext MD5 for plain and SSE-COS parts, keyed for SSE-C and SSE-KMS ones.
        // An S3 checksum the part came with (already verified against its data) is kept for Complete.
        var part = new MultipartPart(partNumber, pending.ToObjectStream(),
            SseService.ETag(upload.Encryption.Mode, key, pending.Md5), pending.Crc64, s.Time.GetUtcNow())
        {
            ChecksumAlgorithm = checksum is { } a && pending.ChecksumBase64 is not null ? ChecksumHasher.Name(a) : null,
            Checksum = checksum is not null ? pending.ChecksumBase64 : null,
        };
        PutPartResult result;
        try
        {
            result = await s.Store.PutPartAsync(upload.Bucket, upload.Key, upload.UploadId, part, CancellationToken.None);
        }
        catch
        {
            await s.ReclaimAsync([part.Stream.BlobId]);
            throw;
        }
        if (!result.UploadFound)
        {
            await s.ReclaimAsync([part.Stream.BlobId]);
            throw NoSuchUpload(ctx, " any more");
        }
        if (result.ReplacedBlobId is { } replaced)
            await s.ReclaimAsync([replaced]);
        return part;
    }

    /// <summary>
    /// One &lt;Part&gt; of a CompleteMultipartUpload body: its number, the ETag the client holds (unquoted), and the S3
    /// checksums it lists for the part (algorithm name, e.g. "CRC32", to base64), null when none.
    /// </summary>
    public readonly record struct RequestedPart(int PartNumber, string ETag, IReadOnlyDictionary<string, string>? Checksums = null);

    /// <summary>
    /// Reads the CompleteMultipartUpload document: any namespace, any whitespace between elements,
    /// ETags quoted (as S3 clients send them, also as <c>&amp;quot;</c>) or not (Node adds quotes,
    /// others may not). S3's per-part checksums (ChecksumCRC32, …) are kept for <see cref="PartChecksums.ForComplete"/>.
    /// </summary>
    public static List<RequestedPart> ParseCompletion(XElement root)
    {
        var parts = new List<RequestedPart>();
        foreach (var part in root.Children("Part"))
        {
            var numberText = part.ChildValue("PartNumber")?.Trim();
            var etag = part.ChildValue("ETag")?.Trim().Trim('"').Trim();
            if (!int.TryParse(numberText, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || string.IsNullOrEmpty(etag))
                throw new CofferException(ErrorCode.MalformedXML, "Every <Part> of <CompleteMultipartUpload> needs a <PartNumber> (a whole number) and a non-empty <ETag>.");
            Dictionary<string, string>? checksums = null;
            foreach (var element in part.Elements())
            {
                var name = element.Name.LocalName;
                if (name.StartsWith("Checksum", StringComparison.Ordinal) && ChecksumHasher.TryParse(name["Checksum".Length..], out var algorithm))
                    (checksums ??= [])[ChecksumHasher.Name(algorithm)] = element.Value.Trim();
            }
            parts.Add(new RequestedPart(number, etag, checksums));
        }
        if (parts.Count == 0)
            throw new CofferException(ErrorCode.MalformedXML, "The <CompleteMultipartUpload> document lists no <Part>; name at least one part.");
        return parts;
    }

    /// <summary>
    /// Builds the object from the parts the client chose: part numbers strictly ascending
    /// (InvalidPartOrder), each part uploaded with that ETag (InvalidPart), each but the last at
    /// least <see cref="MinPartBytes"/> (EntityTooSmall). Size, CRC-64 (combined from the part
    /// CRCs, no re-read) and ETag come from the parts; attributes and encryption from the upload.
    /// </summary>
    public static ObjectRecord Assemble(MultipartUpload upload, IReadOnlyList<RequestedPart> requested, IReadOnlyList<MultipartPart> stored, DateTimeOffset now)
    {
        for (var i = 1; i < requested.Count; i++)
            if (requested[i].PartNumber <= requested[i - 1].PartNumber)
                throw new CofferException(ErrorCode.InvalidPartOrder, $"The list of parts was not in ascending order: part {requested[i].PartNumber} follows part {requested[i - 1].PartNumber}. List each part once, in increasing part-number order.");

        // Every listed part must exist with that ETag before any size is judged.
        var byNumber = stored.ToDictionary(p => p.PartNumber);
        var parts = new List<MultipartPart>(requested.Count);
        foreach (var r in requested)
        {
            if (!byNumber.TryGetValue(r.PartNumber, out var part))
                throw new CofferException(ErrorCode.InvalidPart, $"Part {r.PartNumber} was not uploaded to this upload; upload it or leave it out of the list.");
            if (!string.Equals(r.ETag, part.ETag, StringComparison.OrdinalIgnoreCase))
                throw new CofferException(ErrorCode.InvalidPart, $"The ETag given for part {r.PartNumber} does not match the part's ETag \"{part.ETag}\": the part may have been uploaded again; list the ETag of its last upload.");
            parts.Add(part);
        }

        long size = 0;
        ulong crc = 0;
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            if (i < parts.Count - 1 && part.Size < MinPartBytes)
                throw new CofferException(ErrorCode.EntityTooSmall, $"Part {part.PartNumber} has {part.Size} bytes; every part but the last must have at least {MinPartBytes} bytes (1 MiB).");
            crc = Crc64Xz.Combine(crc, part.Crc64, part.Size);
            size += part.Size;
        }
        if (size > MaxObjectBytes)
            throw new CofferException(ErrorCode.EntityTooLarge, $"The object would have {size} bytes; at most {MaxObjectBytes} are allowed.");

        return new ObjectRecord
        {
            Bucket = upload.Bucket,
            Key = upload.Key,
            Size = size,
            ETag = FinalETag(parts.Select(p => p.ETag)),
            Crc64 = crc,
            LastModified = now,
            Streams = parts.Select(p => p.Stream).ToList(),
            Encryption = upload.Encryption,
            StorageClass = upload.StorageClass,
            ContentType = upload.ContentType,
            CacheControl = upload.CacheControl,
            ContentDisposition = upload.ContentDisposition,
            ContentEncoding = upload.ContentEncoding,
            Expires = upload.Expires,
            UserMetadata = upload.UserMetadata,
            Tags = upload.Tags,
            Acl = upload.Acl,
        };
    }

    /// <summary>
    /// The multipart ETag: hex MD5 of the concatenated binary part ETags, then "-N". For plain and
    /// SSE-COS parts the ETags are the part MD5s, so this is S3's formula; for SSE-KMS and SSE-C
    /// they are opaque, and so is the result (computed without any key, so Complete needs none).
    /// </summary>
    public static string FinalETag(IEnumerable<string> partETags)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var count = 0;
        foreach (var etag in partETags)
        {
            md5.AppendData(Convert.FromHexString(etag));
            count++;
        }
        return Convert.ToHexStringLower(md5.GetHashAndReset()) + "-" + count.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// S3's <c>x-amz-mp-object-size</c> on Complete (sent by newer AWS SDKs): when present it
    /// must equal the assembled size, else 400 InvalidRequest as S3 answers.
    /// </summary>
    public static void CheckExpectedSize(RequestContext ctx, long size)
    {
        var header = ctx.FamilyHeader("mp-object-size");
        if (header is null)
            return;
        if (!long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var expected) || expected != size)
            throw new CofferException(ErrorCode.InvalidRequest, $"The object size given in mp-object-size ('{header}') does not match the size of the listed parts ({size} bytes).");
    }

    /// <summary>
    /// The source range of UploadPartCopy: <c>bytes=first-last</c>, inclusive and zero-based, or
    /// the whole source when absent. A malformed value is 400 InvalidArgument; a range that does not
    /// lie inside the source is 400 InvalidRange (S3/MinIO: it is an argument of the request, not the
    /// Range header of a read, so not 416). The copied part may not exceed 5 GiB.
    /// </summary>
    public static (long Offset, long Length) ParseCopyRange(string? header, long sourceSize)
    {
        long first = 0, length = sourceSize;
        if (header is not null)
        {
            var match = CopyRange().Match(header.Trim());
            if (!match.Success
                || !long.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out first)
                || !long.TryParse(match.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                || last < first)
                throw new CofferException(ErrorCode.InvalidArgument, $"The copy-source-range value '{header}' must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy.");
            if (last >= sourceSize)
                throw new CofferException(InvalidCopyRange, $"Range specified is not valid for source object of size: {sourceSize}.");
            length = last - first + 1;
        }
        if (length > MaxPartBytes)
            throw new CofferException(ErrorCode.EntityTooLarge, $"A part may hold at most {MaxPartBytes} bytes (5 GiB); copy the source in several ranges with copy-source-range.");
        return (first, length);
    }

    /// <summary>
    /// InvalidRange with status 400 for copy ranges (docs/protocol/objects.md#uploadpartcopy, the wording of S3-compatible servers).
    /// Kept here rather than in <see cref="ErrorCode"/> so this branch touches no shared table; it
    /// belongs there.
    /// </summary>
    public static readonly ErrorCode InvalidCopyRange = new("InvalidRange", 400, "Range specified is not valid for source object.");

    /// <summary>
    /// Parts tolerate the upload's own <c>server-side-encryption</c> header (the COS Node SDK
    /// repeats it on every part), and its KMS key id and context, but refuse different values:
    /// a part is always sealed as the upload was initiated.
    /// </summary>
    /// <summary>The id of the caller's key a reference names, or null when it names none of the caller's keys (nothing confirmed).</summary>
    private static async Task<string?> OwnKeyIdAsync(CofferServices s, RequestContext ctx, string reference)
    {
        if (ctx.User is null)
            return null; // an anonymous caller has no keys
        try
        {
            // An anonymous caller has no keys and never reaches the KMS.
            return ctx.User is { } caller ? (await s.Kms.DescribeOwnKeyForUseAsync(caller.Id, reference, ctx.Aborted)).KeyId : null;
        }
        catch (KmsException e) when (e.Kind == KmsErrorKind.NotFound)
        {
            return null;
        }
    }

    private static async Task CheckSseHeadersAsync(RequestContext ctx, CofferServices s, ObjectEncryption enc)
    {
        var algorithm = ctx.FamilyHeader("server-side-encryption");
        var matches = enc.Mode switch
        {
            SseMode.Cos => algorithm is null || algorithm == (enc.Cipher == StreamCipher.Sm4Gcm ? "SM4" : "AES256"),
            SseMode.Kms => algorithm is null or "cos/kms" or "aws:kms",
            _ => algorithm is null,
        };
        if (!matches)
            throw new CofferException(ErrorCode.InvalidArgument, $"The server-side-encryption '{algorithm}' differs from the encryption the upload was initiated with ({Describe(enc)}); parts are encrypted as initiated: omit the header or repeat the initiate's value.");

        var keyId = ctx.FamilyHeader("server-side-encryption-cos-kms-key-id") ?? ctx.FamilyHeader("server-side-encryption-aws-kms-key-id");
        if (keyId is not null && (enc.Mode != SseMode.Kms || (keyId.Trim() != enc.KmsKeyId && await OwnKeyIdAsync(s, ctx, keyId.Trim()) != enc.KmsKeyId)))
            throw new CofferException(ErrorCode.InvalidArgument, "The KMS key id differs from the one the upload was initiated with; omit it on parts.");
        var context = ctx.FamilyHeader("server-side-encryption-context");
        if (context is not null && (enc.Mode != SseMode.Kms || context != enc.KmsContext))
            throw new CofferException(ErrorCode.InvalidArgument, "The encryption context differs from the one the upload was initiated with; omit it on parts.");
    }

    private static string Describe(ObjectEncryption enc) => enc.Mode switch
    {
        SseMode.Cos => enc.Cipher == StreamCipher.Sm4Gcm ? "SSE-COS, SM4" : "SSE-COS, AES256",
        SseMode.Kms => "SSE-KMS",
        SseMode.Customer => "SSE-C",
        _ => "none",
    };

    /// <summary>The upload as the record <see cref="SseService.OpenAsync"/> unseals: same bucket, key and encryption as the object to be.</summary>
    private static ObjectRecord AsRecord(MultipartUpload upload) => new()
    {
        Bucket = upload.Bucket,
        Key = upload.Key,
        Size = 0,
        ETag = "",
        Crc64 = 0,
        LastModified = upload.Initiated,
        Streams = [],
        Encryption = upload.Encryption,
    };

    [GeneratedRegex(@"^bytes=(\d+)-(\d+)$", RegexOptions.CultureInvariant)]
    private static partial Regex CopyRange();
}

/// <summary>
/// What a part request may write with: the object key of the upload (null for plain uploads,
/// and on Complete) and the SSE-C key the request repeated (its MD5 is echoed). Dispose both.
/// </summary>
public sealed record PartAccess(ObjectKey? Key, CustomerKey? Customer) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        Key?.Dispose();
        Customer?.Dispose();
    }
}
