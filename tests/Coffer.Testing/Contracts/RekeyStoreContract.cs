using System.Security.Cryptography;
using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// What <c>coffer admin rekey</c> needs of a store: a compare-and-set of an object's encryption that saves
/// progress in the same transaction, and job progress that survives (<see cref="IRekeyJobStore"/>).
/// </summary>
public abstract class RekeyStoreContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore, IRekeyJobStore
{
    [ContractFact]
    public async Task A_swap_keeps_the_sm4_cipher_it_is_given()
    {
        await CreateBucketAsync("b");
        byte[] sealedA = [1, 2, 3], sealedB = [4, 5, 6];
        await Store.PutObjectAsync(Sample.Object("b", "k") with { Encryption = new ObjectEncryption(SseMode.Kms, sealedA, "key-a") { Cipher = StreamCipher.Sm4Gcm } });
        var rewrapped = new ObjectEncryption(SseMode.Kms, sealedB, "key-b") { Cipher = StreamCipher.Sm4Gcm };
        Assert.True(await Store.TryReplaceObjectEncryptionAsync("b", "k", sealedA, rewrapped));
        var read = (await Store.GetObjectAsync("b", "k"))!.Encryption;
        Assert.Equal((SseMode.Kms, StreamCipher.Sm4Gcm, "key-b"), (read.Mode, read.Cipher, read.KmsKeyId));
    }

    [ContractFact]
    public async Task Object_encryption_is_swapped_only_while_the_object_is_unchanged()
    {
        await CreateBucketAsync("b");
        var sealedA = RandomNumberGenerator.GetBytes(100);
        var obj = Sample.Object("b", "k") with { Encryption = new ObjectEncryption(SseMode.Kms, sealedA, "key-a", "e30=") };
        await Store.PutObjectAsync(obj);

        var progress = Job() with { LastKey = "k", Rekeyed = 1 };
        var sealedB = RandomNumberGenerator.GetBytes(100);
        var rewrapped = new ObjectEncryption(SseMode.Kms, sealedB, "key-b", "e30=");
        Assert.True(await Store.TryReplaceObjectEncryptionAsync("b", "k", sealedA, rewrapped, progress));
        AssertRecord.Equal(obj with { Encryption = rewrapped }, await Store.GetObjectAsync("b", "k"));
        Assert.Equal(progress, await Store.GetRekeyJobAsync(progress.JobId));

        // The sealed key read before is stale now: nothing changes, not even the progress.
        var later = progress with { LastKey = "z", Rekeyed = 2 };
        Assert.False(await Store.TryReplaceObjectEncryptionAsync("b", "k", sealedA, new ObjectEncryption(SseMode.Kms, sealedA, "key-c"), later));
        AssertRecord.Equal(obj with { Encryption = rewrapped }, await Store.GetObjectAsync("b", "k"));
        Assert.Equal(progress, await Store.GetRekeyJobAsync(progress.JobId));

        await Store.DeleteObjectAsync("b", "k");
        Assert.False(await Store.TryReplaceObjectEncryptionAsync("b", "k", sealedB, rewrapped));
    }

    [ContractFact]
    public async Task Rekey_progress_round_trips_and_is_replaced()
    {
        Assert.Null(await Store.GetRekeyJobAsync("nope"));
        var job = Job();
        await Store.SaveRekeyJobAsync(job);
        Assert.Equal(job, await Store.GetRekeyJobAsync(job.JobId));
        var done = job with { FromKeyId = null, LastKey = "photos/z", Rekeyed = 5, Skipped = 2, Conflicts = 1, Failed = 3, Completed = Sample.Instant.AddHours(1) };
        await Store.SaveRekeyJobAsync(done);
        Assert.Equal(done, await Store.GetRekeyJobAsync(job.JobId));
    }

    private static RekeyJobRecord Job() => new()
    {
        JobId = "job-1",
        Bucket = "b",
        Prefix = "photos/",
        FromKeyId = "key-a",
        ToKeyId = "key-b",
        Started = Sample.Instant,
        Updated = Sample.Instant.AddMinutes(1),
    };

    [ContractFact]
    public async Task Of_two_nodes_rekeying_the_same_object_from_the_same_read_exactly_one_swaps()
    {
        await CreateBucketAsync("b");
        var sealedA = RandomNumberGenerator.GetBytes(100);
        await Store.PutObjectAsync(Sample.Object("b", "k") with { Encryption = new ObjectEncryption(SseMode.Kms, sealedA, "key-a") });
        await using var second = await OpenSecondStoreAsync();

        for (var round = 0; round < 20; round++)
        {
            var current = (await Store.GetObjectAsync("b", "k"))!.Encryption.SealedKey;
            var candidates = new[] { RandomNumberGenerator.GetBytes(100), RandomNumberGenerator.GetBytes(100) };
            var results = await Task.WhenAll(
                Task.Run(() => Store.TryReplaceObjectEncryptionAsync("b", "k", current, new ObjectEncryption(SseMode.Kms, candidates[0], "key-b"))),
                Task.Run(() => second.TryReplaceObjectEncryptionAsync("b", "k", current, new ObjectEncryption(SseMode.Kms, candidates[1], "key-c"))));

            Assert.Single(results, r => r);
            Assert.Equal(candidates[results[0] ? 0 : 1], (await second.GetObjectAsync("b", "k"))!.Encryption.SealedKey);
        }
    }
}
