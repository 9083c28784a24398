using System.Xml.Linq;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

public sealed partial class CosClient
{
    /// <summary>
    /// Turns versioning on (<c>Enabled</c>) or pauses it (<c>Suspended</c>) (Python <c>put_bucket_versioning</c>). A bucket
    /// never goes back to unversioned: any other status is 400 IllegalVersioningConfigurationException.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="status"><c>Enabled</c> or <c>Suspended</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> PutBucketVersioningAsync(string bucket, string status, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(status);
        var op = BucketOp(HttpMethod.Put, bucket).AddQuery("versioning", "");
        SetXmlBody(op, new XElement("VersioningConfiguration", new XElement("Status", status)));
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>Reads the bucket's versioning state (Python <c>get_bucket_versioning</c>): null when it never had versioning.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<GetBucketVersioningResponse> GetBucketVersioningAsync(string bucket, CancellationToken cancellationToken = default)
    {
        var op = BucketOp(HttpMethod.Get, bucket).AddQuery("versioning", "");
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<GetBucketVersioningResponse>(response);
            result.Status = root is null || string.IsNullOrEmpty(XmlUtil.Child(root, "Status")) ? null : XmlUtil.Child(root, "Status");
            return result;
        }
    }

    /// <summary>
    /// Lists versions and delete markers (Python <c>list_objects_versions</c>), one page: keys in order, each key's newest
    /// first. Pass <see cref="ListObjectVersionsResponse.NextKeyMarker"/> and <see cref="ListObjectVersionsResponse.NextVersionIdMarker"/>
    /// back as the markers until <see cref="ListObjectVersionsResponse.IsTruncated"/> is false.
    /// </summary>
    /// <param name="request">Bucket, prefix, delimiter, markers and page size.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<ListObjectVersionsResponse> ListObjectVersionsAsync(ListObjectVersionsRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.ValidateBucket();
        var op = BucketOp(HttpMethod.Get, request.Bucket).AddRawHeaders(request.Headers)
            .AddQuery("versions", "")
            .AddQuery("prefix", request.Prefix)
            .AddQuery("delimiter", request.Delimiter)
            .AddQuery("key-marker", request.KeyMarker)
            .AddQuery("version-id-marker", request.VersionIdMarker)
            .AddQuery("max-keys", request.MaxKeys)
            .AddQuery("encoding-type", "url");
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<ListObjectVersionsResponse>(response);
            root = XmlUtil.ListingRoot(root, "version listing");
            bool encoded = XmlUtil.IsUrlEncoded(root);
            result.Name = XmlUtil.Child(root, "Name");
            result.Prefix = XmlUtil.Text(root, "Prefix", encoded);
            result.Delimiter = XmlUtil.Text(root, "Delimiter", encoded);
            result.MaxKeys = XmlUtil.Int(root, "MaxKeys");
            result.IsTruncated = XmlUtil.Bool(root, "IsTruncated");
            result.NextKeyMarker = XmlUtil.Text(root, "NextKeyMarker", encoded);
            result.NextVersionIdMarker = XmlUtil.Child(root, "NextVersionIdMarker");
            result.Versions = root.Elements()
                .Where(e => e.Name.LocalName is "Version" or "DeleteMarker")
                .Select(e => new ObjectVersionSummary(
                    XmlUtil.Text(e, "Key", encoded) ?? "", XmlUtil.Child(e, "VersionId") ?? "null", XmlUtil.Bool(e, "IsLatest"),
                    e.Name.LocalName == "DeleteMarker", XmlUtil.Date(e, "LastModified"), XmlUtil.Child(e, "ETag"),
                    XmlUtil.Long(e, "Size"), XmlUtil.Child(e, "StorageClass")))
                .ToList();
            result.CommonPrefixes = XmlUtil.Children(root, "CommonPrefixes").Select(p => XmlUtil.Text(p, "Prefix", encoded) ?? "").ToList();
            return result;
        }
    }
}
