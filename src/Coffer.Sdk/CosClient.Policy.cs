using System.Text;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

public sealed partial class CosClient
{
    /// <summary>
    /// Replaces the bucket's policy (Python <c>put_bucket_policy</c>): a JSON document in the AWS dialect
    /// (<c>"Version": "2012-10-17"</c>) or the COS one (<c>"version": "2.0"</c>), at most 20 KB. A policy the server
    /// refuses (400 <see cref="ErrorCodes.MalformedPolicy"/>, saying which statement and field) leaves the old one in place.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="policy">The policy's JSON, stored and returned exactly as given.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> PutBucketPolicyAsync(string bucket, string policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var bytes = Encoding.UTF8.GetBytes(policy);
        var op = BucketOp(HttpMethod.Put, bucket).AddQuery("policy", "");
        op.Body = CosBody.FromBytes(bytes);
        op.AddHeader("Content-Type", "application/json").AddHeader("Content-MD5", RequestBuilder.ContentMd5(bytes));
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>
    /// Reads the bucket's policy (Python <c>get_bucket_policy</c>). A bucket without one answers 404
    /// <see cref="ErrorCodes.NoSuchBucketPolicy"/>, thrown as <see cref="CofferException"/>.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<GetBucketPolicyResponse> GetBucketPolicyAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(BucketOp(HttpMethod.Get, bucket).AddQuery("policy", ""), cancellationToken).ConfigureAwait(false);
        var result = CosResponse.From<GetBucketPolicyResponse>(response);
        result.Policy = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>Removes the bucket's policy (Python <c>delete_bucket_policy</c>); 204 whether or not it had one.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> DeleteBucketPolicyAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(BucketOp(HttpMethod.Delete, bucket).AddQuery("policy", ""), cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>
    /// Whether the bucket's policy makes it public (S3 <c>GetBucketPolicyStatus</c>): an Allow to everyone that no
    /// condition pins to fixed callers. A bucket without a policy answers 404 <see cref="ErrorCodes.NoSuchBucketPolicy"/>.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<GetBucketPolicyStatusResponse> GetBucketPolicyStatusAsync(string bucket, CancellationToken cancellationToken = default)
    {
        var (response, root) = await _http.SendForXmlAsync(BucketOp(HttpMethod.Get, bucket).AddQuery("policyStatus", ""), cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<GetBucketPolicyStatusResponse>(response);
            result.IsPublic = string.Equals(root is null ? null : XmlUtil.Child(root, "IsPublic")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
            return result;
        }
    }
}
