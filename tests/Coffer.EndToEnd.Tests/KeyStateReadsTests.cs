using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.Crypto.Kms;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// SSE-KMS and SSE-COS requests do not read the KMS key store on every request: the server's KMS uses its key-state
/// cache (docs/caches-and-jobs.md). A decorator around the key store counts every call the server makes to it.
/// </summary>
public sealed class KeyStateReadsTests : IAsyncLifetime
{
    private CountingKeyStore _keys = null!;
    private readonly CofferFixture _f;

    public KeyStateReadsTests() => _f = new CofferFixture { Configure = o => o.WrapKmsKeys = inner => _keys = new CountingKeyStore(inner) };

    public Task InitializeAsync() => _f.InitializeAsync();

    public Task DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task Encrypted_gets_and_puts_read_the_key_store_far_less_than_once_per_request()
    {
        using var s3 = Clients.S3(_f, https: true);
        using var kms = KmsLifeTests.Kms(_f);
        var bucket = CofferFixture.NewBucket("keyreads");
        await s3.PutBucketAsync(bucket);
        var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        PutObjectRequest Put(string key, ServerSideEncryptionMethod method, string? kmsKey = null) => new()
        {
            BucketName = bucket,
            Key = key,
            ContentBody = "small " + key,
            ServerSideEncryptionMethod = method,
            ServerSideEncryptionKeyManagementServiceKeyId = kmsKey,
        };
        string[] names = ["kms", "cos", "default"];
        await s3.PutObjectAsync(Put("kms", ServerSideEncryptionMethod.AWSKMS, keyId));
        await s3.PutObjectAsync(Put("cos", ServerSideEncryptionMethod.AES256));
        await s3.PutObjectAsync(Put("default", ServerSideEncryptionMethod.AWSKMS)); // the caller's default key
        foreach (var name in names)
            Assert.Equal("small " + name, await KmsLifeTests.ReadAsync(s3, bucket, name));

        _keys.Calls = 0;
        const int Rounds = 20;
        for (var i = 0; i < Rounds; i++)
        {
            foreach (var name in names)
                Assert.Equal("small " + name, await KmsLifeTests.ReadAsync(s3, bucket, name));
            await s3.PutObjectAsync(Put("cos-" + i, ServerSideEncryptionMethod.AES256));
            await s3.PutObjectAsync(Put("default-" + i, ServerSideEncryptionMethod.AWSKMS));
            await s3.PutObjectAsync(Put("kms-" + i, ServerSideEncryptionMethod.AWSKMS, keyId));
        }

        // 120 requests, each of which read the key store at least once before the cache; now three keys are read
        // once per key-state lifetime (2 s) at most, so even a slow run stays far below one read per request.
        var requests = Rounds * (names.Length + 3);
        Assert.True(_keys.Calls <= requests / 6, $"{_keys.Calls} key store calls for {requests} requests");
    }

    [Fact]
    public async Task The_counter_sees_the_reads_a_change_makes()
    {
        // The decorator does sit in front of the server's KMS: a DisableKey reads and writes through it.
        using var kms = KmsLifeTests.Kms(_f);
        var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        _keys.Calls = 0;
        await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });
        Assert.True(_keys.Calls >= 2, $"{_keys.Calls} calls");
    }

    /// <summary>Counts every call to the key store the server's KMS makes.</summary>
    private sealed class CountingKeyStore(IKmsKeyStore inner) : IKmsKeyStore
    {
        private int _calls;

        public int Calls
        {
            get => Volatile.Read(ref _calls);
            set => Volatile.Write(ref _calls, value);
        }

        private T Count<T>(T result)
        {
            Interlocked.Increment(ref _calls);
            return result;
        }

        public Task CreateKeyAsync(KmsKeyRecord key, CancellationToken ct = default) => Count(inner.CreateKeyAsync(key, ct));

        public Task<KmsKeyRecord?> GetKeyAsync(string keyId, CancellationToken ct = default) => Count(inner.GetKeyAsync(keyId, ct));

        public Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default) => Count(inner.ListKeysAsync(owner, ct));

        public Task UpdateKeyAsync(KmsKeyRecord key, CancellationToken ct = default) => Count(inner.UpdateKeyAsync(key, ct));

        public Task<bool> TryUpdateKeyAsync(KmsKeyRecord expected, KmsKeyRecord replacement, CancellationToken ct = default)
            => Count(inner.TryUpdateKeyAsync(expected, replacement, ct));

        public Task<bool> CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default)
            => Count(inner.CreateAliasAsync(alias, keyId, owner, ct));

        public Task<string?> ResolveAliasAsync(string owner, string alias, CancellationToken ct = default) => Count(inner.ResolveAliasAsync(owner, alias, ct));

        public Task<IReadOnlyList<(string Alias, string KeyId)>> ListAliasesAsync(string? owner, CancellationToken ct = default)
            => Count(inner.ListAliasesAsync(owner, ct));

        public Task<bool> DeleteAliasAsync(string owner, string alias, CancellationToken ct = default) => Count(inner.DeleteAliasAsync(owner, alias, ct));
    }
}
