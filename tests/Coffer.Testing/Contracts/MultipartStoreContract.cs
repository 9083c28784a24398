using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

public abstract class MultipartStoreContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    private static readonly DateTimeOffset Start = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
    }

    private static MultipartUpload Upload(string key, DateTimeOffset? initiated = null, string bucket = "b")
    {
        var at = initiated ?? Start;
        return new MultipartUpload { UploadId = MultipartUploadIds.New(at), Bucket = bucket, Key = key, Initiated = at, Owner = "alice" };
    }

    private static MultipartPart Part(int number, long size = 5 << 20, string? blobId = null) => new(
        number,
        new ObjectStream(blobId ?? Sample.BlobId(), size, $"part:{number}:x", size + 56, "00112233445566778899aabbccddeeff"),
        ETag: $"{number:x32}",
        Crc64: ulong.MaxValue - (ulong)number,
        LastModified: Start.AddSeconds(number));

    private async Task<MultipartUpload> CreateAsync(string key, DateTimeOffset? initiated = null)
    {
        var upload = Upload(key, initiated);
        await Store.CreateUploadAsync(upload);
        return upload;
    }

    private static ObjectRecord ObjectOf(MultipartUpload upload, params MultipartPart[] parts) => new()
    {
        Bucket = upload.Bucket,
        Key = upload.Key,
        Size = parts.Sum(p => p.Size),
        ETag = $"{0:x32}-{parts.Length}",
        Crc64 = 1,
        LastModified = Start.AddHours(1),
        Streams = parts.Select(p => p.Stream).ToList(),
    };

    [ContractFact]
    public async Task An_upload_round_trips_every_field_and_is_found_only_under_its_bucket_and_key()
    {
        var upload = Upload("dir/ä.bin") with
        {
            StorageClass = "STANDARD_IA",
            ContentType = "text/plain",
            CacheControl = "no-cache",
            ContentDisposition = "attachment",
            ContentEncoding = "gzip",
            Expires = "Thu, 01 Dec 1994 16:00:00 GMT",
            UserMetadata = new Dictionary<string, string> { ["color"] = "blue" },
            Encryption = new ObjectEncryption(SseMode.Kms, [1, 2, 3], "key-1", "eyJhIjoiYiJ9") { Cipher = StreamCipher.Sm4Gcm },
        };
        await Store.CreateUploadAsync(upload);

        var read = await Store.GetUploadAsync("b", "dir/ä.bin", upload.UploadId);
        Assert.NotNull(read);
        Assert.Equal(upload.UploadId, read.UploadId);
        Assert.Equal(upload.Initiated.UtcTicks, read.Initiated.UtcTicks);
        Assert.Equal(("alice", "STANDARD_IA", "text/plain", "no-cache", "attachment", "gzip", upload.Expires),
            (read.Owner, read.StorageClass, read.ContentType, read.CacheControl, read.ContentDisposition, read.ContentEncoding, read.Expires));
        Assert.Equal("blue", read.UserMetadata["color"]);
        Assert.Equal((SseMode.Kms, "key-1", "eyJhIjoiYiJ9", StreamCipher.Sm4Gcm), (read.Encryption.Mode, read.Encryption.KmsKeyId, read.Encryption.KmsContext, read.Encryption.Cipher));
        Assert.Equal([1, 2, 3], read.Encryption.SealedKey);

        Assert.Null(await Store.GetUploadAsync("b", "dir/other", upload.UploadId));
        await CreateBucketAsync("c");
        Assert.Null(await Store.GetUploadAsync("c", "dir/ä.bin", upload.UploadId));
        Assert.Null(await Store.GetUploadAsync("b", "dir/ä.bin", MultipartUploadIds.New(Start)));
    }

    [ContractFact]
    public async Task A_plain_upload_reads_back_the_shared_none_encryption()
    {
        var upload = await CreateAsync("k");
        Assert.Same(ObjectEncryption.None, (await Store.GetUploadAsync("b", "k", upload.UploadId))!.Encryption);
    }

    [ContractFact]
    public async Task Creating_an_upload_in_a_missing_bucket_is_refused()
    {
        await Assert.ThrowsAsync<NoSuchBucketException>(() => Store.CreateUploadAsync(Upload("k", bucket: "missing")));
    }

    [ContractFact]
    public void Upload_ids_are_a_unix_time_and_32_hex_digits_and_sort_in_initiation_order()
    {
        var ids = Enumerable.Range(0, 50).Select(i => MultipartUploadIds.New(Start.AddTicks(i * 3_333_333L))).ToList();
        Assert.All(ids, id => Assert.True(MultipartUploadIds.IsWellFormed(id), id));
        Assert.All(ids, id => Assert.StartsWith(Start.ToUnixTimeSeconds().ToString()[..8], id, StringComparison.Ordinal));
        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.NotEqual(MultipartUploadIds.New(Start), MultipartUploadIds.New(Start));
        Assert.False(MultipartUploadIds.IsWellFormed("1700000000" + new string('g', 32)));
        Assert.False(MultipartUploadIds.IsWellFormed("../../etc/passwd"));
    }

    [ContractFact]
    public async Task A_part_round_trips_and_re_uploading_its_number_replaces_it_and_hands_back_the_old_blob()
    {
        var upload = await CreateAsync("k");
        var first = Part(3);
        Assert.Equal(new PutPartResult(true, null), await Store.PutPartAsync("b", "k", upload.UploadId, first));

        var listing = await Store.ListPartsAsync("b", "k", upload.UploadId, 0, 1000);
        Assert.Equal(first, Assert.Single(listing!.Parts));

        var second = Part(3, size: 7);
        Assert.Equal(new PutPartResult(true, first.Stream.BlobId), await Store.PutPartAsync("b", "k", upload.UploadId, second));
        listing = await Store.ListPartsAsync("b", "k", upload.UploadId, 0, 1000);
        Assert.Equal(second, Assert.Single(listing!.Parts));
        Assert.False(await Store.IsBlobReferencedAsync(first.Stream.BlobId));
        Assert.True(await Store.IsBlobReferencedAsync(second.Stream.BlobId));
    }

    [ContractFact]
    public async Task A_part_for_a_missing_upload_or_the_wrong_key_is_not_stored()
    {
        var upload = await CreateAsync("k");
        var part = Part(1);
        Assert.Equal(new PutPartResult(false, null), await Store.PutPartAsync("b", "other", upload.UploadId, part));
        Assert.Equal(new PutPartResult(false, null), await Store.PutPartAsync("b", "k", MultipartUploadIds.New(Start), part));
        Assert.Empty((await Store.ListPartsAsync("b", "k", upload.UploadId, 0, 10))!.Parts);
        Assert.False(await Store.IsBlobReferencedAsync(part.Stream.BlobId));
    }

    [ContractFact]
    public async Task Parts_stored_in_parallel_and_out_of_order_all_land_and_list_in_number_order()
    {
        var upload = await CreateAsync("k");
        var parts = Enumerable.Range(1, 40).Reverse().Select(n => Part(n)).ToList();
        await Task.WhenAll(parts.Select(p => Task.Run(() => Store.PutPartAsync("b", "k", upload.UploadId, p))));
        var listing = await Store.ListPartsAsync("b", "k", upload.UploadId, 0, 1000);
        Assert.Equal(Enumerable.Range(1, 40), listing!.Parts.Select(p => p.PartNumber));
    }

    [ContractFact]
    public async Task Listing_parts_pages_after_the_part_number_marker()
    {
        var upload = await CreateAsync("k");
        foreach (var n in new[] { 1, 2, 5, 9, 10 })
            await Store.PutPartAsync("b", "k", upload.UploadId, Part(n));

        var page1 = await Store.ListPartsAsync("b", "k", upload.UploadId, 0, 2);
        Assert.Equal([1, 2], page1!.Parts.Select(p => p.PartNumber));
        Assert.True(page1.IsTruncated);
        Assert.Equal(2, page1.NextPartNumberMarker);

        var page2 = await Store.ListPartsAsync("b", "k", upload.UploadId, 2, 2);
        Assert.Equal([5, 9], page2!.Parts.Select(p => p.PartNumber));
        Assert.True(page2.IsTruncated);

        var page3 = await Store.ListPartsAsync("b", "k", upload.UploadId, 9, 2);
        Assert.Equal([10], page3!.Parts.Select(p => p.PartNumber));
        Assert.False(page3.IsTruncated);
        Assert.Equal(10, page3.NextPartNumberMarker);

        var empty = await Store.ListPartsAsync("b", "k", upload.UploadId, 10, 2);
        Assert.Empty(empty!.Parts);
        Assert.False(empty.IsTruncated);
        Assert.Null(await Store.ListPartsAsync("b", "k", MultipartUploadIds.New(Start), 0, 2));
    }

    [ContractFact]
    public async Task Complete_writes_the_object_removes_the_upload_and_returns_unused_parts_and_the_replaced_object()
    {
        var oldObject = Sample.Object("b", "k");
        await Store.PutObjectAsync(oldObject);
        var upload = await CreateAsync("k");
        var (p1, p2, p3) = (Part(1), Part(2), Part(3));
        foreach (var p in new[] { p1, p2, p3 })
            await Store.PutPartAsync("b", "k", upload.UploadId, p);

        var obj = ObjectOf(upload, p1, p3);
        var result = await Store.CompleteUploadAsync(upload.UploadId, obj);

        Assert.Equal(CompleteUploadStatus.Completed, result.Status);
        Assert.Equal(Sample.BlobIdsOf(oldObject).Append(p2.Stream.BlobId).Order(), result.ReclaimableBlobIds.Order());
        AssertRecord.Equal(obj, await Store.GetObjectAsync("b", "k"));
        Assert.Null(await Store.GetUploadAsync("b", "k", upload.UploadId));
        Assert.True(await Store.IsBlobReferencedAsync(p1.Stream.BlobId));
        Assert.True(await Store.IsBlobReferencedAsync(p3.Stream.BlobId));
        Assert.False(await Store.IsBlobReferencedAsync(p2.Stream.BlobId));

        var again = await Store.CompleteUploadAsync(upload.UploadId, obj);
        Assert.Equal(CompleteUploadStatus.NoSuchUpload, again.Status);
    }

    [ContractFact]
    public async Task Complete_with_a_part_replaced_since_it_was_read_changes_nothing()
    {
        var upload = await CreateAsync("k");
        var (p1, p2) = (Part(1), Part(2));
        await Store.PutPartAsync("b", "k", upload.UploadId, p1);
        await Store.PutPartAsync("b", "k", upload.UploadId, p2);
        await Store.PutPartAsync("b", "k", upload.UploadId, Part(2));

        var result = await Store.CompleteUploadAsync(upload.UploadId, ObjectOf(upload, p1, p2));
        Assert.Equal(CompleteUploadStatus.PartsChanged, result.Status);
        Assert.Null(await Store.GetObjectAsync("b", "k"));
        Assert.NotNull(await Store.GetUploadAsync("b", "k", upload.UploadId));
        Assert.Equal(2, (await Store.ListPartsAsync("b", "k", upload.UploadId, 0, 10))!.Parts.Count);
    }

    [ContractFact]
    public async Task Complete_naming_the_same_part_twice_or_under_another_key_changes_nothing()
    {
        var upload = await CreateAsync("k");
        var p1 = Part(1);
        await Store.PutPartAsync("b", "k", upload.UploadId, p1);

        Assert.Equal(CompleteUploadStatus.PartsChanged, (await Store.CompleteUploadAsync(upload.UploadId, ObjectOf(upload, p1, p1))).Status);
        Assert.Equal(CompleteUploadStatus.NoSuchUpload, (await Store.CompleteUploadAsync(upload.UploadId, ObjectOf(upload with { Key = "other" }, p1))).Status);
        Assert.Null(await Store.GetObjectAsync("b", "other"));
        Assert.NotNull(await Store.GetUploadAsync("b", "k", upload.UploadId));
    }

    [ContractFact]
    public async Task Abort_removes_the_upload_and_returns_every_part_blob()
    {
        var upload = await CreateAsync("k");
        var parts = new[] { Part(1), Part(2) };
        foreach (var p in parts)
            await Store.PutPartAsync("b", "k", upload.UploadId, p);
        Assert.Superset(parts.Select(p => p.Stream.BlobId).ToHashSet(), (HashSet<string>)(await Store.ReferencedBlobIdsAsync()).ToHashSet());

        var blobs = await Store.AbortUploadAsync("b", "k", upload.UploadId);
        Assert.Equal(parts.Select(p => p.Stream.BlobId).Order(), blobs!.Order());
        Assert.Null(await Store.GetUploadAsync("b", "k", upload.UploadId));
        Assert.Empty(await Store.ReferencedBlobIdsAsync());
        Assert.Null(await Store.AbortUploadAsync("b", "k", upload.UploadId));
    }

    [ContractFact]
    public async Task Deleting_a_bucket_drops_its_uploads_as_s3_allows()
    {
        await CreateBucketAsync("gone");
        var upload = Upload("k", bucket: "gone");
        await Store.CreateUploadAsync(upload);
        await Store.PutPartAsync("gone", "k", upload.UploadId, Part(1));

        Assert.Equal(DeleteBucketResult.Deleted, await Store.DeleteBucketAsync("gone"));
        await CreateBucketAsync("gone");
        Assert.Null(await Store.GetUploadAsync("gone", "k", upload.UploadId));
        Assert.Empty((await Store.ListUploadsAsync("gone", "", null, null, null, 100)).Uploads);
        Assert.Equal(0L, await CountRowsAsync("multipart_parts"));
    }

    [ContractFact]
    public async Task Uploads_list_in_key_order_and_for_one_key_oldest_first()
    {
        var b2 = await CreateAsync("b", Start.AddSeconds(5));
        var a1 = await CreateAsync("a", Start.AddSeconds(9));
        var b1 = await CreateAsync("b", Start.AddSeconds(1));
        var b3 = await CreateAsync("b", Start.AddSeconds(5).AddTicks(1));
        var c1 = await CreateAsync("c", Start);

        var all = await Store.ListUploadsAsync("b", "", null, null, null, 1000);
        Assert.Equal([a1.UploadId, b1.UploadId, b2.UploadId, b3.UploadId, c1.UploadId], all.Uploads.Select(u => u.UploadId));
        Assert.False(all.IsTruncated);
        Assert.Equal(("c", c1.UploadId), (all.NextKeyMarker, all.NextUploadIdMarker));
    }

    [ContractFact]
    public async Task Upload_listing_pages_with_the_key_and_upload_id_markers()
    {
        var ids = new List<string>();
        foreach (var (key, second) in new[] { ("a", 0), ("b", 1), ("b", 2), ("b", 3), ("c", 4) })
            ids.Add((await CreateAsync(key, Start.AddSeconds(second))).UploadId);

        var page1 = await Store.ListUploadsAsync("b", "", null, null, null, 2);
        Assert.Equal(ids[..2], page1.Uploads.Select(u => u.UploadId));
        Assert.True(page1.IsTruncated);
        Assert.Equal(("b", ids[1]), (page1.NextKeyMarker, page1.NextUploadIdMarker));

        var page2 = await Store.ListUploadsAsync("b", "", null, page1.NextKeyMarker, page1.NextUploadIdMarker, 2);
        Assert.Equal(ids[2..4], page2.Uploads.Select(u => u.UploadId));
        Assert.True(page2.IsTruncated);

        var page3 = await Store.ListUploadsAsync("b", "", null, page2.NextKeyMarker, page2.NextUploadIdMarker, 2);
        Assert.Equal(ids[4..], page3.Uploads.Select(u => u.UploadId));
        Assert.False(page3.IsTruncated);

        // A key marker alone skips every upload of that key.
        var afterB = await Store.ListUploadsAsync("b", "", null, "b", null, 10);
        Assert.Equal(ids[4..], afterB.Uploads.Select(u => u.UploadId));
        // An upload-id marker without a key marker is ignored, as S3 does.
        Assert.Equal(5, (await Store.ListUploadsAsync("b", "", null, null, ids[2], 10)).Uploads.Count);
        Assert.Empty((await Store.ListUploadsAsync("b", "", null, null, null, 0)).Uploads);
    }

    [ContractFact]
    public async Task Upload_listing_filters_by_prefix_and_rolls_up_common_prefixes_once()
    {
        foreach (var key in new[] { "a/1", "a/2", "a/x/3", "b", "photos/2024/1.jpg", "photos/2024/2.jpg", "photos/2025/1.jpg", "photos/top.jpg", "q" })
            await CreateAsync(key);

        var photos = await Store.ListUploadsAsync("b", "photos/", "/", null, null, 1000);
        Assert.Equal(["photos/top.jpg"], photos.Uploads.Select(u => u.Key));
        Assert.Equal(["photos/2024/", "photos/2025/"], photos.CommonPrefixes);

        var root = await Store.ListUploadsAsync("b", "", "/", null, null, 2);
        Assert.Equal(["a/"], root.CommonPrefixes);
        Assert.Equal(["b"], root.Uploads.Select(u => u.Key));
        Assert.True(root.IsTruncated);

        // Paging with a common prefix as the key marker does not return it (or its keys) again.
        var next = await Store.ListUploadsAsync("b", "", "/", "a/", null, 10);
        Assert.Equal(["b", "q"], next.Uploads.Select(u => u.Key));
        Assert.Equal(["photos/"], next.CommonPrefixes);

        var noDelimiter = await Store.ListUploadsAsync("b", "a/", null, null, null, 10);
        Assert.Equal(["a/1", "a/2", "a/x/3"], noDelimiter.Uploads.Select(u => u.Key));
    }

    [ContractFact]
    public async Task Uploads_of_non_ascii_keys_list_in_utf8_byte_order_and_page_by_markers()
    {
        // UTF-8 byte order: "Z" < "a" < "ä" (C3 A4) < "Ａ" (EF BC A1) < "😀" (F0 9F 98 80); UTF-16 order
        // would put "😀" (D83D …) before "Ａ", and a linguistic collation "ä" next to "a".
        string[] keys = ["😀", "Ａ/1", "ä", "a", "Z", "Ａ/2", "b"];
        foreach (var key in keys)
            await CreateAsync(key);
        string[] expected = ["Z", "a", "b", "ä", "Ａ/1", "Ａ/2", "😀"];

        Assert.Equal(expected, (await Store.ListUploadsAsync("b", "", null, null, null, 100)).Uploads.Select(u => u.Key));

        var rolledUp = await Store.ListUploadsAsync("b", "", "/", null, null, 100);
        Assert.Equal(["Z", "a", "b", "ä", "😀"], rolledUp.Uploads.Select(u => u.Key));
        Assert.Equal(["Ａ/"], rolledUp.CommonPrefixes);

        var seen = new List<string>();
        string? keyMarker = null, uploadMarker = null;
        while (true)
        {
            var page = await Store.ListUploadsAsync("b", "", null, keyMarker, uploadMarker, 2);
            seen.AddRange(page.Uploads.Select(u => u.Key));
            if (!page.IsTruncated)
                break;
            (keyMarker, uploadMarker) = (page.NextKeyMarker, page.NextUploadIdMarker);
        }
        Assert.Equal(expected, seen);
        Assert.Equal(["Ａ/1", "Ａ/2", "😀"], (await Store.ListUploadsAsync("b", "", null, "ä", null, 100)).Uploads.Select(u => u.Key));
    }
}
