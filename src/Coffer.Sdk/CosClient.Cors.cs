namespace Coffer.Sdk;

public sealed partial class CosClient
{
    /// <summary>
    /// Replaces the CORS configuration of a bucket (Python <c>put_bucket_cors</c>): which web origins' scripts may call the
    /// bucket from a browser, with which methods and headers. It grants no access by itself.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="configuration">1 to 100 rules.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> PutBucketCorsAsync(string bucket, CosCorsConfiguration configuration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var op = BucketOp(HttpMethod.Put, bucket).AddQuery("cors", "");
        SetXmlBody(op, configuration.ToElement());
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>
    /// Reads the CORS configuration of a bucket (Python <c>get_bucket_cors</c>). A bucket without one answers 404
    /// <see cref="ErrorCodes.NoSuchCORSConfiguration"/>, thrown as <see cref="CofferException"/>.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<GetBucketCorsResponse> GetBucketCorsAsync(string bucket, CancellationToken cancellationToken = default)
    {
        var (response, root) = await _http.SendForXmlAsync(BucketOp(HttpMethod.Get, bucket).AddQuery("cors", ""), cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<GetBucketCorsResponse>(response);
            if (root is not null)
                result.Configuration = CosCorsConfiguration.FromXml(root);
            return result;
        }
    }

    /// <summary>Removes the CORS configuration of a bucket (Python <c>delete_bucket_cors</c>); 204 whether or not it had one.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> DeleteBucketCorsAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(BucketOp(HttpMethod.Delete, bucket).AddQuery("cors", ""), cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }
}
