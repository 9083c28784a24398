using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

public abstract class ObjectContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
    }

    private static ObjectRecord FullRecord(string key) => Sample.Object("b", key, Sample.BlobId(), Sample.BlobId(), Sample.BlobId()) with
    {
        Size = long.MaxValue / 3,
        Crc64 = ulong.MaxValue - 1,
        LastModified = new DateTimeOffset(2024, 2, 29, 23, 59, 59, TimeSpan.FromHours(8)).AddTicks(1234567),
        Encryption = new ObjectEncryption(SseMode.Kms, Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray(), "arn:cos:kms:ap-guangzhou:1:key/0f", "eyJhIjoiYiJ9"),
        StorageClass = "ARCHIVE",
        ContentType = "text/plain; charset=utf-8",
        CacheControl = "max-age=60",
        ContentDisposition = "attachment; filename=\"résumé.txt\"",
        ContentEncoding = "gzip",
        Expires = "Thu, 01 Dec 1994 16:00:00 GMT",
        UserMetadata = new Dictionary<string, string> { ["color"] = "blue", ["名前"] = "値 \"quoted\" \\ \n", ["empty"] = "" },
        Checksums = new Dictionary<string, string> { ["CRC32"] = "AAAAAA==", ["SHA256"] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
        Restore = new RestoreState(Sample.Instant, "Expedited", 7, Sample.Instant.AddHours(1), Sample.Instant.AddDays(7)),
    };

    [ContractFact]
    public async Task An_object_round_trips_every_field()
    {
        var obj = FullRecord("dir/file.txt");
        await Store.PutObjectAsync(obj);
        AssertRecord.Equal(obj, await Store.GetObjectAsync("b", "dir/file.txt"));
    }

    [ContractFact]
    public async Task A_minimal_object_round_trips_with_empty_metadata_and_no_encryption()
    {
        var obj = Sample.Object("b", "k");
        await Store.PutObjectAsync(obj);

        var read = await Store.GetObjectAsync("b", "k");
        AssertRecord.Equal(obj, read);
        Assert.Empty(read!.UserMetadata);
        Assert.Empty(read.Checksums);
        Assert.Null(read.Restore);
        Assert.Null(read.ContentType);
        Assert.Same(ObjectEncryption.None, read.Encryption);
    }

    [ContractFact]
    public async Task An_ongoing_restore_round_trips()
    {
        var obj = Sample.Object("b", "k") with { Restore = new RestoreState(Sample.Instant, "Bulk", 1, Sample.Instant.AddHours(12), Sample.Instant.AddDays(2)) };
        await Store.PutObjectAsync(obj);
        Assert.Equal(obj.Restore, (await Store.GetObjectAsync("b", "k"))!.Restore);
    }

    [ContractTheory]
    [InlineData(SseMode.Cos, null, null)]
    [InlineData(SseMode.Kms, "key-1", null)]
    [InlineData(SseMode.Customer, null, null)]
    public async Task Every_encryption_mode_round_trips(SseMode mode, string? kmsKeyId, string? context)
    {
        var obj = Sample.Object("b", "k") with { Encryption = new ObjectEncryption(mode, [9, 8, 7], kmsKeyId, context) };
        await Store.PutObjectAsync(obj);
        AssertRecord.Equal(obj, await Store.GetObjectAsync("b", "k"));
    }

    [ContractTheory]
    [InlineData(SseMode.Cos, null)]
    [InlineData(SseMode.Kms, "key-1")]
    public async Task The_sm4_cipher_round_trips_with_its_mode(SseMode mode, string? kmsKeyId)
    {
        var obj = Sample.Object("b", "k") with { Encryption = new ObjectEncryption(mode, [9, 8, 7], kmsKeyId) { Cipher = StreamCipher.Sm4Gcm } };
        await Store.PutObjectAsync(obj);
        var read = (await Store.GetObjectAsync("b", "k"))!;
        AssertRecord.Equal(obj, read);
        Assert.Equal((mode, StreamCipher.Sm4Gcm), (read.Encryption.Mode, read.Encryption.Cipher));
    }

    [ContractFact]
    public async Task An_object_without_streams_round_trips()
    {
        var obj = Sample.Object("b", "empty") with { Size = 0, Streams = [] };
        Assert.Empty(await Store.PutObjectAsync(obj));
        AssertRecord.Equal(obj, await Store.GetObjectAsync("b", "empty"));
    }

    [ContractTheory]
    [InlineData("ä/ö/ü.txt")]
    [InlineData("日本語/ファイル")]
    [InlineData("emoji 😀 key")]
    [InlineData("  spaces  and\ttabs ")]
    [InlineData("a/../../etc/passwd")]
    [InlineData("'; DROP TABLE objects; --")]
    [InlineData("%2F%00")]
    public async Task Unusual_keys_round_trip_exactly(string key)
    {
        var obj = Sample.Object("b", key);
        await Store.PutObjectAsync(obj);
        AssertRecord.Equal(obj, await Store.GetObjectAsync("b", key));
        Assert.Equal([key], (await Store.ListObjectsAsync("b", "", null, null, 10)).Objects.Select(o => o.Key));
    }

    [ContractFact]
    public async Task Keys_are_case_sensitive_and_not_normalised()
    {
        // "é" precomposed (U+00E9) and decomposed (e + U+0301) are different keys, as in S3.
        await Store.PutObjectAsync(Sample.Object("b", "caf\u00e9"));
        await Store.PutObjectAsync(Sample.Object("b", "cafe\u0301"));
        await Store.PutObjectAsync(Sample.Object("b", "CAF\u00c9"));

        Assert.Equal(3, (await Store.ListObjectsAsync("b", "", null, null, 10)).Objects.Count);
        Assert.Null(await Store.GetObjectAsync("b", "Caf\u00e9"));
    }

    [ContractFact]
    public async Task A_missing_object_reads_as_null()
    {
        Assert.Null(await Store.GetObjectAsync("b", "nope"));
        Assert.Null(await Store.GetObjectAsync("nobucket", "nope"));
    }

    [ContractFact]
    public async Task Objects_are_per_bucket()
    {
        await CreateBucketAsync("c");
        await Store.PutObjectAsync(Sample.Object("b", "k"));

        Assert.Null(await Store.GetObjectAsync("c", "k"));
        Assert.Empty((await Store.ListObjectsAsync("c", "", null, null, 10)).Objects);
    }

    [ContractFact]
    public async Task A_first_put_replaces_nothing()
    {
        Assert.Empty(await Store.PutObjectAsync(Sample.Object("b", "k")));
    }

    [ContractFact]
    public async Task An_overwrite_returns_the_replaced_blob_ids()
    {
        var first = Sample.Object("b", "k", Sample.BlobId(), Sample.BlobId());
        await Store.PutObjectAsync(first);
        var second = Sample.Object("b", "k");

        var replaced = await Store.PutObjectAsync(second);

        Assert.Equal(Sample.BlobIdsOf(first).Order(), replaced.Order());
        AssertRecord.Equal(second, await Store.GetObjectAsync("b", "k"));
    }

    [ContractFact]
    public async Task An_overwrite_that_keeps_a_blob_does_not_return_it()
    {
        // A copy onto itself that re-seals the object key keeps the data blob.
        var kept = Sample.BlobId();
        var dropped = Sample.BlobId();
        await Store.PutObjectAsync(Sample.Object("b", "k", kept, dropped));

        var replaced = await Store.PutObjectAsync(Sample.Object("b", "k", kept) with { Encryption = new ObjectEncryption(SseMode.Customer, [1]) });

        Assert.Equal([dropped], replaced);
        Assert.True(await Store.IsBlobReferencedAsync(kept));
        Assert.False(await Store.IsBlobReferencedAsync(dropped));
    }

    [ContractFact]
    public async Task A_blob_shared_with_another_object_is_not_returned_as_replaced()
    {
        var shared = Sample.BlobId();
        await Store.PutObjectAsync(Sample.Object("b", "one", shared));
        await Store.PutObjectAsync(Sample.Object("b", "two", shared));

        Assert.Empty(await Store.PutObjectAsync(Sample.Object("b", "one")));
        Assert.True(await Store.IsBlobReferencedAsync(shared));

        var deleted = await Store.DeleteObjectAsync("b", "two");
        Assert.Equal([shared], Sample.BlobIdsOf(deleted!));
        Assert.False(await Store.IsBlobReferencedAsync(shared));
    }

    [ContractFact]
    public async Task Delete_returns_the_deleted_record_and_then_null()
    {
        var obj = FullRecord("k");
        await Store.PutObjectAsync(obj);

        AssertRecord.Equal(obj, await Store.DeleteObjectAsync("b", "k"));
        Assert.Null(await Store.GetObjectAsync("b", "k"));
        Assert.Null(await Store.DeleteObjectAsync("b", "k"));
    }

    [ContractFact]
    public async Task Putting_into_a_missing_bucket_throws_no_such_bucket()
    {
        var e = await Assert.ThrowsAsync<NoSuchBucketException>(() => Store.PutObjectAsync(Sample.Object("nope", "k")));
        Assert.Equal("nope", e.Bucket);
        Assert.Empty(await Store.ReferencedBlobIdsAsync());
    }

    [ContractFact]
    public async Task Referenced_blob_ids_are_those_of_current_objects()
    {
        var a = Sample.Object("b", "a", Sample.BlobId(), Sample.BlobId());
        var b = Sample.Object("b", "b");
        var c = Sample.Object("b", "c");
        await Store.PutObjectAsync(a);
        await Store.PutObjectAsync(b);
        await Store.PutObjectAsync(c);
        await Store.PutObjectAsync(Sample.Object("b", "b"));   // b's first blob is no longer referenced
        await Store.DeleteObjectAsync("b", "c");

        var expected = Sample.BlobIdsOf(a).Concat(Sample.BlobIdsOf((await Store.GetObjectAsync("b", "b"))!)).ToHashSet();
        Assert.Equal(expected, (await Store.ReferencedBlobIdsAsync()).ToHashSet());
    }

    [ContractFact]
    public async Task The_blob_reference_check_follows_puts_and_deletes()
    {
        var id = Sample.BlobId();
        Assert.False(await Store.IsBlobReferencedAsync(id));
        await Store.PutObjectAsync(Sample.Object("b", "k", id));
        Assert.True(await Store.IsBlobReferencedAsync(id));
        await Store.DeleteObjectAsync("b", "k");
        Assert.False(await Store.IsBlobReferencedAsync(id));
    }

    [ContractFact]
    public async Task Lookups_of_names_with_a_nul_character_find_nothing_rather_than_fail()
    {
        // PostgreSQL text cannot hold U+0000: a request naming one must read as "no such thing", not an error.
        await Store.PutObjectAsync(Sample.Object("b", "a"));

        Assert.Null(await Store.GetObjectAsync("b", "a\0"));
        Assert.Null(await Store.GetObjectAsync("b\0", "a"));
        Assert.Null(await Store.DeleteObjectAsync("b", "a\0"));
        Assert.Null(await Store.GetBucketAsync("b\0"));
        Assert.Null(await Store.GetUserAsync("AK\0"));
        Assert.Null(await Store.GetKeyAsync("key\0"));
        Assert.Null(await Store.ResolveAliasAsync("alice", "alias/\0"));
        Assert.Null(await Store.GetUploadAsync("b", "a\0", MultipartUploadIds.New(Sample.Instant)));
        Assert.Empty((await Store.ListObjectsAsync("b", "a\0", null, null, 10)).Objects);
        Assert.Equal(["a"], (await Store.ListObjectsAsync("b", "", null, "\0", 10)).Objects.Select(o => o.Key));
        Assert.Empty((await Store.ListObjectsAsync("b", "", null, "a\0", 10)).Objects);
        Assert.NotNull(await Store.GetObjectAsync("b", "a"));
    }
}
