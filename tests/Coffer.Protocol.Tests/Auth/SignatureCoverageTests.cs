using Coffer.Protocol.Auth;
using static Coffer.Protocol.Tests.Auth.TestRequests;

namespace Coffer.Protocol.Tests.Auth;

/// <summary>
/// What a valid signature must cover: every x-amz-* / x-cos-* header, every COS query parameter,
/// one Authorization header, one mechanism, and a bounded COS validity window.
/// </summary>
public sealed class SignatureCoverageTests
{
    private static readonly Func<string, string?> Lookup = Secrets(("AKID", "SECRET"));
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private const string S3Host = "s3.local:9000";
    private const string CosHost = "b-1250000000.cos.ap-guangzhou.myqcloud.com";

    // ---- SigV4, Authorization header ----

    private static Dictionary<string, string> SigV4Headers(IEnumerable<KeyValuePair<string, string>>? extra = null, string target = "/bucket/upload-here")
    {
        List<KeyValuePair<string, string>> headers =
        [
            H("Host", S3Host),
            H("x-amz-date", SigV4Signer.FormatAmzDate(Now)),
            H("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
            .. extra ?? [],
        ];
        string authorization = SigV4Signer.Sign("AKID", "SECRET", "us-east-1", "s3", "PUT", target, headers);
        var map = Make("PUT", target, headers, authorization).Headers.ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);
        return map;
    }

    private static SignableRequest Req(string method, string target, Dictionary<string, string> headers, params string[] repeated) =>
        new() { Method = method, RawTarget = target, Headers = headers, RepeatedHeaders = repeated };

    [Theory]
    [InlineData("x-amz-copy-source", "other-bucket/payroll.csv")]
    [InlineData("X-Amz-Storage-Class", "DEEP_ARCHIVE")]
    [InlineData("x-amz-server-side-encryption-customer-algorithm", "AES256")]
    [InlineData("x-cos-copy-source", "other-bucket/payroll.csv")]
    [InlineData("x-amz-security-token", "a-second-token")]
    public void SigV4_header_auth_refuses_an_added_unsigned_protocol_header(string name, string value)
    {
        var headers = SigV4Headers();
        Assert.NotNull(RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here", headers), Lookup, Now));

        headers[name] = value;
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here", headers), Lookup, Now));
        Assert.StartsWith("There were headers present in the request which were not signed", e.Message);
        Assert.Equal(new KeyValuePair<string, string>("HeadersNotSigned", name.ToLowerInvariant()), Assert.Single(e.Details));
    }

    [Fact]
    public void SigV4_header_auth_accepts_signed_protocol_headers_and_unsigned_ordinary_ones()
    {
        var headers = SigV4Headers([H("x-amz-copy-source", "other-bucket/payroll.csv"), H("x-amz-meta-a", "1")]);
        headers["User-Agent"] = "aws-cli/2";
        headers["X-Amzn-Trace-Id"] = "Root=1-abc";   // x-amzn-, not x-amz-: AWS SDKs never sign it
        headers["Content-Type"] = "text/plain";
        Assert.NotNull(RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here", headers), Lookup, Now));
    }

    [Fact]
    public void Every_unsigned_header_is_named_in_HeadersNotSigned()
    {
        var headers = SigV4Headers();
        headers["x-cos-acl"] = "public-read";
        headers["x-amz-acl"] = "public-read";
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here", headers), Lookup, Now));
        Assert.Equal("x-amz-acl, x-cos-acl", Assert.Single(e.Details).Value);
    }

    // ---- SigV4, presigned URL ----

    private static (string Target, Dictionary<string, string> Headers) Presigned(IEnumerable<KeyValuePair<string, string>>? signed = null, long expiresSeconds = 600)
    {
        List<KeyValuePair<string, string>> headers = [H("Host", S3Host), .. signed ?? []];
        const string path = "/bucket/upload-here";
        string query = SigV4Signer.Presign("AKID", "SECRET", "us-east-1", "s3", "PUT", path, headers, Now, TimeSpan.FromSeconds(expiresSeconds));
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (n, v) in headers)
        {
            map[n] = v;
        }

        return (path + "?" + query, map);
    }

    [Theory]
    [InlineData("x-amz-copy-source", "other-bucket/payroll.csv")]
    [InlineData("x-amz-server-side-encryption-customer-key", "AAAA")]
    [InlineData("x-amz-storage-class", "DEEP_ARCHIVE")]
    [InlineData("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")]
    [InlineData("x-amz-decoded-content-length", "5")]
    [InlineData("x-amz-security-token", "someone-elses")]
    [InlineData("x-cos-copy-source", "other-bucket/payroll.csv")]
    [InlineData("X-Amz-Target", "TrentService.Decrypt")]   // would turn a presigned POST into a KMS call
    public void A_presigned_URL_refuses_an_added_unsigned_protocol_header(string name, string value)
    {
        var (target, headers) = Presigned();
        Assert.NotNull(RequestAuthenticator.Authenticate(Req("PUT", target, headers), Lookup, Now));

        headers[name] = value;
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Req("PUT", target, headers), Lookup, Now));
        Assert.Equal(name.ToLowerInvariant(), Assert.Single(e.Details).Value);
    }

    [Fact]
    public void A_presigned_URL_with_signed_SSE_C_headers_is_accepted_when_they_are_sent()
    {
        KeyValuePair<string, string>[] sse =
        [
            H("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            H("x-amz-server-side-encryption-customer-key", "a2V5"),
            H("x-amz-server-side-encryption-customer-key-MD5", "bWQ1"),
        ];
        var (target, headers) = Presigned(sse);
        var identity = RequestAuthenticator.Authenticate(Req("PUT", target, headers), Lookup, Now);
        Assert.Equal(SignatureScheme.SigV4Query, identity!.Scheme);
    }

    [Fact]
    public void A_presigned_URL_that_signed_the_SSE_C_algorithm_leaves_only_the_key_and_its_MD5_to_the_user()
    {
        // AWS's documented pattern: presign with the algorithm, send key and key MD5 when using the URL.
        var (target, headers) = Presigned([H("x-amz-server-side-encryption-customer-algorithm", "AES256")]);
        headers["x-amz-server-side-encryption-customer-key"] = "a2V5";
        headers["x-amz-server-side-encryption-customer-key-MD5"] = "bWQ1";
        Assert.NotNull(RequestAuthenticator.Authenticate(Req("PUT", target, headers), Lookup, Now));

        // Not the copy-source key, whose algorithm was not signed, and nothing without a signed algorithm.
        headers["x-amz-copy-source-server-side-encryption-customer-key"] = "a2V5";
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Req("PUT", target, headers), Lookup, Now));
        Assert.Equal("x-amz-copy-source-server-side-encryption-customer-key", Assert.Single(e.Details).Value);

        var (plain, plainHeaders) = Presigned();
        plainHeaders["x-amz-server-side-encryption-customer-key"] = "a2V5";
        Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Req("PUT", plain, plainHeaders), Lookup, Now));

        // Header auth has no such exception: AWS SDKs sign every header they send.
        var signed = SigV4Headers([H("x-amz-server-side-encryption-customer-algorithm", "AES256")]);
        signed["x-amz-server-side-encryption-customer-key"] = "a2V5";
        Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here", signed), Lookup, Now));
    }

    [Fact]
    public void An_added_query_parameter_breaks_a_presigned_URL_and_a_header_signature()
    {
        var (target, headers) = Presigned();
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Req("PUT", target + "&uploads", headers), Lookup, Now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Req("PUT", target.Replace("?", "?acl&"), headers), Lookup, Now));
        var signed = SigV4Headers();
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here?uploads", signed), Lookup, Now));
    }

    [Fact]
    public void A_fragment_that_would_hide_query_parameters_from_the_signature_is_InvalidURI()
    {
        var (target, headers) = Presigned();
        Fails(ErrorCode.InvalidURI, () => RequestAuthenticator.Authenticate(Req("PUT", target + "#&uploads", headers), Lookup, Now));
        var start = Now.AddSeconds(-60);
        string cos = CosV5Signer.PresignQuery("AKID", "SECRET", "PUT", "/k", [], [H("host", CosHost)], start, start.AddHours(1));
        Fails(ErrorCode.InvalidURI, () => RequestAuthenticator.Authenticate(Make("PUT", "/k?" + cos + "#&acl", [H("Host", CosHost)]), Lookup, Now));
    }

    [Fact]
    public void X_Amz_Expires_of_exactly_a_week_is_accepted_and_one_second_more_is_S3s_error()
    {
        var (target, headers) = Presigned(expiresSeconds: 604800);
        Assert.NotNull(RequestAuthenticator.Authenticate(Req("PUT", target, headers), Lookup, Now));
        var e = Fails(ErrorCode.AuthorizationQueryParametersError, () => RequestAuthenticator.Authenticate(
            Req("PUT", target.Replace("X-Amz-Expires=604800", "X-Amz-Expires=604801"), headers), Lookup, Now));
        Assert.Equal("X-Amz-Expires must be less than a week (in seconds) that is, the given X-Amz-Expires must be less than 604800 seconds", e.Message);
    }

    // ---- one Authorization header, one mechanism, no repeated auth headers ----

    [Fact]
    public void A_repeated_Authorization_header_is_InvalidArgument_even_when_the_joined_value_would_verify()
    {
        var headers = SigV4Headers();
        Assert.NotNull(RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here", headers), Lookup, Now));
        var e = Fails(ErrorCode.InvalidArgument, () => RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here", headers, "Authorization"), Lookup, Now));
        Assert.Contains("exactly one", e.Message);
        Assert.Equal(400, e.Error.Status);
    }

    [Fact]
    public void Two_signatures_folded_into_one_Authorization_header_are_malformed()
    {
        var headers = SigV4Headers();
        string one = headers["Authorization"];
        headers["Authorization"] = one + ", " + one;
        var e = Fails(ErrorCode.AuthorizationHeaderMalformed, () => RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here", headers), Lookup, Now));
        Assert.Contains("more than once", e.Message);

        var cos = Cos("GET", "/k", [], [H("host", CosHost)]);
        string cosAuth = cos.Headers["Authorization"];
        var folded = Make("GET", "/k", [H("Host", CosHost)], cosAuth + "&" + cosAuth);
        Fails(ErrorCode.AuthorizationHeaderMalformed, () => RequestAuthenticator.Authenticate(folded, Lookup, Now));
    }

    [Theory]
    [InlineData("x-amz-date")]
    [InlineData("Date")]
    [InlineData("x-amz-content-sha256")]
    [InlineData("x-amz-decoded-content-length")]
    [InlineData("x-amz-security-token")]
    [InlineData("x-cos-security-token")]
    public void A_repeated_authentication_header_is_InvalidArgument(string name)
    {
        var headers = SigV4Headers();
        var e = Fails(ErrorCode.InvalidArgument, () => RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here", headers, name), Lookup, Now));
        Assert.Contains(name.ToLowerInvariant(), e.Message);
    }

    [Fact]
    public void A_repeated_ordinary_header_is_still_accepted()
    {
        var headers = SigV4Headers([H("x-amz-meta-list", "a,b")]);
        Assert.NotNull(RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here", headers, "x-amz-meta-list"), Lookup, Now));
    }

    [Theory]
    [InlineData("X-Amz-Algorithm=AWS4-HMAC-SHA256")]
    [InlineData("X-Amz-Signature=00")]
    [InlineData("q-sign-algorithm=sha1")]
    [InlineData("q-signature=00")]
    public void SigV4_header_auth_with_query_auth_parameters_is_InvalidArgument(string query)
    {
        var headers = SigV4Headers(target: "/bucket/upload-here?" + query);
        var e = Fails(ErrorCode.InvalidArgument, () => RequestAuthenticator.Authenticate(Req("PUT", "/bucket/upload-here?" + query, headers), Lookup, Now));
        Assert.StartsWith(SignatureCoverage.OneMechanismMessage, e.Message);
    }

    [Fact]
    public void COS_header_auth_with_query_auth_parameters_is_InvalidArgument()
    {
        var start = Now.AddSeconds(-60);
        foreach (string query in new[] { "q-ak=AKID", "X-Amz-Credential=x" })
        {
            string target = "/k?" + query;
            var (n, v) = (query.Split('=')[0], query.Split('=')[1]);
            string auth = CosV5Signer.Sign("AKID", "SECRET", "GET", "/k", [new(n, v)], [H("host", CosHost)], start, start.AddHours(1));
            Fails(ErrorCode.InvalidArgument, () => RequestAuthenticator.Authenticate(Make("GET", target, [H("Host", CosHost)], auth), Lookup, Now));
        }
    }

    [Fact]
    public void COS_and_SigV4_query_auth_together_is_InvalidArgument()
    {
        var start = Now.AddSeconds(-60);
        string cos = CosV5Signer.PresignQuery("AKID", "SECRET", "GET", "/k", [], [H("host", CosHost)], start, start.AddHours(1));
        Assert.NotNull(RequestAuthenticator.Authenticate(Make("GET", "/k?" + cos, [H("Host", CosHost)]), Lookup, Now));
        Fails(ErrorCode.InvalidArgument, () => RequestAuthenticator.Authenticate(Make("GET", "/k?" + cos + "&X-Amz-Algorithm=AWS4-HMAC-SHA256", [H("Host", CosHost)]), Lookup, Now));
    }

    [Fact]
    public void An_empty_Authorization_header_with_a_presigned_query_is_query_auth()
    {
        // The COS Python SDK sends "Authorization:" empty when it has no credentials.
        var (target, headers) = Presigned();
        headers["Authorization"] = "";
        Assert.Equal(SignatureScheme.SigV4Query, RequestAuthenticator.Authenticate(Req("PUT", target, headers), Lookup, Now)!.Scheme);
    }

    // ---- COS: headers and query parameters ----

    private static SignableRequest Cos(string method, string path, KeyValuePair<string, string>[] signedQuery, KeyValuePair<string, string>[] signedHeaders,
        string? extraQuery = null, KeyValuePair<string, string>[]? extraHeaders = null, DateTimeOffset? start = null, DateTimeOffset? end = null)
    {
        var s = start ?? Now.AddSeconds(-60);
        string auth = CosV5Signer.Sign("AKID", "SECRET", method, path, signedQuery, signedHeaders, s, end ?? s.AddHours(1));
        string query = string.Join("&", signedQuery.Select(p => p.Value.Length == 0 ? p.Key : p.Key + "=" + UriEncoding.Encode(p.Value)).Append(extraQuery).Where(x => !string.IsNullOrEmpty(x)));
        return Make(method, path + (query.Length > 0 ? "?" + query : ""), signedHeaders.Concat(extraHeaders ?? []), auth);
    }

    [Theory]
    [InlineData("x-cos-copy-source", "other-1250000000.cos.ap-guangzhou.myqcloud.com/payroll.csv")]
    [InlineData("x-cos-server-side-encryption-customer-algorithm", "AES256")]
    [InlineData("x-cos-storage-class", "ARCHIVE")]
    [InlineData("x-amz-copy-source", "other/payroll.csv")]
    public void COS_header_auth_refuses_an_added_unsigned_protocol_header(string name, string value)
    {
        KeyValuePair<string, string>[] signed = [H("host", CosHost), H("x-cos-meta-a", "1")];
        Assert.NotNull(RequestAuthenticator.Authenticate(Cos("PUT", "/upload-here", [], signed), Lookup, Now));
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Cos("PUT", "/upload-here", [], signed, extraHeaders: [H(name, value)]), Lookup, Now));
        Assert.Equal(name, Assert.Single(e.Details).Value);
    }

    [Fact]
    public void COS_signed_protocol_headers_are_accepted_and_the_token_header_may_be_unsigned()
    {
        // The Node SDK adds x-cos-security-token after signing; the Python SDK signs it. Both pass.
        KeyValuePair<string, string>[] signed = [H("host", CosHost), H("x-cos-copy-source", "a-1250000000.cos.ap-guangzhou.myqcloud.com/k")];
        var identity = RequestAuthenticator.Authenticate(Cos("PUT", "/k2", [], signed, extraHeaders: [H("x-cos-security-token", "tok")]), Lookup, Now);
        Assert.Equal("tok", identity!.SecurityToken);
        Assert.NotNull(RequestAuthenticator.Authenticate(Cos("PUT", "/k2", [], [.. signed, H("x-cos-security-token", "tok")]), Lookup, Now));
    }

    [Theory]
    [InlineData("uploads")]
    [InlineData("acl")]
    [InlineData("response-content-type=text%2Fhtml")]
    [InlineData("x-cos-security-token=tok")]
    public void COS_header_auth_refuses_an_unsigned_query_parameter(string extra)
    {
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Cos("PUT", "/upload-here", [], [H("host", CosHost)], extraQuery: extra), Lookup, Now));
        Assert.Contains(extra.Split('=')[0], e.Message);
        Assert.Contains("q-url-param-list", e.Message);
    }

    [Fact]
    public void COS_signed_query_parameters_are_accepted_but_a_repeated_one_is_refused()
    {
        KeyValuePair<string, string>[] query = [new("uploads", "")];
        Assert.NotNull(RequestAuthenticator.Authenticate(Cos("POST", "/k", query, [H("host", CosHost)]), Lookup, Now));
        Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Cos("GET", "/k", [new("versionId", "a")], [H("host", CosHost)], extraQuery: "versionId=b"), Lookup, Now));
    }

    [Fact]
    public void A_COS_presigned_URL_allows_its_own_parameters_and_an_unsigned_token_but_nothing_else()
    {
        var start = Now.AddSeconds(-60);
        string q = CosV5Signer.PresignQuery("AKID", "SECRET", "PUT", "/upload-here", [], [H("host", CosHost)], start, start.AddMinutes(10));
        var identity = RequestAuthenticator.Authenticate(Make("PUT", "/upload-here?" + q + "&x-cos-security-token=tok", [H("Host", CosHost)]), Lookup, Now);
        Assert.Equal("tok", identity!.SecurityToken);

        foreach (string extra in new[] { "uploads", "acl", "response-content-disposition=attachment", "partNumber=1&uploadId=u" })
        {
            Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Make("PUT", "/upload-here?" + q + "&" + extra, [H("Host", CosHost)]), Lookup, Now));
        }

        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(
            Make("PUT", "/upload-here?" + q, [H("Host", CosHost), H("x-cos-copy-source", "other-1250000000.cos.ap-guangzhou.myqcloud.com/payroll.csv")]), Lookup, Now));
        Assert.Equal("x-cos-copy-source", Assert.Single(e.Details).Value);
    }

    // ---- COS: validity windows ----

    [Fact]
    public void A_COS_window_of_a_century_is_refused()
    {
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(
            Cos("GET", "/k", [], [H("host", CosHost)], start: Now.AddSeconds(-60), end: Now.AddYears(100)), Lookup, Now));
        Assert.Contains("at most 7 days", e.Message);
    }

    [Fact]
    public void A_COS_window_of_seven_days_from_a_backdated_start_is_accepted_and_past_the_cap_refused()
    {
        // Python back-dates start by 60 s, Node by 1 s: a 7-day presign from either has a window just over 7 days.
        var start = Now.AddSeconds(-60);
        Assert.NotNull(RequestAuthenticator.Authenticate(Cos("GET", "/k", [], [H("host", CosHost)], start: start, end: Now.AddDays(7)), Lookup, Now));
        Assert.NotNull(RequestAuthenticator.Authenticate(Cos("GET", "/k", [], [H("host", CosHost)], start: start, end: start + TimeSpan.FromDays(7) + TimeSpan.FromMinutes(15)), Lookup, Now));
        Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(
            Cos("GET", "/k", [], [H("host", CosHost)], start: start, end: start + TimeSpan.FromDays(7) + TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(1)), Lookup, Now));
    }

    [Theory]
    [InlineData("q-sign-time")]
    [InlineData("q-key-time")]
    public void A_COS_window_that_ends_before_it_starts_is_AccessDenied(string which)
    {
        var request = Cos("GET", "/k", [], [H("host", CosHost)]);
        string auth = request.Headers["Authorization"];
        int at = auth.IndexOf(which + "=", StringComparison.Ordinal) + which.Length + 1;
        int end = auth.IndexOf('&', at);
        string[] times = auth[at..end].Split(';');
        string changed = auth[..at] + times[1] + ";" + times[0] + auth[end..];
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Make("GET", "/k", [H("Host", CosHost)], changed), Lookup, Now));
        Assert.Contains("before it starts", e.Message);
        Assert.Contains(which, e.Message);
    }

    [Fact]
    public void A_COS_q_key_time_starting_over_15_minutes_ahead_is_RequestTimeTooSkewed()
    {
        var request = Cos("GET", "/k", [], [H("host", CosHost)]);
        string auth = request.Headers["Authorization"];
        long future = Now.AddMinutes(16).ToUnixTimeSeconds();
        string keyTime = future + ";" + (future + 60);
        int at = auth.IndexOf("q-key-time=", StringComparison.Ordinal) + "q-key-time=".Length;
        string changed = auth[..at] + keyTime + auth[auth.IndexOf('&', at)..];
        Fails(ErrorCode.RequestTimeTooSkewed, () => RequestAuthenticator.Authenticate(Make("GET", "/k", [H("Host", CosHost)], changed), Lookup, Now));
    }
}
