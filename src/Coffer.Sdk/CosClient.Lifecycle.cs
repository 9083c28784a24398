namespace Coffer.Sdk;

public sealed partial class CosClient
{
    /// <summary>
    /// Replaces the lifecycle configuration of a bucket (Python <c>put_bucket_lifecycle</c>). The server runs the rules in
    /// the background: expirations delete, transitions move objects to archive classes (then readable only after
    /// <see cref="RestoreObjectAsync"/>), and abandoned multipart uploads are aborted.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="configuration">1 to 1,000 rules.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> PutBucketLifecycleAsync(string bucket, CosLifecycleConfiguration configuration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var op = BucketOp(HttpMethod.Put, bucket).AddQuery("lifecycle", "");
        SetXmlBody(op, configuration.ToElement());
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>
    /// Reads the lifecycle configuration of a bucket (Python <c>get_bucket_lifecycle</c>). A bucket without one answers 404
    /// <see cref="ErrorCodes.NoSuchLifecycleConfiguration"/>, thrown as <see cref="CofferException"/>.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<GetBucketLifecycleResponse> GetBucketLifecycleAsync(string bucket, CancellationToken cancellationToken = default)
    {
        var (response, root) = await _http.SendForXmlAsync(BucketOp(HttpMethod.Get, bucket).AddQuery("lifecycle", ""), cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<GetBucketLifecycleResponse>(response);
            if (root is not null)
                result.Configuration = CosLifecycleConfiguration.FromXml(root);
            return result;
        }
    }

    /// <summary>
    /// Removes the lifecycle configuration of a bucket (Python <c>delete_bucket_lifecycle</c>). COS answers 404
    /// NoSuchLifecycleConfiguration when there is none; S3 answers 204 either way.
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> DeleteBucketLifecycleAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(BucketOp(HttpMethod.Delete, bucket).AddQuery("lifecycle", ""), cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }
}
