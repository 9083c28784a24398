using System.Xml.Linq;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

public sealed partial class CosClient
{
    /// <summary>Creates a bucket (Python <c>create_bucket</c>). 409 BucketAlreadyExists / BucketAlreadyOwnedByYou if it exists.</summary>
    /// <param name="bucket">The bucket, "name-APPID" on COS.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> CreateBucketAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(BucketOp(HttpMethod.Put, bucket), cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>Deletes an empty bucket (Python <c>delete_bucket</c>). 409 BucketNotEmpty if it holds objects.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> DeleteBucketAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(BucketOp(HttpMethod.Delete, bucket), cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>Checks that a bucket exists and is yours (Python <c>head_bucket</c>); 404 <see cref="ErrorCodes.NoSuchResource"/> if not.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<HeadBucketResponse> HeadBucketAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(BucketOp(HttpMethod.Head, bucket), cancellationToken).ConfigureAwait(false);
        return CosResponse.From<HeadBucketResponse>(response);
    }

    /// <summary>Whether the bucket exists (Python <c>bucket_exists</c>).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default)
    {
        try
        {
            await HeadBucketAsync(bucket, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (CofferException e) when (e.StatusCode == 404)
        {
            return false;
        }
    }

    /// <summary>
    /// Sets the bucket's default encryption (Python <c>put_bucket_encryption</c>): objects
    /// written without SSE settings are then encrypted with it.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="rule">"AES256" or "SM4", or "KMS" with an optional key id and KMS algorithm ("AES256" or "SM4").</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> PutBucketEncryptionAsync(string bucket, BucketEncryptionRule rule, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        string algorithm = rule.SSEAlgorithm switch
        {
            "KMS" or "cos/kms" or "aws:kms" => _http.Builder.IsSigV4 ? "aws:kms" : "KMS",
            var other => other,
        };
        var apply = new XElement("ApplyServerSideEncryptionByDefault", new XElement("SSEAlgorithm", algorithm));
        if (!string.IsNullOrEmpty(rule.KMSMasterKeyID))
        {
            apply.Add(new XElement("KMSMasterKeyID", rule.KMSMasterKeyID));
        }

        if (!string.IsNullOrEmpty(rule.KMSAlgorithm))
        {
            apply.Add(new XElement("KMSAlgorithm", rule.KMSAlgorithm));
        }

        var op = BucketOp(HttpMethod.Put, bucket).AddQuery("encryption", "");
        SetXmlBody(op, new XElement("ServerSideEncryptionConfiguration", new XElement("Rule", apply)));
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>
    /// Reads the bucket's default encryption (Python <c>get_bucket_encryption</c>). Without one the
    /// server answers 404 <see cref="ErrorCodes.NoSuchEncryptionConfiguration"/> (S3:
    /// <see cref="ErrorCodes.ServerSideEncryptionConfigurationNotFoundError"/>), thrown as <see cref="CofferException"/>.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<GetBucketEncryptionResponse> GetBucketEncryptionAsync(string bucket, CancellationToken cancellationToken = default)
    {
        var op = BucketOp(HttpMethod.Get, bucket).AddQuery("encryption", "");
        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<GetBucketEncryptionResponse>(response);
            result.Rules = root is null ? [] : XmlUtil.Children(root, "Rule")
                .Select(r => XmlUtil.Element(r, "ApplyServerSideEncryptionByDefault"))
                .Where(a => a is not null)
                .Select(a => new BucketEncryptionRule(
                    XmlUtil.Child(a!, "SSEAlgorithm") is "aws:kms" or "cos/kms" ? "KMS" : XmlUtil.Child(a!, "SSEAlgorithm") ?? "",
                    string.IsNullOrEmpty(XmlUtil.Child(a!, "KMSMasterKeyID")) ? null : XmlUtil.Child(a!, "KMSMasterKeyID"),
                    string.IsNullOrEmpty(XmlUtil.Child(a!, "KMSAlgorithm")) ? null : XmlUtil.Child(a!, "KMSAlgorithm")))
                .ToList();
            return result;
        }
    }

    /// <summary>Removes the bucket's default encryption (Python <c>delete_bucket_encryption</c>).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> DeleteBucketEncryptionAsync(string bucket, CancellationToken cancellationToken = default)
    {
        var op = BucketOp(HttpMethod.Delete, bucket).AddQuery("encryption", "");
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }
}
