namespace Coffer.Storage;

/// <summary>
/// The blob backend could not be reached, or kept failing after the store's own retries (a
/// remote store's 5xx answers, timeouts, refused connections). Nothing is wrong with the
/// request: the server answers 503 ServiceUnavailable, and a client may retry later.
/// </summary>
public sealed class BlobStoreUnavailableException : IOException
{
    /// <summary>Creates the exception with a message that says what failed.</summary>
    public BlobStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message that says what failed, and the backend's own error.</summary>
    public BlobStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
