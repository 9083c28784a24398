using System.Globalization;
using System.Text;

namespace Coffer.Protocol.Auth;

/// <summary>
/// Verifies AWS Signature Version 2 in the Authorization header (<c>AWS &lt;key&gt;:&lt;base64 HMAC-SHA1&gt;</c>) and in
/// the query (<c>AWSAccessKeyId</c>, <c>Expires</c>, <c>Signature</c>), as S3, MinIO and Ceph RGW accept it
/// (docs/protocol/signatures.md#signature-version-2).
/// <para>
/// What the signature covers: method, Content-MD5, Content-Type, the date (or Expires), every <c>x-amz-*</c> header
/// and the resource with its sub-resources. The rules of <see cref="SignatureCoverage"/> apply as to SigV4 with the
/// <c>x-amz-*</c> headers as the signed set: an <c>x-cos-*</c> header, which SigV2 cannot sign, is refused, and so is a
/// query parameter that is neither a signed sub-resource, nor authentication, nor a plain listing argument
/// (<see cref="SigV2.UnsignedArguments"/>), so nobody can turn a signed request into another operation by adding one.
/// </para>
/// </summary>
internal static class SigV2Verifier
{
    /// <summary>S3's answer to an Authorization header that is not "AWS key:signature".</summary>
    public const string MalformedHeaderMessage = "Authorization header is invalid -- one and only one ' ' (space) required.";

    /// <summary>S3's answer to a presigned URL that lacks one of its three parameters (names are case-sensitive).</summary>
    public const string MissingQueryMessage = "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters";

    /// <summary>Whether a query parameter marks SigV2 query authentication (case-sensitive, as S3 reads them).</summary>
    public static bool IsQueryAuth(string name) => name is "AWSAccessKeyId" or "Signature";

    public static AuthenticatedIdentity VerifyHeader(SignableRequest request, RequestTarget target, string authorization, Func<string, string?> secretLookup, DateTimeOffset now)
    {
        // "AWS" SP key ":" signature; the key may not contain a space, the signature neither.
        string rest = authorization.Trim()[4..];
        int colon = rest.LastIndexOf(':');
        if (rest.Contains(' ', StringComparison.Ordinal) || rest.Contains('\t', StringComparison.Ordinal))
        {
            throw new CofferException(ErrorCode.InvalidArgument, MalformedHeaderMessage);
        }

        if (colon <= 0 || colon == rest.Length - 1)
        {
            throw new CofferException(ErrorCode.InvalidArgument,
                "The Signature Version 2 Authorization header must be 'AWS <AWSAccessKeyId>:<Signature>'.");
        }

        string accessKeyId = rest[..colon];
        string signature = rest[(colon + 1)..];

        // The request time: x-amz-date, or Date (either in RFC 1123 form; x-amz-date also in the SigV4 form).
        string? amzDate = request.Header("x-amz-date")?.Trim();
        string? date = request.Header("date")?.Trim();
        DateTimeOffset requestTime;
        bool timed = amzDate is not null
            ? SigV4.TryParseHttpDate(amzDate, out requestTime) || SigV4.TryParseAmzDate(amzDate, out requestTime)
            : SigV4.TryParseHttpDate(date, out requestTime);
        if (!timed)
        {
            throw new CofferException(ErrorCode.AccessDenied, "AWS authentication requires a valid Date or x-amz-date header");
        }

        string secret = secretLookup(accessKeyId) ?? throw new CofferException(ErrorCode.InvalidAccessKeyId);

        if ((requestTime - now).Duration() > SigV4Verifier.MaxSkew)
        {
            var skewed = new CofferException(ErrorCode.RequestTimeTooSkewed,
                $"The difference between the request time ({requestTime:yyyy-MM-ddTHH:mm:ssZ}) and the server's time ({now.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}) is too large.");
            skewed.Details.Add(new("RequestTime", amzDate ?? date ?? ""));
            skewed.Details.Add(new("ServerTime", now.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
            skewed.Details.Add(new("MaxAllowedSkewMilliseconds", "900000"));
            throw skewed;
        }

        // The Date slot has three readings when x-amz-date is present (docs/protocol/signatures.md#signature-version-2):
        // empty with an x-amz-date line (AWS text), the x-amz-date value without that line (AWS DELETE sample), and the
        // Date header's value with the line (botocore, MinIO).
        var headers = request.Headers;
        List<(string Date, string AmzHeaders)> dates;
        if (amzDate is null)
        {
            dates = [(date ?? "", SigV2.CanonicalAmzHeaders(headers))];
        }
        else
        {
            string withLine = SigV2.CanonicalAmzHeaders(headers);
            dates = [("", withLine), (amzDate, SigV2.CanonicalAmzHeaders(headers, skip: "x-amz-date"))];
            if (!string.IsNullOrEmpty(date))
            {
                dates.Add((date, withLine));
            }
        }

        Verify(request, target, accessKeyId, secret, signature, dates, request.Header("content-md5"), request.Header("content-type"));
        CheckCoverage(request, target, queryAuth: false);
        var (kind, payloadSha) = Payload(request);
        string? token = request.Header("x-amz-security-token");
        return new AuthenticatedIdentity(accessKeyId, token, SignatureScheme.SigV2Header, kind, payloadSha, null, null) { Service = "s3" };
    }

    public static AuthenticatedIdentity VerifyQuery(SignableRequest request, RequestTarget target, Func<string, string?> secretLookup, DateTimeOffset now)
    {
        string? accessKeyId = null, expiresText = null, signature = null;
        foreach (var p in target.Query)
        {
            switch (p.Name)
            {
                case "AWSAccessKeyId":
                    accessKeyId ??= p.Value;
                    break;
                case "Expires":
                    expiresText ??= p.Value;
                    break;
                case "Signature":
                    signature ??= p.Value;
                    break;
            }
        }

        if (string.IsNullOrEmpty(accessKeyId) || string.IsNullOrEmpty(expiresText) || string.IsNullOrEmpty(signature))
        {
            throw new CofferException(ErrorCode.AccessDenied, MissingQueryMessage);
        }

        if (!long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out long expires) || expires > 253402300799)
        {
            throw new CofferException(ErrorCode.AccessDenied, $"Invalid date (should be seconds since epoch): {Truncate(expiresText)}");
        }

        string secret = secretLookup(accessKeyId) ?? throw new CofferException(ErrorCode.InvalidAccessKeyId);

        long nowSeconds = now.ToUnixTimeSeconds();
        if (nowSeconds > expires)
        {
            var expired = new CofferException(ErrorCode.AccessDenied, "Request has expired");
            expired.Details.Add(new("Expires", DateTimeOffset.FromUnixTimeSeconds(expires).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
            expired.Details.Add(new("ServerTime", now.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
            throw expired;
        }

        // SigV2 carries no signing time, so the cap is measured from the server's clock when the URL is used: at no moment
        // may a URL have more than a week (plus the usual 15-minute clock allowance) left to live.
        if (expires - nowSeconds > SigV2.MaxExpiresSeconds + (long)SigV4Verifier.MaxSkew.TotalSeconds)
        {
            throw new CofferException(ErrorCode.AuthorizationQueryParametersError,
                "Expires must be less than a week (604800 seconds) after the time the request reaches the server; presign for at most 7 days.");
        }

        // The x-amz-* headers botocore moves into the query of a presigned URL (x-amz-security-token, …) are signed as
        // amz headers, beside those the request itself sends.
        var amz = new List<KeyValuePair<string, string>>(request.Headers);
        foreach (var p in target.Query)
        {
            if (p.Name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            {
                amz.Add(new(p.Name, p.Value));
            }
        }

        string? contentMd5 = request.Header("content-md5") ?? QueryValue(target, "content-md5");
        string? contentType = request.Header("content-type") ?? QueryValue(target, "content-type");
        Verify(request, target, accessKeyId, secret, signature, [(expiresText, SigV2.CanonicalAmzHeaders(amz))], contentMd5, contentType);
        CheckCoverage(request, target, queryAuth: true);
        var (kind, payloadSha) = Payload(request);
        string? token = request.Header("x-amz-security-token") ?? QueryValue(target, "x-amz-security-token");
        return new AuthenticatedIdentity(accessKeyId, token, SignatureScheme.SigV2Query, kind, payloadSha, null, null) { Service = "s3" };
    }

    /// <summary>
    /// Tries every string to sign the client may have made (each Date-slot reading; the resource with the raw path,
    /// with the path re-encoded canonically, and "/bucket/" for a path-style "/bucket"; an empty sub-resource value with
    /// and without '=') and throws
    /// SignatureDoesNotMatch, with the first string to sign as S3 reports it, when none matches.
    /// </summary>
    private static void Verify(
        SignableRequest request, RequestTarget target, string accessKeyId, string secret, string signature,
        List<(string Date, string AmzHeaders)> dates, string? contentMd5, string? contentType)
    {
        var resources = new List<string>();
        List<string> paths = [target.RawPath, UriEncoding.CanonicalPathFromRaw(target.RawPath)];
        if (request.VirtualHostBucket is null && target.RawPath.Length > 1 && target.RawPath.IndexOf('/', 1) < 0)
        {
            // Path-style "/bucket": botocore signs "/bucket/", which names the same bucket.
            paths.Add(target.RawPath + "/");
        }

        foreach (string path in paths)
        {
            foreach (bool drop in (bool[])[false, true])
            {
                string resource = SigV2.CanonicalResource(request.VirtualHostBucket, path, target.Query, drop);
                if (!resources.Contains(resource))
                {
                    resources.Add(resource);
                }
            }
        }

        string? first = null;
        foreach (var (date, amzHeaders) in dates)
        {
            foreach (string resource in resources)
            {
                string stringToSign = SigV2.StringToSign(request.Method, contentMd5?.Trim() ?? "", contentType?.Trim() ?? "", date, amzHeaders, resource);
                first ??= stringToSign;
                if (SigV2.SignatureEquals(SigV2.Mac(secret, stringToSign), signature))
                {
                    return;
                }
            }
        }

        var e = new CofferException(ErrorCode.SignatureDoesNotMatch);
        e.Details.Add(new("AWSAccessKeyId", accessKeyId));
        e.Details.Add(new("StringToSign", first!));
        e.Details.Add(new("SignatureProvided", signature));
        e.Details.Add(new("StringToSignBytes", BitConverter.ToString(Encoding.UTF8.GetBytes(first!)).Replace('-', ' ').ToLowerInvariant()));
        throw e;
    }

    /// <summary>
    /// The signed set is every x-amz-* header (by construction), so an x-cos-* header is refused; a query parameter
    /// outside the signed sub-resources and the plain listing arguments is refused too, except, in a presigned URL, its
    /// own parameters and the x-amz-*/content-type/content-md5 parameters its string to sign covers (the header form
    /// signs none of those).
    /// </summary>
    private static void CheckCoverage(SignableRequest request, RequestTarget target, bool queryAuth)
    {
        SignatureCoverage.CheckHeadersSigned(request, name => name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase), cos: false);
        List<string>? unsigned = null;
        foreach (var p in target.Query)
        {
            if (SigV2.SubResources.Contains(p.Name) || SigV2.UnsignedArguments.Contains(p.Name)
                || (queryAuth && (p.Name is "AWSAccessKeyId" or "Expires" or "Signature" or "content-type" or "content-md5"
                    || p.Name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))))
            {
                continue;
            }

            (unsigned ??= []).Add(p.Name);
        }

        if (unsigned is not null)
        {
            throw new CofferException(ErrorCode.AccessDenied,
                $"There were query parameters present in the request which Signature Version 2 does not sign: {Truncate(string.Join(", ", unsigned))}. Sign the request with Signature Version 4.");
        }
    }

    /// <summary>What the body is: a signed x-amz-content-sha256 hash is checked; aws-chunked framing needs SigV4.</summary>
    private static (PayloadKind Kind, string? Sha256) Payload(SignableRequest request)
    {
        string? contentSha = request.Header("x-amz-content-sha256")?.Trim();
        if (contentSha is null || contentSha == SigV4.UnsignedPayload)
        {
            return (PayloadKind.Unsigned, null);
        }

        if (SigV4.IsSha256Hex(contentSha))
        {
            return (PayloadKind.Sha256, contentSha.ToLowerInvariant());
        }

        throw new CofferException(ErrorCode.InvalidArgument,
            "Under Signature Version 2, x-amz-content-sha256 may only be UNSIGNED-PAYLOAD or a sha256 value; aws-chunked bodies need Signature Version 4.");
    }

    private static string? QueryValue(RequestTarget target, string name)
    {
        foreach (var p in target.Query)
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return null;
    }

    private static string Truncate(string text) => text.Length <= 100 ? text : text[..100] + "…";
}
