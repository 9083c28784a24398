using System.Buffers.Binary;
using System.Net;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.Crypto.Kms;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server.Hosting;
using Coffer.Storage;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// KMS key life through real clients on the shared server: rotation operations and ReEncrypt through
/// AWSSDK.KeyManagementService, and SSE-KMS objects written before and after a rotation through AWSSDK.S3 and COS.
/// (Deletion after the scaled window, automatic rotation, rekey and the audit log run on servers of their own:
/// <see cref="KmsLifeServerTests"/>.)
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class KmsLifeTests(CofferFixture f)
{
    internal static AmazonKeyManagementServiceClient Kms(CofferFixture fixture, string? accessKey = null, string? secretKey = null) => new(
        new BasicAWSCredentials(accessKey ?? CofferFixture.AccessKey, secretKey ?? CofferFixture.SecretKey),
        new AmazonKeyManagementServiceConfig
        {
            ServiceURL = fixture.HttpsUrl.ToString(),
            AuthenticationRegion = CofferFixture.Region,
            HttpClientFactory = Clients.Factory(fixture, fixture.HttpsUrl.Port),
            MaxErrorRetry = 0,
        });

    /// <summary>The key id and version of the bucket key an object's sealed key names (docs/keys.md §5.1).</summary>
    internal static (string KeyId, int Version) BucketKeyOf(ObjectRecord obj)
    {
        var sealedKey = obj.Encryption.SealedKey;
        int length = BinaryPrimitives.ReadUInt16BigEndian(sealedKey.AsSpan(1));
        Assert.True(KeyManager.TryReadCiphertextHeader(sealedKey.AsSpan(3, length), out var keyId, out var version));
        return (keyId, version);
    }

    internal static PutObjectRequest KmsPut(string bucket, string key, string body, string keyId, string? contextJson = null) => new()
    {
        BucketName = bucket,
        Key = key,
        ContentBody = body,
        ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
        ServerSideEncryptionKeyManagementServiceKeyId = keyId,
        ServerSideEncryptionKeyManagementServiceEncryptionContext = contextJson is null ? null : SseKeys.Context(contextJson),
    };

    internal static async Task<string> ReadAsync(AmazonS3Client s3, string bucket, string key)
    {
        using var get = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(get.ResponseStream).ReadToEndAsync();
    }

    [Fact]
    public async Task Rotation_can_be_enabled_queried_forced_listed_and_disabled_through_the_aws_kms_client()
    {
        using var kms = Kms(f);
        var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "rotation" })).KeyMetadata.KeyId;
        Assert.False((await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId })).KeyRotationEnabled);

        var before = DateTime.UtcNow;
        await kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = keyId, RotationPeriodInDays = 90 });
        var status = await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId });
        Assert.True(status.KeyRotationEnabled);
        Assert.Equal(90, status.RotationPeriodInDays);
        Assert.InRange(status.NextRotationDate!.Value, before.AddDays(90).AddSeconds(-5), DateTime.UtcNow.AddDays(90).AddSeconds(5));

        var rotated = await kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = keyId });
        Assert.Equal(keyId, rotated.KeyId);
        var rotations = await kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = keyId });
        var rotation = Assert.Single(rotations.Rotations);
        Assert.Equal((keyId, RotationType.ON_DEMAND), (rotation.KeyId, rotation.RotationType));
        Assert.NotNull((await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId })).OnDemandRotationStartDate);

        await kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = keyId });
        Assert.False((await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId })).KeyRotationEnabled);

        var tooShort = Environment.TickCount < 0 ? 91 : 30; // a run-time value: the SDK's analyzer rejects a constant below 90
        var badPeriod = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() =>
            kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = keyId, RotationPeriodInDays = tooShort }));
        Assert.Equal("ValidationException", badPeriod.ErrorCode);
    }

    [Fact]
    public async Task Rotations_are_listed_in_pages_and_limited_to_ten_on_demand()
    {
        using var kms = Kms(f);
        var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        for (var i = 0; i < KeyManager.MaxOnDemandRotations; i++)
            await kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = keyId });
        await Assert.ThrowsAsync<LimitExceededException>(() => kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = keyId }));

        var first = await kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = keyId, Limit = 4 });
        Assert.True(first.Truncated);
        var all = first.Rotations.ToList();
        for (var marker = first.NextMarker; marker is not null;)
        {
            var page = await kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = keyId, Limit = 4, Marker = marker });
            all.AddRange(page.Rotations);
            marker = page.Truncated == true ? page.NextMarker : null;
        }
        Assert.Equal(KeyManager.MaxOnDemandRotations, all.Count);
    }

    [Fact]
    public async Task A_default_key_rotates_on_its_own_and_cannot_be_rotated_on_demand()
    {
        // The caller's default SSE-KMS key: service-managed like the SSE-COS key, which no caller can reach.
        var serviceKey = await f.Server.Services.Kms.GetOrCreateDefaultKeyAsync(await f.RootIdAsync(), Credentials.RootUser);
        using var kms = Kms(f);
        var status = await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = serviceKey.KeyId });
        Assert.True(status.KeyRotationEnabled);
        Assert.Equal(365, status.RotationPeriodInDays);
        await Assert.ThrowsAsync<UnsupportedOperationException>(() => kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = serviceKey.KeyId }));
        await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.DisableKeyRotationAsync(new DisableKeyRotationRequest { KeyId = serviceKey.KeyId }));
    }

    [Fact]
    public async Task Re_encrypt_moves_a_ciphertext_to_another_key_and_context_without_returning_the_plaintext()
    {
        using var kms = Kms(f);
        var source = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var destination = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata;
        var oldContext = new Dictionary<string, string> { ["app"] = "old" };
        var newContext = new Dictionary<string, string> { ["app"] = "new" };
        var encrypted = await kms.EncryptAsync(new EncryptRequest { KeyId = source.KeyId, Plaintext = new MemoryStream("move me"u8.ToArray()), EncryptionContext = oldContext });

        var moved = await kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = encrypted.CiphertextBlob,
            SourceEncryptionContext = oldContext,
            DestinationKeyId = destination.KeyId,
            DestinationEncryptionContext = newContext,
        });
        Assert.Equal(source.Arn, moved.SourceKeyId);
        Assert.Equal(destination.Arn, moved.KeyId);
        Assert.Equal(EncryptionAlgorithmSpec.SYMMETRIC_DEFAULT, moved.DestinationEncryptionAlgorithm);
        var decrypted = await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = moved.CiphertextBlob, EncryptionContext = newContext });
        Assert.Equal("move me", Encoding.UTF8.GetString(decrypted.Plaintext.ToArray()));
        Assert.Equal(destination.Arn, decrypted.KeyId);

        await Assert.ThrowsAsync<InvalidCiphertextException>(() => kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = new MemoryStream(encrypted.CiphertextBlob.ToArray()),
            SourceEncryptionContext = newContext,
            DestinationKeyId = destination.KeyId,
        }));
        await Assert.ThrowsAsync<IncorrectKeyException>(() => kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = new MemoryStream(encrypted.CiphertextBlob.ToArray()),
            SourceEncryptionContext = oldContext,
            SourceKeyId = destination.KeyId,
            DestinationKeyId = destination.KeyId,
        }));
    }

    [Fact]
    public async Task Another_user_can_neither_re_encrypt_a_blob_of_my_key_nor_re_encrypt_into_it()
    {
        using var kms = Kms(f);
        var mine = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var blob = (await kms.EncryptAsync(new EncryptRequest { KeyId = mine, Plaintext = new MemoryStream([1, 2, 3]) })).CiphertextBlob;

        var name = "kms-other-" + Guid.NewGuid().ToString("N")[..8];
        var other = await Credentials.AddUserAsync(f.Server.Services.Store, f.Server.Services.RootKey, name);
        using var theirs = Kms(f, other!.Value.AccessKeyId, other.Value.SecretKey);
        var theirKey = (await theirs.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;

        var steal = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => theirs.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = new MemoryStream(blob.ToArray()),
            DestinationKeyId = theirKey,
        }));
        Assert.Equal("AccessDeniedException", steal.ErrorCode);
        var into = await Assert.ThrowsAnyAsync<AmazonKeyManagementServiceException>(() => kms.ReEncryptAsync(new ReEncryptRequest
        {
            CiphertextBlob = new MemoryStream(blob.ToArray()),
            DestinationKeyId = theirKey,
        }));
        Assert.Equal("NotFoundException", into.ErrorCode);
    }

    [Fact]
    public async Task Objects_written_before_and_after_a_rotation_all_read_back_and_new_ones_use_the_new_version()
    {
        using var s3 = Clients.S3(f, https: true);
        using var kms = Kms(f);
        var bucket = CosRawClient.NewBucket(); // a COS-style name, so the COS client reaches it too
        await s3.PutBucketAsync(bucket);
        var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var store = f.Server.Services.Store;

        for (var i = 0; i < 3; i++)
            await s3.PutObjectAsync(KmsPut(bucket, $"before-{i}", $"old {i}", keyId, "{\"team\":\"blue\"}"));
        // The bucket key is cached now; the rotation must still move new objects to version 2 at once.
        Assert.Equal(1, BucketKeyOf((await store.GetObjectAsync(bucket, "before-2"))!).Version);
        await kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = keyId });
        for (var i = 0; i < 3; i++)
            await s3.PutObjectAsync(KmsPut(bucket, $"after-{i}", $"new {i}", keyId, "{\"team\":\"blue\"}"));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal($"old {i}", await ReadAsync(s3, bucket, $"before-{i}"));
            Assert.Equal($"new {i}", await ReadAsync(s3, bucket, $"after-{i}"));
            Assert.Equal((keyId, 1), BucketKeyOf((await store.GetObjectAsync(bucket, $"before-{i}"))!));
            Assert.Equal((keyId, 2), BucketKeyOf((await store.GetObjectAsync(bucket, $"after-{i}"))!));
        }

        // The old version still decrypts after the caches are gone (another node, a restart).
        f.Server.Services.Envelope.Clear();
        Assert.Equal("old 0", await ReadAsync(s3, bucket, "before-0"));
        using var cos = new CosRawClient(f);
        var cosGet = await cos.SendAsync(HttpMethod.Get, bucket, "before-1");
        Assert.Equal(HttpStatusCode.OK, cosGet.StatusCode);
        Assert.Equal("old 1", await cosGet.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_disabled_key_refuses_cached_objects_at_once_with_the_reference_errors_and_leaves_the_cache()
    {
        using var s3 = Clients.S3(f, https: true);
        using var kms = Kms(f);
        using var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        await s3.PutObjectAsync(KmsPut(bucket, "k", "cached", keyId));
        Assert.Equal("cached", await ReadAsync(s3, bucket, "k")); // its bucket key is cached

        await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });
        Assert.Equal(0, f.Server.Services.Envelope.Evict(keyId)); // already gone from the cache
        var s3Error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"));
        Assert.Equal((HttpStatusCode.BadRequest, "KMS.DisabledException"), (s3Error.StatusCode, s3Error.ErrorCode));
        var cosError = await cos.SendAsync(HttpMethod.Get, bucket, "k");
        Assert.Equal((HttpStatusCode.BadRequest, "KmsKeyDisabled"), (cosError.StatusCode, await cosError.ErrorCodeAsync()));
        var put = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(KmsPut(bucket, "k1", "x", keyId)));
        Assert.Equal("KMS.DisabledException", put.ErrorCode);

        // Enabled again: served at once (a refused key's state is not cached).
        await kms.EnableKeyAsync(new EnableKeyRequest { KeyId = keyId });
        Assert.Equal("cached", await ReadAsync(s3, bucket, "k"));
        await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyId, PendingWindowInDays = 7 });
        s3Error = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"));
        Assert.Equal((HttpStatusCode.BadRequest, "KMS.KMSInvalidStateException"), (s3Error.StatusCode, s3Error.ErrorCode));
        cosError = await cos.SendAsync(HttpMethod.Get, bucket, "k");
        Assert.Equal((HttpStatusCode.BadRequest, "KmsException"), (cosError.StatusCode, await cosError.ErrorCodeAsync()));
        var write = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutObjectAsync(KmsPut(bucket, "k2", "x", keyId)));
        Assert.Equal("KMS.KMSInvalidStateException", write.ErrorCode);
    }

    [Fact]
    public async Task Rekey_retries_an_object_overwritten_during_its_swap_and_leaves_other_writes_alone()
    {
        var s = f.Server.Services;
        using var s3 = Clients.S3(f, https: true);
        using var kms = Kms(f);
        var bucket = CofferFixture.NewBucket("cas");
        await s3.PutBucketAsync(bucket);
        var from = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var to = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        foreach (var name in new[] { "a", "overwritten", "to-sse-s3", "deleted", "z" })
            await s3.PutObjectAsync(KmsPut(bucket, name, $"first {name}", from, "{\"k\":\"v\"}"));
        var etagOfA = (await s.Store.GetObjectAsync(bucket, "a"))!.ETag;

        var raced = new HashSet<string>();
        var rekeyer = new Coffer.Server.Sse.Rekeyer(s.Store, s.Kms, s.Envelope, s.Audit)
        {
            // Between re-wrapping an object's key and swapping it in, someone else writes the object.
            BeforeSwap = async obj =>
            {
                if (!raced.Add(obj.Key))
                    return;
                switch (obj.Key)
                {
                    case "overwritten":
                        await s3.PutObjectAsync(KmsPut(bucket, obj.Key, "second overwritten", from));
                        break;
                    case "to-sse-s3":
                        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = obj.Key, ContentBody = "now sse-s3", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256 });
                        break;
                    case "deleted":
                        await s3.DeleteObjectAsync(bucket, obj.Key);
                        break;
                }
            },
        };

        var result = await rekeyer.RunAsync(new Coffer.Server.Sse.RekeyRequest(bucket, to, FromKey: from));
        Assert.True(result.Finished);
        Assert.Equal((3L, 2L, 3L, 0L), (result.Job.Rekeyed, result.Job.Skipped, result.Job.Conflicts, result.Job.Failed));

        // The new version was re-wrapped (retried), not replaced by the old one's sealed key.
        Assert.Equal("second overwritten", await ReadAsync(s3, bucket, "overwritten"));
        Assert.Equal(to, (await s.Store.GetObjectAsync(bucket, "overwritten"))!.Encryption.KmsKeyId);
        Assert.Equal("now sse-s3", await ReadAsync(s3, bucket, "to-sse-s3"));
        Assert.Equal(SseMode.Cos, (await s.Store.GetObjectAsync(bucket, "to-sse-s3"))!.Encryption.Mode);
        Assert.Null(await s.Store.GetObjectAsync(bucket, "deleted"));
        foreach (var name in new[] { "a", "z" })
        {
            Assert.Equal($"first {name}", await ReadAsync(s3, bucket, name));
            var obj = (await s.Store.GetObjectAsync(bucket, name))!;
            Assert.Equal((to, "eyJrIjoidiJ9"), (obj.Encryption.KmsKeyId, obj.Encryption.KmsContext)); // same context
            Assert.Equal(to, BucketKeyOf(obj).KeyId);
        }
        Assert.Equal(etagOfA, (await s.Store.GetObjectAsync(bucket, "a"))!.ETag);
        using var head = await s3.GetObjectAsync(bucket, "a");
        Assert.Contains(to, head.ServerSideEncryptionKeyManagementServiceKeyId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rekey_refuses_unknown_buckets_and_unusable_or_foreign_target_keys_before_touching_anything()
    {
        var s = f.Server.Services;
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket("refuse");
        await s3.PutBucketAsync(bucket);
        var rekeyer = new Coffer.Server.Sse.Rekeyer(s.Store, s.Kms, s.Envelope, s.Audit);
        var mine = await s.Kms.CreateKeyAsync(await f.RootIdAsync());
        var disabled = await s.Kms.CreateKeyAsync(await f.RootIdAsync());
        await s.Kms.DisableKeyAsync(disabled.KeyId);
        var foreign = await s.Kms.CreateKeyAsync(Coffer.Storage.UserIds.New());
        var service = await s.Kms.GetOrCreateServiceKeyAsync();

        async Task<string> RefusedAsync(Coffer.Server.Sse.RekeyRequest request) =>
            (await Assert.ThrowsAsync<Coffer.Server.Sse.RekeyException>(() => rekeyer.RunAsync(request))).Message;
        Assert.Contains("does not exist", await RefusedAsync(new("no-such-bucket-" + Guid.NewGuid().ToString("N")[..8], mine.KeyId)));
        Assert.Contains("disabled", await RefusedAsync(new(bucket, disabled.KeyId)));
        Assert.Contains("does not belong", await RefusedAsync(new(bucket, foreign.KeyId)));
        Assert.Contains("does not belong", await RefusedAsync(new(bucket, service.KeyId)));
        Assert.Contains("same key", await RefusedAsync(new(bucket, mine.KeyId, FromKey: mine.KeyId)));
    }
}
