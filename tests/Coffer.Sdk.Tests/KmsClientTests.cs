using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>The SDK's small KMS client against Coffer's KMS JSON API.</summary>
[Collection(ServerCollection.Name)]
public sealed class KmsClientTests(ServerFixture fixture)
{
    [Fact]
    public async Task Keys_are_created_described_listed_disabled_and_used_for_sse_kms()
    {
        using var kms = new KmsClient(fixture.Config());
        using var client = fixture.Client();
        var key = await kms.CreateKeyAsync("kms client test");
        Assert.True(key.Enabled);
        Assert.Equal("kms client test", key.Description);
        Assert.Contains(key.KeyId, await kms.ListKeysAsync());
        await kms.CreateAliasAsync("alias/sdk-" + Guid.NewGuid().ToString("N")[..8], key.KeyId);

        string bucket = await fixture.CreateBucketAsync(client);
        await client.PutObjectAsync(bucket, "k", "v", Sse.Kms(key.KeyId));
        await kms.DisableKeyAsync(key.KeyId);
        Assert.False((await kms.DescribeKeyAsync(key.KeyId)).Enabled);
        var e = await Assert.ThrowsAsync<CofferException>(() => client.GetObjectAsync(bucket, "k"));
        Assert.Equal(ErrorCodes.KmsKeyDisabled, e.Code);
        await kms.EnableKeyAsync(key.KeyId);
        Assert.Equal("v", System.Text.Encoding.UTF8.GetString(await TestData.ReadAsync(client, bucket, "k")));
    }

    [Fact]
    public async Task Kms_errors_become_coffer_exceptions_with_the_kms_type()
    {
        using var kms = new KmsClient(fixture.Config());
        var e = await Assert.ThrowsAsync<CofferException>(() => kms.DescribeKeyAsync("00000000-0000-0000-0000-000000000000"));
        Assert.Equal("NotFoundException", e.Code);
        Assert.Equal(400, e.StatusCode);
    }
}
