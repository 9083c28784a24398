namespace Coffer.Protocol.Auth;

/// <summary>
/// Verifies a request's signature: COS v5 ("q-sign") in the Authorization header or the query,
/// or AWS Signature Version 4 or 2 in the Authorization header or the query (presigned URL).
/// </summary>
public static class RequestAuthenticator
{
    /// <summary>
    /// Returns null for an anonymous request (no Authorization header or an empty one, and no
    /// q-sign-algorithm / X-Amz-Algorithm / AWSAccessKeyId / Signature query authentication). Otherwise verifies the signature
    /// and returns the caller, or throws <see cref="CofferException"/> with
    /// <list type="bullet">
    /// <item><see cref="ErrorCode.InvalidAccessKeyId"/> (403) when <paramref name="secretLookup"/> returns null;</item>
    /// <item><see cref="ErrorCode.SignatureDoesNotMatch"/> (403);</item>
    /// <item><see cref="ErrorCode.AccessDenied"/> "Request has expired" (403) when the COS q-sign-time end, the SigV4 presign X-Amz-Expires or the SigV2 Expires has passed;</item>
    /// <item><see cref="ErrorCode.AccessDenied"/> (403) for SigV2 without a valid Date/x-amz-date, a SigV2 presigned URL missing one of
    /// AWSAccessKeyId/Expires/Signature or with a non-numeric Expires, and a SigV2 request with a query parameter it cannot sign;</item>
    /// <item><see cref="ErrorCode.RequestTimeTooSkewed"/> (403) when the SigV4 or SigV2 x-amz-date/Date is more than 15 minutes off, or the COS q-sign-time (or SigV4 presign X-Amz-Date) starts more than 15 minutes in the future;</item>
    /// <item><see cref="ErrorCode.AuthorizationHeaderMalformed"/> / <see cref="ErrorCode.AuthorizationQueryParametersError"/> (400) when the signature cannot be parsed, misses fields, uses an unsupported algorithm, or X-Amz-Expires exceeds 604800
    /// (SigV2: Expires more than 604800 s, plus the 15-minute allowance, after the server's time);</item>
    /// <item><see cref="ErrorCode.AccessDenied"/> (403) when an x-amz-* or x-cos-* header is not signed (SigV4 and COS; COS exempts only
    /// x-cos-security-token / x-ci-security-token), when a query parameter is not in the COS q-url-param-list (a presigned URL's q-* and
    /// x-cos-security-token parameters exempt), or when a COS q-sign-time / q-key-time window ends before it starts or is longer than
    /// 7 days (plus the 15-minute skew allowance);</item>
    /// <item><see cref="ErrorCode.InvalidURI"/> (400) for a request target that contains '#';</item>
    /// <item><see cref="ErrorCode.InvalidArgument"/> (400) for a SigV2 Authorization header that is not "AWS key:signature", for an x-amz-content-sha256 value that is neither a hash nor a known keyword,
    /// more than one authentication mechanism (Authorization header, SigV4 query, COS query), a repeated Authorization header, or a
    /// repeated x-amz-date, Date, x-amz-content-sha256, x-amz-decoded-content-length or security-token header.</item>
    /// </list>
    /// The body is not read: a signed payload hash is returned in the identity for the caller to check.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="secretLookup">The secret key of an access key id, or null when the key is unknown.</param>
    /// <param name="now">The server's time.</param>
    public static AuthenticatedIdentity? Authenticate(SignableRequest request, Func<string, string?> secretLookup, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(secretLookup);

        if (request.RawTarget.Contains('#', StringComparison.Ordinal))
        {
            // Clients never send a fragment, and Kestrel passes one through: "?…&X-Amz-Signature=…#&uploads"
            // would hide "uploads" from the signature (which ends the query at '#') but not from the
            // router (which does not).
            throw new CofferException(ErrorCode.InvalidURI, "The request target contains '#'; percent-encode it as %23.");
        }

        var target = RequestTarget.Parse(request.RawTarget);
        SignatureCoverage.CheckRepeatedHeaders(request);
        string? authorization = request.Header("authorization");
        SignatureCoverage.CheckOneMechanism(!string.IsNullOrWhiteSpace(authorization), target);
        if (!string.IsNullOrWhiteSpace(authorization))
        {
            string trimmed = authorization.Trim();
            if (trimmed.StartsWith("q-", StringComparison.Ordinal) || trimmed.Contains("q-sign-algorithm=", StringComparison.Ordinal))
            {
                return CosV5.Verify(request, target, trimmed, secretLookup, now);
            }

            if (trimmed.StartsWith("AWS4-", StringComparison.Ordinal))
            {
                return SigV4Verifier.VerifyHeader(request, target, trimmed, secretLookup, now);
            }

            if (trimmed.StartsWith("AWS ", StringComparison.Ordinal))
            {
                return SigV2Verifier.VerifyHeader(request, target, trimmed, secretLookup, now);
            }

            throw new CofferException(ErrorCode.AuthorizationHeaderMalformed,
                "The authorization header is neither a COS q-sign signature, AWS4-HMAC-SHA256 nor AWS Signature Version 2 (AWS key:signature).");
        }

        foreach (var p in target.Query)
        {
            if (SignatureCoverage.IsCosQueryAuth(p.Name))
            {
                return CosV5.Verify(request, target, null, secretLookup, now);
            }

            if (SignatureCoverage.IsSigV4QueryAuth(p.Name))
            {
                return SigV4Verifier.VerifyQuery(request, target, secretLookup, now);
            }

            if (SigV2Verifier.IsQueryAuth(p.Name))
            {
                return SigV2Verifier.VerifyQuery(request, target, secretLookup, now);
            }
        }

        return null;
    }
}
