using System.Xml.Linq;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

public sealed partial class CosClient
{
    /// <summary>Replaces the tags of an object (Python <c>put_object_tagging</c>); an empty set removes them. 404 NoSuchKey when the object is missing.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The object key.</param>
    /// <param name="tags">At most 10 tags.</param>
    /// <param name="versionId">The version to tag; null for the current one.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> PutObjectTaggingAsync(string bucket, string key, IEnumerable<CosTag> tags, string? versionId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var op = TaggingOp(HttpMethod.Put, bucket, key, versionId);
        SetXmlBody(op, TaggingXml(tags));
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>Reads the tags of an object (Python <c>get_object_tagging</c>): an empty set when it has none.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The object key.</param>
    /// <param name="versionId">The version to read; null for the current one.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<GetTaggingResponse> GetObjectTaggingAsync(string bucket, string key, string? versionId = null, CancellationToken cancellationToken = default) =>
        GetTaggingAsync(TaggingOp(HttpMethod.Get, bucket, key, versionId), cancellationToken);

    /// <summary>Removes every tag of an object (Python <c>delete_object_tagging</c>).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The object key.</param>
    /// <param name="versionId">The version; null for the current one.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> DeleteObjectTaggingAsync(string bucket, string key, string? versionId = null, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(TaggingOp(HttpMethod.Delete, bucket, key, versionId), cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>Replaces the tags of a bucket (Python <c>put_bucket_tagging</c>).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="tags">At most 50 tags.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> PutBucketTaggingAsync(string bucket, IEnumerable<CosTag> tags, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var op = BucketOp(HttpMethod.Put, bucket).AddQuery("tagging", "");
        SetXmlBody(op, TaggingXml(tags));
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>
    /// Reads the tags of a bucket (Python <c>get_bucket_tagging</c>). A bucket without tags answers 404
    /// <see cref="ErrorCodes.NoSuchTagSet"/>, thrown as <see cref="CofferException"/>.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<GetTaggingResponse> GetBucketTaggingAsync(string bucket, CancellationToken cancellationToken = default) =>
        GetTaggingAsync(BucketOp(HttpMethod.Get, bucket).AddQuery("tagging", ""), cancellationToken);

    /// <summary>Removes the tags of a bucket (Python <c>delete_bucket_tagging</c>).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> DeleteBucketTaggingAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(BucketOp(HttpMethod.Delete, bucket).AddQuery("tagging", ""), cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>The value of <c>x-cos-tagging</c> (S3: <c>x-amz-tagging</c>): <c>k1=v1&amp;k2=v2</c>, each part percent-encoded.</summary>
    internal static string TaggingHeader(IEnumerable<CosTag> tags) =>
        string.Join("&", tags.Select(t => Uri.EscapeDataString(t.Key) + "=" + Uri.EscapeDataString(t.Value)));

    private static OperationRequest TaggingOp(HttpMethod method, string bucket, string key, string? versionId)
    {
        BucketOp(method, bucket);
        if (string.IsNullOrEmpty(key))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "The object key is required.");
        }

        return new OperationRequest(method, bucket, key).AddQuery("tagging", "").AddQuery("versionId", versionId);
    }

    private async Task<GetTaggingResponse> GetTaggingAsync(OperationRequest op, CancellationToken cancellationToken)
    {
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<GetTaggingResponse>(response);
            var set = root is null ? null : XmlUtil.Element(root, "TagSet");
            result.TagSet = set is null ? [] : XmlUtil.Children(set, "Tag")
                .Select(t => new CosTag(XmlUtil.Child(t, "Key") ?? "", XmlUtil.Child(t, "Value") ?? ""))
                .ToList();
            return result;
        }
    }

    private static XElement TaggingXml(IEnumerable<CosTag> tags) =>
        new("Tagging", new XElement("TagSet", tags.Select(t => new XElement("Tag", new XElement("Key", t.Key), new XElement("Value", t.Value)))));
}
