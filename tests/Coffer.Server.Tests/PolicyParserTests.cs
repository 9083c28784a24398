using Coffer.Protocol;
using Coffer.Server.Access;
using Xunit;

namespace Coffer.Server.Tests;

public sealed class PolicyParserTests
{
    private static string Aws(string statements) => $$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""";

    private const string Read = """{"Sid":"R","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""";

    private static string Refused(string json, string bucket = "b")
    {
        var e = Assert.Throws<CofferException>(() => PolicyParser.Parse(json, bucket));
        Assert.Same(ErrorCode.MalformedPolicy, e.Error);
        Assert.Equal(400, e.Error.Status);
        return e.Message;
    }

    [Fact]
    public void The_classic_aws_policy_parses_into_its_statements()
    {
        var policy = PolicyParser.Parse(Aws(Read + """
            ,{"Sid":"TlsOnly","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"],
              "Condition":{"Bool":{"aws:SecureTransport":"false"}}}
            """), "b");
        Assert.Equal(PolicyDialect.Aws, policy.Dialect);
        Assert.Equal(2, policy.Statements.Count);
        Assert.False(policy.Statements[0].IsDeny);
        Assert.Equal(["s3:getobject"], policy.Statements[0].Actions);
        Assert.Equal(["b/*"], policy.Statements[0].Resources);
        Assert.True(policy.Statements[1].IsDeny);
        Assert.True(policy.Statements[1].Principals.IsEveryone);
        var condition = Assert.Single(policy.Statements[1].Conditions);
        Assert.Equal(ConditionKey.SecureTransport, condition.Key);
        Assert.Equal(ConditionType.Bool, condition.Type);
    }

    [Fact]
    public void A_single_statement_object_and_a_missing_version_are_accepted()
    {
        var policy = PolicyParser.Parse("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}""", "b");
        Assert.Single(policy.Statements);
    }

    [Fact]
    public void The_cos_dialect_maps_principals_actions_resources_and_conditions_onto_the_same_model()
    {
        var policy = PolicyParser.Parse("""
            {"version":"2.0","statement":[{"principal":{"qcs":["qcs::cam::uin/100000000001:uin/bob","qcs::cam::anyone:anyone"]},"effect":"allow",
              "action":["name/cos:GetObject","name/cos:HeadObject"],"resource":["qcs::cos:ap-guangzhou:uid/1250000000:b/*"],
              "condition":{"ip_equal":{"qcs:ip":["10.121.2.0/24"]},"string_not_equal_if_exist":{"cos:x-cos-server-side-encryption":"cos/kms"}}}]}
            """, "b");
        Assert.Equal(PolicyDialect.Cos, policy.Dialect);
        var s = policy.Statements[0];
        Assert.True(s.Principals.IsEveryone);
        Assert.Equal(["cos:getobject", "cos:headobject"], s.Actions);
        Assert.Equal(["b/*"], s.Resources);
        Assert.Equal(ConditionKey.SourceIp, s.Conditions[0].Key);
        Assert.Equal(ConditionType.IpAddress, s.Conditions[0].Type);
        Assert.True(s.Conditions[1].Negated);
        Assert.True(s.Conditions[1].IfExists);
        Assert.Equal(ConditionKey.ServerSideEncryption, s.Conditions[1].Key);
    }

    [Fact]
    public void Principals_name_users_by_arn_by_name_by_id_and_cos_uin()
    {
        var id = new string('a', 64);
        var policy = PolicyParser.Parse(Aws($$"""
            {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000:user/alice","bob"],"CanonicalUser":"{{id}}"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}
            """), "b");
        Assert.Equal(["alice", "bob"], policy.NamedUsers);
        Assert.Equal([id], policy.NamedUserIds);
        Assert.True(policy.Statements[0].Principals.Matches("bob", "x"));
        Assert.True(policy.Statements[0].Principals.Matches("carol", id));
        Assert.False(policy.Statements[0].Principals.Matches("Bob", "x"));
        Assert.False(policy.Statements[0].Principals.Matches(null, null));
    }

    [Theory]
    [InlineData("", "first byte must be '{'")]
    [InlineData("[1]", "first byte must be '{'")]
    [InlineData("{\"Version\":\"2012-10-17\",", "invalid Json")]
    [InlineData("{\"Version\":\"2012-10-18\",\"Statement\":[]}", "valid version string")]
    [InlineData("{\"Version\":\"2012-10-17\"}", "Missing required field Statement")]
    [InlineData("{\"Version\":\"2012-10-17\",\"Statement\":[]}", "Statement is empty")]
    [InlineData("{\"Version\":\"2012-10-17\",\"Statement\":[],\"Extra\":1}", "Unknown field 'Extra'")]
    public void Documents_that_are_not_policies_are_refused(string json, string message) =>
        Assert.Contains(message, Refused(json));

    [Theory]
    [InlineData("""{"Sid":"x","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""", "Statement 0 (Sid \"x\"), Effect: Missing required field Effect")]
    [InlineData("""{"Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""", "Statement 0, Effect: Invalid effect: allow")]
    [InlineData("""{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""", "Principal: Missing required field Principal")]
    [InlineData("""{"Effect":"Allow","Principal":"alice","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""", "Invalid principal in policy")]
    [InlineData("""{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:user/*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""", "Invalid principal in policy")]
    [InlineData("""{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""", "principal type 'Service'")]
    [InlineData("""{"Effect":"Allow","NotPrincipal":{"AWS":"bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}""", "NotPrincipal may only be used with")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::b/*"}""", "Missing required field Action")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObjects","Resource":"arn:aws:s3:::b/*"}""", "Action: Policy has invalid action: 's3:GetObjects'")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"ec2:RunInstances","Resource":"arn:aws:s3:::b/*"}""", "Policy has invalid action")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}""", "Missing required field Resource")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}""", "outside this bucket")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b*/*"}""", "outside this bucket")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}""", "Action does not apply to any resource(s)")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b/x"}""", "Action does not apply to any resource(s)")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualz":{"s3:prefix":"a"}}}""", "Invalid Condition type : StringEqualz")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"NullIfExists":{"s3:prefix":"true"}}}""", "Invalid Condition type : NullIfExists")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"s3:nope":"a"}}}""", "invalid condition key: 's3:nope'")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.300/8"}}}""", "Invalid IP address in Conditions")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}""", "'ten' is not a number")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"DateLessThan":{"aws:CurrentTime":"soon"}}}""", "'soon' is not a date")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"yes"}}}""", "'yes' is not true or false")]
    [InlineData("""{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Surprise":1}""", "Unknown field 'Surprise'")]
    public void Each_refusal_says_which_statement_and_field(string statement, string message)
    {
        var text = Refused(Aws(statement));
        Assert.Contains(message, text);
        Assert.StartsWith("Statement 0", text);
    }

    [Fact]
    public void The_second_statement_is_named_by_index_and_sid()
    {
        var text = Refused(Aws(Read + """,{"Sid":"Second","Effect":"Deny","Principal":"*","Action":"s3:Nope","Resource":"arn:aws:s3:::b/*"}"""));
        Assert.StartsWith("Statement 1 (Sid \"Second\"), Action:", text);
    }

    [Fact]
    public void Actions_are_case_insensitive_and_wildcards_must_name_some_action()
    {
        var policy = PolicyParser.Parse(Aws("""{"Effect":"Allow","Principal":"*","Action":["S3:getobject","s3:Get*","s3:?utObject","*"],"Resource":"*"}"""), "b");
        Assert.Equal(["s3:getobject", "s3:get*", "s3:?utobject", "*"], policy.Statements[0].Actions);
        Assert.Contains("names no S3 action", Refused(Aws("""{"Effect":"Allow","Principal":"*","Action":"s3:Frob*","Resource":"*"}""")));
    }

    [Fact]
    public void A_cos_resource_naming_another_bucket_is_refused()
    {
        Assert.Contains("outside this bucket", Refused("""
            {"version":"2.0","statement":[{"principal":{"qcs":["qcs::cam::anyone:anyone"]},"effect":"allow","action":["name/cos:GetObject"],
              "resource":["qcs::cos:ap-guangzhou:uid/1250000000:other/*"]}]}
            """));
    }

    [Fact]
    public void Json_numbers_and_booleans_are_condition_values()
    {
        var policy = PolicyParser.Parse(Aws("""
            {"Effect":"Deny","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"NumericGreaterThan":{"s3:max-keys":100},"Bool":{"aws:SecureTransport":false}}}
            """), "b");
        Assert.Equal([100m], policy.Statements[0].Conditions[0].Numbers);
        Assert.Equal([false], policy.Statements[0].Conditions[1].Booleans);
    }

    [Fact]
    public void Deeply_nested_json_is_refused_without_a_crash() =>
        Assert.Contains("invalid Json", Refused("{\"Version\":" + new string('[', 100) + new string(']', 100) + "}"));
}
