namespace Coffer.Protocol.Auth;

/// <summary>
/// Verifies a request's signature: COS v5 ("q-sign") in the Authorization header or the query,
/// or AWS Signature Version 4 in the Authorization header or the query (presigned URL).
/// </summary>
public static class RequestAuthenticator
{
    /// <summary>
    /// Returns null for an anonymous request (no Authorization header or an empty one, and no
    /// q-sign-algorithm / X-Amz-Algorithm query authentication). Otherwise verifies the signature
    /// and returns the caller, or throws <see cref="CofferException"/> with
    /// <list type="bullet">
    /// <item><see cref="ErrorCode.InvalidAccessKeyId"/> (403) when <paramref name="secretLookup"/> returns null;</item>
    /// <item><see cref="ErrorCode.SignatureDoesNotMatch"/> (403);</item>
    /// <item><see cref="ErrorCode.AccessDenied"/> "Request has expired" (403) when the COS q-sign-time end or the SigV4 presign X-Amz-Expires has passed;</item>
    /// <item><see cref="ErrorCode.RequestTimeTooSkewed"/> (403) when the SigV4 x-amz-date/Date is more than 15 minutes off, or the COS q-sign-time (or SigV4 presign X-Amz-Date) starts more than 15 minutes in the future;</item>
    /// <item><see cref="ErrorCode.AuthorizationHeaderMalformed"/> / <see cref="ErrorCode.AuthorizationQueryParametersError"/> (400) when the signature cannot be parsed, misses fields, uses an unsupported algorithm, or X-Amz-Expires exceeds 604800;</item>
    /// <item><see cref="ErrorCode.InvalidArgument"/> (400) for an x-amz-content-sha256 value that is neither a hash nor a known keyword, or both header and query SigV4 authentication.</item>
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

        var target = RequestTarget.Parse(request.RawTarget);
        string? authorization = request.Header("authorization");
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

            throw new CofferException(ErrorCode.AuthorizationHeaderMalformed, trimmed.StartsWith("AWS ", StringComparison.Ordinal)
                ? "AWS Signature Version 2 is not supported; use Signature Version 4."
                : "The authorization header is neither a COS q-sign signature nor AWS4-HMAC-SHA256.");
        }

        foreach (var p in target.Query)
        {
            if (p.Name is "q-sign-algorithm" or "q-ak" or "q-signature")
            {
                return CosV5.Verify(request, target, null, secretLookup, now);
            }

            if (p.Name.Equals("X-Amz-Algorithm", StringComparison.OrdinalIgnoreCase) ||
                p.Name.Equals("X-Amz-Credential", StringComparison.OrdinalIgnoreCase) ||
                p.Name.Equals("X-Amz-Signature", StringComparison.OrdinalIgnoreCase))
            {
                return SigV4Verifier.VerifyQuery(request, target, secretLookup, now);
            }
        }

        return null;
    }
}
