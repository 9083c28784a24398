using System.Text;
using Coffer.Protocol;
using Coffer.Server.Handlers;
using Coffer.Server.Pipeline;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>The stored attributes of an object a writing request sets: content headers, user metadata, storage class.</summary>
public sealed record ObjectAttributes(
    string? ContentType, string? CacheControl, string? ContentDisposition, string? ContentEncoding, string? Expires,
    IReadOnlyDictionary<string, string> UserMetadata, string StorageClass)
{
    public static ObjectAttributes Parse(RequestContext ctx)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var total = 0;
        foreach (var (name, values) in ctx.Request.Headers)
        {
            string? suffix = null;
            if (name.StartsWith("x-cos-meta-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
                suffix = name[11..].ToLowerInvariant();
            if (suffix is null)
                continue;
            var value = MetadataValue(name, string.Join(",", values.ToArray()));
            total += Encoding.UTF8.GetByteCount(suffix) + Encoding.UTF8.GetByteCount(value);
            metadata[suffix] = value;
        }
        if (total > ObjectHandlers.MaxMetadataBytes)
            throw new CofferException(ErrorCode.MetadataTooLarge, $"The user metadata totals {total} bytes; at most {ObjectHandlers.MaxMetadataBytes} are allowed.");

        return new ObjectAttributes(
            NullIfEmpty(ctx.Header("Content-Type")),
            NullIfEmpty(ctx.Header("Cache-Control")),
            NullIfEmpty(ctx.Header("Content-Disposition")),
            StripAwsChunked(ctx.Header("Content-Encoding")),
            NullIfEmpty(ctx.Header("Expires")),
            metadata,
            StorageClasses.Parse(ctx.FamilyHeader("storage-class")));
    }

    public ObjectRecord ToRecord(string bucket, string key, DateTimeOffset now) => new()
    {
        Bucket = bucket,
        Key = key,
        Size = 0,
        ETag = "",
        Crc64 = 0,
        LastModified = now,
        Streams = [],
        ContentType = ContentType,
        CacheControl = CacheControl,
        ContentDisposition = ContentDisposition,
        ContentEncoding = ContentEncoding,
        Expires = Expires,
        UserMetadata = UserMetadata,
        StorageClass = StorageClass,
    };

    /// <summary>
    /// The text of a metadata header as stored: RFC 2047 encoded words decoded (S3 does), then
    /// refused with 400 InvalidArgument when it holds what no response header could return intact
    /// (control characters, bytes that are not UTF-8). Anything else is returned by GET and HEAD,
    /// RFC 2047-encoded when it is not printable ASCII (<see cref="MetadataValues"/>).
    /// </summary>
    private static string MetadataValue(string header, string raw)
    {
        var value = MetadataValues.Decode(raw)
            ?? throw new CofferException(ErrorCode.InvalidArgument, $"The value of {header} is RFC 2047-encoded but its bytes are not UTF-8; send UTF-8 text.");
        if (MetadataValues.Problem(value) is { } problem)
            throw new CofferException(ErrorCode.InvalidArgument, $"The value of {header} contains {problem}; metadata values may hold any text but control characters and must be UTF-8.");
        return value;
    }

    // Node's COS SDK sends empty Cache-Control / Content-Type when the caller gave none (docs/protocol/requests.md#empty-headers-from-the-sdks).
    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>aws-chunked is transport framing, not a property of the object.</summary>
    private static string? StripAwsChunked(string? encoding)
    {
        if (string.IsNullOrWhiteSpace(encoding))
            return null;
        var kept = encoding.Split(',').Select(e => e.Trim()).Where(e => e.Length > 0 && !e.Equals("aws-chunked", StringComparison.OrdinalIgnoreCase));
        var joined = string.Join(",", kept);
        return joined.Length == 0 ? null : joined;
    }
}
