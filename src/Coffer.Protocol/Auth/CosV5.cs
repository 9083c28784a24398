using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Coffer.Protocol.Auth;

/// <summary>
/// The COS v5 ("q-sign") signature: signing and the server verification recipe of
/// docs/protocol/signatures.md#verifying-on-the-server (COS "Request Signature"; the Python and Node.js COS SDKs).
/// </summary>
internal static class CosV5
{
    /// <summary>How far in the future q-sign-time may start (clock skew allowance).</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);

    /// <summary>
    /// The longest q-sign-time / q-key-time window (end − start): 7 days, S3's presign limit, plus
    /// <see cref="MaxSkew"/>, because both SDKs back-date the start (Python by 60 s, Node by 1 s), so a
    /// 7-day presigned URL from either SDK has a window a little over 7 days.
    /// </summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(7) + MaxSkew;

    /// <summary>The q-* parameters of a COS signature.</summary>
    private sealed record Parameters(string Algorithm, string AccessKeyId, string SignTime, string KeyTime, string HeaderList, string ParamList, string Signature);

    /// <summary>SignKey = hex(HMAC-SHA1(SecretKey, KeyTime)); the signature is HMAC-SHA1 keyed with that hex text.</summary>
    public static string ComputeSignature(string secretKey, string keyTime, string signTime, string httpString)
    {
        string signKey = Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secretKey), Encoding.UTF8.GetBytes(keyTime)));
        string stringToSign = "sha1\n" + signTime + "\n" + Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(httpString))) + "\n";
        return Convert.ToHexStringLower(HMACSHA1.HashData(Encoding.ASCII.GetBytes(signKey), Encoding.UTF8.GetBytes(stringToSign)));
    }

    public static string HttpString(string method, string decodedPath, string httpParameters, string httpHeaders) =>
        method.ToLowerInvariant() + "\n" + decodedPath + "\n" + httpParameters + "\n" + httpHeaders + "\n";

    /// <summary>
    /// Builds (list, "k=v&amp;…") from pairs: key' = lower(encode(name)), value' = encode(value),
    /// sorted by key' (the client side).
    /// </summary>
    public static (string List, string Joined) Canonicalize(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var encoded = pairs.Select(p => (Name: UriEncoding.Encode(p.Key).ToLowerInvariant(), Value: UriEncoding.Encode(p.Value ?? ""))).ToList();
        encoded.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return (string.Join(';', encoded.Select(e => e.Name)), string.Join('&', encoded.Select(e => e.Name + "=" + e.Value)));
    }

    public static AuthenticatedIdentity Verify(SignableRequest request, RequestTarget target, string? authorization, Func<string, string?> secretLookup, DateTimeOffset now)
    {
        bool inHeader = authorization is not null;
        var malformed = inHeader ? ErrorCode.AuthorizationHeaderMalformed : ErrorCode.AuthorizationQueryParametersError;
        var p = inHeader ? ParseHeader(authorization!, malformed) : ParseQuery(target, malformed);

        if (!string.Equals(p.Algorithm, "sha1", StringComparison.OrdinalIgnoreCase))
        {
            throw new CofferException(ErrorCode.AuthorizationHeaderMalformed, "q-sign-algorithm must be sha1.");
        }

        if (p.Signature.Length != 40 || !p.Signature.All(char.IsAsciiHexDigit))
        {
            throw new CofferException(malformed, "q-signature must be 40 hexadecimal characters.");
        }

        var (signStart, signEnd) = ParseTime(p.SignTime, "q-sign-time", malformed);
        var (keyStart, keyEnd) = ParseTime(p.KeyTime, "q-key-time", malformed);
        CheckWindow(signStart, signEnd, "q-sign-time");
        CheckWindow(keyStart, keyEnd, "q-key-time");

        string secret = secretLookup(p.AccessKeyId) ?? throw new CofferException(ErrorCode.InvalidAccessKeyId);

        long nowSeconds = now.ToUnixTimeSeconds();
        if (nowSeconds > signEnd || nowSeconds > keyEnd)
        {
            throw new CofferException(ErrorCode.AccessDenied, "Request has expired");
        }

        // A start in the future is a clock problem: RequestTimeTooSkewed (403) is what the Node SDK
        // recognises to correct its clock from the response's Date header and retry.
        if (signStart - nowSeconds > (long)MaxSkew.TotalSeconds || keyStart - nowSeconds > (long)MaxSkew.TotalSeconds)
        {
            throw new CofferException(ErrorCode.RequestTimeTooSkewed,
                "The signature's start time (q-sign-time / q-key-time) is more than 15 minutes after the server's time; check the client's clock.");
        }

        // Everything that can change what the request does must be signed: every query parameter
        // (a presigned PUT must not become ?uploads or ?acl) and every x-cos-* / x-amz-* header (it
        // must not become a copy, or lock the owner out with SSE-C headers).
        var signedParams = new HashSet<string>(p.ParamList.Split(';', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        SignatureCoverage.CheckCosQuerySigned(target, signedParams, queryAuth: !inHeader);
        var signedHeaders = new HashSet<string>(p.HeaderList.Split(';', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
        SignatureCoverage.CheckHeadersSigned(request, name => signedHeaders.Contains(UriEncoding.Encode(name).ToLowerInvariant()), cos: true);

        string httpParameters = BuildParameters(target, p.ParamList);
        var (httpHeaders, hostWithoutPort) = BuildHeaders(request, p.HeaderList);
        string decodedPath = target.DecodedPath;

        string computed = ComputeSignature(secret, p.KeyTime, p.SignTime, HttpString(request.Method, decodedPath, httpParameters, httpHeaders));
        bool ok = SigV4.SignatureEquals(computed, p.Signature);
        if (!ok && hostWithoutPort is not null)
        {
            // Host leniency: Python signs the host name without the port it sends in Host.
            computed = ComputeSignature(secret, p.KeyTime, p.SignTime, HttpString(request.Method, decodedPath, httpParameters, hostWithoutPort));
            ok = SigV4.SignatureEquals(computed, p.Signature);
        }

        if (!ok)
        {
            throw new CofferException(ErrorCode.SignatureDoesNotMatch);
        }

        string? token = request.Header("x-cos-security-token") ?? target.Get("x-cos-security-token");
        return new AuthenticatedIdentity(p.AccessKeyId, token, inHeader ? SignatureScheme.CosV5Header : SignatureScheme.CosV5Query,
            PayloadKind.NotSigned, null, null, null);
    }

    private static Parameters ParseHeader(string authorization, ErrorCode malformed)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in authorization.Trim().Split('&'))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            string name = part[..eq].Trim();
            if (!values.TryAdd(name, part[(eq + 1)..].Trim()) && name.StartsWith("q-", StringComparison.Ordinal))
            {
                // Two signatures in one header (two Authorization headers folded into one line).
                throw new CofferException(malformed, $"The authorization header gives {name} more than once; send exactly one signature.");
            }
        }

        return Build(values.GetValueOrDefault, malformed);
    }

    private static Parameters ParseQuery(RequestTarget target, ErrorCode malformed)
    {
        // Query values are percent-decoded (Python writes %3B, Node a lower-cased %3b).
        return Build(name =>
        {
            foreach (var q in target.Query)
            {
                if (string.Equals(q.Name, name, StringComparison.Ordinal))
                {
                    return q.Value;
                }
            }

            return null;
        }, malformed);
    }

    private static Parameters Build(Func<string, string?> get, ErrorCode malformed)
    {
        string? algorithm = get("q-sign-algorithm");
        string? ak = get("q-ak");
        string? signTime = get("q-sign-time");
        string? signature = get("q-signature");
        if (algorithm is null || string.IsNullOrEmpty(ak) || string.IsNullOrEmpty(signTime) || signature is null)
        {
            throw new CofferException(malformed, "The COS signature must contain q-sign-algorithm, q-ak, q-sign-time, q-key-time, q-header-list, q-url-param-list and q-signature.");
        }

        return new Parameters(algorithm, ak, signTime, get("q-key-time") ?? signTime, get("q-header-list") ?? "", get("q-url-param-list") ?? "", signature);
    }

    private static (long Start, long End) ParseTime(string value, string name, ErrorCode malformed)
    {
        int semi = value.IndexOf(';');
        if (semi <= 0
            || !long.TryParse(value.AsSpan(0, semi), NumberStyles.None, CultureInfo.InvariantCulture, out long start)
            || !long.TryParse(value.AsSpan(semi + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long end))
        {
            throw new CofferException(malformed, $"{name} must be '<start>;<end>' in Unix seconds.");
        }

        return (start, end);
    }

    /// <summary>Refuses (403 AccessDenied) a window that ends before it starts or is longer than <see cref="MaxWindow"/>.</summary>
    private static void CheckWindow(long start, long end, string name)
    {
        if (end < start)
        {
            throw new CofferException(ErrorCode.AccessDenied,
                $"{name} ends ({end}) before it starts ({start}); sign with '<start>;<end>' where end is not before start.");
        }

        if (end - start > (long)MaxWindow.TotalSeconds)
        {
            throw new CofferException(ErrorCode.AccessDenied,
                $"The {name} window is {end - start} seconds long; it may be at most 7 days (604800 seconds, plus 900 for clock skew). Sign with a shorter expiry.");
        }
    }

    /// <summary>HttpParameters from q-url-param-list, in the order given; values from the decoded query.</summary>
    private static string BuildParameters(RequestTarget target, string paramList)
    {
        if (paramList.Length == 0)
        {
            return "";
        }

        var sb = new StringBuilder();
        foreach (string name in paramList.Split(';'))
        {
            if (name.Length == 0)
            {
                continue;
            }

            string? value = null;
            foreach (var q in target.Query)
            {
                if (string.Equals(UriEncoding.Encode(q.Name).ToLowerInvariant(), name, StringComparison.Ordinal))
                {
                    value = q.Value;
                    break;
                }
            }

            if (value is null)
            {
                throw new CofferException(ErrorCode.SignatureDoesNotMatch, $"The signed query parameter '{Truncate(name)}' is not in the request.");
            }

            if (sb.Length > 0)
            {
                sb.Append('&');
            }

            sb.Append(name).Append('=').Append(UriEncoding.Encode(value));
        }

        return sb.ToString();
    }

    /// <summary>
    /// HttpHeaders from q-header-list, in the order given; and, when Host is signed and carries a
    /// port, the same string with the port removed from Host (null otherwise).
    /// </summary>
    private static (string Headers, string? WithoutPort) BuildHeaders(SignableRequest request, string headerList)
    {
        if (headerList.Length == 0)
        {
            return ("", null);
        }

        var sb = new StringBuilder();
        var alt = new StringBuilder();
        bool hostHasPort = false;
        foreach (string name in headerList.Split(';'))
        {
            if (name.Length == 0)
            {
                continue;
            }

            string value = FindHeader(request, name)
                ?? throw new CofferException(ErrorCode.SignatureDoesNotMatch, $"The signed header '{Truncate(name)}' is not in the request.");
            if (sb.Length > 0)
            {
                sb.Append('&');
                alt.Append('&');
            }

            string encoded = UriEncoding.Encode(value);
            sb.Append(name).Append('=').Append(encoded);
            if (name == "host" && SigV4.StripPort(value) is { } bare)
            {
                hostHasPort = true;
                alt.Append(name).Append('=').Append(UriEncoding.Encode(bare));
            }
            else
            {
                alt.Append(name).Append('=').Append(encoded);
            }
        }

        return (sb.ToString(), hostHasPort ? alt.ToString() : null);
    }

    /// <summary>The request header whose lower-cased, encoded name equals <paramref name="signedName"/>.</summary>
    private static string? FindHeader(SignableRequest request, string signedName)
    {
        if (request.Header(signedName) is { } direct && UriEncoding.Encode(signedName) == signedName)
        {
            return direct;
        }

        foreach (var pair in request.Headers)
        {
            if (string.Equals(UriEncoding.Encode(pair.Key).ToLowerInvariant(), signedName, StringComparison.Ordinal))
            {
                return pair.Value;
            }
        }

        return null;
    }

    private static string Truncate(string text) => text.Length <= 100 ? text : text[..100] + "…";
}
