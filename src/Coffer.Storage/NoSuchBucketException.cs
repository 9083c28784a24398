namespace Coffer.Storage;

/// <summary>
/// A write named a bucket that does not exist (for instance one deleted between the handler's
/// check and the write). Handlers map it to NoSuchBucket.
/// </summary>
public sealed class NoSuchBucketException : Exception
{
    /// <summary>Creates the exception for <paramref name="bucket"/>.</summary>
    public NoSuchBucketException(string bucket)
        : base($"The bucket '{bucket}' does not exist.")
    {
        Bucket = bucket;
    }

    /// <summary>The missing bucket's name.</summary>
    public string Bucket { get; }
}
