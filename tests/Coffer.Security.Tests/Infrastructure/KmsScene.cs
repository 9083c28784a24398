using System.Text;
using System.Text.Json.Nodes;
using Amazon.KeyManagementService.Model;
using Amazon.S3.Model;

namespace Coffer.Security.Tests.Infrastructure;

/// <summary>
/// Alice's KMS things: a key of her own with an alias and a ciphertext, and her default
/// SSE-KMS key (made by writing an SSE-KMS object without naming a key) with a ciphertext; the
/// SSE-COS service key (made by writing an SSE-COS object).
/// </summary>
public sealed class KmsScene
{
    public required string KeyId { get; init; }
    public required string KeyArn { get; init; }
    public required string Alias { get; init; }
    public required string Ciphertext { get; init; }
    public required string DefaultKeyId { get; init; }
    public required string DefaultAlias { get; init; }
    public required string DefaultCiphertext { get; init; }
    public const string Secret = "alice's kms secret";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<TenantsFixture, KmsScene> Scenes = [];

    public static async Task<KmsScene> GetAsync(TenantsFixture t)
    {
        await Gate.WaitAsync();
        try
        {
            if (!Scenes.TryGetValue(t, out var scene))
                Scenes[t] = scene = await CreateAsync(t);
            return scene;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<KmsScene> CreateAsync(TenantsFixture t)
    {
        using var kms = t.Kms(t.Alice);
        using var s3 = t.S3(t.Alice);
        var key = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "alice's key" })).KeyMetadata;
        var alias = "alias/alice-" + Guid.NewGuid().ToString("N")[..8];
        await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = key.KeyId });
        var ciphertext = (await kms.EncryptAsync(new EncryptRequest { KeyId = key.KeyId, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes(Secret)) })).CiphertextBlob;

        var bucket = AttackScene.NewCosBucket("kms");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "kms", ContentBody = "x", ServerSideEncryptionMethod = Amazon.S3.ServerSideEncryptionMethod.AWSKMS });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "cos", ContentBody = "x", ServerSideEncryptionMethod = Amazon.S3.ServerSideEncryptionMethod.AES256 });
        var aliases = (await kms.ListAliasesAsync(new ListAliasesRequest())).Aliases;
        var defaultAlias = aliases.Single(a => a.AliasName.StartsWith("alias/cos/default/", StringComparison.Ordinal));
        var defaultCiphertext = (await kms.EncryptAsync(new EncryptRequest { KeyId = defaultAlias.TargetKeyId, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes(Secret)) })).CiphertextBlob;
        return new KmsScene
        {
            KeyId = key.KeyId,
            KeyArn = key.Arn,
            Alias = alias,
            Ciphertext = Convert.ToBase64String(ciphertext.ToArray()),
            DefaultKeyId = defaultAlias.TargetKeyId,
            DefaultAlias = defaultAlias.AliasName,
            DefaultCiphertext = Convert.ToBase64String(defaultCiphertext.ToArray()),
        };
    }

    /// <summary>Alice's keys are as she left them: enabled, no rotation, aliases in place, ciphertexts decrypt.</summary>
    public async Task AssertIntactAsync(TenantsFixture t)
    {
        using var kms = t.Kms(t.Alice);
        var described = (await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = Alias })).KeyMetadata;
        Assert.Equal(KeyId, described.KeyId);
        Assert.Equal(Amazon.KeyManagementService.KeyState.Enabled, described.KeyState);
        Assert.False((await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = KeyId })).KeyRotationEnabled);
        Assert.Empty((await kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = KeyId })).Rotations ?? []);
        var aliases = (await kms.ListAliasesAsync(new ListAliasesRequest())).Aliases;
        Assert.Equal(2, aliases.Count(a => a.TargetKeyId == KeyId || a.TargetKeyId == DefaultKeyId));
        foreach (var blob in new[] { Ciphertext, DefaultCiphertext })
        {
            var plain = await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(Convert.FromBase64String(blob)) });
            Assert.Equal(Secret, Encoding.UTF8.GetString(plain.Plaintext.ToArray()));
        }
    }

    /// <summary>Every KMS call, aimed at the key <paramref name="key"/> (an id, ARN or alias), with <paramref name="ciphertext"/> for the calls that take one.</summary>
    public static readonly (string Operation, Func<string, string, JsonObject> Input, bool Writes)[] Calls =
    [
        ("DescribeKey", (k, _) => new JsonObject { ["KeyId"] = k }, false),
        ("Encrypt", (k, _) => new JsonObject { ["KeyId"] = k, ["Plaintext"] = Convert.ToBase64String("x"u8) }, false),
        ("Decrypt", (_, c) => new JsonObject { ["CiphertextBlob"] = c }, false),
        ("Decrypt(naming the key)", (k, c) => new JsonObject { ["CiphertextBlob"] = c, ["KeyId"] = k }, false),
        ("ReEncrypt", (k, c) => new JsonObject { ["CiphertextBlob"] = c, ["DestinationKeyId"] = k }, false),
        ("GenerateDataKey", (k, _) => new JsonObject { ["KeyId"] = k, ["KeySpec"] = "AES_256" }, false),
        ("GenerateDataKeyWithoutPlaintext", (k, _) => new JsonObject { ["KeyId"] = k, ["KeySpec"] = "AES_256" }, false),
        ("DisableKey", (k, _) => new JsonObject { ["KeyId"] = k }, true),
        ("EnableKey", (k, _) => new JsonObject { ["KeyId"] = k }, true),
        ("ScheduleKeyDeletion", (k, _) => new JsonObject { ["KeyId"] = k, ["PendingWindowInDays"] = 7 }, true),
        ("CancelKeyDeletion", (k, _) => new JsonObject { ["KeyId"] = k }, true),
        ("EnableKeyRotation", (k, _) => new JsonObject { ["KeyId"] = k }, true),
        ("DisableKeyRotation", (k, _) => new JsonObject { ["KeyId"] = k }, true),
        ("GetKeyRotationStatus", (k, _) => new JsonObject { ["KeyId"] = k }, false),
        ("RotateKeyOnDemand", (k, _) => new JsonObject { ["KeyId"] = k }, true),
        ("ListKeyRotations", (k, _) => new JsonObject { ["KeyId"] = k }, false),
        ("CreateAlias", (k, _) => new JsonObject { ["AliasName"] = "alias/bobs-" + Guid.NewGuid().ToString("N")[..8], ["TargetKeyId"] = k }, true),
        ("ListAliases(KeyId)", (k, _) => new JsonObject { ["KeyId"] = k }, false),
    ];
}
