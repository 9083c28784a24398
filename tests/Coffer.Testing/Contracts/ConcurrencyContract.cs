using System.Collections.Concurrent;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// Several nodes writing at once: every test opens a second store instance on the same database (another
/// node) and races it against the first. Compare-and-set methods must let exactly one of two racing writers
/// from the same read win, and no blob may be both handed to the reclaimer and still referenced.
/// </summary>
public abstract class ConcurrencyContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    [ContractFact]
    public async Task Concurrent_puts_overwrites_and_deletes_from_two_nodes_stay_consistent()
    {
        await CreateBucketAsync("b");
        // A second instance on the same database: another node (for SQLite, another process: its own
        // write gate, so its writes meet the first store's only in SQLite's file lock).
        await using var second = await OpenSecondStoreAsync();

        var written = new ConcurrentBag<string>();
        var reclaimed = new ConcurrentBag<string>();
        var keys = Enumerable.Range(0, 16).Select(i => $"k/{i % 4}/{i}").ToArray();
        using var stopReading = new CancellationTokenSource();

        var writers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            var random = new Random(worker);
            var node = worker % 2 == 0 ? Store : second;
            for (var op = 0; op < 200; op++)
            {
                var key = keys[random.Next(keys.Length)];
                if (random.Next(4) == 0)
                {
                    if (await node.DeleteObjectAsync("b", key) is { } deleted)
                    {
                        foreach (var id in Sample.BlobIdsOf(deleted))
                        {
                            reclaimed.Add(id);
                        }
                    }
                }
                else
                {
                    var obj = Sample.Object("b", key, Enumerable.Range(0, random.Next(1, 4)).Select(_ => Sample.BlobId()).ToArray());
                    foreach (var id in Sample.BlobIdsOf(obj))
                    {
                        written.Add(id);
                    }
                    foreach (var id in await node.PutObjectAsync(obj))
                    {
                        reclaimed.Add(id);
                    }
                }
            }
        })).ToList();

        var users = Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                Assert.True(await second.AddUserAsync(new UserRecord($"user{i}", $"AK{i:D4}", [1], false, Sample.Instant, UserIds.New())));
            }
        });

        var reader = Task.Run(async () =>
        {
            var reads = 0;
            while (!stopReading.IsCancellationRequested || reads == 0)
            {
                var listing = await second.ListObjectsAsync("b", "k/", "/", null, 1000);
                Assert.True(listing.CommonPrefixes.Count <= 4);
                var got = await Store.GetObjectAsync("b", keys[reads % keys.Length]);
                Assert.True(got is null || got.Streams.Count is >= 1 and <= 3);
                reads++;
            }
        });

        await Task.WhenAll([.. writers, users]);
        await stopReading.CancelAsync();
        await reader;

        // Every blob ever written is now either referenced or was handed back for reclaiming, once.
        var referenced = await Store.ReferencedBlobIdsAsync();
        var current = new List<string>();
        foreach (var key in keys)
        {
            if (await Store.GetObjectAsync("b", key) is { } obj)
            {
                current.AddRange(Sample.BlobIdsOf(obj));
            }
        }
        Assert.Equal(current.ToHashSet(), referenced.ToHashSet());
        Assert.Equal(reclaimed.Count, reclaimed.Distinct().Count());
        Assert.Empty(reclaimed.Intersect(referenced));
        Assert.Equal(written.ToHashSet(), referenced.Concat(reclaimed).ToHashSet());

        var listed = await Store.ListObjectsAsync("b", "", null, null, 1000);
        Assert.Equal(current.Count, listed.Objects.Sum(o => o.Streams.Count));
        Assert.Equal(200, (await Store.ListUsersAsync()).Count);
        Assert.Equal(200, (await second.ListUsersAsync()).Count);
    }

    [ContractFact]
    public async Task Two_stores_adding_the_same_user_at_once_let_exactly_one_win()
    {
        await using var second = await OpenSecondStoreAsync();
        var attempts = Enumerable.Range(0, 40).Select(i => Task.Run(() =>
            (i % 2 == 0 ? Store : second).AddUserAsync(new UserRecord("same", $"AK{i}", [1], false, Sample.Instant, UserIds.New())))).ToList();

        var results = await Task.WhenAll(attempts);

        Assert.Single(results, r => r);
        Assert.Single(await Store.ListUsersAsync());
    }

    [ContractFact]
    public async Task Of_two_nodes_updating_a_kms_key_from_the_same_read_exactly_one_wins()
    {
        await using var second = await OpenSecondStoreAsync();
        var key = new KmsKeyRecord { KeyId = "k1", Owner = "alice", Created = Sample.Instant, Versions = [new KmsKeyVersion(1, [1, 2, 3], Sample.Instant)] };
        await Store.CreateKeyAsync(key);

        for (var round = 0; round < 20; round++)
        {
            var read = (await Store.GetKeyAsync("k1"))!;
            var disable = read with { State = read.State == KmsKeyState.Enabled ? KmsKeyState.Disabled : KmsKeyState.Enabled };
            var rotate = read with { Versions = [.. read.Versions, new KmsKeyVersion(read.Versions.Count + 1, [9, (byte)round], Sample.Instant, KmsRotationType.Automatic)] };

            var results = await Task.WhenAll(Task.Run(() => Store.TryUpdateKeyAsync(read, disable)), Task.Run(() => second.TryUpdateKeyAsync(read, rotate)));

            Assert.Single(results, r => r);
            Assert.True((results[0] ? disable : rotate).ContentEquals((await second.GetKeyAsync("k1"))!));
        }
    }

    [ContractFact]
    public async Task Of_two_nodes_starting_a_restore_from_the_same_read_exactly_one_starts_it()
    {
        await CreateBucketAsync("b");
        await using var second = await OpenSecondStoreAsync();
        var obj = Sample.Object("b", "k") with { StorageClass = "ARCHIVE" };
        await Store.PutObjectAsync(obj);

        for (var round = 0; round < 20; round++)
        {
            var read = (await Store.GetObjectAsync("b", "k"))!;
            var mine = new RestoreState(Sample.Instant.AddDays(round), "Expedited", 1, Sample.Instant, Sample.Instant.AddDays(round + 1));
            var theirs = mine with { Tier = "Bulk" };

            var results = await Task.WhenAll(Task.Run(() => Store.UpdateRestoreAsync(read, mine)), Task.Run(() => second.UpdateRestoreAsync(read, theirs)));

            Assert.Single(results, r => r);
            Assert.Equal(results[0] ? mine : theirs, (await Store.GetObjectAsync("b", "k"))!.Restore);
        }
    }

    [ContractFact]
    public async Task A_copy_racing_an_overwrite_of_its_source_never_keeps_a_blob_handed_to_the_reclaimer()
    {
        await CreateBucketAsync("b");
        await using var second = await OpenSecondStoreAsync();
        var copies = 0;
        for (var round = 0; round < 30; round++)
        {
            var source = Sample.Object("b", "src");
            await Store.PutObjectAsync(source);
            var blob = Sample.BlobIdsOf(source).Single();

            var copy = Task.Run(() => Store.PutObjectSharingBlobsAsync(source with { Key = $"dst{round}" }));
            var overwrite = Task.Run(() => second.PutObjectAsync(Sample.Object("b", "src")));
            var (copied, reclaimed) = (await copy, await overwrite);

            if (reclaimed.Contains(blob))
            {
                Assert.Null(copied);                                    // the copy saw the blob go and wrote nothing
                Assert.Null(await Store.GetObjectAsync("b", $"dst{round}"));
                Assert.False(await Store.IsBlobReferencedAsync(blob));
            }
            else
            {
                Assert.NotNull(copied);                                 // the copy got there first and holds the blob
                Assert.True(await second.IsBlobReferencedAsync(blob));
                copies++;
            }
        }
        Assert.InRange(copies, 0, 30);
    }

    [ContractFact]
    public async Task A_complete_racing_a_replacement_of_one_of_its_parts_never_completes_with_the_replaced_blob()
    {
        await CreateBucketAsync("b");
        await using var second = await OpenSecondStoreAsync();
        for (var round = 0; round < 20; round++)
        {
            var key = $"k{round}";
            var upload = new MultipartUpload { UploadId = MultipartUploadIds.New(Sample.Instant), Bucket = "b", Key = key, Initiated = Sample.Instant, Owner = "alice" };
            await Store.CreateUploadAsync(upload);
            var part = new MultipartPart(1, new ObjectStream(Sample.BlobId(), 5, "part:1", 61, "00"), "etag1", 1, Sample.Instant);
            await Store.PutPartAsync("b", key, upload.UploadId, part);
            var obj = Sample.Object("b", key, part.Stream.BlobId);
            var replacement = part with { Stream = part.Stream with { BlobId = Sample.BlobId() } };

            var complete = Task.Run(() => Store.CompleteUploadAsync(upload.UploadId, obj));
            var replace = Task.Run(() => second.PutPartAsync("b", key, upload.UploadId, replacement));
            var (completed, replaced) = (await complete, await replace);

            if (completed.Status == CompleteUploadStatus.Completed)
            {
                Assert.False(replaced.UploadFound);                     // the part came too late: nothing stored
                Assert.True(await Store.IsBlobReferencedAsync(part.Stream.BlobId));
                Assert.False(await Store.IsBlobReferencedAsync(replacement.Stream.BlobId));
            }
            else
            {
                Assert.Equal(CompleteUploadStatus.PartsChanged, completed.Status);
                Assert.Equal(part.Stream.BlobId, replaced.ReplacedBlobId);
                Assert.Null(await Store.GetObjectAsync("b", key));
            }
        }
    }

    [ContractFact]
    public async Task Two_nodes_putting_a_new_key_at_once_hand_back_the_loser_blobs()
    {
        await CreateBucketAsync("b");
        await using var second = await OpenSecondStoreAsync();
        for (var round = 0; round < 20; round++)
        {
            var (a, b) = (Sample.Object("b", $"new{round}"), Sample.Object("b", $"new{round}"));
            var results = await Task.WhenAll(Task.Run(() => Store.PutObjectAsync(a)), Task.Run(() => second.PutObjectAsync(b)));

            var winner = (await Store.GetObjectAsync("b", $"new{round}"))!;
            var loser = winner.Streams[0].BlobId == a.Streams[0].BlobId ? b : a;
            Assert.Equal(Sample.BlobIdsOf(loser), results.SelectMany(r => r));
            Assert.False(await Store.IsBlobReferencedAsync(loser.Streams[0].BlobId));
        }
    }
}
