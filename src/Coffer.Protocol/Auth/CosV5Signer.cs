namespace Coffer.Protocol.Auth;

/// <summary>
/// Client side of the COS v5 ("q-sign") signature, as the official SDKs compute it
/// [DOC "Request Signature"; PY cos_auth.py]: all given query parameters and headers are signed,
/// each list sorted by its lower-cased, encoded name.
/// </summary>
public static class CosV5Signer
{
    /// <summary>
    /// Returns the full Authorization value
    /// "q-sign-algorithm=sha1&amp;q-ak=…&amp;q-sign-time=…&amp;q-key-time=…&amp;q-header-list=…&amp;q-url-param-list=…&amp;q-signature=…".
    /// </summary>
    /// <param name="secretId">The SecretId (access key id).</param>
    /// <param name="secretKey">The SecretKey.</param>
    /// <param name="method">The HTTP method (any case).</param>
    /// <param name="decodedPath">"/" + key, decoded (UTF-8), e.g. "/exampleobject(腾讯云)"; "/" for bucket operations.</param>
    /// <param name="query">Decoded query parameter names and values, all of which are signed ("" for a parameter without value).</param>
    /// <param name="headers">The headers to sign: name and value as sent.</param>
    /// <param name="start">Start of the validity window (q-sign-time and q-key-time).</param>
    /// <param name="end">End of the validity window.</param>
    public static string Sign(string secretId, string secretKey, string method, string decodedPath,
        IEnumerable<KeyValuePair<string, string>> query, IEnumerable<KeyValuePair<string, string>> headers,
        DateTimeOffset start, DateTimeOffset end)
    {
        var (keyTime, headerList, paramList, signature) = Compute(secretKey, method, decodedPath, query, headers, start, end);
        return "q-sign-algorithm=sha1&q-ak=" + secretId + "&q-sign-time=" + keyTime + "&q-key-time=" + keyTime +
               "&q-header-list=" + headerList + "&q-url-param-list=" + paramList + "&q-signature=" + signature;
    }

    /// <summary>
    /// The q-* parameters for a presigned URL, already URL-encoded, joined with '&amp;' (no leading
    /// '?'). Append them to the request's own query; a security token goes in a separate
    /// <c>x-cos-security-token</c> parameter, which is not signed.
    /// </summary>
    /// <inheritdoc cref="Sign" path="/param"/>
    public static string PresignQuery(string secretId, string secretKey, string method, string decodedPath,
        IEnumerable<KeyValuePair<string, string>> query, IEnumerable<KeyValuePair<string, string>> headers,
        DateTimeOffset start, DateTimeOffset end)
    {
        var (keyTime, headerList, paramList, signature) = Compute(secretKey, method, decodedPath, query, headers, start, end);
        string kt = UriEncoding.Encode(keyTime);
        return "q-sign-algorithm=sha1&q-ak=" + UriEncoding.Encode(secretId) + "&q-sign-time=" + kt + "&q-key-time=" + kt +
               "&q-header-list=" + UriEncoding.Encode(headerList) + "&q-url-param-list=" + UriEncoding.Encode(paramList) +
               "&q-signature=" + signature;
    }

    private static (string KeyTime, string HeaderList, string ParamList, string Signature) Compute(string secretKey, string method, string decodedPath,
        IEnumerable<KeyValuePair<string, string>> query, IEnumerable<KeyValuePair<string, string>> headers, DateTimeOffset start, DateTimeOffset end)
    {
        ArgumentNullException.ThrowIfNull(secretKey);
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentNullException.ThrowIfNull(decodedPath);
        if (end < start)
        {
            throw new ArgumentOutOfRangeException(nameof(end), "The end of the validity window is before its start.");
        }

        string keyTime = start.ToUnixTimeSeconds() + ";" + end.ToUnixTimeSeconds();
        var (paramList, httpParameters) = CosV5.Canonicalize(query);
        var (headerList, httpHeaders) = CosV5.Canonicalize(headers);
        string path = decodedPath.Length == 0 ? "/" : decodedPath;
        string signature = CosV5.ComputeSignature(secretKey, keyTime, keyTime, CosV5.HttpString(method, path, httpParameters, httpHeaders));
        return (keyTime, headerList, paramList, signature);
    }
}
