using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>The built-in KMS through AWSSDK.KeyManagementService on the server's own listener.</summary>
[Collection(CofferCollection.Name)]
public sealed class KmsApiTests(CofferFixture f)
{
    private AmazonKeyManagementServiceClient Client() => new(
        new BasicAWSCredentials(CofferFixture.AccessKey, CofferFixture.SecretKey),
        new AmazonKeyManagementServiceConfig
        {
            ServiceURL = f.HttpsUrl.ToString(),
            AuthenticationRegion = CofferFixture.Region,
            HttpClientFactory = Clients.Factory(f, f.HttpsUrl.Port),
            MaxErrorRetry = 0,
        });

    [Fact]
    public async Task Key_life_and_data_keys_work_through_the_aws_kms_client()
    {
        using var kms = Client();
        var created = await kms.CreateKeyAsync(new CreateKeyRequest { Description = "e2e" });
        var keyId = created.KeyMetadata.KeyId;
        Assert.Equal(KeyState.Enabled, created.KeyMetadata.KeyState);

        var alias = "alias/e2e-" + Guid.NewGuid().ToString("N")[..8];
        await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = keyId });
        var described = await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = alias });
        Assert.Equal(keyId, described.KeyMetadata.KeyId);
        Assert.Contains((await kms.ListKeysAsync(new ListKeysRequest())).Keys, k => k.KeyId == keyId);
        Assert.Contains((await kms.ListAliasesAsync(new ListAliasesRequest())).Aliases, a => a.AliasName == alias && a.TargetKeyId == keyId);

        var context = new Dictionary<string, string> { ["purpose"] = "test" };
        var dataKey = await kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = keyId, KeySpec = DataKeySpec.AES_256, EncryptionContext = context });
        Assert.Equal(32, dataKey.Plaintext.Length);
        var decrypted = await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = dataKey.CiphertextBlob, EncryptionContext = context });
        Assert.Equal(dataKey.Plaintext.ToArray(), decrypted.Plaintext.ToArray());

        var encrypted = await kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes("hello kms")), EncryptionContext = context });
        var wrongContext = await Assert.ThrowsAsync<InvalidCiphertextException>(() => kms.DecryptAsync(new DecryptRequest
        {
            CiphertextBlob = encrypted.CiphertextBlob,
            EncryptionContext = new Dictionary<string, string> { ["purpose"] = "other" },
        }));
        Assert.NotNull(wrongContext);

        await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });
        await Assert.ThrowsAsync<DisabledException>(() => kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = keyId, KeySpec = DataKeySpec.AES_256 }));
        await kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId });

        var scheduled = await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyId, PendingWindowInDays = 7 });
        Assert.Equal(KeyState.PendingDeletion, scheduled.KeyState);
        await Assert.ThrowsAsync<KMSInvalidStateException>(() => kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream([1]) }));
        await kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = keyId });
        Assert.Equal(KeyState.Disabled, (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId })).KeyMetadata.KeyState);
    }

    /// <summary>
    /// The API and the KMS apply one set of alias rules (Coffer.Crypto.Kms.KmsAliases): every reserved prefix and every
    /// malformed name is InvalidAliasNameException saying what is wrong, and creates nothing.
    /// </summary>
    [Theory]
    [InlineData("alias/aws/s3", "reserved")]
    [InlineData("alias/cos/default/someone", "reserved")]
    [InlineData("alias/coffer/sse-cos", "reserved")]
    [InlineData("alias/", "letters, digits")]
    [InlineData("alias/has space", "letters, digits")]
    [InlineData("backups", "letters, digits")]
    public async Task Alias_names_the_kms_refuses_are_refused_by_the_api_with_the_same_rule(string alias, string says)
    {
        using var kms = Client();
        var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var refused = await Assert.ThrowsAsync<InvalidAliasNameException>(() => kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = keyId }));
        Assert.Contains(says, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain((await kms.ListAliasesAsync(new ListAliasesRequest { KeyId = keyId })).Aliases, a => a.AliasName == alias);
    }

    [Fact]
    public async Task Unknown_keys_and_bad_input_get_kms_errors()
    {
        using var kms = Client();
        await Assert.ThrowsAsync<NotFoundException>(() => kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = Guid.NewGuid().ToString() }));
        await Assert.ThrowsAsync<InvalidCiphertextException>(() => kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(new byte[64]) }));
        var key = await kms.CreateKeyAsync(new CreateKeyRequest());
        await Assert.ThrowsAsync<AmazonKeyManagementServiceException>(() => kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = key.KeyMetadata.KeyId, PendingWindowInDays = 3 }));
    }

    [Fact]
    public async Task The_default_key_is_service_managed_and_cannot_be_disabled_and_the_sse_cos_key_is_nobodys()
    {
        var defaultKey = await f.Server.Services.Kms.GetOrCreateDefaultKeyAsync(await f.RootIdAsync(), Coffer.Server.Hosting.Credentials.RootUser);
        using var kms = Client();
        var described = await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/cos/default/root" });
        Assert.Equal(defaultKey.KeyId, described.KeyMetadata.KeyId);
        Assert.Equal(KeyManagerType.AWS, described.KeyMetadata.KeyManager);
        await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.DisableKeyAsync(new DisableKeyRequest { KeyId = defaultKey.KeyId }));
        await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = defaultKey.KeyId, PendingWindowInDays = 7 }));

        // The SSE-COS key is used by the server only: through the API it is not there, even for root.
        var serviceKey = await f.Server.Services.Kms.GetOrCreateServiceKeyAsync();
        await Assert.ThrowsAsync<NotFoundException>(() => kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = serviceKey.KeyId }));
        await Assert.ThrowsAsync<NotFoundException>(() => kms.DisableKeyAsync(new DisableKeyRequest { KeyId = serviceKey.KeyId }));
    }
}
