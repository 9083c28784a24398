using System.Text;
using Coffer.Protocol.Post;

namespace Coffer.Protocol.Tests.Post;

/// <summary>The POST policy document: its shape, every kind of condition, the extra-fields rule, and the form signatures' test vectors.</summary>
public sealed class PostPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static string Policy(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json));

    private static Dictionary<string, string> Fields(params (string, string)[] pairs) => pairs.ToDictionary(p => p.Item1, p => p.Item2);

    [Fact]
    public void The_cos_form_signature_matches_the_cos_worked_example()
    {
        // docs/protocol/post-object.md (COS POST Object page's example, recomputed).
        Assert.Equal("7758dc9a832e9d301dca704cacbf9d9f8172fdef",
            PostSignatures.CosFromPolicySha1("BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz", "1567150692;1567157892", "d5d903b8360468bc81c1311f134989bc8c8b5b89"));
    }

    [Fact]
    public void The_sigv2_form_signature_is_base64_hmac_sha1_of_the_base64_policy()
    {
        // HMAC-SHA1("key", "The quick brown fox jumps over the lazy dog") = de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9 (RFC 2104 test value).
        Assert.Equal(Convert.ToBase64String(Convert.FromHexString("de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9")),
            PostSignatures.SigV2("key", "The quick brown fox jumps over the lazy dog"));
    }

    [Fact]
    public void Every_condition_form_is_checked_and_a_written_policy_reads_back()
    {
        var json = PostPolicy.Write(Now.AddHours(1),
        [
            new(PostConditionKind.Equals, "acl", "private", 0, 0, ""),
            new(PostConditionKind.StartsWith, "key", "user/ann/", 0, 0, ""),
            new(PostConditionKind.ContentLengthRange, "", "", 10, 100, ""),
        ]);
        var policy = PostPolicy.Parse(Policy(json));
        Assert.Equal((10L, 100L), policy.LengthRange);
        Assert.Equal(Now.AddHours(1), policy.Expiration);
        policy.Check(Fields(("acl", "private"), ("key", "user/ann/a.txt")), "b", Now, null);

        var e = Assert.Throws<CofferException>(() => policy.Check(Fields(("acl", "public-read"), ("key", "user/ann/a")), "b", Now, null));
        Assert.Equal((ErrorCode.AccessDenied, "Invalid according to Policy: Policy Condition failed: {\"acl\":\"private\"}"), (e.Error, e.Message));
        e = Assert.Throws<CofferException>(() => policy.Check(Fields(("acl", "private"), ("key", "user/bob/a")), "b", Now, null));
        Assert.Contains("[\"starts-with\",\"$key\",\"user/ann/\"]", e.Message);
        // A missing field has the value "": an exact condition on it fails.
        Assert.Throws<CofferException>(() => policy.Check(Fields(("key", "user/ann/a")), "b", Now, null));
    }

    [Fact]
    public void The_eq_array_form_and_case_of_condition_names_are_accepted()
    {
        var policy = PostPolicy.Parse(Policy("""{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$Content-Type","image/png"],{"bucket":"b"}]}"""));
        policy.Check(Fields(("content-type", "image/png")), "b", Now, null);
        var wrongBucket = Assert.Throws<CofferException>(() => policy.Check(Fields(("content-type", "image/png")), "other", Now, null));
        Assert.Contains("{\"bucket\":\"b\"}", wrongBucket.Message);
    }

    [Fact]
    public void Fields_no_condition_names_are_extra_unless_exempt()
    {
        var policy = PostPolicy.Parse(Policy("""{"expiration":"2030-01-01T00:00:00.000Z","conditions":[["starts-with","$key",""]]}"""));
        bool Exempt(string f) => f is "policy" or "x-amz-signature" || f.StartsWith("x-ignore-", StringComparison.Ordinal);
        policy.Check(Fields(("key", "k"), ("policy", "p"), ("x-amz-signature", "s"), ("x-ignore-this", "1")), "b", Now, Exempt);
        var e = Assert.Throws<CofferException>(() => policy.Check(Fields(("key", "k"), ("x-amz-meta-b", "1"), ("acl", "x")), "b", Now, Exempt));
        Assert.Equal("Invalid according to Policy: Extra input fields: acl, x-amz-meta-b", e.Message);
        // COS has no such rule.
        policy.Check(Fields(("key", "k"), ("x-cos-meta-b", "1")), "b", Now, null);
    }

    [Fact]
    public void An_expired_policy_is_refused()
    {
        var policy = PostPolicy.Parse(Policy("""{"expiration":"2026-12-03T11:59:59Z","conditions":[]}"""));
        var e = Assert.Throws<CofferException>(() => policy.Check(Fields(), "b", Now, null));
        Assert.Equal((ErrorCode.AccessDenied, "Invalid according to Policy: Policy expired."), (e.Error, e.Message));
    }

    [Theory]
    [InlineData("not base64 at all!", "Invalid Policy: Invalid JSON.")]
    [InlineData("""{"conditions":[]}""", "Invalid Policy: Missing expiration.")]
    [InlineData("""{"expiration":"soon","conditions":[]}""", "Invalid Policy: Invalid expiration.")]
    [InlineData("""{"expiration":"2030-01-01T00:00:00Z"}""", "Invalid Policy: Missing conditions.")]
    [InlineData("""{"expiration":"2030-01-01T00:00:00Z","conditions":[{"a":"1","b":"2"}]}""",
        "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")]
    [InlineData("""{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",10,1]]}""", "Invalid Policy: Invalid content-length-range: [\"content-length-range\",10,1]")]
    [InlineData("""{"expiration":"2030-01-01T00:00:00Z","conditions":[["matches","$key","x"]]}""", "Invalid Policy: Invalid Condition: [\"matches\",\"$key\",\"x\"]")]
    public void Bad_documents_are_InvalidPolicyDocument(string json, string message)
    {
        var text = json.StartsWith('{') ? Policy(json) : json;
        var e = Assert.Throws<CofferException>(() => PostPolicy.Parse(text));
        Assert.Equal((ErrorCode.InvalidPolicyDocument, message), (e.Error, e.Message));
    }
}
