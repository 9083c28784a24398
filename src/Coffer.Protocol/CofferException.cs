namespace Coffer.Protocol;

/// <summary>
/// A request failed with a protocol error: the server answers it with <see cref="Error"/>'s
/// code and status and <see cref="Exception.Message"/>, which says what to fix. The message
/// never contains key material.
/// </summary>
public sealed class CofferException(ErrorCode error, string? message = null, string? resource = null)
    : Exception(message ?? error.DefaultMessage)
{
    public ErrorCode Error { get; } = error;

    /// <summary>What the error concerns (bucket, key); the request path when null.</summary>
    public string? Resource { get; } = resource;

    /// <summary>Extra response headers for this error (e.g. x-cos-storage-class on InvalidObjectState), without family prefix handling.</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Extra elements of the XML error body, written after Message in this order (e.g. S3's HeadersNotSigned).</summary>
    public List<KeyValuePair<string, string>> Details { get; } = [];
}
