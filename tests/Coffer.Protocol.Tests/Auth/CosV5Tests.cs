using Coffer.Protocol.Auth;
using static Coffer.Protocol.Tests.Auth.TestRequests;

namespace Coffer.Protocol.Tests.Auth;

public sealed class CosV5Tests
{
    // docs/protocol/signatures.md#cos-test-vectors, from the COS "Request Signature" use case.
    private const string SecretId = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q";
    private const string SecretKey = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz";
    private const string Host = "examplebucket-1250000000.cos.ap-beijing.myqcloud.com";
    private const string WirePath = "/exampleobject(%E8%85%BE%E8%AE%AF%E4%BA%91)";
    private const string DecodedPath = "/exampleobject(腾讯云)";
    private static readonly Func<string, string?> Lookup = Secrets((SecretId, SecretKey));

    private static readonly KeyValuePair<string, string>[] VectorAHeaders =
    [
        H("Date", "Thu, 16 May 2019 06:45:51 GMT"),
        H("Host", Host),
        H("Content-Type", "text/plain"),
        H("Content-Length", "13"),
        H("Content-MD5", "mQ/fVh815F3k6TAUm8m0eg=="),
        H("x-cos-acl", "private"),
        H("x-cos-grant-read", "uin=\"100000000011\""),
    ];

    private const string VectorAAuthorization =
        "q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1557989151;1557996351&q-key-time=1557989151;1557996351" +
        "&q-header-list=content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read&q-url-param-list=" +
        "&q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172";

    private static readonly KeyValuePair<string, string>[] VectorBHeaders =
    [
        H("Date", "Thu, 16 May 2019 06:55:53 GMT"),
        H("Host", Host),
    ];

    private const string VectorBTarget = WirePath + "?response-content-type=application%2Foctet-stream&response-cache-control=max-age%3D600";

    private const string VectorBAuthorization =
        "q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1557989753;1557996953&q-key-time=1557989753;1557996953" +
        "&q-header-list=date;host&q-url-param-list=response-cache-control;response-content-type&q-signature=01681b8c9d798a678e43b685a9f1bba0f6c0e012";

    private static readonly DateTimeOffset VectorANow = DateTimeOffset.FromUnixTimeSeconds(1557989151 + 60);
    private static readonly DateTimeOffset VectorBNow = DateTimeOffset.FromUnixTimeSeconds(1557989753 + 60);

    [Fact]
    public void Sign_reproduces_documented_vector_A()
    {
        string authorization = CosV5Signer.Sign(SecretId, SecretKey, "PUT", DecodedPath, [], VectorAHeaders,
            DateTimeOffset.FromUnixTimeSeconds(1557989151), DateTimeOffset.FromUnixTimeSeconds(1557996351));
        Assert.Equal(VectorAAuthorization, authorization);
    }

    [Fact]
    public void Sign_reproduces_documented_vector_B()
    {
        KeyValuePair<string, string>[] query = [H("response-content-type", "application/octet-stream"), H("response-cache-control", "max-age=600")];
        string authorization = CosV5Signer.Sign(SecretId, SecretKey, "GET", DecodedPath, query, VectorBHeaders,
            DateTimeOffset.FromUnixTimeSeconds(1557989753), DateTimeOffset.FromUnixTimeSeconds(1557996953));
        Assert.Equal(VectorBAuthorization, authorization);
    }

    [Fact]
    public void Documented_vector_A_authenticates()
    {
        var identity = RequestAuthenticator.Authenticate(Make("PUT", WirePath, VectorAHeaders, VectorAAuthorization), Lookup, VectorANow);
        Assert.NotNull(identity);
        Assert.Equal(SecretId, identity.AccessKeyId);
        Assert.Equal(SignatureScheme.CosV5Header, identity.Scheme);
        Assert.Equal(PayloadKind.NotSigned, identity.Payload);
        Assert.Null(identity.PayloadSha256);
        Assert.Null(identity.Chunking);
        Assert.Null(identity.Region);
        Assert.Null(identity.SecurityToken);
        Assert.Equal(ProtocolFamily.Cos, identity.Family);
    }

    [Fact]
    public void Documented_vector_B_authenticates()
    {
        var identity = RequestAuthenticator.Authenticate(Make("GET", VectorBTarget, VectorBHeaders, VectorBAuthorization), Lookup, VectorBNow);
        Assert.Equal(SecretId, identity!.AccessKeyId);
    }

    [Fact]
    public void Documented_vector_B_authenticates_as_a_presigned_url_in_Python_style()
    {
        // Python url-encodes every q-* value: ';' becomes %3B.
        string query = string.Join('&', VectorBAuthorization.Split('&').Select(p =>
        {
            int eq = p.IndexOf('=');
            return p[..(eq + 1)] + Uri.EscapeDataString(p[(eq + 1)..]);
        }));
        var identity = RequestAuthenticator.Authenticate(Make("GET", VectorBTarget + "&" + query, VectorBHeaders), Lookup, VectorBNow);
        Assert.Equal(SignatureScheme.CosV5Query, identity!.Scheme);
    }

    [Fact]
    public void Documented_vector_B_authenticates_as_a_presigned_url_in_Node_style()
    {
        // Node leaves q-sign-time unencoded and writes q-url-param-list encoded and lower-cased (%3b).
        string query = VectorBAuthorization.Replace("response-cache-control;response-content-type", "response-cache-control%3bresponse-content-type");
        var request = Make("GET", VectorBTarget + "&" + query + "&x-cos-security-token=tok%2Ben", VectorBHeaders);
        var identity = RequestAuthenticator.Authenticate(request, Lookup, VectorBNow);
        Assert.Equal(SignatureScheme.CosV5Query, identity!.Scheme);
        Assert.Equal("tok+en", identity.SecurityToken);
    }

    [Fact]
    public void PresignQuery_output_appended_to_the_target_authenticates()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        KeyValuePair<string, string>[] query = [H("versionId", "v 1/2"), H("acl", "")];
        KeyValuePair<string, string>[] headers = [H("Host", "bucket-1250000000.cos.ap-guangzhou.myqcloud.com")];
        string presign = CosV5Signer.PresignQuery(SecretId, SecretKey, "GET", "/dir/a b+c", query, headers, now.AddSeconds(-60), now.AddSeconds(300));
        Assert.Contains("q-sign-time=1699999940%3B1700000300", presign);
        var request = Make("GET", "/dir/a%20b%2Bc?versionId=v%201%2F2&acl&" + presign, headers);
        var identity = RequestAuthenticator.Authenticate(request, Lookup, now);
        Assert.Equal(SignatureScheme.CosV5Query, identity!.Scheme);
    }

    [Fact]
    public void The_unsigned_token_header_is_returned_but_unlisted_query_parameters_are_refused()
    {
        var headers = VectorBHeaders.Append(H("x-cos-security-token", "sts-token")).ToArray();
        var identity = RequestAuthenticator.Authenticate(Make("GET", VectorBTarget, headers, VectorBAuthorization), Lookup, VectorBNow);
        Assert.Equal("sts-token", identity!.SecurityToken);

        Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Make("GET", VectorBTarget + "&unsigned=1", headers, VectorBAuthorization), Lookup, VectorBNow));
        Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Make("GET", VectorBTarget + "&x-cos-security-token=other", headers, VectorBAuthorization), Lookup, VectorBNow));
    }

    [Fact]
    public void Header_and_parameter_lists_are_walked_in_the_order_given()
    {
        // A client that lists host before date: the server must not sort.
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        string keyTime = "1699999990;1700000900";
        string httpString = "get\n/k\nb=2&a=1\nhost=h.example&date=today\n";
        string signature = CosV5.ComputeSignature(SecretKey, keyTime, keyTime, httpString);
        string authorization = $"q-sign-algorithm=sha1&q-ak={SecretId}&q-sign-time={keyTime}&q-key-time={keyTime}&q-header-list=host;date&q-url-param-list=b;a&q-signature={signature}";
        var request = Make("GET", "/k?a=1&b=2", [H("Host", "h.example"), H("Date", "today")], authorization);
        Assert.NotNull(RequestAuthenticator.Authenticate(request, Lookup, now));
    }

    [Theory]
    [InlineData("/bucket/a/.%2Fb", "/bucket/a/./b")]
    [InlineData("/a%2Fb", "/a/b")]
    [InlineData("/a/../b", "/a/../b")]
    [InlineData("/%E4%BD%A0%E5%A5%BD%20x", "/你好 x")]
    [InlineData("?acl", "/")]
    public void The_signed_path_is_the_raw_path_percent_decoded_without_normalisation(string target, string decodedPath)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        int q = target.IndexOf('?');
        KeyValuePair<string, string>[] query = q >= 0 ? [H("acl", "")] : [];
        KeyValuePair<string, string>[] headers = [H("Host", "h")];
        string authorization = CosV5Signer.Sign(SecretId, SecretKey, "GET", decodedPath, query, headers, now.AddSeconds(-1), now.AddSeconds(900));
        Assert.NotNull(RequestAuthenticator.Authenticate(Make("GET", target, headers, authorization), Lookup, now));
    }

    [Fact]
    public void A_Host_port_that_the_client_did_not_sign_is_tolerated()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        string authorization = CosV5Signer.Sign(SecretId, SecretKey, "GET", "/k", [], [H("host", "bucket.local")], now.AddSeconds(-60), now.AddSeconds(600));
        Assert.NotNull(RequestAuthenticator.Authenticate(Make("GET", "/k", [H("Host", "bucket.local:8080")], authorization), Lookup, now));
    }

    [Fact]
    public void A_signed_Host_port_must_match()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        string authorization = CosV5Signer.Sign(SecretId, SecretKey, "GET", "/k", [], [H("host", "bucket.local:8080")], now.AddSeconds(-60), now.AddSeconds(600));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("GET", "/k", [H("Host", "bucket.local:9090")], authorization), Lookup, now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Missing_or_empty_Authorization_without_query_signature_is_anonymous(string? authorization)
    {
        Assert.Null(RequestAuthenticator.Authenticate(Make("GET", "/k?acl", [H("Host", "h")], authorization), Lookup, VectorANow));
    }

    [Fact]
    public void An_unknown_key_is_InvalidAccessKeyId()
    {
        var e = Fails(ErrorCode.InvalidAccessKeyId, () => RequestAuthenticator.Authenticate(Make("PUT", WirePath, VectorAHeaders, VectorAAuthorization), Secrets(), VectorANow));
        Assert.Equal(403, e.Error.Status);
    }

    [Fact]
    public void A_request_after_the_end_of_q_sign_time_has_expired()
    {
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(
            Make("PUT", WirePath, VectorAHeaders, VectorAAuthorization), Lookup, DateTimeOffset.FromUnixTimeSeconds(1557996351 + 1)));
        Assert.Equal("Request has expired", e.Message);
        Assert.Equal(403, e.Error.Status);
    }

    [Fact]
    public void A_q_sign_time_starting_over_15_minutes_ahead_is_too_skewed_but_a_little_ahead_is_fine()
    {
        var request = Make("PUT", WirePath, VectorAHeaders, VectorAAuthorization);
        Fails(ErrorCode.RequestTimeTooSkewed, () => RequestAuthenticator.Authenticate(request, Lookup, DateTimeOffset.FromUnixTimeSeconds(1557989151 - 901)));
        Assert.NotNull(RequestAuthenticator.Authenticate(request, Lookup, DateTimeOffset.FromUnixTimeSeconds(1557989151 - 899)));
    }

    [Theory]
    [InlineData("q-sign-algorithm=md5&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1;2&q-key-time=1;2&q-header-list=&q-url-param-list=&q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172")]
    [InlineData("q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1;2&q-key-time=1;2&q-header-list=&q-url-param-list=")]
    [InlineData("q-sign-algorithm=sha1&q-sign-time=1;2&q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172")]
    [InlineData("q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=abc&q-key-time=abc&q-signature=3b8851a11a569213c17ba8fa7dcf2abec6935172")]
    [InlineData("q-sign-algorithm=sha1&q-ak=AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q&q-sign-time=1;2&q-key-time=1;2&q-signature=zz")]
    [InlineData("Bearer abc")]
    public void Malformed_authorization_headers_are_AuthorizationHeaderMalformed(string authorization)
    {
        var e = Fails(ErrorCode.AuthorizationHeaderMalformed, () => RequestAuthenticator.Authenticate(Make("GET", "/k", [H("Host", "h")], authorization), Lookup, VectorANow));
        Assert.Equal(400, e.Error.Status);
    }

    [Fact]
    public void A_query_signature_with_missing_fields_is_AuthorizationQueryParametersError()
    {
        Fails(ErrorCode.AuthorizationQueryParametersError, () => RequestAuthenticator.Authenticate(
            Make("GET", "/k?q-sign-algorithm=sha1&q-ak=" + SecretId, [H("Host", "h")]), Lookup, VectorANow));
    }

    public static TheoryData<string, string, KeyValuePair<string, string>[], string?> Tampered => new()
    {
        { "method", "POST", VectorAHeaders, null },
        { "path", "PUT", VectorAHeaders, "/exampleobject(%E8%85%BE%E8%AE%AF%E4%BA%92)" },
        { "signed header value", "PUT", [.. VectorAHeaders[..^1], H("x-cos-grant-read", "uin=\"100000000012\"")], null },
        { "signed header missing", "PUT", VectorAHeaders[..^1], null },
        { "host", "PUT", [H("Host", "other.example"), .. VectorAHeaders.Where(h => h.Key != "Host")], null },
    };

    [Theory]
    [MemberData(nameof(Tampered))]
    public void Any_change_to_a_signed_part_is_SignatureDoesNotMatch(string what, string method, KeyValuePair<string, string>[] headers, string? target)
    {
        Assert.NotNull(what);
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make(method, target ?? WirePath, headers, VectorAAuthorization), Lookup, VectorANow));
    }

    [Fact]
    public void A_changed_or_missing_signed_query_value_is_SignatureDoesNotMatch()
    {
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(
            Make("GET", VectorBTarget.Replace("600", "601"), VectorBHeaders, VectorBAuthorization), Lookup, VectorBNow));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(
            Make("GET", WirePath + "?response-content-type=application%2Foctet-stream", VectorBHeaders, VectorBAuthorization), Lookup, VectorBNow));
    }

    [Fact]
    public void A_wrong_secret_or_changed_time_is_SignatureDoesNotMatch()
    {
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(
            Make("PUT", WirePath, VectorAHeaders, VectorAAuthorization), Secrets((SecretId, SecretKey + "x")), VectorANow));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(
            Make("PUT", WirePath, VectorAHeaders, VectorAAuthorization.Replace("1557996351", "1557996352")), Lookup, VectorANow));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(
            Make("PUT", WirePath, VectorAHeaders, VectorAAuthorization.Replace("3b8851a1", "3b8851a2")), Lookup, VectorANow));
    }

    [Fact]
    public void An_upper_case_signature_is_accepted()
    {
        var identity = RequestAuthenticator.Authenticate(
            Make("PUT", WirePath, VectorAHeaders, VectorAAuthorization.Replace("3b8851a11a569213c17ba8fa7dcf2abec6935172", "3B8851A11A569213C17BA8FA7DCF2ABEC6935172")), Lookup, VectorANow);
        Assert.NotNull(identity);
    }

    [Fact]
    public void Round_trip_with_many_query_parameters_and_headers_authenticates_and_each_single_change_fails()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_750_000_000);
        KeyValuePair<string, string>[] query = [H("prefix", "a b/c"), H("delimiter", "/"), H("max-keys", "10"), H("encoding-type", "url"), H("uploads", "")];
        KeyValuePair<string, string>[] headers = [H("Host", "b-1250000000.cos.ap-beijing.myqcloud.com"), H("x-cos-meta-ü", "wert=1;2"), H("Content-Type", "")];
        string authorization = CosV5Signer.Sign(SecretId, SecretKey, "get", "/", query, headers, now.AddSeconds(-1), now.AddSeconds(900));
        const string target = "/?prefix=a%20b%2Fc&delimiter=%2F&max-keys=10&encoding-type=url&uploads";
        Assert.NotNull(RequestAuthenticator.Authenticate(Make("GET", target, headers, authorization), Lookup, now));

        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("GET", target.Replace("max-keys=10", "max-keys=11"), headers, authorization), Lookup, now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("GET", target.Replace("%20", "+"), headers, authorization), Lookup, now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("GET", "/x" + target, headers, authorization), Lookup, now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("GET", target, [.. headers[..2], H("Content-Type", "x")], authorization), Lookup, now));
    }
}
