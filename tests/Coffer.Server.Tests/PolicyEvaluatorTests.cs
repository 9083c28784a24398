using System.Net;
using Coffer.Server.Access;
using Coffer.Storage;
using Xunit;

namespace Coffer.Server.Tests;

public sealed class PolicyEvaluatorTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static BucketPolicy Policy(string statements) =>
        PolicyParser.Parse($$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""", "b");

    /// <summary>A statement of <paramref name="effect"/> for everyone on every object of b, with one condition.</summary>
    private static BucketPolicy When(string op, string key, string values, string effect = "Allow", string action = "s3:GetObject", string resource = "arn:aws:s3:::b/*") =>
        Policy($$"""{"Effect":"{{effect}}","Principal":"*","Action":"{{action}}","Resource":"{{resource}}","Condition":{"{{op}}":{"{{key}}":""" + values + "}}}");

    private static PolicyRequest Get(string key = "k", string? user = "bob", Dictionary<string, string>? headers = null, bool tls = true,
        string ip = "192.0.2.10", string action = "s3:GetObject", string? prefix = null, string? delimiter = null, string? maxKeys = null,
        IReadOnlyList<Tag>? tags = null, DateTimeOffset? now = null) => new()
        {
            Action = action,
            CosAction = "cos:" + action[3..].ToLowerInvariant(),
            Bucket = "b",
            Key = action is "s3:ListBucket" ? null : key,
            UserName = user,
            UserId = user is null ? null : user + "-id",
            SecureTransport = tls,
            SourceIp = IPAddress.Parse(ip),
            Now = now ?? Noon,
            Header = suffix => headers is not null && headers.TryGetValue(suffix, out var v) ? v : null,
            Prefix = prefix,
            Delimiter = delimiter,
            MaxKeys = maxKeys,
            ExistingTags = tags,
        };

    private static PolicyDecision Decide(BucketPolicy p, PolicyRequest r) => PolicyEvaluator.Evaluate(p, r);

    private static Dictionary<string, string> H(params (string, string)[] pairs) => pairs.ToDictionary(p => p.Item1, p => p.Item2);

    // ---------------------------------------------------------------- statements

    [Fact]
    public void An_explicit_deny_wins_over_an_allow_in_any_order()
    {
        var allow = """{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}""";
        var deny = """{"Effect":"Deny","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}""";
        Assert.Equal(PolicyDecision.Deny, Decide(Policy(allow + "," + deny), Get("secret/x")));
        Assert.Equal(PolicyDecision.Deny, Decide(Policy(deny + "," + allow), Get("secret/x")));
        Assert.Equal(PolicyDecision.Allow, Decide(Policy(deny + "," + allow), Get("public/x")));
        Assert.Equal(PolicyDecision.Allow, Decide(Policy(deny + "," + allow), Get("secret/x", user: "carol")));
    }

    [Fact]
    public void Nothing_applies_to_another_action_another_key_or_another_principal()
    {
        var p = Policy("""{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/reports/*"}""");
        Assert.Equal(PolicyDecision.Allow, Decide(p, Get("reports/q1")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("reports/q1", action: "s3:PutObject")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("reports/q1", action: "s3:DeleteObject")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("reports/q1", action: "s3:GetObjectAcl")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("other/q1")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("Reports/q1")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("reports/q1", user: "mallory")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("reports/q1", user: null)));
    }

    [Fact]
    public void Anonymous_callers_match_only_everyone()
    {
        var p = Policy("""{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""");
        Assert.Equal(PolicyDecision.Allow, Decide(p, Get(user: null)));
    }

    [Fact]
    public void Wildcards_match_actions_case_insensitively_and_resources_case_sensitively()
    {
        var p = Policy("""{"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*/logs/?.txt"}""");
        Assert.Equal(PolicyDecision.Allow, Decide(p, Get("1/2/logs/a.txt")));
        Assert.Equal(PolicyDecision.Allow, Decide(p, Get("/logs/a.txt")));
        Assert.Equal(PolicyDecision.Allow, Decide(p, Get("x/logs/a.txt", action: "s3:GetObjectTagging")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("x/logs/ab.txt")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("x/LOGS/a.txt")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("x/logs/a.txt", action: "s3:PutObject")));
    }

    [Fact]
    public void NotAction_NotResource_and_NotPrincipal_invert_their_match()
    {
        var p = Policy("""{"Effect":"Deny","NotPrincipal":{"AWS":"alice"},"NotAction":"s3:GetObject","NotResource":"arn:aws:s3:::b/open/*"}""");
        Assert.Equal(PolicyDecision.Deny, Decide(p, Get("closed/x", action: "s3:PutObject")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("closed/x", user: "alice", action: "s3:PutObject")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("closed/x")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get("open/x", action: "s3:PutObject")));
        Assert.Equal(PolicyDecision.Deny, Decide(p, Get("closed/x", user: null, action: "s3:DeleteObject")));
    }

    [Fact]
    public void Cos_statements_match_the_cos_action_so_head_object_is_its_own_action()
    {
        var p = PolicyParser.Parse("""
            {"version":"2.0","statement":[{"principal":{"qcs":["qcs::cam::anyone:anyone"]},"effect":"allow","action":["name/cos:HeadObject"],
              "resource":["qcs::cos:ap-guangzhou:uid/1250000000:b/*"]}]}
            """, "b");
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get()));
        Assert.Equal(PolicyDecision.Allow, Decide(p, new PolicyRequest { Action = "s3:GetObject", CosAction = PolicyActions.CosActionOf(Routing.Operation.HeadObject, "s3:GetObject"), Bucket = "b", Key = "k" }));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, new PolicyRequest { Action = "s3:GetObject", CosAction = PolicyActions.CosActionOf(Routing.Operation.GetObject, "s3:GetObject"), Bucket = "b", Key = "k" }));
    }

    [Fact]
    public void A_cos_bucket_resource_with_a_trailing_slash_names_the_bucket()
    {
        var p = PolicyParser.Parse("""
            {"version":"2.0","statement":[{"principal":{"qcs":["*"]},"effect":"allow","action":["name/cos:GetBucket"],"resource":["qcs::cos:ap-guangzhou:uid/1:b/"]}]}
            """, "b");
        Assert.Equal(PolicyDecision.Allow, Decide(p, new PolicyRequest { Action = "s3:ListBucket", CosAction = "cos:getbucket", Bucket = "b" }));
    }

    // ---------------------------------------------------------------- condition operators

    [Theory]
    [InlineData("StringEquals", "\"AES256\"", "AES256", true)]
    [InlineData("StringEquals", "\"AES256\"", "aes256", false)]
    [InlineData("StringEquals", "[\"aws:kms\",\"AES256\"]", "AES256", true)]
    [InlineData("StringNotEquals", "\"aws:kms\"", "AES256", true)]
    [InlineData("StringNotEquals", "[\"aws:kms\",\"AES256\"]", "AES256", false)]
    [InlineData("StringEqualsIgnoreCase", "\"aes256\"", "AES256", true)]
    [InlineData("StringNotEqualsIgnoreCase", "\"aes256\"", "AES256", false)]
    [InlineData("StringLike", "\"aws:*\"", "aws:kms", true)]
    [InlineData("StringLike", "\"a?s:kms\"", "aws:kms", true)]
    [InlineData("StringLike", "\"AWS:*\"", "aws:kms", false)]
    [InlineData("StringNotLike", "\"aws:*\"", "AES256", true)]
    public void String_operators(string op, string values, string sent, bool holds) =>
        Assert.Equal(holds ? PolicyDecision.Allow : PolicyDecision.NotApplicable,
            Decide(When(op, "s3:x-amz-server-side-encryption", values), Get(headers: H(("server-side-encryption", sent)))));

    [Theory]
    [InlineData("StringEquals", false)]
    [InlineData("StringLike", false)]
    [InlineData("StringNotEquals", true)]
    [InlineData("StringNotLike", true)]
    [InlineData("StringEqualsIfExists", true)]
    [InlineData("NumericLessThan", false)]
    [InlineData("NumericNotEquals", true)]
    [InlineData("ForAnyValue:StringEquals", false)]
    [InlineData("ForAllValues:StringEquals", true)]
    public void An_absent_key_fails_positive_operators_and_satisfies_negated_ifexists_and_for_all_values(string op, bool holds)
    {
        var value = op.StartsWith("Numeric", StringComparison.Ordinal) ? "5" : "\"x\"";
        Assert.Equal(holds ? PolicyDecision.Allow : PolicyDecision.NotApplicable,
            Decide(When(op, "s3:RequestObjectTag/team", value), Get()));
    }

    [Theory]
    [InlineData("NumericEquals", "100", "100", true)]
    [InlineData("NumericEquals", "100", "101", false)]
    [InlineData("NumericNotEquals", "100", "101", true)]
    [InlineData("NumericLessThan", "100", "99", true)]
    [InlineData("NumericLessThan", "100", "100", false)]
    [InlineData("NumericLessThanEquals", "100", "100", true)]
    [InlineData("NumericGreaterThan", "100", "100", false)]
    [InlineData("NumericGreaterThanEquals", "100", "100", true)]
    [InlineData("NumericLessThanEquals", "100", "lots", false)]
    public void Numeric_operators_on_max_keys(string op, string value, string sent, bool holds) =>
        Assert.Equal(holds ? PolicyDecision.Allow : PolicyDecision.NotApplicable,
            Decide(When(op, "s3:max-keys", $"\"{value}\"", action: "s3:ListBucket", resource: "arn:aws:s3:::b"), Get(action: "s3:ListBucket", maxKeys: sent)));

    [Theory]
    [InlineData("DateLessThan", "2027-01-01T00:00:00Z", true)]
    [InlineData("DateLessThan", "2026-12-03T12:00:00Z", false)]
    [InlineData("DateLessThanEquals", "2026-12-03T12:00:00Z", true)]
    [InlineData("DateEquals", "2026-12-03T12:00:00Z", true)]
    [InlineData("DateNotEquals", "2026-12-03T12:00:00Z", false)]
    [InlineData("DateGreaterThan", "2026-12-03T11:59:59Z", true)]
    [InlineData("DateGreaterThanEquals", "2026-12-04", false)]
    [InlineData("DateGreaterThan", "1796299199", true)]
    public void Date_operators_on_the_current_time(string op, string value, bool holds)
    {
        Assert.Equal(holds ? PolicyDecision.Allow : PolicyDecision.NotApplicable, Decide(When(op, "aws:CurrentTime", $"\"{value}\""), Get()));
        Assert.Equal(holds ? PolicyDecision.Allow : PolicyDecision.NotApplicable, Decide(When(op, "aws:EpochTime", $"\"{value}\""), Get()));
    }

    [Fact]
    public void Numeric_operators_on_the_epoch_time()
    {
        var seconds = Noon.ToUnixTimeSeconds();
        Assert.Equal(PolicyDecision.Allow, Decide(When("NumericLessThan", "aws:EpochTime", $"\"{seconds + 1}\""), Get()));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(When("NumericLessThan", "aws:EpochTime", $"\"{seconds}\""), Get()));
    }

    [Theory]
    [InlineData("true", true, true)]
    [InlineData("false", true, false)]
    [InlineData("false", false, true)]
    [InlineData("TRUE", true, true)]
    public void Bool_on_secure_transport(string value, bool tls, bool holds) =>
        Assert.Equal(holds ? PolicyDecision.Allow : PolicyDecision.NotApplicable, Decide(When("Bool", "aws:SecureTransport", $"\"{value}\""), Get(tls: tls)));

    [Theory]
    [InlineData("IpAddress", "\"192.0.2.0/24\"", "192.0.2.10", true)]
    [InlineData("IpAddress", "\"192.0.2.10\"", "192.0.2.10", true)]
    [InlineData("IpAddress", "\"192.0.2.0/24\"", "192.0.3.10", false)]
    [InlineData("IpAddress", "[\"10.0.0.0/8\",\"192.0.2.0/24\"]", "192.0.2.10", true)]
    [InlineData("IpAddress", "\"192.0.2.0/24\"", "::ffff:192.0.2.10", true)]
    [InlineData("IpAddress", "\"2001:db8::/32\"", "2001:db8::1", true)]
    [InlineData("NotIpAddress", "\"192.0.2.0/24\"", "192.0.3.10", true)]
    [InlineData("NotIpAddress", "\"192.0.2.0/24\"", "192.0.2.10", false)]
    public void Ip_operators_on_the_source_address(string op, string values, string ip, bool holds) =>
        Assert.Equal(holds ? PolicyDecision.Allow : PolicyDecision.NotApplicable, Decide(When(op, "aws:SourceIp", values), Get(ip: ip)));

    [Theory]
    [InlineData("ArnEquals", "arn:aws:iam::000000000000:user/bob", "bob", true)]
    [InlineData("ArnLike", "arn:aws:iam::*:user/b*", "bob", true)]
    [InlineData("ArnLike", "arn:aws:iam::000000000000:user/b*", "carol", false)]
    [InlineData("ArnLike", "arn:*:user/bob", "bob", false)]
    [InlineData("ArnNotEquals", "arn:aws:iam::000000000000:user/bob", "carol", true)]
    [InlineData("ArnNotLike", "arn:aws:iam::000000000000:user/*", "bob", false)]
    public void Arn_operators_match_each_segment_alone(string op, string value, string user, bool holds) =>
        Assert.Equal(holds ? PolicyDecision.Allow : PolicyDecision.NotApplicable, Decide(When(op, "aws:PrincipalArn", $"\"{value}\""), Get(user: user)));

    [Fact]
    public void Null_tests_presence()
    {
        var deny = When("Null", "s3:x-amz-server-side-encryption", "\"true\"", effect: "Deny", action: "s3:PutObject");
        Assert.Equal(PolicyDecision.Deny, Decide(deny, Get(action: "s3:PutObject")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(deny, Get(action: "s3:PutObject", headers: H(("server-side-encryption", "AES256")))));
        var present = When("Null", "s3:x-amz-server-side-encryption-customer-algorithm", "\"false\"", effect: "Deny", action: "s3:PutObject");
        Assert.Equal(PolicyDecision.Deny, Decide(present, Get(action: "s3:PutObject", headers: H(("server-side-encryption-customer-algorithm", "AES256")))));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(present, Get(action: "s3:PutObject")));
    }

    [Fact]
    public void Conditions_are_and_across_keys_and_operators()
    {
        var p = Policy("""
            {"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b",
             "Condition":{"StringLike":{"s3:prefix":"reports/*","s3:delimiter":"/"},"Bool":{"aws:SecureTransport":"true"}}}
            """);
        Assert.Equal(PolicyDecision.Allow, Decide(p, Get(action: "s3:ListBucket", prefix: "reports/2026", delimiter: "/")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get(action: "s3:ListBucket", prefix: "reports/2026")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get(action: "s3:ListBucket", prefix: "other/", delimiter: "/")));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, Get(action: "s3:ListBucket", prefix: "reports/2026", delimiter: "/", tls: false)));
    }

    // ---------------------------------------------------------------- keys

    [Fact]
    public void Encryption_keys_see_the_headers_as_sent_and_the_kms_key_as_an_arn()
    {
        var arn = "arn:aws:kms:us-east-1:000000000000:key/1234";
        var only = When("StringNotEquals", "s3:x-amz-server-side-encryption-aws-kms-key-id", $"\"{arn}\"", effect: "Deny", action: "s3:PutObject");
        Assert.Equal(PolicyDecision.NotApplicable, Decide(only, Get(action: "s3:PutObject", headers: H(("server-side-encryption-aws-kms-key-id", "1234")))));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(only, Get(action: "s3:PutObject", headers: H(("server-side-encryption-cos-kms-key-id", arn)))));
        Assert.Equal(PolicyDecision.Deny, Decide(only, Get(action: "s3:PutObject", headers: H(("server-side-encryption-aws-kms-key-id", "5678")))));
        Assert.Equal(PolicyDecision.Deny, Decide(only, Get(action: "s3:PutObject", headers: H(("server-side-encryption-aws-kms-key-id", "alias/other")))));
        // A request relying on the bucket default carries no header: StringNotEquals on an absent key denies.
        Assert.Equal(PolicyDecision.Deny, Decide(only, Get(action: "s3:PutObject")));
    }

    [Fact]
    public void User_keys_are_absent_for_anonymous_callers()
    {
        Assert.Equal(PolicyDecision.Allow, Decide(When("StringEquals", "aws:username", "\"bob\""), Get()));
        Assert.Equal(PolicyDecision.Allow, Decide(When("StringEquals", "aws:userid", "\"bob-id\""), Get()));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(When("StringEquals", "aws:username", "\"bob\""), Get(user: null)));
        Assert.Equal(PolicyDecision.Allow, Decide(When("Null", "aws:username", "\"true\""), Get(user: null)));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(When("StringLike", "aws:PrincipalArn", "\"*\""), Get(user: null)));
    }

    [Fact]
    public void Object_tag_keys_read_the_stored_tags_and_the_tagging_header()
    {
        var existing = When("StringEquals", "s3:ExistingObjectTag/class", "\"public\"");
        Assert.True(existing.UsesExistingObjectTags);
        Assert.Equal(PolicyDecision.Allow, Decide(existing, Get(tags: [new Tag("class", "public")])));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(existing, Get(tags: [new Tag("class", "secret")])));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(existing, Get()));

        var request = When("StringEquals", "s3:RequestObjectTag/team", "\"a b\"", action: "s3:PutObject");
        Assert.False(request.UsesExistingObjectTags);
        Assert.Equal(PolicyDecision.Allow, Decide(request, Get(action: "s3:PutObject", headers: H(("tagging", "x=1&team=a%20b")))));
        Assert.Equal(PolicyDecision.NotApplicable, Decide(request, Get(action: "s3:PutObject", headers: H(("tagging", "team=c")))));
    }

    [Fact]
    public void Cos_keys_and_operators_are_the_aws_ones()
    {
        var p = PolicyParser.Parse("""
            {"version":"2.0","statement":[{"principal":{"qcs":["qcs::cam::anyone:anyone"]},"effect":"deny","action":["name/cos:PutObject"],
              "resource":["qcs::cos:ap-guangzhou:uid/1:b/*"],"condition":{"string_not_equal":{"cos:x-cos-server-side-encryption":"cos/kms"}}}]}
            """, "b");
        var put = new PolicyRequest { Action = "s3:PutObject", CosAction = "cos:putobject", Bucket = "b", Key = "k", Header = s => s == "server-side-encryption" ? "cos/kms" : null };
        Assert.Equal(PolicyDecision.NotApplicable, Decide(p, put));
        Assert.Equal(PolicyDecision.Deny, Decide(p, new PolicyRequest { Action = "s3:PutObject", CosAction = "cos:putobject", Bucket = "b", Key = "k" }));
    }

    [Fact]
    public void May_allow_looks_only_at_allow_statements_naming_the_caller_and_action()
    {
        var p = Policy("""
            {"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/tmp/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},
            {"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}
            """);
        Assert.True(PolicyEvaluator.MayAllow(p, "s3:DeleteObject", "cos:deleteobject", "bob", "bob-id"));
        Assert.False(PolicyEvaluator.MayAllow(p, "s3:DeleteObject", "cos:deleteobject", "carol", "carol-id"));
        Assert.False(PolicyEvaluator.MayAllow(p, "s3:DeleteObject", "cos:deleteobject", null, null));
        Assert.False(PolicyEvaluator.MayAllow(p, "s3:PutObject", "cos:putobject", "bob", "bob-id"));
    }

    // ---------------------------------------------------------------- public status and the cache

    [Theory]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""", true)]
    [InlineData("""{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""", false)]
    [InlineData("""{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""", false)]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}}""", false)]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}}""", true)]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:username":"bob"}}}""", false)]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringLike":{"aws:username":"b*"}}}""", true)]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualsIfExists":{"aws:username":"bob"}}}""", true)]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}""", true)]
    public void Public_means_an_allow_to_everyone_not_pinned_to_fixed_callers(string statement, bool isPublic) =>
        Assert.Equal(isPublic, PolicyStatus.IsPublic(Policy(statement)));

    [Fact]
    public void The_cache_parses_each_text_once_per_bucket_and_stays_bounded()
    {
        var cache = new PolicyCache();
        var text = """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}""";
        var first = cache.Get("b", text);
        Assert.Same(first, cache.Get("b", text));
        Assert.NotSame(first, cache.Get("c", text));
        for (var i = 0; i < PolicyCache.Capacity + 10; i++)
            cache.Get("b" + i, text);
        Assert.True(cache.Count <= PolicyCache.Capacity);
        Assert.Throws<Protocol.CofferException>(() => cache.Get("b", "{}"));
    }
}
