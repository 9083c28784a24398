namespace Coffer.Protocol.Auth;

/// <summary>
/// What a valid signature must cover besides its own fields, so that nobody who holds a signed
/// request (a presigned URL, a captured request) can add a header or query parameter that changes
/// what the request does:
/// <list type="bullet">
/// <item>every <c>x-amz-*</c> and <c>x-cos-*</c> header must be signed, under either signature (the server reads
/// both spellings, docs/protocol/requests.md#header-families), as S3 requires of <c>x-amz-*</c>;</item>
/// <item>under the COS signature every query parameter must be in <c>q-url-param-list</c> (SigV4's canonical
/// query covers every parameter by construction);</item>
/// <item>exactly one Authorization header, one authentication mechanism, and no repeated header that decides
/// how a request is authenticated.</item>
/// </list>
/// </summary>
internal static class SignatureCoverage
{
    /// <summary>S3's message for an x-amz-* header left out of SignedHeaders.</summary>
    public const string HeadersNotSignedMessage = "There were headers present in the request which were not signed";

    /// <summary>S3's message for a request with more than one authentication mechanism.</summary>
    public const string OneMechanismMessage =
        "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified";

    /// <summary>
    /// The COS headers that may stay out of q-header-list. The Node SDK adds the STS token header
    /// after it has signed the request (cos-nodejs-sdk-v5 sdk/base.js _submitRequest sets
    /// <c>x-cos-security-token</c>, or <c>x-ci-security-token</c> for CI hosts, after getAuthorizationAsync), so it
    /// never signs it; the Python SDK adds it before signing and does. Leaving it unsigned is safe:
    /// a token only means something with the temporary access key it was issued for, and the
    /// server checks that the token names the access key that signed the request.
    /// </summary>
    private static readonly HashSet<string> CosUnsignedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "x-cos-security-token",
        "x-ci-security-token",
    };

    /// <summary>
    /// Headers that may appear at most once: they decide who signed, when, over what payload
    /// and with which token. Joined duplicates would be checked as one value and read as another.
    /// </summary>
    private static readonly string[] SingleHeaders =
    [
        "x-amz-date",
        "date",
        "x-amz-content-sha256",
        "x-amz-decoded-content-length",
        "x-amz-security-token",
        "x-cos-security-token",
    ];

    /// <summary>Refuses a repeated Authorization header and repeated authentication headers (400 InvalidArgument).</summary>
    public static void CheckRepeatedHeaders(SignableRequest request)
    {
        if (request.RepeatedHeaders.Count == 0)
        {
            return;
        }

        if (request.RepeatedHeaders.Contains("authorization", StringComparer.OrdinalIgnoreCase))
        {
            throw new CofferException(ErrorCode.InvalidArgument,
                "The request carries more than one Authorization header; send exactly one.");
        }

        foreach (string name in SingleHeaders)
        {
            if (request.RepeatedHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                throw new CofferException(ErrorCode.InvalidArgument,
                    $"The request carries the {name} header more than once; send it exactly once.");
            }
        }
    }

    /// <summary>Refuses (400 InvalidArgument) a request that carries more than one of: Authorization header, SigV4 query authentication, SigV2 query authentication, COS query authentication.</summary>
    public static void CheckOneMechanism(bool header, RequestTarget target)
    {
        bool sigV4Query = false, cosQuery = false, sigV2Query = false;
        foreach (var p in target.Query)
        {
            sigV4Query |= IsSigV4QueryAuth(p.Name);
            cosQuery |= IsCosQueryAuth(p.Name);
            sigV2Query |= SigV2Verifier.IsQueryAuth(p.Name);
        }

        if ((header ? 1 : 0) + (sigV4Query ? 1 : 0) + (cosQuery ? 1 : 0) + (sigV2Query ? 1 : 0) > 1)
        {
            throw new CofferException(ErrorCode.InvalidArgument,
                OneMechanismMessage + " (COS: the q-sign-algorithm query parameters or the Authorization header).");
        }
    }

    /// <summary>A SigV4 presigned-URL parameter that marks query authentication.</summary>
    public static bool IsSigV4QueryAuth(string name) =>
        name.Equals("X-Amz-Algorithm", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("X-Amz-Credential", StringComparison.OrdinalIgnoreCase) ||
        name.Equals("X-Amz-Signature", StringComparison.OrdinalIgnoreCase);

    /// <summary>A COS presigned-URL parameter that marks query authentication.</summary>
    public static bool IsCosQueryAuth(string name) => name is "q-sign-algorithm" or "q-ak" or "q-signature";

    /// <summary>
    /// Refuses (403 AccessDenied, with S3's HeadersNotSigned detail) any <c>x-amz-*</c> or
    /// <c>x-cos-*</c> header that <paramref name="isSigned"/> says is not signed.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="isSigned">Whether a header (name as received) is in the signature's header list.</param>
    /// <param name="cos">True under the COS signature: the Node SDK's unsigned token headers are allowed.</param>
    public static void CheckHeadersSigned(SignableRequest request, Func<string, bool> isSigned, bool cos)
    {
        List<string>? missing = null;
        foreach (string name in request.Headers.Keys)
        {
            if (!name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase) && !name.StartsWith("x-cos-", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if ((cos && CosUnsignedHeaders.Contains(name)) || isSigned(name))
            {
                continue;
            }

            (missing ??= []).Add(name.ToLowerInvariant());
        }

        if (missing is not null)
        {
            missing.Sort(StringComparer.Ordinal);
            string names = string.Join(", ", missing);
            var e = new CofferException(ErrorCode.AccessDenied,
                $"{HeadersNotSignedMessage}: {names}. Sign every x-amz-* and x-cos-* header the request sends, or leave it out.");
            e.Details.Add(new("HeadersNotSigned", names));
            throw e;
        }
    }

    /// <summary>
    /// Under the COS signature: refuses (403 AccessDenied) a query parameter that is not in
    /// q-url-param-list, and one that appears more than once. Exempt: the q-* signature parameters of a
    /// presigned URL, and its <c>x-cos-security-token</c> (the Node SDK's getObjectUrl appends it
    /// unsigned; see <see cref="CosUnsignedHeaders"/> for why that is safe).
    /// </summary>
    public static void CheckCosQuerySigned(RequestTarget target, HashSet<string> signedParams, bool queryAuth)
    {
        List<string>? missing = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in target.Query)
        {
            string name = UriEncoding.Encode(p.Name).ToLowerInvariant();
            if (queryAuth && (name is "q-sign-algorithm" or "q-ak" or "q-sign-time" or "q-key-time" or "q-header-list" or "q-url-param-list" or "q-signature"
                or "x-cos-security-token" or "x-ci-security-token"))
            {
                continue;
            }

            if (!signedParams.Contains(name))
            {
                (missing ??= []).Add(name);
            }
            else if (!seen.Add(name))
            {
                throw new CofferException(ErrorCode.AccessDenied,
                    $"The query parameter '{Truncate(name)}' appears more than once; send each signed query parameter once.");
            }
        }

        if (missing is not null)
        {
            throw new CofferException(ErrorCode.AccessDenied,
                $"There were query parameters present in the request which were not signed: {Truncate(string.Join(", ", missing))}. List every query parameter in q-url-param-list.");
        }
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
