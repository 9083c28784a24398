using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>Bucket lifecycle through the SDK (Python put/get/delete_bucket_lifecycle) against a real server, with both signatures.</summary>
[Collection(ServerCollection.Name)]
public sealed class LifecycleTests(ServerFixture fixture)
{
    public static TheoryData<SignatureVersion> Signatures => new() { SignatureVersion.CosV5, SignatureVersion.SigV4 };

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task A_configuration_round_trips_and_a_bucket_without_one_is_NoSuchLifecycleConfiguration(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var none = await Assert.ThrowsAsync<CofferException>(() => client.GetBucketLifecycleAsync(bucket));
        Assert.Equal((ErrorCodes.NoSuchLifecycleConfiguration, 404), (none.Code, none.StatusCode));

        var configuration = new CosLifecycleConfiguration
        {
            Rules =
            [
                new CosLifecycleRule
                {
                    Id = "logs",
                    Prefix = "logs/",
                    Tags = { new CosTag("t", "1") },
                    ObjectSizeGreaterThan = 1024,
                    ExpirationDays = 365,
                    Transitions = { new CosLifecycleTransition { Days = 30, StorageClass = "DEEP_ARCHIVE" } },
                    NoncurrentExpirationDays = 90,
                },
                new CosLifecycleRule { Id = "dated", Enabled = false, ExpirationDate = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero) },
                new CosLifecycleRule { Id = "uploads", AbortIncompleteMultipartUploadDays = 7 },
            ],
        };
        await client.PutBucketLifecycleAsync(bucket, configuration);

        var read = (await client.GetBucketLifecycleAsync(bucket)).Configuration.Rules;
        Assert.Equal(["logs", "dated", "uploads"], read.Select(r => r.Id));
        Assert.Equal(("logs/", 1024L, 365, 90), (read[0].Prefix, read[0].ObjectSizeGreaterThan!.Value, read[0].ExpirationDays!.Value, read[0].NoncurrentExpirationDays!.Value));
        Assert.Equal([new CosTag("t", "1")], read[0].Tags);
        Assert.Equal((30, "DEEP_ARCHIVE"), (read[0].Transitions.Single().Days!.Value, read[0].Transitions.Single().StorageClass));
        Assert.False(read[1].Enabled);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), read[1].ExpirationDate);
        Assert.Equal(7, read[2].AbortIncompleteMultipartUploadDays);

        await client.DeleteBucketLifecycleAsync(bucket);
        await Assert.ThrowsAsync<CofferException>(() => client.GetBucketLifecycleAsync(bucket));
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task A_refused_configuration_carries_the_servers_reason(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var refused = await Assert.ThrowsAsync<CofferException>(() => client.PutBucketLifecycleAsync(bucket,
            new CosLifecycleConfiguration { Rules = [new CosLifecycleRule { Id = "a", ExpirationDays = 1 }, new CosLifecycleRule { Id = "a", ExpirationDays = 2 }] }));
        Assert.Equal((ErrorCodes.InvalidArgument, 400), (refused.Code, refused.StatusCode));
        Assert.Contains("Rule ID must be unique", refused.Message);
    }

    [Fact]
    public void Json_in_the_awscli_and_python_shapes_and_xml_parse_to_the_same_rules()
    {
        var awscli = CosLifecycleConfiguration.Parse("""
            {"Rules": [{"ID": "a", "Filter": {"And": {"Prefix": "p/", "Tags": [{"Key": "k", "Value": "v"}]}}, "Status": "Enabled",
              "Expiration": {"Days": 3}, "Transitions": [{"Days": 1, "StorageClass": "ARCHIVE"}]}]}
            """);
        var python = CosLifecycleConfiguration.Parse("""
            {"Rule": [{"ID": "a", "Filter": {"And": {"Prefix": "p/", "Tag": [{"Key": "k", "Value": "v"}]}}, "Status": "Enabled",
              "Expiration": {"Days": 3}, "Transition": [{"Days": 1, "StorageClass": "ARCHIVE"}]}]}
            """);
        var xml = CosLifecycleConfiguration.Parse(awscli.ToXml());
        foreach (var parsed in new[] { awscli, python, xml })
        {
            var rule = parsed.Rules.Single();
            Assert.Equal(("a", true, "p/", 3, 1, "ARCHIVE"), (rule.Id, rule.Enabled, rule.Prefix, rule.ExpirationDays!.Value, rule.Transitions.Single().Days!.Value, rule.Transitions.Single().StorageClass));
            Assert.Equal([new CosTag("k", "v")], rule.Tags);
        }
        Assert.Throws<FormatException>(() => CosLifecycleConfiguration.Parse("not a configuration"));
        Assert.Throws<FormatException>(() => CosLifecycleConfiguration.Parse("<Tagging/>"));
    }
}
