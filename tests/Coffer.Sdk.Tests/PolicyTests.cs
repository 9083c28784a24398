using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>Bucket policies through the SDK (put/get/delete_bucket_policy, policy status) against a real server, with both signatures.</summary>
[Collection(ServerCollection.Name)]
public sealed class PolicyTests(ServerFixture fixture)
{
    public static TheoryData<SignatureVersion> Signatures => new() { SignatureVersion.CosV5, SignatureVersion.SigV4 };

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task A_policy_round_trips_as_sent_and_a_bucket_without_one_is_NoSuchBucketPolicy(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        // New buckets block public policies (S3's default): off, as a user must turn it before a public policy.
        await client.DeletePublicAccessBlockAsync(bucket);
        var none = await Assert.ThrowsAsync<CofferException>(() => client.GetBucketPolicyAsync(bucket));
        Assert.Equal((ErrorCodes.NoSuchBucketPolicy, 404), (none.Code, none.StatusCode));
        Assert.Equal(ErrorCodes.NoSuchBucketPolicy, (await Assert.ThrowsAsync<CofferException>(() => client.GetBucketPolicyStatusAsync(bucket))).Code);

        string policy = $$"""
            {"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{bucket}}/pub/*"}]}
            """;
        await client.PutBucketPolicyAsync(bucket, policy);
        Assert.Equal(policy, (await client.GetBucketPolicyAsync(bucket)).Policy);
        Assert.True((await client.GetBucketPolicyStatusAsync(bucket)).IsPublic);

        string cos = $$"""
            {"version":"2.0","statement":[{"principal":{"qcs":["qcs::cam::anyone:anyone"]},"effect":"deny","action":["name/cos:DeleteObject"],"resource":["qcs::cos:ap-guangzhou:uid/1250000000:{{bucket}}/*"]}]}
            """;
        await client.PutBucketPolicyAsync(bucket, cos);
        Assert.Equal(cos, (await client.GetBucketPolicyAsync(bucket)).Policy);
        Assert.False((await client.GetBucketPolicyStatusAsync(bucket)).IsPublic);

        await client.DeleteBucketPolicyAsync(bucket);
        Assert.Equal(ErrorCodes.NoSuchBucketPolicy, (await Assert.ThrowsAsync<CofferException>(() => client.GetBucketPolicyAsync(bucket))).Code);
        await client.DeleteBucketPolicyAsync(bucket);
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task A_malformed_policy_is_MalformedPolicy_and_the_old_one_stays(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        string policy = $$$"""{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::{{{bucket}}}/*"}}""";
        await client.PutBucketPolicyAsync(bucket, policy);
        var e = await Assert.ThrowsAsync<CofferException>(() => client.PutBucketPolicyAsync(bucket, """{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}"""));
        Assert.Equal((ErrorCodes.MalformedPolicy, 400), (e.Code, e.StatusCode));
        Assert.Contains("Invalid effect: Maybe", e.Message);
        Assert.Equal(policy, (await client.GetBucketPolicyAsync(bucket)).Policy);
    }
}
