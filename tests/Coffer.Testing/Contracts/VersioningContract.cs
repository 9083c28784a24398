using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// Versioning (docs/protocol/versioning.md): objects holds each key's current version, object_versions the noncurrent ones
/// and delete markers; every version's blobs stay referenced until that version is removed.
/// </summary>
public abstract class VersioningContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await CreateBucketAsync("b");
    }

    private static ObjectRecord Version(string key, string? versionId, int seconds, params string[] blobIds) =>
        Sample.Object("b", key, blobIds) with { VersionId = versionId, LastModified = Sample.Instant.AddSeconds(seconds), ETag = $"etag-{versionId ?? "null"}-{seconds}" };

    private async Task<List<(string Key, string VersionId, bool Marker, bool Latest)>> ListAllAsync(string prefix = "", string? delimiter = null, int pageSize = 1000)
    {
        var all = new List<(string, string, bool, bool)>();
        string? keyMarker = null, versionMarker = null;
        for (var pages = 0; pages < 100; pages++)
        {
            var page = await Store.ListObjectVersionsAsync("b", prefix, delimiter, keyMarker, versionMarker, pageSize);
            all.AddRange(page.Versions.Select(v => (v.Version.Key, VersionIds.ToWire(v.Version.VersionId), v.Version.IsDeleteMarker, v.IsLatest)));
            all.AddRange(page.CommonPrefixes.Select(p => (p, "", false, false)));
            if (!page.IsTruncated)
            {
                return all;
            }
            (keyMarker, versionMarker) = (page.NextKeyMarker, page.NextVersionIdMarker);
        }
        throw new InvalidOperationException("The listing never ended.");
    }

    [ContractFact]
    public async Task The_versioning_state_round_trips_and_a_missing_bucket_answers_false()
    {
        Assert.Equal(BucketVersioning.Unversioned, (await Store.GetBucketAsync("b"))!.Versioning);
        Assert.True(await Store.SetBucketVersioningAsync("b", BucketVersioning.Enabled));
        Assert.Equal(BucketVersioning.Enabled, (await Store.GetBucketAsync("b"))!.Versioning);
        Assert.Equal(BucketVersioning.Enabled, (await Store.ListBucketsAsync("alice")).Single().Versioning);
        Assert.True(await Store.SetBucketVersioningAsync("b", BucketVersioning.Suspended));
        Assert.Equal(BucketVersioning.Suspended, (await Store.GetBucketAsync("b"))!.Versioning);
        Assert.False(await Store.SetBucketVersioningAsync("missing", BucketVersioning.Enabled));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.SetBucketVersioningAsync("b", BucketVersioning.Unversioned));
    }

    [ContractFact]
    public async Task An_overwrite_with_a_version_id_keeps_the_old_version_and_its_blobs()
    {
        var v1 = Version("k", "v1", 1);
        var v2 = Version("k", "v2", 2);
        Assert.Empty(await Store.PutObjectAsync(v1));
        Assert.Empty(await Store.PutObjectAsync(v2));

        var current = await Store.GetObjectAsync("b", "k");
        AssertRecord.Equal(v2, current);
        Assert.Equal("v2", current!.VersionId);
        AssertRecord.Equal(v1, await Store.GetObjectVersionAsync("b", "k", "v1"));
        Assert.Equal("v1", (await Store.GetObjectVersionAsync("b", "k", "v1"))!.VersionId);
        AssertRecord.Equal(v2, await Store.GetObjectVersionAsync("b", "k", "v2"));
        Assert.Null(await Store.GetObjectVersionAsync("b", "k", "v3"));
        Assert.Null(await Store.GetObjectVersionAsync("b", "k", VersionIds.Null));
        Assert.True(await Store.IsBlobReferencedAsync(Sample.BlobIdsOf(v1).Single()));
        var referenced = await Store.ReferencedBlobIdsAsync();
        Assert.Contains(Sample.BlobIdsOf(v1).Single(), referenced);
        Assert.Contains(Sample.BlobIdsOf(v2).Single(), referenced);

        // ListObjects sees only the current version.
        Assert.Equal(["v2"], (await Store.ListObjectsAsync("b", "", null, null, 1000)).Objects.Select(o => o.VersionId));
        Assert.Equal([("k", "v2", false, true), ("k", "v1", false, false)], await ListAllAsync());
    }

    [ContractFact]
    public async Task The_null_version_is_kept_by_an_id_and_replaced_by_the_next_null_version()
    {
        var n1 = Version("k", null, 1);
        await Store.PutObjectAsync(n1);
        var v1 = Version("k", "v1", 2);
        Assert.Empty(await Store.PutObjectAsync(v1));
        AssertRecord.Equal(n1, await Store.GetObjectVersionAsync("b", "k", VersionIds.Null));

        // Suspended: a new null version removes the old null version (noncurrent here) and keeps v1.
        var n2 = Version("k", null, 3);
        var reclaim = await Store.PutObjectAsync(n2);
        Assert.Equal(Sample.BlobIdsOf(n1), reclaim);
        Assert.False(await Store.IsBlobReferencedAsync(Sample.BlobIdsOf(n1).Single()));
        AssertRecord.Equal(n2, await Store.GetObjectVersionAsync("b", "k", VersionIds.Null));
        Assert.Equal([("k", "null", false, true), ("k", "v1", false, false)], await ListAllAsync());

        // And a null version that is current is replaced in place, as in an unversioned bucket.
        var n3 = Version("k", null, 4);
        Assert.Equal(Sample.BlobIdsOf(n2), await Store.PutObjectAsync(n3));
        Assert.Equal([("k", "null", false, true), ("k", "v1", false, false)], await ListAllAsync());
    }

    [ContractFact]
    public async Task A_delete_marker_hides_the_key_and_removing_it_brings_the_object_back()
    {
        var v1 = Version("k", "v1", 1);
        await Store.PutObjectAsync(v1);
        Assert.Empty(await Store.PutDeleteMarkerAsync("b", "k", "m1", Sample.Instant.AddSeconds(2)));

        Assert.Null(await Store.GetObjectAsync("b", "k"));
        Assert.Empty((await Store.ListObjectsAsync("b", "", null, null, 1000)).Objects);
        var marker = await Store.GetObjectVersionAsync("b", "k", "m1");
        Assert.True(marker!.IsDeleteMarker);
        Assert.Equal(Sample.Instant.AddSeconds(2), marker.LastModified);
        Assert.True(await Store.IsBlobReferencedAsync(Sample.BlobIdsOf(v1).Single()));
        Assert.Equal([("k", "m1", true, true), ("k", "v1", false, false)], await ListAllAsync());

        // Another delete adds another marker; the bucket is not empty while versions remain.
        await Store.PutDeleteMarkerAsync("b", "k", "m2", Sample.Instant.AddSeconds(3));
        Assert.Equal([("k", "m2", true, true), ("k", "m1", true, false), ("k", "v1", false, false)], await ListAllAsync());
        Assert.Equal(DeleteBucketResult.NotEmpty, await Store.DeleteBucketAsync("b"));

        // Removing the newest marker leaves the older one current; removing that makes v1 current again.
        Assert.True((await Store.DeleteObjectVersionAsync("b", "k", "m2"))!.IsDeleteMarker);
        Assert.Null(await Store.GetObjectAsync("b", "k"));
        await Store.DeleteObjectVersionAsync("b", "k", "m1");
        AssertRecord.Equal(v1, await Store.GetObjectAsync("b", "k"));
        Assert.Equal([("k", "v1", false, true)], await ListAllAsync());
        Assert.Null(await Store.DeleteObjectVersionAsync("b", "k", "m1"));
    }

    [ContractFact]
    public async Task A_null_delete_marker_removes_the_null_version_for_good()
    {
        var n1 = Version("k", null, 1);
        await Store.PutObjectAsync(n1);
        var reclaim = await Store.PutDeleteMarkerAsync("b", "k", null, Sample.Instant.AddSeconds(2));
        Assert.Equal(Sample.BlobIdsOf(n1), reclaim);
        Assert.False(await Store.IsBlobReferencedAsync(Sample.BlobIdsOf(n1).Single()));
        Assert.True((await Store.GetObjectVersionAsync("b", "k", VersionIds.Null))!.IsDeleteMarker);
        Assert.Equal([("k", "null", true, true)], await ListAllAsync());

        // A second null marker replaces the first.
        Assert.Empty(await Store.PutDeleteMarkerAsync("b", "k", null, Sample.Instant.AddSeconds(3)));
        Assert.Equal([("k", "null", true, true)], await ListAllAsync());
        await Assert.ThrowsAsync<NoSuchBucketException>(() => Store.PutDeleteMarkerAsync("missing", "k", "m", Sample.Instant));
    }

    [ContractFact]
    public async Task Deleting_the_current_version_by_id_promotes_the_next_and_frees_only_its_own_blobs()
    {
        var shared = Sample.BlobId();
        var v1 = Version("k", "v1", 1, shared);
        var v2 = Version("k", "v2", 2, shared);   // a copy onto itself: the same blob, a new version
        var v3 = Version("k", "v3", 3);
        await Store.PutObjectAsync(v1);
        await Store.PutObjectAsync(v2);
        await Store.PutObjectAsync(v3);

        var removed = await Store.DeleteObjectVersionAsync("b", "k", "v3");
        AssertRecord.Equal(v3, removed);
        Assert.False(await Store.IsBlobReferencedAsync(Sample.BlobIdsOf(v3).Single()));
        AssertRecord.Equal(v2, await Store.GetObjectAsync("b", "k"));

        await Store.DeleteObjectVersionAsync("b", "k", "v1");
        Assert.True(await Store.IsBlobReferencedAsync(shared));   // v2 still needs it
        await Store.DeleteObjectVersionAsync("b", "k", "v2");
        Assert.False(await Store.IsBlobReferencedAsync(shared));
        Assert.Null(await Store.GetObjectAsync("b", "k"));
        Assert.Empty(await ListAllAsync());
        Assert.Equal(DeleteBucketResult.Deleted, await Store.DeleteBucketAsync("b"));
    }

    [ContractFact]
    public async Task Version_listing_pages_resume_after_their_markers_with_prefixes_and_delimiters()
    {
        var expected = new List<(string, string, bool, bool)>();
        foreach (var key in new[] { "a", "d/1", "d/2", "e", "ü" })
        {
            for (var i = 1; i <= 3; i++)
            {
                await Store.PutObjectAsync(Version(key, $"{key.Replace('/', '_')}-{i}", i));
            }
        }
        await Store.PutDeleteMarkerAsync("b", "e", "e-m", Sample.Instant.AddSeconds(9));
        await Store.PutObjectAsync(Version("n", null, 1));
        foreach (var key in new[] { "a", "d/1", "d/2" , "e", "n", "ü" })
        {
            var marker = key == "e" ? new[] { ("e", "e-m", true, true) } : [];
            var ids = key == "n" ? new[] { "null" } : Enumerable.Range(1, 3).Reverse().Select(i => $"{key.Replace('/', '_')}-{i}").ToArray();
            expected.AddRange(marker);
            expected.AddRange(ids.Select((id, i) => (key, id, false, i == 0 && key != "e")));
        }

        Assert.Equal(expected, await ListAllAsync());
        foreach (var size in new[] { 1, 2, 4, 5 })
        {
            Assert.Equal(expected, await ListAllAsync(pageSize: size));
        }
        Assert.Equal(expected.Where(e => e.Item1.StartsWith("d/", StringComparison.Ordinal)), await ListAllAsync(prefix: "d/", pageSize: 2));

        var rolled = await ListAllAsync(delimiter: "/", pageSize: 2);
        Assert.Equal(expected.Where(e => !e.Item1.StartsWith("d/", StringComparison.Ordinal)).Select(e => e.Item1).Prepend("d/").Distinct().Order(StringComparer.Ordinal),
            rolled.Select(e => e.Key).Distinct().Order(StringComparer.Ordinal));
        Assert.Single(rolled, e => e.Key == "d/");

        // A key marker alone starts after every version of that key; with a version id, after that version.
        var afterD1 = await Store.ListObjectVersionsAsync("b", "", null, "d/1", null, 1000);
        Assert.Equal("d/2", afterD1.Versions[0].Version.Key);
        var afterA2 = await Store.ListObjectVersionsAsync("b", "", null, "a", "a-2", 2);
        Assert.Equal([("a", "a-1", false), ("d/1", "d_1-3", true)], afterA2.Versions.Select(v => (v.Version.Key, v.Version.VersionId!, v.IsLatest)));
        Assert.True(afterA2.IsTruncated);
        Assert.Equal(("d/1", "d_1-3"), (afterA2.NextKeyMarker, afterA2.NextVersionIdMarker));
        Assert.Empty((await Store.ListObjectVersionsAsync("b", "", null, null, null, 0)).Versions);
    }
}
