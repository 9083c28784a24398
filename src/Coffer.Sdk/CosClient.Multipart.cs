using System.Globalization;
using System.Xml.Linq;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

public sealed partial class CosClient
{
    /// <summary>Starts a multipart upload (Python <c>create_multipart_upload</c>); its encryption applies to every part.</summary>
    /// <param name="request">Bucket, Key, metadata and encryption.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CreateMultipartUploadResponse> CreateMultipartUploadAsync(CreateMultipartUploadRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var op = ObjectOp(HttpMethod.Post, request).AddQuery("uploads", "");
        AddMetadata(op, request);
        SseHeaders.AddWrite(op, SseHeaders.ForWrite(request));
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<CreateMultipartUploadResponse>(response);
            result.UploadId = (root is null ? null : XmlUtil.Child(root, "UploadId"))
                ?? throw new CosClientException(CosClientErrorKind.InvalidResponse, "The initiate answer has no UploadId.");
            result.Bucket = XmlUtil.Child(root!, "Bucket");
            result.Key = XmlUtil.Child(root!, "Key");
            return result;
        }
    }

    /// <summary>Uploads one part (Python <c>upload_part</c>). For an SSE-C upload give the same customer key as at initiation.</summary>
    /// <param name="request">Bucket, Key, UploadId, PartNumber, Body and the SSE-C key.</param>
    /// <param name="cancellationToken">Cancels the upload.</param>
    public async Task<UploadPartResponse> UploadPartAsync(UploadPartRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidatePart(request.UploadId, request.PartNumber);
        var op = ObjectOp(HttpMethod.Put, request)
            .AddQuery("partNumber", request.PartNumber)
            .AddQuery("uploadId", request.UploadId);
        var body = request.Body ?? CosBody.FromBytes(ReadOnlyMemory<byte>.Empty);
        op.Body = body;
        op.AddHeader("Content-MD5", request.ContentMD5 ?? (request.EnableMD5 ? await Md5Async(body, cancellationToken).ConfigureAwait(false) : null));
        op.AddHeader("x-cos-traffic-limit", request.TrafficLimit?.ToString(CultureInfo.InvariantCulture));
        SseHeaders.AddCustomer(op, SseHeaders.Customer(request));
        AttachProgress(op, request.Progress, body.Length);
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        var result = CosResponse.From<UploadPartResponse>(response);
        result.PartNumber = request.PartNumber;
        return result;
    }

    /// <summary>Copies a range of another object as one part (Python <c>upload_part_copy</c>).</summary>
    /// <param name="request">Destination, UploadId, PartNumber, CopySource, range and both sides' SSE-C keys.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<UploadPartCopyResponse> UploadPartCopyAsync(UploadPartCopyRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidatePart(request.UploadId, request.PartNumber);
        var op = ObjectOp(HttpMethod.Put, request)
            .AddQuery("partNumber", request.PartNumber)
            .AddQuery("uploadId", request.UploadId);
        SseHeaders.AddCopySource(op, request, _http.Endpoint, _http.Builder.IsSigV4);
        op.AddHeader("x-cos-copy-source-range", request.CopySourceRange);
        SseHeaders.AddCustomer(op, SseHeaders.Customer(request));
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<UploadPartCopyResponse>(response);
            result.PartNumber = request.PartNumber;
            result.LoadBody(root);
            if (result.ETag is null)
            {
                throw new CosClientException(CosClientErrorKind.InvalidResponse, "The part copy answer has no ETag.");
            }

            return result;
        }
    }

    /// <summary>
    /// Completes a multipart upload (Python <c>complete_multipart_upload</c>). The response's
    /// headers carry the whole object's CRC-64 and its encryption.
    /// </summary>
    /// <param name="request">Bucket, Key, UploadId and the parts.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CompleteMultipartUploadResponse> CompleteMultipartUploadAsync(CompleteMultipartUploadRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidatePart(request.UploadId, 1);
        var op = ObjectOp(HttpMethod.Post, request).AddQuery("uploadId", request.UploadId)
            .AddHeader("If-None-Match", request.IfNoneMatch).AddHeader("If-Match", request.IfMatch);
        var xml = new XElement("CompleteMultipartUpload",
            request.Parts.OrderBy(p => p.PartNumber).Select(p => new XElement("Part",
                new XElement("PartNumber", p.PartNumber),
                new XElement("ETag", p.ETag.StartsWith('"') ? p.ETag : "\"" + p.ETag + "\""))));
        SetXmlBody(op, xml);
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<CompleteMultipartUploadResponse>(response);
            if (root is null || XmlUtil.Child(root, "ETag") is null)
            {
                throw new CosClientException(CosClientErrorKind.InvalidResponse, "The complete answer has no CompleteMultipartUploadResult/ETag.");
            }

            result.SetETag(XmlUtil.Child(root, "ETag"));
            result.Location = XmlUtil.Child(root, "Location");
            result.Bucket = XmlUtil.Child(root, "Bucket");
            result.Key = XmlUtil.Child(root, "Key");
            return result;
        }
    }

    /// <summary>Abandons a multipart upload and its parts (Python <c>abort_multipart_upload</c>).</summary>
    /// <param name="request">Bucket, Key and UploadId.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> AbortMultipartUploadAsync(AbortMultipartUploadRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidatePart(request.UploadId, 1);
        var op = ObjectOp(HttpMethod.Delete, request).AddQuery("uploadId", request.UploadId);
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>Lists the parts uploaded so far (Python <c>list_parts</c>), one page.</summary>
    /// <param name="request">Bucket, Key, UploadId and paging.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<ListPartsResponse> ListPartsAsync(ListPartsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidatePart(request.UploadId, 1);
        var op = ObjectOp(HttpMethod.Get, request)
            .AddQuery("uploadId", request.UploadId)
            .AddQuery("max-parts", request.MaxParts)
            .AddQuery("part-number-marker", request.PartNumberMarker)
            .AddQuery("encoding-type", "url");
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<ListPartsResponse>(response);
            root = XmlUtil.ListingRoot(root, "list parts");
            bool encoded = XmlUtil.IsUrlEncoded(root);
            result.Bucket = XmlUtil.Child(root, "Bucket");
            result.Key = XmlUtil.Text(root, "Key", encoded);
            result.UploadId = XmlUtil.Child(root, "UploadId");
            result.StorageClass = XmlUtil.Child(root, "StorageClass");
            result.PartNumberMarker = XmlUtil.Int(root, "PartNumberMarker");
            result.NextPartNumberMarker = XmlUtil.Int(root, "NextPartNumberMarker");
            result.MaxParts = XmlUtil.Int(root, "MaxParts");
            result.IsTruncated = XmlUtil.Bool(root, "IsTruncated");
            result.Parts = XmlUtil.Children(root, "Part").Select(p => new PartSummary(
                XmlUtil.Int(p, "PartNumber") ?? 0, XmlUtil.Child(p, "ETag") ?? "", XmlUtil.Long(p, "Size"), XmlUtil.Date(p, "LastModified"))).ToList();
            return result;
        }
    }

    /// <summary>Every part of an upload, page after page.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <param name="uploadId">The upload id.</param>
    /// <param name="cancellationToken">Cancels the listing.</param>
    public async Task<IReadOnlyList<PartSummary>> ListAllPartsAsync(string bucket, string key, string uploadId, CancellationToken cancellationToken = default)
    {
        var parts = new List<PartSummary>();
        int? marker = null;
        while (true)
        {
            var page = await ListPartsAsync(new ListPartsRequest { Bucket = bucket, Key = key, UploadId = uploadId, PartNumberMarker = marker }, cancellationToken).ConfigureAwait(false);
            parts.AddRange(page.Parts);
            if (!page.IsTruncated || page.NextPartNumberMarker is null || page.NextPartNumberMarker == marker)
            {
                return parts;
            }

            marker = page.NextPartNumberMarker;
        }
    }

    /// <summary>Lists multipart uploads in progress (Python <c>list_multipart_uploads</c>), one page.</summary>
    /// <param name="request">Bucket, prefix and paging.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<ListMultipartUploadsResponse> ListMultipartUploadsAsync(ListMultipartUploadsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ValidateBucket();
        var op = BucketOp(HttpMethod.Get, request.Bucket).AddRawHeaders(request.Headers)
            .AddQuery("uploads", "")
            .AddQuery("prefix", request.Prefix)
            .AddQuery("delimiter", request.Delimiter)
            .AddQuery("key-marker", request.KeyMarker)
            .AddQuery("upload-id-marker", request.UploadIdMarker)
            .AddQuery("max-uploads", request.MaxUploads)
            .AddQuery("encoding-type", "url");
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<ListMultipartUploadsResponse>(response);
            root = XmlUtil.ListingRoot(root, "list uploads");
            bool encoded = XmlUtil.IsUrlEncoded(root);
            result.Bucket = XmlUtil.Child(root, "Bucket");
            result.Prefix = XmlUtil.Text(root, "Prefix", encoded);
            result.IsTruncated = XmlUtil.Bool(root, "IsTruncated");
            result.NextKeyMarker = XmlUtil.Text(root, "NextKeyMarker", encoded);
            result.NextUploadIdMarker = XmlUtil.Child(root, "NextUploadIdMarker");
            result.Uploads = XmlUtil.Children(root, "Upload").Select(u => new MultipartUploadSummary(
                XmlUtil.Text(u, "Key", encoded) ?? "", XmlUtil.Child(u, "UploadId") ?? "", XmlUtil.Date(u, "Initiated"), XmlUtil.Child(u, "StorageClass"))).ToList();
            result.CommonPrefixes = XmlUtil.Children(root, "CommonPrefixes").Select(p => XmlUtil.Text(p, "Prefix", encoded) ?? "").ToList();
            return result;
        }
    }

    private static void ValidatePart(string uploadId, int partNumber)
    {
        if (string.IsNullOrEmpty(uploadId))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "UploadId is required.");
        }

        if (partNumber is < 1 or > 10_000)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"PartNumber must be 1–10000; got {partNumber}.");
        }
    }
}
