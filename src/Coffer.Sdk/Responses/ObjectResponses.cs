using System.Globalization;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

/// <summary>The answer to PUT Object.</summary>
public sealed class PutObjectResponse : ObjectResponse
{
}

/// <summary>The answer to HEAD Object: the object's metadata.</summary>
public sealed class HeadObjectResponse : ObjectMetadataResponse
{
}

/// <summary>An object's metadata as HEAD and GET return it.</summary>
public abstract class ObjectMetadataResponse : ObjectResponse
{
    private protected ObjectMetadataResponse()
    {
    }

    /// <summary>Content-Length: the object's size for HEAD and a full GET, the range's for a 206.</summary>
    public long ContentLength => long.TryParse(Headers.Get("Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : 0;

    /// <summary>The Content-Type.</summary>
    public string? ContentType => Headers.Get("Content-Type");

    /// <summary>Last-Modified.</summary>
    public DateTimeOffset? LastModified =>
        DateTimeOffset.TryParse(Headers.Get("Last-Modified"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v) ? v : null;

    /// <summary>The storage class; "STANDARD" when the header is absent (COS omits it for STANDARD).</summary>
    public string StorageClass => Headers.Get("x-cos-storage-class") ?? "STANDARD";

    /// <summary>The restore state of an archived object (<c>x-cos-restore</c>), or null.</summary>
    public RestoreStatus? Restore => RestoreStatus.Parse(Headers.Get("x-cos-restore"));

    /// <summary>How many tags the object has (<c>x-cos-tagging-count</c>, S3 <c>x-amz-tagging-count</c>); 0 when the header is absent.</summary>
    public int TaggingCount => int.TryParse(Headers.Get("x-cos-tagging-count"), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : 0;

    /// <summary>Cache-Control.</summary>
    public string? CacheControl => Headers.Get("Cache-Control");

    /// <summary>Content-Disposition.</summary>
    public string? ContentDisposition => Headers.Get("Content-Disposition");

    /// <summary>Content-Encoding.</summary>
    public string? ContentEncoding => Headers.Get("Content-Encoding");

    /// <summary>Expires.</summary>
    public string? Expires => Headers.Get("Expires");

    /// <summary>
    /// User metadata: the <c>x-cos-meta-*</c> (or <c>x-amz-meta-*</c>) headers without the prefix,
    /// values that came RFC 2047-encoded (how the server returns text that is not printable ASCII) decoded.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata
    {
        get
        {
            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, value) in Headers)
            {
                if (name.StartsWith("x-cos-meta-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase))
                {
                    result[name[11..]] = Coffer.Protocol.MetadataValues.Decode(value) ?? value;
                }
            }

            return result;
        }
    }
}

/// <summary>
/// The answer to GET Object: the metadata and the body as a stream read from the connection
/// (never buffered whole). Dispose it, or read the body to the end, to free the connection.
/// </summary>
public sealed class GetObjectResponse : ObjectMetadataResponse, IDisposable, IAsyncDisposable
{
    private HttpResponseMessage? _message;
    private Stream _body = Stream.Null;

    /// <summary>The object's content (or the requested range), streamed.</summary>
    public Stream Body => _body;

    /// <summary>Content-Range of a 206 response, e.g. "bytes 0-9/16".</summary>
    public string? ContentRange => Headers.Get("Content-Range");

    internal async Task AttachAsync(HttpResponseMessage message, CancellationToken cancellationToken)
    {
        _message = message;
        Load(message);
        _body = await message.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies the body to <paramref name="destination"/>.</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    public async Task CopyToAsync(Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        try
        {
            await _body.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            throw new CosClientException(CosClientErrorKind.Network, $"The object body could not be read to the end: {e.Message}", e);
        }
    }

    /// <summary>Writes the body to a file (replacing it), as the Python SDK's <c>get_stream_to_file</c>.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    public async Task SaveToFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not CosClientException)
        {
            throw new CosClientException(CosClientErrorKind.Io, $"The file '{path}' could not be written: {e.Message}", e);
        }
    }

    /// <summary>Reads the whole body into memory (for small objects).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<byte[]> ReadAsBytesAsync(CancellationToken cancellationToken = default)
    {
        using var memory = new MemoryStream();
        await CopyToAsync(memory, cancellationToken).ConfigureAwait(false);
        return memory.ToArray();
    }

    /// <summary>Reads the whole body as UTF-8 text (for small objects).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<string> ReadAsStringAsync(CancellationToken cancellationToken = default) =>
        System.Text.Encoding.UTF8.GetString(await ReadAsBytesAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Closes the body and the response.</summary>
    public void Dispose()
    {
        _body.Dispose();
        _message?.Dispose();
    }

    /// <summary>Closes the body and the response.</summary>
    public async ValueTask DisposeAsync()
    {
        await _body.DisposeAsync().ConfigureAwait(false);
        _message?.Dispose();
    }
}

/// <summary>The answer to DELETE Object.</summary>
public sealed class DeleteObjectResponse : CosResponse
{
    /// <summary>Whether a delete marker was created (versioned buckets).</summary>
    public bool DeleteMarker => string.Equals(Headers.Get("x-cos-delete-marker"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The version removed (a delete with a version id) or the delete marker made; null in an unversioned bucket.</summary>
    public string? VersionId => Headers.Get("x-cos-version-id");
}

/// <summary>The answer to PUT Object - Copy: the body's ETag, CRC-64 and time, and the destination's encryption headers.</summary>
public sealed class CopyObjectResponse : ObjectResponse
{
    private string? _etag;
    private ulong? _crc;

    /// <summary>The new object's ETag, from the <c>CopyObjectResult</c> body.</summary>
    public override string? ETag => _etag ?? base.ETag;

    /// <summary>The new object's CRC-64, from the body's <c>CRC64</c> or the header.</summary>
    public override ulong? Crc64 => _crc ?? base.Crc64;

    /// <summary>The new object's Last-Modified, from the body.</summary>
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

/// <summary>The answer to POST Object restore: 202 for a new restore, 200 when already restored.</summary>
public sealed class RestoreObjectResponse : CosResponse
{
}

/// <summary>One object in a listing.</summary>
/// <param name="Key">The key.</param>
/// <param name="LastModified">When it was written.</param>
/// <param name="ETag">Its ETag, quoted.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="StorageClass">Its storage class.</param>
/// <param name="RestoreStatus">"ONGOING", "DONE" or "FAILED" for archived objects after a restore, else null.</param>
public sealed record ObjectSummary(string Key, DateTimeOffset? LastModified, string? ETag, long Size, string? StorageClass, string? RestoreStatus);

/// <summary>The answer to GET Bucket (List Objects).</summary>
public sealed class ListObjectsResponse : CosResponse
{
    /// <summary>The bucket.</summary>
    public string? Name { get; internal set; }

    /// <summary>The prefix asked for.</summary>
    public string? Prefix { get; internal set; }

    /// <summary>The marker asked for.</summary>
    public string? Marker { get; internal set; }

    /// <summary>The delimiter asked for.</summary>
    public string? Delimiter { get; internal set; }

    /// <summary>The limit applied.</summary>
    public int? MaxKeys { get; internal set; }

    /// <summary>Whether more entries follow; list again with <see cref="ListObjectsRequest.Marker"/> = <see cref="NextMarker"/>.</summary>
    public bool IsTruncated { get; internal set; }

    /// <summary>Where the next page starts (when truncated).</summary>
    public string? NextMarker { get; internal set; }

    /// <summary>The objects.</summary>
    public IReadOnlyList<ObjectSummary> Contents { get; internal set; } = [];

    /// <summary>The common prefixes (with a delimiter).</summary>
    public IReadOnlyList<string> CommonPrefixes { get; internal set; } = [];
}

/// <summary>The answer to GetObjectAttributes: each property is present only when it was asked for (and applies).</summary>
public sealed class GetObjectAttributesResponse : CosResponse
{
    /// <summary>The ETag, unquoted as S3 answers it here; null when not asked.</summary>
    public string? ETag { get; internal set; }

    /// <summary>The additional checksums (algorithm, e.g. "CRC32", to base64 value); empty when not asked or the object has none.</summary>
    public IReadOnlyDictionary<string, string> Checksums { get; internal set; } = new Dictionary<string, string>();

    /// <summary>FULL_OBJECT or COMPOSITE when <see cref="Checksums"/> has values; else null.</summary>
    public string? ChecksumType { get; internal set; }

    /// <summary>The parts of a multipart object (one page); null when not asked or the object was not uploaded in parts.</summary>
    public ObjectPartsPage? ObjectParts { get; internal set; }

    /// <summary>The storage class; null when not asked.</summary>
    public string? StorageClass { get; internal set; }

    /// <summary>The size in bytes; null when not asked.</summary>
    public long? ObjectSize { get; internal set; }

    /// <summary>Last-Modified; always present.</summary>
    public DateTimeOffset? LastModified { get; internal set; }
}

/// <summary>One page of a multipart object's parts.</summary>
/// <param name="PartsCount">How many parts the object has.</param>
/// <param name="PartNumberMarker">The marker the page starts after.</param>
/// <param name="NextPartNumberMarker">The marker of the next page.</param>
/// <param name="MaxParts">The page size.</param>
/// <param name="IsTruncated">Whether more parts follow.</param>
/// <param name="Parts">The parts of the page: number and size.</param>
public sealed record ObjectPartsPage(int PartsCount, int PartNumberMarker, int NextPartNumberMarker, int MaxParts, bool IsTruncated, IReadOnlyList<ObjectPartInfo> Parts);

/// <summary>One part of a multipart object.</summary>
/// <param name="PartNumber">The number it was uploaded as.</param>
/// <param name="Size">Its size in bytes.</param>
public sealed record ObjectPartInfo(int PartNumber, long Size);
