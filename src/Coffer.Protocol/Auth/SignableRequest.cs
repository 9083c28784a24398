namespace Coffer.Protocol.Auth;

/// <summary>
/// What <see cref="RequestAuthenticator"/> needs of an HTTP request: method, the raw request
/// target and the headers. Build it from Kestrel's <c>IHttpRequestFeature.RawTarget</c>, not from
/// <c>HttpRequest.Path</c>, which has dot segments removed.
/// </summary>
public sealed class SignableRequest
{
    /// <summary>The HTTP method in upper case, e.g. "PUT".</summary>
    public required string Method { get; init; }

    /// <summary>
    /// The request target exactly as received, e.g. "/bucket/a%2Fb?uploads&amp;partNumber=1"
    /// (path not normalised). Absolute-form targets ("http://host/path") are accepted too.
    /// </summary>
    public required string RawTarget { get; init; }

    /// <summary>The request headers, with case-insensitive keys; repeated headers joined with ",".</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>
    /// The names of headers that the request carried more than once (any case); their values
    /// are joined with "," in <see cref="Headers"/>. Authentication refuses a repeated
    /// Authorization header and repeated headers that decide how a request is authenticated.
    /// </summary>
    public IReadOnlyCollection<string> RepeatedHeaders { get; init; } = [];

    /// <summary>
    /// The bucket named by the Host header (virtual-hosted addressing), or null for path style. Only Signature Version 2
    /// uses it: its CanonicalizedResource starts with "/bucket" whichever addressing the request used.
    /// </summary>
    public string? VirtualHostBucket { get; init; }

    /// <summary>Whether the request came over TLS.</summary>
    public bool IsHttps { get; init; }

    /// <summary>
    /// Optional: the lower-case hex SHA-256 of the body, when the server already has the body
    /// (small JSON bodies such as KMS calls). Only used for a SigV4 request that signed its
    /// payload hash without sending <c>x-amz-content-sha256</c> (non-S3 services do that).
    /// </summary>
    public string? BodySha256 { get; init; }

    /// <summary>The value of header <paramref name="name"/>, or null.</summary>
    internal string? Header(string name)
    {
        if (Headers.TryGetValue(name, out var value))
        {
            return value;
        }

        foreach (var pair in Headers)
        {
            if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return pair.Value;
            }
        }

        return null;
    }
}
