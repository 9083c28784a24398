using System.Globalization;
using Coffer.Protocol.Auth;
using static Coffer.Protocol.Tests.Auth.TestRequests;

namespace Coffer.Protocol.Tests.Auth;

public sealed class SigV4Tests
{
    // AWS documentation examples (docs/protocol/signatures.md#sigv4-test-vector).
    internal const string AccessKey = "AKIAIOSFODNN7EXAMPLE";
    internal const string SecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    internal static readonly DateTimeOffset ExampleTime = new(2013, 5, 24, 0, 0, 0, TimeSpan.Zero);
    internal static readonly Func<string, string?> Lookup = Secrets((AccessKey, SecretKey));

    private static readonly KeyValuePair<string, string>[] GetObjectHeaders =
    [
        H("Host", "examplebucket.s3.amazonaws.com"),
        H("Range", "bytes=0-9"),
        H("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        H("x-amz-date", "20130524T000000Z"),
    ];

    private const string GetObjectAuthorization =
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, " +
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

    [Fact]
    public void Sign_reproduces_the_AWS_GET_Object_example()
    {
        Assert.Equal(GetObjectAuthorization, SigV4Signer.Sign(AccessKey, SecretKey, "us-east-1", "s3", "GET", "/test.txt", GetObjectHeaders));
    }

    [Fact]
    public void The_AWS_GET_Object_example_authenticates()
    {
        var identity = RequestAuthenticator.Authenticate(Make("GET", "/test.txt", GetObjectHeaders, GetObjectAuthorization), Lookup, ExampleTime.AddMinutes(3));
        Assert.NotNull(identity);
        Assert.Equal(AccessKey, identity.AccessKeyId);
        Assert.Equal(SignatureScheme.SigV4Header, identity.Scheme);
        Assert.Equal(PayloadKind.Sha256, identity.Payload);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", identity.PayloadSha256);
        Assert.Equal("us-east-1", identity.Region);
        Assert.Equal("s3", identity.Service);
        Assert.Null(identity.Chunking);
        Assert.Equal(ProtocolFamily.S3, identity.Family);
    }

    [Fact]
    public void The_AWS_presigned_URL_example_authenticates_and_Presign_reproduces_it()
    {
        const string query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
                             "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
                             "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
        KeyValuePair<string, string>[] headers = [H("Host", "examplebucket.s3.amazonaws.com")];
        Assert.Equal(query, SigV4Signer.Presign(AccessKey, SecretKey, "us-east-1", "s3", "GET", "/test.txt", headers, ExampleTime, TimeSpan.FromSeconds(86400)));

        var identity = RequestAuthenticator.Authenticate(Make("GET", "/test.txt?" + query, headers), Lookup, ExampleTime.AddHours(23));
        Assert.Equal(SignatureScheme.SigV4Query, identity!.Scheme);
        Assert.Equal(PayloadKind.Unsigned, identity.Payload);
        Assert.Equal("us-east-1", identity.Region);

        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Make("GET", "/test.txt?" + query, headers), Lookup, ExampleTime.AddSeconds(86401)));
        Assert.Equal("Request has expired", e.Message);
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(
            Make("GET", "/test.txt?" + query.Replace("aeeed9bb", "aeeed9bc"), headers), Lookup, ExampleTime.AddHours(1)));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(
            Make("GET", "/test.txt?" + query + "&x=1", headers), Lookup, ExampleTime.AddHours(1)));
    }

    [Fact]
    public void X_Amz_Expires_over_a_week_is_AuthorizationQueryParametersError()
    {
        KeyValuePair<string, string>[] headers = [H("Host", "h")];
        string query = SigV4Signer.Presign(AccessKey, SecretKey, "us-east-1", "s3", "GET", "/k", headers, ExampleTime, TimeSpan.FromDays(7))
            .Replace("X-Amz-Expires=604800", "X-Amz-Expires=604801");
        var e = Fails(ErrorCode.AuthorizationQueryParametersError, () => RequestAuthenticator.Authenticate(Make("GET", "/k?" + query, headers), Lookup, ExampleTime));
        Assert.Equal(400, e.Error.Status);
    }

    [Theory]
    [InlineData("X-Amz-Algorithm=AWS4-HMAC-SHA1&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")]
    [InlineData("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")]
    [InlineData("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=2013-05-24&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")]
    [InlineData("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=-5&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")]
    [InlineData("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=range&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")]
    [InlineData("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130525%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")]
    [InlineData("X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")]
    public void Malformed_presigned_queries_are_AuthorizationQueryParametersError(string query)
    {
        Fails(ErrorCode.AuthorizationQueryParametersError, () => RequestAuthenticator.Authenticate(
            Make("GET", "/test.txt?" + query, [H("Host", "examplebucket.s3.amazonaws.com"), H("Range", "bytes=0-9")]), Lookup, ExampleTime));
    }

    [Theory]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3, SignedHeaders=host, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130525/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=range;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=Host;range, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=xyz")]
    [InlineData("AWS4-HMAC-SHA256 garbage")]
    [InlineData("AWS4-ECDSA-P256-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/s3/aws4_request, SignedHeaders=host, Signature=00")]
    public void Malformed_authorization_headers_are_AuthorizationHeaderMalformed(string authorization)
    {
        Fails(ErrorCode.AuthorizationHeaderMalformed, () => RequestAuthenticator.Authenticate(Make("GET", "/test.txt", GetObjectHeaders, authorization), Lookup, ExampleTime));
    }

    [Fact]
    public void A_request_without_any_date_is_AuthorizationHeaderMalformed()
    {
        Fails(ErrorCode.AuthorizationHeaderMalformed, () => RequestAuthenticator.Authenticate(
            Make("GET", "/test.txt", GetObjectHeaders.Where(h => h.Key != "x-amz-date"), GetObjectAuthorization), Lookup, ExampleTime));
    }

    [Fact]
    public void An_unknown_key_is_InvalidAccessKeyId()
    {
        Fails(ErrorCode.InvalidAccessKeyId, () => RequestAuthenticator.Authenticate(Make("GET", "/test.txt", GetObjectHeaders, GetObjectAuthorization), Secrets(), ExampleTime));
    }

    [Fact]
    public void A_request_time_more_than_15_minutes_off_is_RequestTimeTooSkewed_either_way()
    {
        var request = Make("GET", "/test.txt", GetObjectHeaders, GetObjectAuthorization);
        Fails(ErrorCode.RequestTimeTooSkewed, () => RequestAuthenticator.Authenticate(request, Lookup, ExampleTime.AddMinutes(15).AddSeconds(1)));
        Fails(ErrorCode.RequestTimeTooSkewed, () => RequestAuthenticator.Authenticate(request, Lookup, ExampleTime.AddMinutes(-15).AddSeconds(-1)));
        Assert.NotNull(RequestAuthenticator.Authenticate(request, Lookup, ExampleTime.AddMinutes(-15)));
        Assert.NotNull(RequestAuthenticator.Authenticate(request, Lookup, ExampleTime.AddMinutes(15)));
    }

    [Fact]
    public void A_presigned_URL_dated_over_15_minutes_ahead_is_RequestTimeTooSkewed()
    {
        KeyValuePair<string, string>[] headers = [H("Host", "h")];
        string query = SigV4Signer.Presign(AccessKey, SecretKey, "us-east-1", "s3", "GET", "/k", headers, ExampleTime.AddMinutes(16), TimeSpan.FromHours(1));
        Fails(ErrorCode.RequestTimeTooSkewed, () => RequestAuthenticator.Authenticate(Make("GET", "/k?" + query, headers), Lookup, ExampleTime));
    }

    [Fact]
    public void The_Date_header_is_used_when_x_amz_date_is_absent()
    {
        const string date = "Fri, 24 May 2013 00:00:00 GMT";
        string canonical = SigV4.CanonicalRequest("GET", "/test.txt", "", $"date:{date}\nhost:h\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n",
            "date;host;x-amz-content-sha256", "UNSIGNED-PAYLOAD");
        byte[] key = SigV4.DeriveSigningKey(SecretKey, "20130524", "eu-west-1", "s3");
        string signature = SigV4.Sign(key, SigV4.StringToSign("20130524T000000Z", "20130524/eu-west-1/s3/aws4_request", canonical));
        string authorization = $"AWS4-HMAC-SHA256 Credential={AccessKey}/20130524/eu-west-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256,Signature={signature}";
        var identity = RequestAuthenticator.Authenticate(
            Make("GET", "/test.txt", [H("Date", date), H("Host", "h"), H("x-amz-content-sha256", "UNSIGNED-PAYLOAD")], authorization), Lookup, ExampleTime);
        Assert.Equal(PayloadKind.Unsigned, identity!.Payload);
        Assert.Equal("eu-west-1", identity.Region);
    }

    private static (SignableRequest Request, DateTimeOffset Now) SignedPut(string target = "/bucket/dir/a%2Fb%20c~(1).txt?partNumber=2&uploadId=x%2By", string? secret = null,
        string contentSha = "UNSIGNED-PAYLOAD", string host = "s3.local:9000", IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        List<KeyValuePair<string, string>> headers =
        [
            H("Host", host),
            H("x-amz-date", SigV4Signer.FormatAmzDate(now)),
            H("x-amz-content-sha256", contentSha),
            H("Content-Type", "text/plain"),
            H("x-amz-meta-note", "  two  spaces  "),
            .. extra ?? [],
        ];
        string authorization = SigV4Signer.Sign("AKID", secret ?? "SECRET", "ap-beijing", "s3", "PUT", target, headers);
        return (Make("PUT", target, headers, authorization), now);
    }

    private static readonly Func<string, string?> RoundTripLookup = Secrets(("AKID", "SECRET"));

    [Fact]
    public void A_SigV4Signer_signed_request_authenticates()
    {
        var (request, now) = SignedPut(extra: [H("x-amz-security-token", "tok")]);
        var identity = RequestAuthenticator.Authenticate(request, RoundTripLookup, now);
        Assert.Equal("AKID", identity!.AccessKeyId);
        Assert.Equal("ap-beijing", identity.Region);
        Assert.Equal("tok", identity.SecurityToken);
        Assert.Equal(PayloadKind.Unsigned, identity.Payload);
    }

    public static TheoryData<string> Changes => new()
    {
        "method", "path", "path case", "query value", "query added", "query removed", "signed header", "signed header removed", "host", "secret", "time",
        "signature", "payload hash",
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public void Any_single_change_to_a_signed_request_is_SignatureDoesNotMatch(string change)
    {
        var (request, now) = SignedPut();
        var headers = new Dictionary<string, string>(request.Headers, StringComparer.OrdinalIgnoreCase);
        string method = request.Method, target = request.RawTarget;
        var lookup = RoundTripLookup;
        switch (change)
        {
            case "method": method = "POST"; break;
            case "path": target = target.Replace("a%2Fb", "a/b"); break;
            case "path case": target = target.Replace("dir", "Dir"); break;
            case "query value": target = target.Replace("partNumber=2", "partNumber=3"); break;
            case "query added": target += "&acl"; break;
            case "query removed": target = target.Replace("&uploadId=x%2By", ""); break;
            case "signed header": headers["Content-Type"] = "text/html"; break;
            case "signed header removed": headers.Remove("x-amz-meta-note"); break;
            case "host": headers["Host"] = "s3.other:9000"; break;
            case "secret": lookup = Secrets(("AKID", "SECRET2")); break;
            case "time": headers["x-amz-date"] = SigV4Signer.FormatAmzDate(now.AddSeconds(1)); break;
            case "signature": headers["Authorization"] = headers["Authorization"][..^1] + (headers["Authorization"][^1] == '0' ? '1' : '0'); break;
            case "payload hash": headers["x-amz-content-sha256"] = SigV4Signer.EmptySha256; break;
        }

        var changed = new SignableRequest { Method = method, RawTarget = target, Headers = headers };
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(changed, lookup, now));
    }

    [Fact]
    public void Unsigned_headers_and_header_name_case_do_not_matter()
    {
        var (request, now) = SignedPut();
        var headers = request.Headers.ToDictionary(p => p.Key.ToUpperInvariant(), p => p.Value, StringComparer.OrdinalIgnoreCase);
        headers["User-Agent"] = "anything";
        var changed = new SignableRequest { Method = request.Method, RawTarget = request.RawTarget, Headers = headers };
        Assert.NotNull(RequestAuthenticator.Authenticate(changed, RoundTripLookup, now));
    }

    [Fact]
    public void A_Host_port_that_the_client_did_not_sign_is_tolerated()
    {
        var (request, now) = SignedPut(host: "s3.local");
        var headers = new Dictionary<string, string>(request.Headers, StringComparer.OrdinalIgnoreCase) { ["Host"] = "s3.local:9000" };
        Assert.NotNull(RequestAuthenticator.Authenticate(new SignableRequest { Method = "PUT", RawTarget = request.RawTarget, Headers = headers }, RoundTripLookup, now));
    }

    [Theory]
    [InlineData("/b/a+b")]
    [InlineData("/b/a%2fb")]
    [InlineData("/b/%7Etilde")]
    [InlineData("/b/a=b&c")]
    public void A_client_that_signed_the_raw_path_as_sent_is_accepted(string rawPath)
    {
        // Clients other than the AWS SDKs sometimes sign the path exactly as they send it.
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        string amzDate = SigV4Signer.FormatAmzDate(now);
        string canonical = SigV4.CanonicalRequest("GET", rawPath, "", $"host:h\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:{amzDate}\n",
            "host;x-amz-content-sha256;x-amz-date", "UNSIGNED-PAYLOAD");
        string signature = SigV4.Sign(SigV4.DeriveSigningKey("SECRET", amzDate[..8], "us-east-1", "s3"), SigV4.StringToSign(amzDate, $"{amzDate[..8]}/us-east-1/s3/aws4_request", canonical));
        string authorization = $"AWS4-HMAC-SHA256 Credential=AKID/{amzDate[..8]}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}";
        var request = Make("GET", rawPath, [H("host", "h"), H("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), H("x-amz-date", amzDate)], authorization);
        Assert.NotNull(RequestAuthenticator.Authenticate(request, RoundTripLookup, now));
    }

    [Theory]
    [InlineData("/b/a%2Fb", "/b/a%2Fb")]
    [InlineData("/b/a+b", "/b/a%2Bb")]
    [InlineData("/b/a%20b/c", "/b/a%20b/c")]
    [InlineData("/b/%e4%bd%a0", "/b/%E4%BD%A0")]
    [InlineData("/b/a!'()*", "/b/a%21%27%28%29%2A")]
    [InlineData("", "/")]
    [InlineData("/", "/")]
    [InlineData("/b//c/", "/b//c/")]
    public void The_canonical_URI_re_encodes_each_decoded_segment(string raw, string canonical)
    {
        Assert.Equal(canonical, UriEncoding.CanonicalPathFromRaw(raw));
    }

    [Fact]
    public void The_canonical_query_is_sorted_by_encoded_name_then_value_and_re_encoded()
    {
        var target = RequestTarget.Parse("/?b=2&a=z&a=y&acl&c=%7e&d=a+b&e=%2f&list-type=2&prefix=a%20b");
        Assert.Equal("a=y&a=z&acl=&b=2&c=~&d=a%2Bb&e=%2F&list-type=2&prefix=a%20b", SigV4.CanonicalQuery(target.Query));
    }

    [Theory]
    [InlineData("UNSIGNED-PAYLOAD", PayloadKind.Unsigned)]
    [InlineData("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", PayloadKind.StreamingSigned)]
    [InlineData("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER", PayloadKind.StreamingSignedTrailer)]
    [InlineData("STREAMING-UNSIGNED-PAYLOAD-TRAILER", PayloadKind.StreamingUnsignedTrailer)]
    [InlineData("B94D27B9934D3E08A52E52D7DA7DABFAC484EFE37A5380EE9088F7ACE2EFCDE9", PayloadKind.Sha256)]
    public void The_x_amz_content_sha256_value_gives_the_payload_kind(string value, PayloadKind kind)
    {
        var (request, now) = SignedPut(contentSha: value);
        var identity = RequestAuthenticator.Authenticate(request, RoundTripLookup, now)!;
        Assert.Equal(kind, identity.Payload);
        Assert.Equal(kind == PayloadKind.Sha256 ? value.ToLowerInvariant() : null, identity.PayloadSha256);
        if (kind is PayloadKind.StreamingSigned or PayloadKind.StreamingSignedTrailer)
        {
            Assert.NotNull(identity.Chunking);
            Assert.Equal(request.Headers["Authorization"][^64..], identity.Chunking.SeedSignature);
            Assert.Equal(request.Headers["x-amz-date"], identity.Chunking.AmzDate);
            Assert.Equal("20261128/ap-beijing/s3/aws4_request", identity.Chunking.Scope);
            Assert.DoesNotContain("SECRET", identity.ToString());
        }
        else
        {
            Assert.Null(identity.Chunking);
        }
    }

    [Fact]
    public void An_unknown_x_amz_content_sha256_value_is_InvalidArgument()
    {
        var (request, now) = SignedPut(contentSha: "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD");
        Fails(ErrorCode.InvalidArgument, () => RequestAuthenticator.Authenticate(request, RoundTripLookup, now));
    }

    [Fact]
    public void Without_x_amz_content_sha256_the_empty_hash_unsigned_payload_or_the_given_body_hash_are_tried()
    {
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        KeyValuePair<string, string>[] headers = [H("Host", "kms.local"), H("x-amz-date", SigV4Signer.FormatAmzDate(now)), H("Content-Type", "application/x-amz-json-1.1")];
        string body = SigV4.Sha256Hex("{\"KeyId\":\"k\"}");

        string emptySigned = SigV4Signer.Sign("AKID", "SECRET", "us-east-1", "kms", "POST", "/", headers, SigV4Signer.EmptySha256);
        var identity = RequestAuthenticator.Authenticate(Make("POST", "/", headers, emptySigned), RoundTripLookup, now)!;
        Assert.Equal(PayloadKind.Sha256, identity.Payload);
        Assert.Equal(SigV4Signer.EmptySha256, identity.PayloadSha256);
        Assert.Equal("kms", identity.Service);

        string unsigned = SigV4Signer.Sign("AKID", "SECRET", "us-east-1", "kms", "POST", "/", headers, SigV4Signer.UnsignedPayload);
        Assert.Equal(PayloadKind.Unsigned, RequestAuthenticator.Authenticate(Make("POST", "/", headers, unsigned), RoundTripLookup, now)!.Payload);

        string bodySigned = SigV4Signer.Sign("AKID", "SECRET", "us-east-1", "kms", "POST", "/", headers, body);
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("POST", "/", headers, bodySigned), RoundTripLookup, now));
        identity = RequestAuthenticator.Authenticate(Make("POST", "/", headers, bodySigned, bodySha256: body), RoundTripLookup, now)!;
        Assert.Equal(PayloadKind.Sha256, identity.Payload);
        Assert.Equal(body, identity.PayloadSha256);
    }

    [Fact]
    public void Header_and_query_authentication_together_is_InvalidArgument()
    {
        var (request, now) = SignedPut(target: "/b/k?X-Amz-Signature=00");
        Fails(ErrorCode.InvalidArgument, () => RequestAuthenticator.Authenticate(request, RoundTripLookup, now));
    }

    [Fact]
    public void A_presigned_round_trip_returns_the_query_security_token_and_rejects_changes()
    {
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        KeyValuePair<string, string>[] headers = [H("Host", "s3.local:9000"), H("x-amz-meta-a", "1")];
        const string target = "/bucket/%E4%BD%A0%20%2B.txt?versionId=3";
        string query = SigV4Signer.Presign("AKID", "SECRET", "us-west-2", "s3", "PUT", target, headers, now, TimeSpan.FromMinutes(10), "FQoG/token+=");
        var identity = RequestAuthenticator.Authenticate(Make("PUT", target + "&" + query, headers), RoundTripLookup, now.AddMinutes(5))!;
        Assert.Equal("FQoG/token+=", identity.SecurityToken);
        Assert.Equal("us-west-2", identity.Region);
        Assert.Equal(PayloadKind.Unsigned, identity.Payload);

        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("GET", target + "&" + query, headers), RoundTripLookup, now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("PUT", target.Replace("=3", "=4") + "&" + query, headers), RoundTripLookup, now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("PUT", target + "&" + query, [headers[0], H("x-amz-meta-a", "2")]), RoundTripLookup, now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("PUT", target + "&" + query.Replace("token%2B", "token%2C"), headers), RoundTripLookup, now));
        Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Make("PUT", target + "&" + query, headers), RoundTripLookup, now.AddMinutes(10).AddSeconds(1)));
    }

    [Fact]
    public void An_absolute_form_target_is_verified_on_its_path_and_query()
    {
        var (request, now) = SignedPut();
        var absolute = new SignableRequest { Method = request.Method, RawTarget = "http://s3.local:9000" + request.RawTarget, Headers = request.Headers };
        Assert.NotNull(RequestAuthenticator.Authenticate(absolute, RoundTripLookup, now));
    }

    [Fact]
    public void Repeated_headers_joined_with_commas_verify()
    {
        var (request, now) = SignedPut(extra: [H("x-amz-meta-list", "a"), H("x-amz-meta-list", "b")]);
        Assert.Equal("a,b", request.Headers["x-amz-meta-list"]);
        Assert.NotNull(RequestAuthenticator.Authenticate(request, RoundTripLookup, now));
    }

    [Fact]
    public void SigV4Signer_rejects_requests_it_cannot_sign()
    {
        Assert.Throws<ArgumentException>(() => SigV4Signer.Sign("a", "s", "r", "s3", "GET", "/", [H("x-amz-date", "20130524T000000Z"), H("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]));
        Assert.Throws<ArgumentException>(() => SigV4Signer.Sign("a", "s", "r", "s3", "GET", "/", [H("host", "h"), H("x-amz-content-sha256", "UNSIGNED-PAYLOAD")]));
        Assert.Throws<ArgumentException>(() => SigV4Signer.Sign("a", "s", "r", "s3", "GET", "/", [H("host", "h"), H("x-amz-date", "20130524T000000Z")]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SigV4Signer.Presign("a", "s", "r", "s3", "GET", "/", [H("host", "h")], ExampleTime, TimeSpan.FromDays(8)));
    }

    [Fact]
    public void Chunk_signer_reproduces_the_AWS_documented_first_chunk_signature()
    {
        var context = SigV4Signer.CreateChunkSigningContext(SecretKey, "us-east-1", "s3", "20130524T000000Z",
            "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
        string first = SigV4Signer.SignChunk(context, context.SeedSignature, new byte[65536].Select(_ => (byte)'a').ToArray());
        Assert.Equal("ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648", first);
        string second = SigV4Signer.SignChunk(context, first, Enumerable.Repeat((byte)'a', 1024).ToArray());
        Assert.Equal("0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497", second);
        Assert.Equal("b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9", SigV4Signer.SignChunk(context, second, []));
        Assert.DoesNotContain(SecretKey, context.ToString());
    }

    [Fact]
    public void Amz_dates_format_in_UTC()
    {
        Assert.Equal("20130524T000000Z", SigV4Signer.FormatAmzDate(DateTimeOffset.Parse("2013-05-24T08:00:00+08:00", CultureInfo.InvariantCulture)));
    }
}
