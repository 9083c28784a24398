using System.Globalization;
using System.Xml.Linq;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

public sealed partial class CosClient
{
    /// <summary>Uploads an object in one request (Python <c>put_object</c>), up to 5 GB.</summary>
    /// <param name="request">Bucket, Key, Body, metadata and encryption.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    public async Task<PutObjectResponse> PutObjectAsync(PutObjectRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var op = ObjectOp(HttpMethod.Put, request);
        var body = request.Body ?? CosBody.FromBytes(ReadOnlyMemory<byte>.Empty);
        op.Body = body;
        AddMetadata(op, request);
        SseHeaders.AddWrite(op, SseHeaders.ForWrite(request));
        op.AddHeader("Content-MD5", request.ContentMD5 ?? (request.EnableMD5 ? await Md5Async(body, cancellationToken).ConfigureAwait(false) : null));
        op.AddHeader("x-cos-traffic-limit", request.TrafficLimit?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        op.AddHeader("If-None-Match", request.IfNoneMatch).AddHeader("If-Match", request.IfMatch);
        AttachProgress(op, request.Progress, body.Length);
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<PutObjectResponse>(response);
    }

    /// <summary>Uploads <paramref name="body"/> as <paramref name="key"/>.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <param name="body">The content.</param>
    /// <param name="sse">The encryption, or null for the bucket default.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    public Task<PutObjectResponse> PutObjectAsync(string bucket, string key, CosBody body, Sse? sse = null, CancellationToken cancellationToken = default) =>
        PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = key, Body = body, Sse = sse }, cancellationToken);

    /// <summary>
    /// Downloads an object (Python <c>get_object</c>). The body is streamed from the connection:
    /// dispose the response when done.
    /// </summary>
    /// <param name="request">Bucket, Key, range, conditions and the SSE-C key.</param>
    /// <param name="cancellationToken">Cancels the request (and not the later body reads, which take their own token).</param>
    public async Task<GetObjectResponse> GetObjectAsync(GetObjectRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var op = ObjectOp(HttpMethod.Get, request)
            .AddQuery("versionId", request.VersionId)
            .AddQuery("response-content-type", request.ResponseContentType)
            .AddQuery("response-content-language", request.ResponseContentLanguage)
            .AddQuery("response-expires", request.ResponseExpires)
            .AddQuery("response-cache-control", request.ResponseCacheControl)
            .AddQuery("response-content-disposition", request.ResponseContentDisposition)
            .AddQuery("response-content-encoding", request.ResponseContentEncoding)
            .AddHeader("Range", request.Range)
            .AddHeader("If-Match", request.IfMatch)
            .AddHeader("If-None-Match", request.IfNoneMatch)
            .AddHeader("If-Modified-Since", HttpDate(request.IfModifiedSince))
            .AddHeader("If-Unmodified-Since", HttpDate(request.IfUnmodifiedSince))
            .AddHeader("x-cos-traffic-limit", request.TrafficLimit?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        SseHeaders.AddCustomer(op, SseHeaders.Customer(request));
        var message = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        var result = new GetObjectResponse();
        try
        {
            await result.AttachAsync(message, cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    /// <summary>Downloads <paramref name="key"/>; dispose the response when done.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <param name="customerKey">The SSE-C key of an SSE-C object, else null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<GetObjectResponse> GetObjectAsync(string bucket, string key, SseCustomer? customerKey = null, CancellationToken cancellationToken = default) =>
        GetObjectAsync(new GetObjectRequest { Bucket = bucket, Key = key, CustomerKey = customerKey }, cancellationToken);

    /// <summary>Reads an object's metadata (Python <c>head_object</c>). Errors carry no body, so their code is derived from the status.</summary>
    /// <param name="request">Bucket, Key, conditions and the SSE-C key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<HeadObjectResponse> HeadObjectAsync(HeadObjectRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var op = ObjectOp(HttpMethod.Head, request)
            .AddQuery("versionId", request.VersionId)
            .AddHeader("If-Match", request.IfMatch)
            .AddHeader("If-None-Match", request.IfNoneMatch)
            .AddHeader("If-Modified-Since", HttpDate(request.IfModifiedSince))
            .AddHeader("If-Unmodified-Since", HttpDate(request.IfUnmodifiedSince));
        SseHeaders.AddCustomer(op, SseHeaders.Customer(request));
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<HeadObjectResponse>(response);
    }

    /// <summary>Reads the metadata of <paramref name="key"/>.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <param name="customerKey">The SSE-C key of an SSE-C object, else null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<HeadObjectResponse> HeadObjectAsync(string bucket, string key, SseCustomer? customerKey = null, CancellationToken cancellationToken = default) =>
        HeadObjectAsync(new HeadObjectRequest { Bucket = bucket, Key = key, CustomerKey = customerKey }, cancellationToken);

    /// <summary>Whether the object exists (Python <c>object_exists</c>): HEAD, with 404 meaning no.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <param name="customerKey">The SSE-C key of an SSE-C object, else null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<bool> ObjectExistsAsync(string bucket, string key, SseCustomer? customerKey = null, CancellationToken cancellationToken = default)
    {
        try
        {
            await HeadObjectAsync(bucket, key, customerKey, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (CofferException e) when (e.StatusCode == 404)
        {
            return false;
        }
    }

    /// <summary>Deletes an object (Python <c>delete_object</c>); deleting a missing key succeeds.</summary>
    /// <param name="request">Bucket, Key and optional version.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<DeleteObjectResponse> DeleteObjectAsync(DeleteObjectRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var op = ObjectOp(HttpMethod.Delete, request).AddQuery("versionId", request.VersionId);
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<DeleteObjectResponse>(response);
    }

    /// <summary>Deletes <paramref name="key"/>.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<DeleteObjectResponse> DeleteObjectAsync(string bucket, string key, CancellationToken cancellationToken = default) =>
        DeleteObjectAsync(new DeleteObjectRequest { Bucket = bucket, Key = key }, cancellationToken);

    /// <summary>
    /// Copies an object server-side in one request (Python <c>copy_object</c>), up to 5 GB. The
    /// destination's encryption comes only from this request's SSE settings (or the bucket
    /// default); an SSE-C source needs its key in the CopySource* settings.
    /// </summary>
    /// <param name="request">Destination, CopySource, metadata directive and both sides' encryption.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CopyObjectResponse> CopyObjectAsync(CopyObjectRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var op = ObjectOp(HttpMethod.Put, request);
        SseHeaders.AddCopySource(op, request, _http.Endpoint, _http.Builder.IsSigV4);
        op.AddHeader("x-cos-metadata-directive", request.CopyStatus ?? "Copy");
        op.AddHeader("x-cos-tagging-directive", request.TaggingDirective);
        op.AddHeader("If-None-Match", request.IfNoneMatch).AddHeader("If-Match", request.IfMatch);
        AddMetadata(op, request);
        SseHeaders.AddWrite(op, SseHeaders.ForWrite(request));
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<CopyObjectResponse>(response);
            if (root is null || XmlUtil.Child(root, "ETag") is null)
            {
                throw new CosClientException(CosClientErrorKind.InvalidResponse, "The copy answer has no CopyObjectResult/ETag.");
            }

            result.LoadBody(root);
            return result;
        }
    }

    /// <summary>
    /// Restores an archived object for <see cref="RestoreObjectRequest.Days"/> days (Python
    /// <c>restore_object</c>): 202 for a new restore, 200 when already restored.
    /// </summary>
    /// <param name="request">Bucket, Key, Days, Tier and, for an SSE-C object, its key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<RestoreObjectResponse> RestoreObjectAsync(RestoreObjectRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var op = ObjectOp(HttpMethod.Post, request).AddQuery("restore", "").AddQuery("versionId", request.VersionId);
        SseHeaders.AddCustomer(op, SseHeaders.Customer(request));
        var jobElement = _http.Builder.IsSigV4 ? "GlacierJobParameters" : "CASJobParameters";
        var xml = new XElement("RestoreRequest",
            new XElement("Days", request.Days),
            new XElement(jobElement, new XElement("Tier", request.Tier)));
        SetXmlBody(op, xml);
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<RestoreObjectResponse>(response);
    }

    /// <summary>Lists objects (Python <c>list_objects</c>, v1), one page of up to <see cref="ListObjectsRequest.MaxKeys"/>.</summary>
    /// <param name="request">Bucket, prefix, delimiter, marker and page size.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<ListObjectsResponse> ListObjectsAsync(ListObjectsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ValidateBucket();
        var op = BucketOp(HttpMethod.Get, request.Bucket).AddRawHeaders(request.Headers)
            .AddQuery("prefix", request.Prefix)
            .AddQuery("delimiter", request.Delimiter)
            .AddQuery("marker", request.Marker)
            .AddQuery("max-keys", request.MaxKeys)
            .AddQuery("encoding-type", "url");
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<ListObjectsResponse>(response);
            root = XmlUtil.ListingRoot(root, "listing");
            bool encoded = XmlUtil.IsUrlEncoded(root);
            result.Name = XmlUtil.Child(root, "Name");
            result.Prefix = XmlUtil.Text(root, "Prefix", encoded);
            result.Marker = XmlUtil.Text(root, "Marker", encoded);
            result.Delimiter = XmlUtil.Text(root, "Delimiter", encoded);
            result.MaxKeys = XmlUtil.Int(root, "MaxKeys");
            result.IsTruncated = XmlUtil.Bool(root, "IsTruncated");
            result.NextMarker = XmlUtil.Text(root, "NextMarker", encoded);
            result.Contents = XmlUtil.Children(root, "Contents").Select(c => new ObjectSummary(
                XmlUtil.Text(c, "Key", encoded) ?? "", XmlUtil.Date(c, "LastModified"), XmlUtil.Child(c, "ETag"),
                XmlUtil.Long(c, "Size"), XmlUtil.Child(c, "StorageClass"), XmlUtil.Child(c, "RestoreStatus"))).ToList();
            result.CommonPrefixes = XmlUtil.Children(root, "CommonPrefixes").Select(p => XmlUtil.Text(p, "Prefix", encoded) ?? "").ToList();
            if (result.IsTruncated && result.NextMarker is null && result.Contents.Count > 0)
            {
                result.NextMarker = result.Contents[^1].Key;
            }

            return result;
        }
    }

    /// <summary>Every object under a prefix, page after page.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="prefix">Only keys starting with this, or null for all.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public async IAsyncEnumerable<ObjectSummary> ListAllObjectsAsync(string bucket, string? prefix = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? marker = null;
        while (true)
        {
            var page = await ListObjectsAsync(new ListObjectsRequest { Bucket = bucket, Prefix = prefix, Marker = marker }, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Contents)
            {
                yield return item;
            }

            if (!page.IsTruncated || page.NextMarker is null)
            {
                yield break;
            }

            marker = page.NextMarker;
        }
    }

    private static void SetXmlBody(OperationRequest op, XElement xml)
    {
        byte[] bytes = XmlUtil.Serialize(xml);
        op.Body = CosBody.FromBytes(bytes);
        op.AddHeader("Content-Type", "application/xml").AddHeader("Content-MD5", RequestBuilder.ContentMd5(bytes));
    }

    private static void AttachProgress(OperationRequest op, Action<long, long?>? progress, long? total)
    {
        if (progress is null)
        {
            return;
        }

        long sent = 0;
        op.OnAttempt = () => Interlocked.Exchange(ref sent, 0);
        op.OnBytesSent = n => progress(Interlocked.Add(ref sent, n), total);
    }

    /// <summary>
    /// Reads an object's attributes (S3 GetObjectAttributes, <c>GET ?attributes</c>): ETag, checksum, parts, storage
    /// class and size, as asked in <see cref="GetObjectAttributesRequest.ObjectAttributes"/>, without reading the data.
    /// </summary>
    /// <param name="request">Bucket, Key, the attributes wanted, part paging and the SSE-C key of an SSE-C object.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<GetObjectAttributesResponse> GetObjectAttributesAsync(GetObjectAttributesRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ObjectAttributes.Count == 0)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "GetObjectAttributesRequest.ObjectAttributes must name at least one attribute.");
        }

        var op = ObjectOp(HttpMethod.Get, request)
            .AddQuery("attributes", "")
            .AddQuery("versionId", request.VersionId)
            .AddHeader("x-cos-object-attributes", string.Join(",", request.ObjectAttributes))
            .AddHeader("x-cos-max-parts", request.MaxParts?.ToString(CultureInfo.InvariantCulture))
            .AddHeader("x-cos-part-number-marker", request.PartNumberMarker?.ToString(CultureInfo.InvariantCulture));
        SseHeaders.AddCustomer(op, SseHeaders.Customer(request));
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<GetObjectAttributesResponse>(response);
            result.LastModified = response.Content.Headers.LastModified;
            if (root is null)
            {
                throw new CosClientException(CosClientErrorKind.InvalidResponse, "The GetObjectAttributes answer has no XML body.");
            }

            result.ETag = XmlUtil.Child(root, "ETag");
            result.StorageClass = XmlUtil.Child(root, "StorageClass");
            result.ObjectSize = long.TryParse(XmlUtil.Child(root, "ObjectSize"), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null;
            if (XmlUtil.Element(root, "Checksum") is { } checksum)
            {
                result.ChecksumType = XmlUtil.Child(checksum, "ChecksumType");
                result.Checksums = checksum.Elements()
                    .Where(e => e.Name.LocalName.StartsWith("Checksum", StringComparison.Ordinal) && e.Name.LocalName != "ChecksumType")
                    .ToDictionary(e => e.Name.LocalName["Checksum".Length..], e => e.Value);
            }

            if (XmlUtil.Element(root, "ObjectParts") is { } parts)
            {
                result.ObjectParts = new ObjectPartsPage(
                    XmlUtil.Int(parts, "PartsCount") ?? 0,
                    XmlUtil.Int(parts, "PartNumberMarker") ?? 0,
                    XmlUtil.Int(parts, "NextPartNumberMarker") ?? 0,
                    XmlUtil.Int(parts, "MaxParts") ?? 0,
                    XmlUtil.Bool(parts, "IsTruncated"),
                    XmlUtil.Children(parts, "Part").Select(p => new ObjectPartInfo(XmlUtil.Int(p, "PartNumber") ?? 0, XmlUtil.Long(p, "Size"))).ToList());
            }

            return result;
        }
    }
}
