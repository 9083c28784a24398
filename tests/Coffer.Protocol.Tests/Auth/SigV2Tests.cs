using System.Globalization;
using Coffer.Protocol.Auth;
using static Coffer.Protocol.Tests.Auth.TestRequests;

namespace Coffer.Protocol.Tests.Auth;

/// <summary>AWS Signature Version 2: AWS's worked examples (docs/protocol/signatures.md#signature-version-2) and the verifier's rules.</summary>
public sealed class SigV2Tests
{
    private const string AccessKey = SigV4Tests.AccessKey;
    private const string SecretKey = SigV4Tests.SecretKey;
    private static readonly Func<string, string?> Lookup = SigV4Tests.Lookup;

    public static TheoryData<string, string> AwsExamples => new()
    {
        { "GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg", "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=" },
        { "PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/awsexamplebucket1/photos/puppy.jpg", "iqRzw+ileNPu1fhspnRs8nOjjIA=" },
        { "GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/", "m0WP8eCtspQl5Ahe6L1SozdX9YA=" },
        { "GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl", "82ZHiFIjc+WbcwFKGUVEQspPn+0=" },
        { "DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/awsexamplebucket1/photos/puppy.jpg", "XbyTlbQdu9Xw5o8P4iMwPktxQd8=" },
        { "GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/", "qGdzdERIC03wnaRNKh6OqZehG9s=" },
        { "GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", "DNEZGsoieTZ92F3bUfSPQcbGmlM=" },
    };

    [Theory]
    [MemberData(nameof(AwsExamples))]
    public void Sign_reproduces_the_AWS_examples(string stringToSign, string signature) =>
        Assert.Equal(signature, SigV2.Sign(SecretKey, stringToSign));

    private static DateTimeOffset Time(string rfc1123) => DateTimeOffset.ParseExact(rfc1123, "r", CultureInfo.InvariantCulture);

    [Fact]
    public void The_AWS_virtual_hosted_GET_example_authenticates()
    {
        var request = Make("GET", "/photos/puppy.jpg",
            [H("Host", "awsexamplebucket1.s3.us-west-1.amazonaws.com"), H("Date", "Tue, 27 Mar 2007 19:36:42 +0000")],
            $"AWS {AccessKey}:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=");
        request = WithBucket(request, "awsexamplebucket1");
        var identity = RequestAuthenticator.Authenticate(request, Lookup, Time("Tue, 27 Mar 2007 19:40:00 GMT"));
        Assert.NotNull(identity);
        Assert.Equal(AccessKey, identity.AccessKeyId);
        Assert.Equal(SignatureScheme.SigV2Header, identity.Scheme);
        Assert.Equal(ProtocolFamily.S3, identity.Family);
        Assert.Equal(PayloadKind.Unsigned, identity.Payload);
        Assert.False(identity.Presigned);
        Assert.Equal("s3", identity.Service);
    }

    [Fact]
    public void The_AWS_examples_authenticate_path_style_with_the_bucket_in_the_path()
    {
        var now = Time("Tue, 27 Mar 2007 21:16:00 GMT");
        var put = Make("PUT", "/awsexamplebucket1/photos/puppy.jpg",
            [H("Content-Type", "image/jpeg"), H("Content-Length", "94328"), H("Date", "Tue, 27 Mar 2007 21:15:45 +0000")],
            $"AWS {AccessKey}:iqRzw+ileNPu1fhspnRs8nOjjIA=");
        Assert.NotNull(RequestAuthenticator.Authenticate(put, Lookup, now));

        // The list example: prefix and max-keys are not signed sub-resources.
        var list = Make("GET", "/awsexamplebucket1/?prefix=photos&max-keys=50&marker=puppy",
            [H("Date", "Tue, 27 Mar 2007 19:42:41 +0000")], $"AWS {AccessKey}:m0WP8eCtspQl5Ahe6L1SozdX9YA=");
        Assert.NotNull(RequestAuthenticator.Authenticate(list, Lookup, Time("Tue, 27 Mar 2007 19:42:41 GMT")));

        var acl = Make("GET", "/awsexamplebucket1/?acl", [H("Date", "Tue, 27 Mar 2007 19:44:46 +0000")], $"AWS {AccessKey}:82ZHiFIjc+WbcwFKGUVEQspPn+0=");
        Assert.NotNull(RequestAuthenticator.Authenticate(acl, Lookup, Time("Tue, 27 Mar 2007 19:44:46 GMT")));

        var listBuckets = Make("GET", "/", [H("Date", "Wed, 28 Mar 2007 01:29:59 +0000")], $"AWS {AccessKey}:qGdzdERIC03wnaRNKh6OqZehG9s=");
        Assert.NotNull(RequestAuthenticator.Authenticate(listBuckets, Lookup, Time("Wed, 28 Mar 2007 01:29:59 GMT")));

        // The path as sent, escapes' case kept.
        var unicode = Make("GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", [H("Date", "Wed, 28 Mar 2007 01:49:49 +0000")],
            $"AWS {AccessKey}:DNEZGsoieTZ92F3bUfSPQcbGmlM=");
        Assert.NotNull(RequestAuthenticator.Authenticate(unicode, Lookup, Time("Wed, 28 Mar 2007 01:49:49 GMT")));
    }

    [Fact]
    public void The_AWS_DELETE_example_with_x_amz_date_in_the_Date_slot_authenticates()
    {
        var delete = Make("DELETE", "/awsexamplebucket1/photos/puppy.jpg",
            [H("User-Agent", "dotnet"), H("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000")], $"AWS {AccessKey}:XbyTlbQdu9Xw5o8P4iMwPktxQd8=");
        Assert.NotNull(RequestAuthenticator.Authenticate(delete, Lookup, Time("Tue, 27 Mar 2007 21:20:30 GMT")));
    }

    [Fact]
    public void The_three_readings_of_the_Date_slot_with_x_amz_date_are_accepted()
    {
        const string amzDate = "Tue, 27 Mar 2007 21:20:26 +0000";
        const string date = "Tue, 27 Mar 2007 21:20:00 +0000";
        var now = Time("Tue, 27 Mar 2007 21:20:30 GMT");
        foreach (string sts in (string[])[
            $"DELETE\n\n\n\nx-amz-date:{amzDate}\n/b/k",          // AWS text: empty slot, x-amz-date line
            $"DELETE\n\n\n{amzDate}\n/b/k",                        // AWS sample: value in the slot, no line
            $"DELETE\n\n\n{date}\nx-amz-date:{amzDate}\n/b/k",     // botocore/MinIO: Date in the slot and the line
        ])
        {
            var request = Make("DELETE", "/b/k", [H("Date", date), H("x-amz-date", amzDate)], $"AWS {AccessKey}:{SigV2.Sign(SecretKey, sts)}");
            Assert.NotNull(RequestAuthenticator.Authenticate(request, Lookup, now));
        }
    }

    [Fact]
    public void Canonical_amz_headers_are_lower_cased_sorted_joined_and_unfolded()
    {
        string amz = SigV2.CanonicalAmzHeaders([
            H("X-Amz-Meta-ReviewedBy", "joe@example.com"), H("x-amz-meta-reviewedby", "jane@example.com"),
            H("X-Amz-Meta-FileChecksum", "0x02661779"), H("x-amz-meta-checksumalgorithm", "  crc32 "),
            H("X-Amz-Meta-Folded", "one\r\n  two"), H("Content-Type", "text/plain"), H("x-cos-meta-a", "b"),
        ]);
        Assert.Equal(
            "x-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\nx-amz-meta-folded:one two\n" +
            "x-amz-meta-reviewedby:joe@example.com,jane@example.com\n", amz);
    }

    [Fact]
    public void Canonical_resource_keeps_only_sub_resources_sorted_with_decoded_values()
    {
        var target = RequestTarget.Parse("/b/k?uploadId=a%2Fb&prefix=x&partNumber=3&response-content-type=text%2Fplain&acl");
        Assert.Equal("/b/k?acl&partNumber=3&response-content-type=text/plain&uploadId=a/b", SigV2.CanonicalResource(null, target.RawPath, target.Query));
        Assert.Equal("/bucket/k?uploads=", SigV2.CanonicalResource("bucket", "/k", RequestTarget.Parse("/k?uploads=").Query));
        Assert.Equal("/bucket/k?uploads", SigV2.CanonicalResource("bucket", "/k", RequestTarget.Parse("/k?uploads=").Query, dropEmptyEquals: true));
        Assert.Equal("/bucket/", SigV2.CanonicalResource("bucket", "/", []));
    }

    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly string NowHttp = Now.ToString("r", CultureInfo.InvariantCulture);

    private static SignableRequest Signed(string method, string target, string resource, params KeyValuePair<string, string>[] headers)
    {
        var all = headers.Append(H("Date", NowHttp)).ToArray();
        string contentType = all.FirstOrDefault(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value ?? "";
        string sts = SigV2.StringToSign(method, "", contentType, NowHttp, SigV2.CanonicalAmzHeaders(all), resource);
        return Make(method, target, all, $"AWS {AccessKey}:{SigV2.Sign(SecretKey, sts)}");
    }

    [Fact]
    public void A_changed_resource_amz_header_method_or_secret_fails_with_the_string_to_sign()
    {
        Assert.NotNull(RequestAuthenticator.Authenticate(Signed("PUT", "/b/k", "/b/k", H("x-amz-meta-a", "1")), Lookup, Now));

        // Same signature, other key: SignatureDoesNotMatch carrying S3's StringToSign details.
        var signed = Signed("PUT", "/b/k", "/b/k", H("x-amz-meta-a", "1"));
        var moved = Make("PUT", "/b/other", signed.Headers);
        var e = Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(moved, Lookup, Now));
        Assert.Contains(new KeyValuePair<string, string>("StringToSign", $"PUT\n\n\n{NowHttp}\nx-amz-meta-a:1\n/b/other"), e.Details);
        Assert.Contains(e.Details, d => d.Key == "AWSAccessKeyId" && d.Value == AccessKey);
        Assert.Contains(e.Details, d => d.Key == "SignatureProvided");
        Assert.Contains(e.Details, d => d.Key == "StringToSignBytes" && d.Value.StartsWith("50 55 54 0a", StringComparison.Ordinal));

        var headers = new Dictionary<string, string>(signed.Headers, StringComparer.OrdinalIgnoreCase) { ["x-amz-meta-a"] = "2" };
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("PUT", "/b/k", headers), Lookup, Now));
        headers = new Dictionary<string, string>(signed.Headers, StringComparer.OrdinalIgnoreCase) { ["x-amz-acl"] = "public-read" };
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("PUT", "/b/k", headers), Lookup, Now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("DELETE", "/b/k", signed.Headers), Lookup, Now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(signed, Secrets((AccessKey, "another-secret")), Now));
        Fails(ErrorCode.InvalidAccessKeyId, () => RequestAuthenticator.Authenticate(signed, Secrets(("someone-else", SecretKey)), Now));

        // Adding a signed sub-resource changes the resource: the signature no longer matches.
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("PUT", "/b/k?tagging", signed.Headers), Lookup, Now));
    }

    [Fact]
    public void Unsigned_cos_headers_and_query_parameters_that_SigV2_cannot_sign_are_refused()
    {
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(
            Signed("PUT", "/b/k", "/b/k", H("x-cos-server-side-encryption", "AES256")), Lookup, Now));
        Assert.Contains("x-cos-server-side-encryption", e.Message, StringComparison.Ordinal);
        Assert.Contains(e.Details, d => d.Key == "HeadersNotSigned");

        // ?attributes is a sub-resource Coffer routes but SigV2 does not sign: it could turn a GET into another operation.
        var attributes = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Signed("GET", "/b/k?attributes", "/b/k"), Lookup, Now));
        Assert.Contains("attributes", attributes.Message, StringComparison.Ordinal);

        // The header form signs no query x-amz-* parameter: an added token (or anything else) in the query is refused.
        var token = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Signed("GET", "/b/k?x-amz-security-token=t", "/b/k"), Lookup, Now));
        Assert.Contains("x-amz-security-token", token.Message, StringComparison.Ordinal);

        // Plain listing arguments stay unsigned, as S3 leaves them.
        Assert.NotNull(RequestAuthenticator.Authenticate(Signed("GET", "/b?prefix=a&list-type=2&max-keys=3", "/b"), Lookup, Now));
    }

    [Fact]
    public void Time_rules_of_the_header_form()
    {
        var signed = Signed("GET", "/b/k", "/b/k");
        Assert.NotNull(RequestAuthenticator.Authenticate(signed, Lookup, Now.AddMinutes(14)));
        var skewed = Fails(ErrorCode.RequestTimeTooSkewed, () => RequestAuthenticator.Authenticate(signed, Lookup, Now.AddMinutes(16)));
        Assert.Contains(skewed.Details, d => d.Key == "MaxAllowedSkewMilliseconds" && d.Value == "900000");
        Fails(ErrorCode.RequestTimeTooSkewed, () => RequestAuthenticator.Authenticate(signed, Lookup, Now.AddMinutes(-16)));

        var undated = Make("GET", "/b/k", [], $"AWS {AccessKey}:{SigV2.Sign(SecretKey, "GET\n\n\n\n/b/k")}");
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(undated, Lookup, Now));
        Assert.Equal("AWS authentication requires a valid Date or x-amz-date header", e.Message);
    }

    [Theory]
    [InlineData("AWS  AKID:sig")]
    [InlineData("AWS AKID :sig")]
    [InlineData("AWS AKIDsig")]
    [InlineData("AWS AKID:")]
    [InlineData("AWS :sig")]
    public void A_malformed_header_is_InvalidArgument(string authorization)
    {
        var request = Make("GET", "/b/k", [H("Date", NowHttp)], authorization);
        Fails(ErrorCode.InvalidArgument, () => RequestAuthenticator.Authenticate(request, Lookup, Now));
    }

    [Fact]
    public void A_wrong_signature_of_any_shape_is_SignatureDoesNotMatch()
    {
        foreach (string signature in (string[])["AAAAAAAAAAAAAAAAAAAAAAAAAAA=", "not-base64!", "qgk2+6Sv9/oM7G3qLEjTH1a1l1g", "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=="])
        {
            var request = Make("GET", "/b/k", [H("Date", NowHttp)], $"AWS {AccessKey}:{signature}");
            Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(request, Lookup, Now));
        }
    }

    private static string Presign(string method, string path, long expires, string extraQuery = "", string amzHeaders = "", string contentType = "")
    {
        string sts = SigV2.StringToSign(method, "", contentType, expires.ToString(CultureInfo.InvariantCulture), amzHeaders, path);
        return $"{path}?AWSAccessKeyId={AccessKey}&Expires={expires}&Signature={Uri.EscapeDataString(SigV2.Sign(SecretKey, sts))}{extraQuery}";
    }

    [Fact]
    public void A_presigned_URL_authenticates_until_it_expires()
    {
        long expires = Now.AddHours(1).ToUnixTimeSeconds();
        var request = Make("GET", Presign("GET", "/b/k", expires), []);
        var identity = RequestAuthenticator.Authenticate(request, Lookup, Now);
        Assert.Equal(SignatureScheme.SigV2Query, identity!.Scheme);
        Assert.True(identity.Presigned);
        Assert.Equal(PayloadKind.Unsigned, identity.Payload);

        var expired = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(request, Lookup, Now.AddHours(1).AddSeconds(1)));
        Assert.Equal("Request has expired", expired.Message);
        Assert.Contains(expired.Details, d => d.Key == "Expires");

        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("PUT", Presign("GET", "/b/k", expires), []), Lookup, Now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("GET", Presign("GET", "/b/k", expires).Replace("/b/k", "/b/x", StringComparison.Ordinal), []), Lookup, Now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("GET", Presign("GET", "/b/k", expires) + "&versionId=1", []), Lookup, Now));
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("GET", Presign("GET", "/b/k", expires), [H("x-amz-server-side-encryption-customer-algorithm", "AES256")]), Lookup, Now));
        Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Make("GET", Presign("GET", "/b/k", expires), [H("x-cos-copy-source", "/b/other")]), Lookup, Now));
    }

    [Fact]
    public void A_presigned_URL_may_have_at_most_seven_days_left_when_it_arrives()
    {
        long week = Now.AddSeconds(SigV2.MaxExpiresSeconds).ToUnixTimeSeconds();
        Assert.NotNull(RequestAuthenticator.Authenticate(Make("GET", Presign("GET", "/b/k", week), []), Lookup, Now));
        long tooFar = Now.AddDays(8).ToUnixTimeSeconds();
        Fails(ErrorCode.AuthorizationQueryParametersError, () => RequestAuthenticator.Authenticate(Make("GET", Presign("GET", "/b/k", tooFar), []), Lookup, Now));
        // The same URL is fine once it is within a week of expiring.
        Assert.NotNull(RequestAuthenticator.Authenticate(Make("GET", Presign("GET", "/b/k", tooFar), []), Lookup, Now.AddDays(2)));
    }

    [Theory]
    [InlineData("/b/k?Expires=1&Signature=x")]
    [InlineData("/b/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=x")]
    [InlineData("/b/k?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1&signature=x")]
    public void A_presigned_URL_missing_a_parameter_is_AccessDenied(string target)
    {
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(Make("GET", target, []), Lookup, Now));
        Assert.Equal(SigV2Verifier.MissingQueryMessage, e.Message);
    }

    [Fact]
    public void A_non_numeric_Expires_is_AccessDenied()
    {
        var e = Fails(ErrorCode.AccessDenied, () => RequestAuthenticator.Authenticate(
            Make("GET", $"/b/k?AWSAccessKeyId={AccessKey}&Expires=tomorrow&Signature=x", []), Lookup, Now));
        Assert.StartsWith("Invalid date (should be seconds since epoch)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_presigned_URL_signs_its_query_amz_parameters_such_as_the_security_token()
    {
        long expires = Now.AddHours(1).ToUnixTimeSeconds();
        string url = Presign("GET", "/b/k", expires, "&x-amz-security-token=tok%2Fen", "x-amz-security-token:tok/en\n");
        var identity = RequestAuthenticator.Authenticate(Make("GET", url, []), Lookup, Now);
        Assert.Equal("tok/en", identity!.SecurityToken);
        Fails(ErrorCode.SignatureDoesNotMatch, () => RequestAuthenticator.Authenticate(Make("GET", url.Replace("tok%2Fen", "other", StringComparison.Ordinal), []), Lookup, Now));
    }

    [Fact]
    public void The_header_form_carries_the_security_token_and_a_signed_payload_hash()
    {
        string sha = new('a', 64);
        var identity = RequestAuthenticator.Authenticate(
            Signed("PUT", "/b/k", "/b/k", H("x-amz-security-token", "token"), H("x-amz-content-sha256", sha)), Lookup, Now);
        Assert.Equal("token", identity!.SecurityToken);
        Assert.Equal(PayloadKind.Sha256, identity.Payload);
        Assert.Equal(sha, identity.PayloadSha256);
        Fails(ErrorCode.InvalidArgument, () => RequestAuthenticator.Authenticate(
            Signed("PUT", "/b/k", "/b/k", H("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")), Lookup, Now));
    }

    [Fact]
    public void Header_and_query_SigV2_together_are_refused()
    {
        long expires = Now.AddHours(1).ToUnixTimeSeconds();
        var signed = Signed("GET", "/b/k", "/b/k");
        Fails(ErrorCode.InvalidArgument, () => RequestAuthenticator.Authenticate(
            Make("GET", Presign("GET", "/b/k", expires), signed.Headers), Lookup, Now));
    }

    private static SignableRequest WithBucket(SignableRequest r, string bucket) => new()
    {
        Method = r.Method,
        RawTarget = r.RawTarget,
        Headers = r.Headers,
        VirtualHostBucket = bucket,
    };
}
