using System.Text;

namespace Coffer.Protocol.Auth;

/// <summary>
/// Client side of AWS Signature Version 4 for services "s3" and "kms" in any region: the
/// Authorization header, presigned URLs, and the aws-chunked chunk and trailer signatures.
/// The canonical forms match what <see cref="RequestAuthenticator"/> verifies: the canonical
/// URI re-encodes each decoded path segment, the canonical query is sorted and re-encoded.
/// </summary>
public static class SigV4Signer
{
    /// <summary>"AWS4-HMAC-SHA256".</summary>
    public const string Algorithm = SigV4.Algorithm;

    /// <summary>x-amz-content-sha256 of a body that is not signed.</summary>
    public const string UnsignedPayload = SigV4.UnsignedPayload;

    /// <summary>x-amz-content-sha256 of an aws-chunked body with signed chunks.</summary>
    public const string StreamingPayload = SigV4.StreamingPayload;

    /// <summary>x-amz-content-sha256 of an aws-chunked body with signed chunks and a signed trailer.</summary>
    public const string StreamingPayloadTrailer = SigV4.StreamingPayloadTrailer;

    /// <summary>x-amz-content-sha256 of an aws-chunked body without signatures, with a trailer.</summary>
    public const string StreamingUnsignedPayloadTrailer = SigV4.StreamingUnsignedTrailer;

    /// <summary>Hex SHA-256 of the empty string.</summary>
    public const string EmptySha256 = SigV4.EmptySha256;

    /// <summary>Formats a time as x-amz-date wants it: "yyyyMMddTHHmmssZ" in UTC.</summary>
    public static string FormatAmzDate(DateTimeOffset time) => SigV4.FormatAmzDate(time);

    /// <summary>
    /// Signs a request and returns the Authorization value
    /// "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".
    /// </summary>
    /// <param name="accessKeyId">The access key id.</param>
    /// <param name="secretKey">The secret access key.</param>
    /// <param name="region">The region of the credential scope, e.g. "us-east-1".</param>
    /// <param name="service">"s3" or "kms".</param>
    /// <param name="method">The HTTP method.</param>
    /// <param name="rawTarget">The request target as it will be sent, e.g. "/bucket/a%2Fb?uploads".</param>
    /// <param name="headers">
    /// The headers to sign, all of which are signed: must include "host" and "x-amz-date"
    /// (and, for S3, "x-amz-content-sha256"). Repeated names are joined with ",".
    /// </param>
    /// <param name="payloadHash">The payload hash to sign; null to take it from the x-amz-content-sha256 header.</param>
    public static string Sign(string accessKeyId, string secretKey, string region, string service, string method, string rawTarget,
        IEnumerable<KeyValuePair<string, string>> headers, string? payloadHash = null)
    {
        return Authorization(accessKeyId, region, service, headers, SignCore(secretKey, region, service, method, rawTarget, headers, payloadHash));
    }

    /// <summary>As <see cref="Sign"/>, and also returns the signature alone (the seed of an aws-chunked body).</summary>
    /// <inheritdoc cref="Sign" path="/param"/>
    /// <param name="signature">The request signature, lower-case hex.</param>
    public static string Sign(string accessKeyId, string secretKey, string region, string service, string method, string rawTarget,
        IEnumerable<KeyValuePair<string, string>> headers, string? payloadHash, out string signature)
    {
        signature = SignCore(secretKey, region, service, method, rawTarget, headers, payloadHash);
        return Authorization(accessKeyId, region, service, headers, signature);
    }

    /// <summary>
    /// The X-Amz-* query parameters of a presigned URL (algorithm, credential, date, expires,
    /// signed headers, optional security token, signature), URL-encoded and joined with '&amp;',
    /// no leading '?'. Append them to <paramref name="rawTarget"/>'s query. The payload is
    /// UNSIGNED-PAYLOAD.
    /// </summary>
    /// <param name="accessKeyId">The access key id.</param>
    /// <param name="secretKey">The secret access key.</param>
    /// <param name="region">The region of the credential scope.</param>
    /// <param name="service">"s3" or "kms".</param>
    /// <param name="method">The HTTP method.</param>
    /// <param name="rawTarget">The request target without the X-Amz-* parameters.</param>
    /// <param name="headers">The headers to sign; must include "host".</param>
    /// <param name="time">The signing time (X-Amz-Date).</param>
    /// <param name="expires">How long the URL is valid: 1 s to 7 days.</param>
    /// <param name="securityToken">An STS token to include (signed) as X-Amz-Security-Token, or null.</param>
    public static string Presign(string accessKeyId, string secretKey, string region, string service, string method, string rawTarget,
        IEnumerable<KeyValuePair<string, string>> headers, DateTimeOffset time, TimeSpan expires, string? securityToken = null)
    {
        long seconds = (long)expires.TotalSeconds;
        if (seconds < 1 || seconds > SigV4.MaxExpiresSeconds)
        {
            throw new ArgumentOutOfRangeException(nameof(expires), "A presigned URL is valid for 1 second to 7 days.");
        }

        var headerMap = NormaliseHeaders(headers);
        if (!headerMap.ContainsKey("host"))
        {
            throw new ArgumentException("The host header must be signed.", nameof(headers));
        }

        string amzDate = SigV4.FormatAmzDate(time);
        string scope = Scope(amzDate[..8], region, service);
        string signedHeaders = string.Join(';', headerMap.Keys);
        var added = new List<KeyValuePair<string, string>>
        {
            new("X-Amz-Algorithm", SigV4.Algorithm),
            new("X-Amz-Credential", accessKeyId + "/" + scope),
            new("X-Amz-Date", amzDate),
            new("X-Amz-Expires", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("X-Amz-SignedHeaders", signedHeaders),
        };
        if (securityToken is not null)
        {
            added.Add(new("X-Amz-Security-Token", securityToken));
        }

        var target = RequestTarget.Parse(rawTarget);
        var query = target.Query.Concat(added.Select(p => new QueryParameter(p.Key, p.Value, p.Key, p.Value, true)));
        string canonicalRequest = SigV4.CanonicalRequest(method, UriEncoding.CanonicalPathFromRaw(target.RawPath), SigV4.CanonicalQuery(query),
            CanonicalHeaders(headerMap), signedHeaders, SigV4.UnsignedPayload);
        byte[] key = SigV4.DeriveSigningKey(secretKey, amzDate[..8], region, service);
        string signature = SigV4.Sign(key, SigV4.StringToSign(amzDate, scope, canonicalRequest));

        var sb = new StringBuilder();
        foreach (var (name, value) in added)
        {
            sb.Append(name).Append('=').Append(UriEncoding.Encode(value)).Append('&');
        }

        return sb.Append("X-Amz-Signature=").Append(signature).ToString();
    }

    /// <summary>
    /// The context to sign an aws-chunked body's chunks with: the request's signing key, its
    /// signature as seed, its x-amz-date and scope.
    /// </summary>
    /// <param name="secretKey">The secret access key.</param>
    /// <param name="region">The region of the credential scope.</param>
    /// <param name="service">"s3".</param>
    /// <param name="amzDate">The request's x-amz-date ("yyyyMMddTHHmmssZ").</param>
    /// <param name="seedSignature">The request's signature (the Authorization header's Signature).</param>
    public static ChunkSigningContext CreateChunkSigningContext(string secretKey, string region, string service, string amzDate, string seedSignature)
    {
        if (!SigV4.TryParseAmzDate(amzDate, out _))
        {
            throw new ArgumentException("amzDate must be of the form yyyyMMddTHHmmssZ.", nameof(amzDate));
        }

        byte[] key = SigV4.DeriveSigningKey(secretKey, amzDate[..8], region, service);
        return new ChunkSigningContext(key, seedSignature.ToLowerInvariant(), amzDate, Scope(amzDate[..8], region, service));
    }

    /// <summary>The chunk-signature of one chunk (the final chunk is empty), chained from <paramref name="previousSignature"/>.</summary>
    public static string SignChunk(ChunkSigningContext context, string previousSignature, ReadOnlySpan<byte> chunk) =>
        SigV4.Sign(context.SigningKey, SigV4.ChunkStringToSign(context.AmzDate, context.Scope, previousSignature, SigV4.Sha256Hex(chunk)));

    /// <summary>
    /// The x-amz-trailer-signature of the trailer lines (name lower-case, value as sent),
    /// chained from the final chunk's signature.
    /// </summary>
    public static string SignTrailer(ChunkSigningContext context, string previousSignature, IEnumerable<KeyValuePair<string, string>> trailers)
    {
        var canonical = new StringBuilder();
        foreach (var (name, value) in trailers)
        {
            canonical.Append(name.ToLowerInvariant()).Append(':').Append(value).Append('\n');
        }

        return SigV4.Sign(context.SigningKey, SigV4.TrailerStringToSign(context.AmzDate, context.Scope, previousSignature, canonical.ToString()));
    }

    private static string SignCore(string secretKey, string region, string service, string method, string rawTarget,
        IEnumerable<KeyValuePair<string, string>> headers, string? payloadHash)
    {
        var headerMap = NormaliseHeaders(headers);
        if (!headerMap.ContainsKey("host"))
        {
            throw new ArgumentException("The host header must be signed.", nameof(headers));
        }

        if (!headerMap.TryGetValue("x-amz-date", out var amzDateValue) || !SigV4.TryParseAmzDate(amzDateValue, out var time))
        {
            throw new ArgumentException("An x-amz-date header of the form yyyyMMddTHHmmssZ must be signed.", nameof(headers));
        }

        payloadHash ??= headerMap.GetValueOrDefault("x-amz-content-sha256")
            ?? throw new ArgumentException("Give payloadHash, or sign an x-amz-content-sha256 header.", nameof(payloadHash));
        string amzDate = SigV4.FormatAmzDate(time);
        string scope = Scope(amzDate[..8], region, service);
        var target = RequestTarget.Parse(rawTarget);
        string canonicalRequest = SigV4.CanonicalRequest(method, UriEncoding.CanonicalPathFromRaw(target.RawPath), SigV4.CanonicalQuery(target.Query),
            CanonicalHeaders(headerMap), string.Join(';', headerMap.Keys), payloadHash);
        byte[] key = SigV4.DeriveSigningKey(secretKey, amzDate[..8], region, service);
        return SigV4.Sign(key, SigV4.StringToSign(amzDate, scope, canonicalRequest));
    }

    private static string Authorization(string accessKeyId, string region, string service, IEnumerable<KeyValuePair<string, string>> headers, string signature)
    {
        var headerMap = NormaliseHeaders(headers);
        string signedHeaders = string.Join(';', headerMap.Keys);
        SigV4.TryParseAmzDate(headerMap["x-amz-date"], out var time);
        return $"{SigV4.Algorithm} Credential={accessKeyId}/{Scope(SigV4.FormatAmzDate(time)[..8], region, service)}, SignedHeaders={signedHeaders}, Signature={signature}";
    }

    private static string Scope(string date, string region, string service) => $"{date}/{region}/{service}/aws4_request";

    /// <summary>Lower-cased names, sorted ordinally; repeated names joined with ",".</summary>
    private static SortedDictionary<string, string> NormaliseHeaders(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in headers)
        {
            string key = name.ToLowerInvariant();
            map[key] = map.TryGetValue(key, out var existing) ? existing + "," + value : value;
        }

        return map;
    }

    private static string CanonicalHeaders(SortedDictionary<string, string> headers)
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in headers)
        {
            sb.Append(name).Append(':').Append(SigV4.CanonicalHeaderValue(value)).Append('\n');
        }

        return sb.ToString();
    }
}
