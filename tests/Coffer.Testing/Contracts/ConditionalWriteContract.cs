using System.Collections.Concurrent;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// Conditional writes (<see cref="WriteCondition"/>): the condition is a compare-and-set in the write's own
/// transaction, on PutObject, on a copy that shares blobs and on multipart Complete. Of writers racing on one key
/// with <see cref="WriteCondition.IfAbsent"/>, from two nodes, exactly one commits, and a failed write changes
/// nothing (its blobs stay unreferenced, for the caller to reclaim).
/// </summary>
public abstract class ConditionalWriteContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
    }

    private static ObjectRecord WithETag(ObjectRecord obj, string etag) => obj with { ETag = etag };

    [ContractFact]
    public async Task If_absent_writes_a_new_key_and_refuses_an_existing_one_leaving_it_unchanged()
    {
        var first = WithETag(Sample.Object("b", "k"), "11111111111111111111111111111111");
        Assert.Empty(await Store.PutObjectAsync(first, WriteCondition.IfAbsent));

        var second = WithETag(Sample.Object("b", "k"), "22222222222222222222222222222222");
        var e = await Assert.ThrowsAsync<WriteConditionFailedException>(() => Store.PutObjectAsync(second, WriteCondition.IfAbsent));
        Assert.Equal(WriteConditionFailure.ObjectExists, e.Failure);

        AssertRecord.Equal(first, await Store.GetObjectAsync("b", "k"));
        Assert.False(await Store.IsBlobReferencedAsync(second.Streams[0].BlobId));
        Assert.True(await Store.IsBlobReferencedAsync(first.Streams[0].BlobId));
    }

    [ContractFact]
    public async Task If_match_writes_over_the_named_etag_only_and_needs_an_object()
    {
        var missing = await Assert.ThrowsAsync<WriteConditionFailedException>(() =>
            Store.PutObjectAsync(Sample.Object("b", "k"), WriteCondition.IfMatch("*")));
        Assert.Equal(WriteConditionFailure.NoObject, missing.Failure);
        Assert.Null(await Store.GetObjectAsync("b", "k"));

        var first = WithETag(Sample.Object("b", "k"), "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        await Store.PutObjectAsync(first);

        var stale = WithETag(Sample.Object("b", "k"), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        var differs = await Assert.ThrowsAsync<WriteConditionFailedException>(() =>
            Store.PutObjectAsync(stale, WriteCondition.IfMatch("cccccccccccccccccccccccccccccccc")));
        Assert.Equal(WriteConditionFailure.ETagDiffers, differs.Failure);
        AssertRecord.Equal(first, await Store.GetObjectAsync("b", "k"));

        // The ETag compares without regard to case (hex digits); the replaced blob is returned for reclaiming.
        var replaced = await Store.PutObjectAsync(stale, WriteCondition.IfMatch("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        Assert.Equal(Sample.BlobIdsOf(first), replaced);
        var any = WithETag(Sample.Object("b", "k"), "dddddddddddddddddddddddddddddddd");
        await Store.PutObjectAsync(any, WriteCondition.IfMatch("*"));
        AssertRecord.Equal(any, await Store.GetObjectAsync("b", "k"));
    }

    [ContractFact]
    public async Task A_copy_sharing_blobs_checks_its_condition_in_the_same_transaction()
    {
        var source = Sample.Object("b", "src");
        await Store.PutObjectAsync(source);
        var existing = Sample.Object("b", "dst");
        await Store.PutObjectAsync(existing);

        var copy = source with { Key = "dst", ETag = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" };
        var e = await Assert.ThrowsAsync<WriteConditionFailedException>(() => Store.PutObjectSharingBlobsAsync(copy, WriteCondition.IfAbsent));
        Assert.Equal(WriteConditionFailure.ObjectExists, e.Failure);
        AssertRecord.Equal(existing, await Store.GetObjectAsync("b", "dst"));

        Assert.NotNull(await Store.PutObjectSharingBlobsAsync(copy, WriteCondition.IfMatch(existing.ETag)));
        Assert.Equal(copy.ETag, (await Store.GetObjectAsync("b", "dst"))!.ETag);
    }

    [ContractFact]
    public async Task A_complete_whose_condition_fails_leaves_the_upload_and_its_parts_as_they_were()
    {
        var existing = Sample.Object("b", "mp");
        await Store.PutObjectAsync(existing);
        var upload = new MultipartUpload { UploadId = MultipartUploadIds.New(Sample.Instant), Bucket = "b", Key = "mp", Initiated = Sample.Instant, Owner = "alice" };
        await Store.CreateUploadAsync(upload);
        var part = new MultipartPart(1, new ObjectStream(Sample.BlobId(), 5, "part:1:x", 61, "00112233445566778899aabbccddeeff"), $"{1:x32}", 7, Sample.Instant);
        Assert.True((await Store.PutPartAsync("b", "mp", upload.UploadId, part)).UploadFound);
        var obj = Sample.Object("b", "mp", part.Stream.BlobId) with { ETag = $"{9:x32}-1", Streams = [part.Stream] };

        var e = await Assert.ThrowsAsync<WriteConditionFailedException>(() => Store.CompleteUploadAsync(upload.UploadId, obj, WriteCondition.IfAbsent));
        Assert.Equal(WriteConditionFailure.ObjectExists, e.Failure);
        AssertRecord.Equal(existing, await Store.GetObjectAsync("b", "mp"));
        Assert.NotNull(await Store.GetUploadAsync("b", "mp", upload.UploadId));
        Assert.True(await Store.IsBlobReferencedAsync(part.Stream.BlobId));

        var done = await Store.CompleteUploadAsync(upload.UploadId, obj, WriteCondition.IfMatch(existing.ETag));
        Assert.Equal(CompleteUploadStatus.Completed, done.Status);
        Assert.Equal(Sample.BlobIdsOf(existing), done.ReclaimableBlobIds);
        Assert.Equal(obj.ETag, (await Store.GetObjectAsync("b", "mp"))!.ETag);
    }

    [ContractFact]
    public async Task Of_writers_racing_with_if_absent_from_two_nodes_exactly_one_wins_each_key()
    {
        await using var second = await OpenSecondStoreAsync();
        const int Keys = 24, WritersPerKey = 4;
        var winners = new ConcurrentDictionary<string, ObjectRecord>();
        var losers = new ConcurrentBag<ObjectRecord>();
        var unexpected = new ConcurrentBag<Exception>();

        var writers = Enumerable.Range(0, Keys * WritersPerKey).Select(i => Task.Run(async () =>
        {
            var key = $"race/{i % Keys}";
            var node = i % 2 == 0 ? Store : second;
            var obj = WithETag(Sample.Object("b", key), $"{i:x32}");
            try
            {
                Assert.Empty(await node.PutObjectAsync(obj, WriteCondition.IfAbsent));
                if (!winners.TryAdd(key, obj))
                {
                    unexpected.Add(new InvalidOperationException($"Two writers of {key} both committed."));
                }
            }
            catch (WriteConditionFailedException e) when (e.Failure == WriteConditionFailure.ObjectExists)
            {
                losers.Add(obj);
            }
            catch (Exception e)
            {
                unexpected.Add(e);
            }
        })).ToList();
        await Task.WhenAll(writers);

        Assert.Empty(unexpected);
        Assert.Equal(Keys, winners.Count);
        Assert.Equal(Keys * (WritersPerKey - 1), losers.Count);
        foreach (var (key, winner) in winners)
        {
            AssertRecord.Equal(winner, await Store.GetObjectAsync("b", key));
        }
        foreach (var loser in losers)
        {
            Assert.False(await Store.IsBlobReferencedAsync(loser.Streams[0].BlobId));
        }
    }
}
