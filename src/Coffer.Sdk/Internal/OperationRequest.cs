namespace Coffer.Sdk.Internal;

/// <summary>
/// One operation's request before addressing and signing: method, bucket, key, query,
/// headers (named in the x-cos-* family; the builder maps them to x-amz-* for SigV4) and body.
/// </summary>
internal sealed class OperationRequest(HttpMethod method, string? bucket, string? key)
{
    public HttpMethod Method { get; } = method;
    public string? Bucket { get; } = bucket;
    public string? Key { get; } = key;

    /// <summary>Decoded names and values; "" for a parameter without value (<c>?uploads</c>).</summary>
    public List<KeyValuePair<string, string>> Query { get; } = [];

    /// <summary>Protocol headers in the COS family (translated for SigV4).</summary>
    public List<KeyValuePair<string, string>> Headers { get; } = [];

    /// <summary>Headers the caller gave verbatim (never translated).</summary>
    public List<KeyValuePair<string, string>> RawHeaders { get; } = [];

    public CosBody? Body { get; set; }

    /// <summary>Called with the number of body bytes each time some are sent.</summary>
    public Action<long>? OnBytesSent { get; set; }

    /// <summary>Called before each attempt (e.g. to take back the progress a failed attempt reported).</summary>
    public Action? OnAttempt { get; set; }

    /// <summary>The SigV4 service: "s3", or "kms" for the KMS JSON API.</summary>
    public string Service { get; init; } = "s3";

    /// <summary>Whether a 404 for a HEAD means "no such bucket" rather than "no such key" (for the synthetic error code).</summary>
    public bool IsBucketLevel => Key is null;

    public OperationRequest AddQuery(string name, string? value)
    {
        if (value is not null)
        {
            Query.Add(new(name, value));
        }

        return this;
    }

    public OperationRequest AddQuery(string name, long? value) =>
        AddQuery(name, value?.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public OperationRequest AddHeader(string name, string? value)
    {
        if (value is not null)
        {
            Headers.Add(new(name, value));
        }

        return this;
    }

    public OperationRequest AddRawHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        RawHeaders.AddRange(headers);
        return this;
    }
}
