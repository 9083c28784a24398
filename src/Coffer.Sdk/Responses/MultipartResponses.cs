using System.Globalization;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

/// <summary>The answer to Initiate Multipart Upload.</summary>
public sealed class CreateMultipartUploadResponse : ObjectResponse
{
    /// <summary>The bucket.</summary>
    public string? Bucket { get; internal set; }

    /// <summary>The key.</summary>
    public string? Key { get; internal set; }

    /// <summary>The upload id, needed by every later multipart call.</summary>
    public string UploadId { get; internal set; } = "";
}

/// <summary>The answer to Upload Part: its ETag (the MD5 for plain and SSE-COS parts) and CRC-64.</summary>
public sealed class UploadPartResponse : ObjectResponse
{
    /// <summary>The part number uploaded.</summary>
    public int PartNumber { get; internal set; }
}

/// <summary>The answer to Upload Part - Copy.</summary>
public sealed class UploadPartCopyResponse : ObjectResponse
{
    private string? _etag;
    private ulong? _crc;

    /// <summary>The part number copied.</summary>
    public int PartNumber { get; internal set; }

    /// <summary>The part's ETag, from the <c>CopyPartResult</c> body.</summary>
    public override string? ETag => _etag ?? base.ETag;

    /// <summary>The part's CRC-64, from the body or the header.</summary>
    public override ulong? Crc64 => _crc ?? base.Crc64;

    /// <summary>The part's Last-Modified.</summary>
    public DateTimeOffset? LastModified { get; private set; }

    internal void LoadBody(System.Xml.Linq.XElement? root)
    {
        if (root is null)
        {
            return;
        }

        _etag = XmlUtil.Child(root, "ETag");
        _crc = ulong.TryParse(XmlUtil.Child(root, "CRC64"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : null;
        LastModified = XmlUtil.Date(root, "LastModified");
    }
}

/// <summary>The answer to Complete Multipart Upload: the object's ETag and, in the headers, its CRC-64 and encryption.</summary>
public sealed class CompleteMultipartUploadResponse : ObjectResponse
{
    private string? _etag;

    /// <summary>The object's URL.</summary>
    public string? Location { get; internal set; }

    /// <summary>The bucket.</summary>
    public string? Bucket { get; internal set; }

    /// <summary>The key.</summary>
    public string? Key { get; internal set; }

    /// <summary>The object's ETag from the body (opaque for multipart objects).</summary>
    public override string? ETag => _etag ?? base.ETag;

    internal void SetETag(string? etag) => _etag = etag;
}

/// <summary>One uploaded part in a <see cref="ListPartsResponse"/>.</summary>
/// <param name="PartNumber">The part number.</param>
/// <param name="ETag">Its ETag, quoted.</param>
/// <param name="Size">Its size.</param>
/// <param name="LastModified">When it was uploaded.</param>
public sealed record PartSummary(int PartNumber, string ETag, long Size, DateTimeOffset? LastModified);

/// <summary>The answer to List Parts.</summary>
public sealed class ListPartsResponse : CosResponse
{
    /// <summary>The bucket.</summary>
    public string? Bucket { get; internal set; }

    /// <summary>The key.</summary>
    public string? Key { get; internal set; }

    /// <summary>The upload id.</summary>
    public string? UploadId { get; internal set; }

    /// <summary>The storage class of the upload.</summary>
    public string? StorageClass { get; internal set; }

    /// <summary>The marker asked for.</summary>
    public int? PartNumberMarker { get; internal set; }

    /// <summary>Where the next page starts (when truncated).</summary>
    public int? NextPartNumberMarker { get; internal set; }

    /// <summary>The page size.</summary>
    public int? MaxParts { get; internal set; }

    /// <summary>Whether more parts follow.</summary>
    public bool IsTruncated { get; internal set; }

    /// <summary>The parts, by part number.</summary>
    public IReadOnlyList<PartSummary> Parts { get; internal set; } = [];
}

/// <summary>One upload in a <see cref="ListMultipartUploadsResponse"/>.</summary>
/// <param name="Key">The key.</param>
/// <param name="UploadId">The upload id.</param>
/// <param name="Initiated">When it started.</param>
/// <param name="StorageClass">Its storage class.</param>
public sealed record MultipartUploadSummary(string Key, string UploadId, DateTimeOffset? Initiated, string? StorageClass);

/// <summary>The answer to List Multipart Uploads (uploads of one key come oldest first).</summary>
public sealed class ListMultipartUploadsResponse : CosResponse
{
    /// <summary>The bucket.</summary>
    public string? Bucket { get; internal set; }

    /// <summary>The prefix asked for.</summary>
    public string? Prefix { get; internal set; }

    /// <summary>Whether more uploads follow.</summary>
    public bool IsTruncated { get; internal set; }

    /// <summary>Where the next page starts: key.</summary>
    public string? NextKeyMarker { get; internal set; }

    /// <summary>Where the next page starts: upload id.</summary>
    public string? NextUploadIdMarker { get; internal set; }

    /// <summary>The uploads.</summary>
    public IReadOnlyList<MultipartUploadSummary> Uploads { get; internal set; } = [];

    /// <summary>The common prefixes (with a delimiter).</summary>
    public IReadOnlyList<string> CommonPrefixes { get; internal set; } = [];
}
