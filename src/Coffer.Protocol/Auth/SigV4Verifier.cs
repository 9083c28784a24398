using System.Globalization;
using System.Text;

namespace Coffer.Protocol.Auth;

/// <summary>
/// Verifies AWS Signature Version 4, in the Authorization header and in presigned URLs, for
/// services "s3" and "kms" in any region.
/// </summary>
internal static class SigV4Verifier
{
    /// <summary>How far the request time may be from the server's (header form).</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(15);

    private sealed record Credential(string AccessKeyId, string Date, string Region, string Service)
    {
        public string Scope => $"{Date}/{Region}/{Service}/aws4_request";
    }

    public static AuthenticatedIdentity VerifyHeader(SignableRequest request, RequestTarget target, string authorization, Func<string, string?> secretLookup, DateTimeOffset now)
    {
        var malformed = ErrorCode.AuthorizationHeaderMalformed;
        var rest = authorization.AsSpan().Trim();
        if (!rest.StartsWith(SigV4.Algorithm, StringComparison.Ordinal) ||
            (rest.Length > SigV4.Algorithm.Length && !char.IsWhiteSpace(rest[SigV4.Algorithm.Length])))
        {
            throw new CofferException(malformed, "The authorization header uses an unsupported algorithm; only AWS4-HMAC-SHA256 and the COS q-sign signature are supported.");
        }

        string? credentialText = null, signedHeaders = null, signature = null;
        foreach (var range in rest[SigV4.Algorithm.Length..].Split(','))
        {
            var part = rest[SigV4.Algorithm.Length..][range].Trim();
            if (part.IsEmpty)
            {
                continue;
            }

            int eq = part.IndexOf('=');
            if (eq <= 0)
            {
                throw new CofferException(malformed, $"The authorization header component '{Truncate(part)}' is not of the form name=value.");
            }

            var name = part[..eq].Trim();
            string value = part[(eq + 1)..].Trim().ToString();
            if ((name.SequenceEqual("Credential") && credentialText is not null) ||
                (name.SequenceEqual("SignedHeaders") && signedHeaders is not null) ||
                (name.SequenceEqual("Signature") && signature is not null))
            {
                // Two signatures in one header (two Authorization headers folded into one line).
                throw new CofferException(malformed, $"The authorization header gives {name} more than once; send exactly one signature.");
            }

            if (name.SequenceEqual("Credential"))
            {
                credentialText = value;
            }
            else if (name.SequenceEqual("SignedHeaders"))
            {
                signedHeaders = value;
            }
            else if (name.SequenceEqual("Signature"))
            {
                signature = value;
            }
        }

        if (credentialText is null || signedHeaders is null || signature is null)
        {
            throw new CofferException(malformed, "The authorization header must contain Credential, SignedHeaders and Signature.");
        }

        var credential = ParseCredential(credentialText, malformed);
        CheckSignatureFormat(signature, malformed);
        var signedHeaderList = ParseSignedHeaders(signedHeaders, malformed);

        if (target.Has("X-Amz-Algorithm") || target.Has("X-Amz-Signature"))
        {
            throw new CofferException(ErrorCode.InvalidArgument, SignatureCoverage.OneMechanismMessage);
        }

        // The request time: x-amz-date, or the Date header.
        DateTimeOffset requestTime;
        string? amzDateHeader = request.Header("x-amz-date");
        if (amzDateHeader is not null)
        {
            if (!SigV4.TryParseAmzDate(amzDateHeader, out requestTime))
            {
                throw new CofferException(malformed, "The x-amz-date header is not of the form yyyyMMddTHHmmssZ.");
            }
        }
        else if (!SigV4.TryParseHttpDate(request.Header("date"), out requestTime))
        {
            throw new CofferException(malformed, "AWS authentication requires a valid Date or x-amz-date header.");
        }

        string amzDate = SigV4.FormatAmzDate(requestTime);
        if (!string.Equals(amzDate[..8], credential.Date, StringComparison.Ordinal))
        {
            throw new CofferException(malformed, $"Invalid credential date '{credential.Date}': it is not the date of the request ({amzDate[..8]}).");
        }

        string secret = secretLookup(credential.AccessKeyId) ?? throw new CofferException(ErrorCode.InvalidAccessKeyId);

        if ((requestTime - now).Duration() > MaxSkew)
        {
            throw new CofferException(ErrorCode.RequestTimeTooSkewed,
                $"The difference between the request time ({requestTime:yyyy-MM-ddTHH:mm:ssZ}) and the server's time ({now.ToUniversalTime():yyyy-MM-ddTHH:mm:ssZ}) is too large.");
        }

        // The payload hash the client signed, and what it says about the body.
        string? contentSha = request.Header("x-amz-content-sha256")?.Trim();
        PayloadKind kind;
        string? payloadSha = null;
        List<string> payloadCandidates = [];
        if (contentSha is null)
        {
            // AWS SDKs always send it for S3; other services sign the body hash without sending it.
            if (request.BodySha256 is { } body && SigV4.IsSha256Hex(body))
            {
                payloadCandidates.Add(body.ToLowerInvariant());
            }

            payloadCandidates.Add(SigV4.EmptySha256);
            payloadCandidates.Add(SigV4.UnsignedPayload);
            kind = PayloadKind.Unsigned;
        }
        else
        {
            payloadCandidates.Add(contentSha);
            kind = ClassifyPayload(contentSha);
            if (kind == PayloadKind.Sha256)
            {
                payloadSha = contentSha.ToLowerInvariant();
            }
        }

        byte[] key = SigV4.DeriveSigningKey(secret, credential.Date, credential.Region, credential.Service);
        string canonicalQuery = SigV4.CanonicalQuery(target.Query);
        string matchedPayload = Verify(request, target, key, amzDate, credential.Scope, canonicalQuery, signedHeaders, signedHeaderList, payloadCandidates, signature);
        CheckHeadersSigned(request, signedHeaderList);
        if (contentSha is null)
        {
            if (string.Equals(matchedPayload, SigV4.UnsignedPayload, StringComparison.Ordinal))
            {
                kind = PayloadKind.Unsigned;
            }
            else
            {
                kind = PayloadKind.Sha256;
                payloadSha = matchedPayload;
            }
        }

        string seed = signature.ToLowerInvariant();
        var chunking = kind is PayloadKind.StreamingSigned or PayloadKind.StreamingSignedTrailer
            ? new ChunkSigningContext(key, seed, amzDate, credential.Scope)
            : null;
        string? token = request.Header("x-amz-security-token") ?? target.Get("X-Amz-Security-Token");
        return new AuthenticatedIdentity(credential.AccessKeyId, token, SignatureScheme.SigV4Header, kind, payloadSha, chunking, credential.Region)
        {
            Service = credential.Service,
        };
    }

    public static AuthenticatedIdentity VerifyQuery(SignableRequest request, RequestTarget target, Func<string, string?> secretLookup, DateTimeOffset now)
    {
        var malformed = ErrorCode.AuthorizationQueryParametersError;
        string? algorithm = target.Get("X-Amz-Algorithm");
        if (algorithm != SigV4.Algorithm)
        {
            throw new CofferException(malformed, algorithm is null
                ? "X-Amz-Algorithm is missing from the query string."
                : "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\".");
        }

        string? credentialText = target.Get("X-Amz-Credential");
        string? dateText = target.Get("X-Amz-Date");
        string? expiresText = target.Get("X-Amz-Expires");
        string? signedHeaders = target.Get("X-Amz-SignedHeaders");
        string? signature = target.Get("X-Amz-Signature");
        if (credentialText is null || dateText is null || expiresText is null || signedHeaders is null || signature is null)
        {
            throw new CofferException(malformed,
                "Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.");
        }

        var credential = ParseCredential(credentialText, malformed);
        CheckSignatureFormat(signature, malformed);
        var signedHeaderList = ParseSignedHeaders(signedHeaders, malformed);
        if (!SigV4.TryParseAmzDate(dateText, out var requestTime))
        {
            throw new CofferException(malformed, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\".");
        }

        if (!long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out long expires))
        {
            throw new CofferException(malformed, "X-Amz-Expires should be a number.");
        }

        if (expires > SigV4.MaxExpiresSeconds)
        {
            throw new CofferException(malformed, "X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds");
        }

        string amzDate = SigV4.FormatAmzDate(requestTime);
        if (!string.Equals(amzDate[..8], credential.Date, StringComparison.Ordinal))
        {
            throw new CofferException(malformed, $"Invalid credential date '{credential.Date}': it is not the date of X-Amz-Date ({amzDate[..8]}).");
        }

        string secret = secretLookup(credential.AccessKeyId) ?? throw new CofferException(ErrorCode.InvalidAccessKeyId);

        if (now > requestTime.AddSeconds(expires))
        {
            throw new CofferException(ErrorCode.AccessDenied, "Request has expired");
        }

        if (requestTime - now > SigV4Verifier.MaxSkew)
        {
            throw new CofferException(ErrorCode.RequestTimeTooSkewed, "The presigned URL is not valid yet: X-Amz-Date is too far in the future.");
        }

        // A presigned URL signs UNSIGNED-PAYLOAD, unless it carries X-Amz-Content-Sha256.
        string payload = target.Get("X-Amz-Content-Sha256") ?? SigV4.UnsignedPayload;
        var kind = PayloadKind.Unsigned;
        string? payloadSha = null;
        if (SigV4.IsSha256Hex(payload))
        {
            kind = PayloadKind.Sha256;
            payloadSha = payload.ToLowerInvariant();
        }

        byte[] key = SigV4.DeriveSigningKey(secret, credential.Date, credential.Region, credential.Service);
        string canonicalQuery = SigV4.CanonicalQuery(target.Query, exclude: target.Query.First(p => string.Equals(p.Name, "X-Amz-Signature", StringComparison.OrdinalIgnoreCase)).Name);
        Verify(request, target, key, amzDate, credential.Scope, canonicalQuery, signedHeaders, signedHeaderList, [payload], signature);

        // The canonical query above covers every query parameter but X-Amz-Signature, so only
        // headers can be added to a presigned URL: an x-amz-* header (x-amz-copy-source, SSE-C,
        // x-amz-content-sha256, x-amz-decoded-content-length, a second token…) must have been signed.
        // One exception, as S3 makes it: a URL that signed the SSE-C algorithm header leaves the
        // customer key and its MD5 to whoever uses the URL (AWS's documented SSE-C presign pattern:
        // the Java SDK's setSSECustomerKeyAlgorithm, the .NET SDK's ServerSideEncryptionCustomerMethod).
        SignatureCoverage.CheckHeadersSigned(request, name => IsSignedOrCustomerKeyOfSignedAlgorithm(name.ToLowerInvariant(), signedHeaderList), cos: false);

        string? token = target.Get("X-Amz-Security-Token") ?? request.Header("x-amz-security-token");
        return new AuthenticatedIdentity(credential.AccessKeyId, token, SignatureScheme.SigV4Query, kind, payloadSha, null, credential.Region)
        {
            Service = credential.Service,
        };
    }

    private static bool IsSignedOrCustomerKeyOfSignedAlgorithm(string name, List<string> signedHeaderList)
    {
        if (signedHeaderList.Contains(name))
        {
            return true;
        }

        foreach (string prefix in (ReadOnlySpan<string>)["x-amz-server-side-encryption-customer-", "x-amz-copy-source-server-side-encryption-customer-"])
        {
            if (name == prefix + "key" || name == prefix + "key-md5")
            {
                return signedHeaderList.Contains(prefix + "algorithm");
            }
        }

        return false;
    }

    private static void CheckHeadersSigned(SignableRequest request, List<string> signedHeaderList) =>
        SignatureCoverage.CheckHeadersSigned(request, name => signedHeaderList.Contains(name.ToLowerInvariant()), cos: false);

    /// <summary>
    /// Tries every canonical form the client may have signed (canonical URI re-encoded from the
    /// decoded segments, or the raw path; Host with or without its port; each payload hash
    /// candidate) and returns the payload hash that matched; throws SignatureDoesNotMatch when
    /// none does.
    /// </summary>
    private static string Verify(
        SignableRequest request, RequestTarget target, byte[] key, string amzDate, string scope, string canonicalQuery,
        string signedHeaders, List<string> signedHeaderList, List<string> payloadCandidates, string signature)
    {
        string canonicalUri = UriEncoding.CanonicalPathFromRaw(target.RawPath);
        List<string> uris = [canonicalUri];
        if (!string.Equals(canonicalUri, target.RawPath, StringComparison.Ordinal))
        {
            uris.Add(target.RawPath);
        }

        var headerBlocks = CanonicalHeaderBlocks(request, signedHeaderList);
        foreach (string uri in uris)
        {
            foreach (string headers in headerBlocks)
            {
                foreach (string payload in payloadCandidates)
                {
                    string canonicalRequest = SigV4.CanonicalRequest(request.Method, uri, canonicalQuery, headers, signedHeaders, payload);
                    string computed = SigV4.Sign(key, SigV4.StringToSign(amzDate, scope, canonicalRequest));
                    if (SigV4.SignatureEquals(computed, signature))
                    {
                        return payload;
                    }
                }
            }
        }

        throw new CofferException(ErrorCode.SignatureDoesNotMatch);
    }

    /// <summary>The canonical header block ("name:value\n" per signed header), and a second one with the Host port removed when Host has one.</summary>
    private static List<string> CanonicalHeaderBlocks(SignableRequest request, List<string> signedHeaderList)
    {
        var sb = new StringBuilder();
        string? host = null;
        foreach (string name in signedHeaderList)
        {
            string value = request.Header(name)
                ?? throw new CofferException(ErrorCode.SignatureDoesNotMatch, $"The signed header '{name}' is not in the request.");
            if (name == "host")
            {
                host = value;
            }

            sb.Append(name).Append(':').Append(SigV4.CanonicalHeaderValue(value)).Append('\n');
        }

        List<string> blocks = [sb.ToString()];
        if (host is not null && SigV4.StripPort(host) is { } bare)
        {
            blocks.Add(blocks[0].Replace("host:" + SigV4.CanonicalHeaderValue(host) + "\n", "host:" + bare + "\n", StringComparison.Ordinal));
        }

        return blocks;
    }

    private static Credential ParseCredential(string text, ErrorCode malformed)
    {
        // <access key>/<yyyymmdd>/<region>/<service>/aws4_request
        string[] parts = text.Split('/');
        if (parts.Length < 5 || parts[^1] != "aws4_request")
        {
            throw new CofferException(malformed, $"The credential '{Truncate(text)}' is not of the form <key>/<yyyymmdd>/<region>/<service>/aws4_request.");
        }

        string accessKey = string.Join('/', parts[..^4]);
        string date = parts[^4], region = parts[^3], service = parts[^2];
        if (accessKey.Length == 0 || date.Length != 8 || !date.All(char.IsAsciiDigit) || region.Length == 0)
        {
            throw new CofferException(malformed, $"The credential '{Truncate(text)}' is not of the form <key>/<yyyymmdd>/<region>/<service>/aws4_request.");
        }

        if (service is not ("s3" or "kms"))
        {
            throw new CofferException(malformed, $"The credential scope names the service '{Truncate(service)}'; expected 's3' or 'kms'.");
        }

        return new Credential(accessKey, date, region, service);
    }

    private static void CheckSignatureFormat(string signature, ErrorCode malformed)
    {
        if (!SigV4.IsSha256Hex(signature))
        {
            throw new CofferException(malformed, "The signature must be 64 hexadecimal characters.");
        }
    }

    private static List<string> ParseSignedHeaders(string signedHeaders, ErrorCode malformed)
    {
        var list = new List<string>();
        foreach (string name in signedHeaders.Split(';'))
        {
            if (name.Length == 0 || name != name.ToLowerInvariant() || name.Any(char.IsWhiteSpace))
            {
                throw new CofferException(malformed, $"SignedHeaders '{Truncate(signedHeaders)}' must be lower-case header names separated by ';'.");
            }

            list.Add(name);
        }

        if (!list.Contains("host"))
        {
            throw new CofferException(malformed, "The host header must be signed (it is missing from SignedHeaders).");
        }

        return list;
    }

    private static PayloadKind ClassifyPayload(string value) => value switch
    {
        SigV4.UnsignedPayload => PayloadKind.Unsigned,
        SigV4.StreamingPayload => PayloadKind.StreamingSigned,
        SigV4.StreamingPayloadTrailer => PayloadKind.StreamingSignedTrailer,
        SigV4.StreamingUnsignedTrailer => PayloadKind.StreamingUnsignedTrailer,
        _ when SigV4.IsSha256Hex(value) => PayloadKind.Sha256,
        _ => throw new CofferException(ErrorCode.InvalidArgument,
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-UNSIGNED-PAYLOAD-TRAILER, or a valid sha256 value."),
    };

    private static string Truncate(ReadOnlySpan<char> text) => text.Length <= 100 ? text.ToString() : text[..100].ToString() + "…";
}
