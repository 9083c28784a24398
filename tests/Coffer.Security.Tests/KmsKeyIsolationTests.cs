using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>
/// The KMS API shows and uses only the caller's own keys: another user's keys (its default SSE-KMS key included) and
/// the SSE-COS service key answer NotFoundException, as a key of another AWS account named by id does; a ciphertext
/// made under one of them answers AccessDeniedException; another user's aliases are not there at all.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class KmsKeyIsolationTests(TenantsFixture t)
{
    private static readonly Dictionary<string, string> Context = new() { ["purpose"] = "isolation" };

    /// <summary>Alice's default SSE-KMS key, made the way users make it: an SSE-KMS PUT without a key id.</summary>
    private async Task<string> AliceDefaultKeyAsync()
    {
        using var s3 = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("dk");
        await s3.PutBucketAsync(bucket);
        var put = await s3.PutObjectAsync(new() { BucketName = bucket, Key = "k", ContentBody = "alice's", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS });
        return put.ServerSideEncryptionKeyManagementServiceKeyId;
    }

    [Fact]
    public async Task Another_user_neither_lists_nor_describes_nor_decrypts_under_the_default_key()
    {
        var keyId = await AliceDefaultKeyAsync();
        using var alice = t.Kms(t.Alice);
        // The owner sees it and uses it.
        Assert.Contains((await alice.ListAliasesAsync(new ListAliasesRequest())).Aliases, a => a.AliasName == "alias/cos/default/alice" && a.TargetKeyId == keyId);
        Assert.Contains((await alice.ListKeysAsync(new ListKeysRequest())).Keys, k => k.KeyId == keyId);
        Assert.Equal(keyId, (await alice.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/cos/default/alice" })).KeyMetadata.KeyId);
        var encrypted = await alice.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream("alice's secret"u8.ToArray()), EncryptionContext = Context });
        var decrypted = await alice.DecryptAsync(new DecryptRequest { CiphertextBlob = encrypted.CiphertextBlob, EncryptionContext = Context });
        Assert.Equal("alice's secret", Encoding.UTF8.GetString(decrypted.Plaintext.ToArray()));
        var dataKey = await alice.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = keyId, KeySpec = DataKeySpec.AES_256, EncryptionContext = Context });

        using var bob = t.Kms(t.Bob);
        Assert.DoesNotContain((await bob.ListAliasesAsync(new ListAliasesRequest())).Aliases, a => a.AliasName == "alias/cos/default/alice" || a.TargetKeyId == keyId);
        Assert.DoesNotContain((await bob.ListKeysAsync(new ListKeysRequest())).Keys, k => k.KeyId == keyId);
        await Assert.ThrowsAsync<NotFoundException>(() => bob.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/cos/default/alice" }));
        await Assert.ThrowsAsync<NotFoundException>(() => bob.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId }));

        foreach (var blob in new[] { encrypted.CiphertextBlob, dataKey.CiphertextBlob })
        {
            var denied = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => bob.DecryptAsync(new DecryptRequest { CiphertextBlob = blob, EncryptionContext = Context }));
            Assert.Equal("AccessDeniedException", denied.ErrorCode);
            var reencrypt = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => bob.ReEncryptAsync(new ReEncryptRequest
            {
                CiphertextBlob = blob,
                SourceEncryptionContext = Context,
                DestinationKeyId = keyId,
            }));
            Assert.True(reencrypt.ErrorCode is "AccessDeniedException" or "NotFoundException", reencrypt.ErrorCode);
        }
    }

    public static TheoryData<string> KeyOperations() =>
    [
        "DescribeKey", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "Encrypt", "GetKeyRotationStatus", "ListKeyRotations",
        "EnableKey", "DisableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "EnableKeyRotation", "DisableKeyRotation",
        "RotateKeyOnDemand", "CreateAlias", "ListAliases", "ReEncrypt",
    ];

    [Theory]
    [MemberData(nameof(KeyOperations))]
    public async Task Every_key_operation_on_another_users_default_key_is_not_found(string operation)
    {
        var keyId = await AliceDefaultKeyAsync();
        using var bob = t.Kms(t.Bob);
        foreach (var reference in new[] { keyId, $"arn:aws:kms:{CofferFixture.Region}:000000000000:key/{keyId}", "alias/cos/default/alice" })
        {
            var e = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => CallAsync(bob, operation, reference));
            Assert.Equal("NotFoundException", e.ErrorCode);
        }
    }

    [Theory]
    [MemberData(nameof(KeyOperations))]
    public async Task The_sse_cos_service_key_is_nobodys_through_the_kms_api_not_even_roots(string operation)
    {
        var serviceKey = await t.Server.Server.Services.Kms.GetOrCreateServiceKeyAsync();
        foreach (var tenant in new[] { new Tenant("root", CofferFixture.AccessKey, CofferFixture.SecretKey), t.Alice })
        {
            using var kms = t.Kms(tenant);
            Assert.DoesNotContain((await kms.ListKeysAsync(new ListKeysRequest())).Keys, k => k.KeyId == serviceKey.KeyId);
            Assert.DoesNotContain((await kms.ListAliasesAsync(new ListAliasesRequest())).Aliases, a => a.TargetKeyId == serviceKey.KeyId);
            foreach (var reference in new[] { serviceKey.KeyId, "alias/coffer/sse-cos" })
            {
                var e = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => CallAsync(kms, operation, reference));
                Assert.Equal("NotFoundException", e.ErrorCode);
            }
        }
    }

    [Fact]
    public async Task Aliases_are_per_user_so_two_users_may_have_the_same_name()
    {
        var alias = "alias/shared-" + Guid.NewGuid().ToString("N")[..8];
        using var alice = t.Kms(t.Alice);
        using var bob = t.Kms(t.Bob);
        var alicesKey = (await alice.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        await alice.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = alicesKey });

        // Bob does not learn that alice has it: it is simply not there for him, and he may make his own.
        await Assert.ThrowsAsync<NotFoundException>(() => bob.DescribeKeyAsync(new DescribeKeyRequest { KeyId = alias }));
        var bobsKey = (await bob.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        await bob.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = bobsKey });

        Assert.Equal(alicesKey, (await alice.DescribeKeyAsync(new DescribeKeyRequest { KeyId = alias })).KeyMetadata.KeyId);
        Assert.Equal(bobsKey, (await bob.DescribeKeyAsync(new DescribeKeyRequest { KeyId = alias })).KeyMetadata.KeyId);
        Assert.Single((await bob.ListAliasesAsync(new ListAliasesRequest())).Aliases, a => a.AliasName == alias);
    }

    private static async Task CallAsync(AmazonKeyManagementServiceClient kms, string operation, string keyId)
    {
        switch (operation)
        {
            case "DescribeKey": await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId }); break;
            case "GenerateDataKey": await kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = keyId, KeySpec = DataKeySpec.AES_256 }); break;
            case "GenerateDataKeyWithoutPlaintext": await kms.GenerateDataKeyWithoutPlaintextAsync(new GenerateDataKeyWithoutPlaintextRequest { KeyId = keyId, KeySpec = DataKeySpec.AES_256 }); break;
            case "Encrypt": await kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream([1, 2, 3]) }); break;
            case "GetKeyRotationStatus": await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId }); break;
            case "ListKeyRotations": await kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = keyId }); break;
            case "EnableKey": await kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId }); break;
            case "DisableKey": await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId }); break;
            case "ScheduleKeyDeletion": await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyId, PendingWindowInDays = 7 }); break;
            case "CancelKeyDeletion": await kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = keyId }); break;
            case "EnableKeyRotation": await kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = keyId }); break;
            case "DisableKeyRotation": await kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = keyId }); break;
            case "RotateKeyOnDemand": await kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = keyId }); break;
            case "CreateAlias": await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/steal-" + Guid.NewGuid().ToString("N")[..8], TargetKeyId = keyId }); break;
            case "ListAliases": await kms.ListAliasesAsync(new ListAliasesRequest { KeyId = keyId }); break;
            case "ReEncrypt":
                {
                    // A blob of the caller's own, re-encrypted towards the foreign key.
                    var own = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
                    var blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = own, Plaintext = new MemoryStream([1]) })).CiphertextBlob;
                    await kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = blob, DestinationKeyId = keyId });
                    break;
                }
            default: throw new ArgumentOutOfRangeException(nameof(operation), operation, null);
        }
    }
}
