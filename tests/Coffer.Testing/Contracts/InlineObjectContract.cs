using System.Security.Cryptography;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// Objects whose one sealed stream lives in their metadata row (<see cref="ObjectStream.IsInline"/>): the row
/// carries the bytes, listings leave them out, and no blob is ever referenced, pending or reclaimed for them.
/// </summary>
public abstract class InlineObjectContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
    }

    private static ObjectRecord Inline(string key, int sealedSize = 4133)
    {
        var data = RandomNumberGenerator.GetBytes(sealedSize);
        return Sample.Object("b", key) with
        {
            Streams = [new ObjectStream(ObjectStream.InlineBlobId, 4096, "object", data.Length, "00112233445566778899aabbccddeeff") { Inline = data }],
        };
    }

    [ContractFact]
    public async Task An_inline_object_reads_back_with_its_sealed_bytes_and_references_no_blob()
    {
        var obj = Inline("k");

        Assert.Empty(await Store.PutObjectAsync(obj));

        var read = await Store.GetObjectAsync("b", "k");
        AssertRecord.Equal(obj, read);
        Assert.True(read!.Streams.Single().IsInline);
        Assert.Equal(obj.Streams[0].Inline, read.Streams[0].Inline);
        Assert.DoesNotContain(ObjectStream.InlineBlobId, await Store.ReferencedBlobIdsAsync());
        Assert.Equal(0, await Engine.CountRowsAsync(Store, "object_blobs"));
    }

    [ContractFact]
    public async Task A_listing_names_an_inline_object_without_reading_its_bytes()
    {
        await Store.PutObjectAsync(Inline("k", 60_000));

        var listed = (await Store.ListObjectsAsync("b", "", null, null, 10)).Objects.Single();

        Assert.True(listed.Streams.Single().IsInline);
        Assert.Null(listed.Streams[0].Inline);
        Assert.Equal(60_000, listed.Streams[0].BlobSize);
    }

    [ContractFact]
    public async Task Replacing_a_blob_object_by_an_inline_one_hands_back_the_blob_and_the_reverse_hands_back_nothing()
    {
        var blobObject = Sample.Object("b", "k");
        await Store.PutObjectAsync(blobObject);

        Assert.Equal(Sample.BlobIdsOf(blobObject), await Store.PutObjectAsync(Inline("k")));
        Assert.Empty(await Store.ReferencedBlobIdsAsync());

        var again = Sample.Object("b", "k");
        Assert.Empty(await Store.PutObjectAsync(again));
        Assert.Null((await Store.GetObjectAsync("b", "k"))!.Streams.Single().Inline);
        Assert.Equal(Sample.BlobIdsOf(again).ToHashSet(), await Store.ReferencedBlobIdsAsync());
    }

    [ContractFact]
    public async Task Deleting_an_inline_object_returns_it_whole_and_leaves_nothing_to_reclaim()
    {
        var obj = Inline("k");
        await Store.PutObjectAsync(obj);

        var deleted = await Store.DeleteObjectAsync("b", "k");

        AssertRecord.Equal(obj, deleted);
        Assert.Empty(ObjectStream.BlobIdsOf(deleted!.Streams));
        Assert.Null(await Store.GetObjectAsync("b", "k"));
    }

    [ContractFact]
    public async Task A_copy_of_an_inline_object_carries_its_bytes_into_the_new_row()
    {
        var source = Inline("src");
        await Store.PutObjectAsync(source);
        var read = await Store.GetObjectAsync("b", "src");

        var result = await Store.PutObjectSharingBlobsAsync(read! with { Key = "dst" });

        Assert.NotNull(result);
        Assert.Empty(result);
        await Store.DeleteObjectAsync("b", "src");
        Assert.Equal(source.Streams[0].Inline, (await Store.GetObjectAsync("b", "dst"))!.Streams.Single().Inline);
    }

    [ContractFact]
    public async Task An_inline_stream_without_its_bytes_or_beside_another_stream_is_refused_and_nothing_is_written()
    {
        var withoutBytes = Inline("k") with { Streams = [new ObjectStream(ObjectStream.InlineBlobId, 1, "object", 60, "00")] };
        var mixed = Inline("k") with { Streams = [Inline("x").Streams[0], Sample.Object("b", "x").Streams[0]] };

        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutObjectAsync(withoutBytes));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PutObjectAsync(mixed));

        Assert.Null(await Store.GetObjectAsync("b", "k"));
    }
}
