using Coffer.Protocol;
using Coffer.Protocol.Checksums;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>
/// S3's additional checksums of multipart uploads (docs/protocol/objects.md#multipart-checksums): the algorithm and
/// type chosen at CreateMultipartUpload, the checksum each part is stored with, the per-part checksums a
/// CompleteMultipartUpload body repeats (verified against the stored ones), and the object's COMPOSITE or FULL_OBJECT
/// checksum computed from the parts'. COS has none of this (it uses x-cos-hash-crc64ecma); the headers are S3's.
/// </summary>
public static class PartChecksums
{
    /// <summary>
    /// <c>x-amz-checksum-algorithm</c> and <c>x-amz-checksum-type</c> of CreateMultipartUpload: (null, null) when
    /// absent; the type defaults as S3 does. Refused with S3's captured messages (400 InvalidRequest).
    /// </summary>
    public static (string? Algorithm, string? Type) ParseForCreate(RequestContext ctx)
    {
        var algorithmText = ctx.Header("x-amz-checksum-algorithm");
        var typeText = ctx.Header("x-amz-checksum-type");
        if (algorithmText is null)
            return typeText is null ? (null, null)
                : throw new CofferException(ErrorCode.InvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
        if (!ChecksumHasher.TryParse(algorithmText, out var algorithm))
            throw new CofferException(ErrorCode.InvalidRequest, $"Checksum algorithm '{algorithmText}' is not supported: use CRC32, CRC32C, CRC64NVME, SHA1 or SHA256.");
        var type = typeText?.Trim().ToUpperInvariant() ?? MultipartChecksums.DefaultType(algorithm);
        if (type is not (MultipartChecksums.Composite or MultipartChecksums.FullObject))
            throw new CofferException(ErrorCode.InvalidRequest, "Value for x-amz-checksum-type header is invalid.");
        if (!MultipartChecksums.Allows(algorithm, type))
            throw new CofferException(ErrorCode.InvalidRequest,
                $"The {type} checksum type cannot be used with the {ChecksumHasher.Name(algorithm).ToLowerInvariant()} checksum algorithm.");
        return (ChecksumHasher.Name(algorithm), type);
    }

    /// <summary>Echoes the upload's algorithm and type (CreateMultipartUpload's answer).</summary>
    public static void WriteUploadHeaders(RequestContext ctx, MultipartUpload upload)
    {
        if (upload.ChecksumAlgorithm is null)
            return;
        ctx.Response.Headers["x-amz-checksum-algorithm"] = upload.ChecksumAlgorithm;
        ctx.Response.Headers["x-amz-checksum-type"] = upload.ChecksumType;
    }

    /// <summary>
    /// The algorithm a part of <paramref name="upload"/> must be checksummed with: the upload's. A part of a checksummed
    /// upload that sends no checksum, or another algorithm's, is 400 InvalidRequest (S3's captured wording).
    /// </summary>
    public static void CheckPart(MultipartUpload upload, ChecksumAlgorithm? sent)
    {
        if (upload.ChecksumAlgorithm is not { } expected)
            return;
        var actual = sent is { } a ? ChecksumHasher.Name(a) : null;
        if (actual != expected)
            throw new CofferException(ErrorCode.InvalidRequest,
                $"Checksum Type mismatch occurred, expected checksum Type: {expected.ToLowerInvariant()}, actual checksum Type: {actual?.ToLowerInvariant() ?? "null"}");
    }

    /// <summary>
    /// Checks the per-part checksums of a Complete body against the parts as stored (400 InvalidPart when one differs
    /// or the part was stored without it), requires them of a checksummed upload (400 InvalidRequest), checks the
    /// <c>x-amz-checksum-type</c> and whole-object <c>x-amz-checksum-*</c> headers (400 BadDigest), and returns the
    /// object's checksums: the upload algorithm's COMPOSITE ("value-N") or FULL_OBJECT value, none without one.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ForComplete(RequestContext ctx, MultipartUpload upload,
        IReadOnlyList<Multipart.RequestedPart> requested, IReadOnlyList<MultipartPart> parts)
    {
        // COS defines no per-part checksum elements (its integrity check is x-cos-hash-crc64ecma), and its clients'
        // bodies are taken as they come: a COS-signed Complete of an upload without an S3 algorithm ignores them.
        var verify = ctx.Family == ProtocolFamily.S3 || upload.ChecksumAlgorithm is not null;
        for (var i = 0; verify && i < requested.Count; i++)
        {
            foreach (var (name, sent) in requested[i].Checksums ?? Empty)
            {
                if (parts[i].ChecksumAlgorithm != name || parts[i].Checksum != sent)
                    throw new CofferException(ErrorCode.InvalidPart,
                        $"The {name} checksum given for part {requested[i].PartNumber} does not match the checksum the part was uploaded with; list the checksum UploadPart answered.");
            }
        }
        if (upload.ChecksumAlgorithm is not { } algorithmName || !ChecksumHasher.TryParse(algorithmName, out var algorithm))
            return Empty;

        for (var i = 0; i < requested.Count; i++)
        {
            if (requested[i].Checksums?.ContainsKey(algorithmName) != true)
                throw new CofferException(ErrorCode.InvalidRequest,
                    $"The upload was created using a {algorithmName.ToLowerInvariant()} checksum. The complete request must include the checksum for each part. It was missing for part {requested[i].PartNumber} in the request.");
            if (upload.ChecksumType == MultipartChecksums.Composite && requested[i].PartNumber != i + 1)
                throw new CofferException(ErrorCode.InvalidPartOrder,
                    $"A {algorithmName} checksummed upload needs parts numbered 1 to {requested.Count} without gaps; part {requested[i].PartNumber} is listed {i + 1}.");
        }

        var type = ctx.Header("x-amz-checksum-type")?.Trim().ToUpperInvariant();
        if (type is not null && type != upload.ChecksumType)
            throw new CofferException(ErrorCode.BadDigest, $"The upload was created with checksum type {upload.ChecksumType}; the Complete request says {type}.");

        var value = upload.ChecksumType == MultipartChecksums.FullObject
            ? MultipartChecksums.FullObjectOf(algorithm, parts.Select(p => (p.Checksum!, p.Size)).ToList())
            : MultipartChecksums.CompositeOf(algorithm, parts.Select(p => p.Checksum!).ToList());
        if (ctx.Header(ChecksumHasher.HeaderName(algorithm)) is { } whole
            && whole.Trim() != value && whole.Trim() != value.Split('-')[0])
            throw new CofferException(ErrorCode.BadDigest,
                $"The {algorithmName} checksum you specified for the whole object did not match the one computed from its parts; nothing was written.");
        return new Dictionary<string, string> { [algorithmName] = value };
    }

    /// <summary>The type of a stored object checksum: a COMPOSITE value ends in "-N", a FULL_OBJECT one does not.</summary>
    public static string TypeOf(string value) => value.Contains('-') ? MultipartChecksums.Composite : MultipartChecksums.FullObject;

    /// <summary>The object's checksum elements and ChecksumType, as CompleteMultipartUploadResult carries them.</summary>
    public static void WriteElements(XmlDoc xml, IReadOnlyDictionary<string, string> checksums)
    {
        foreach (var (name, value) in checksums)
        {
            if (!ChecksumHasher.TryParse(name, out _))
                continue;
            xml.Element("Checksum" + name, value).Element("ChecksumType", TypeOf(value));
            return;
        }
    }

    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}
