namespace Coffer.Storage.Tests;

/// <summary>How the SQLite store lists: by seeks, not scans (the listing semantics are <see cref="Coffer.Testing.Contracts.ListingContract{TStore}"/>'s).</summary>
public sealed class SqliteListingSeekTests : MetadataStoreTests
{
    private async Task PutAsync(IEnumerable<string> keys, string bucket = "b")
    {
        if (await Store.GetBucketAsync(bucket) is null)
        {
            await CreateBucketAsync(bucket);
        }
        foreach (var key in keys)
        {
            await Store.PutObjectAsync(Sample.Object(bucket, key));
        }
    }

    [Fact]
    public async Task A_large_common_prefix_is_skipped_with_one_seek_not_scanned()
    {
        await PutAsync(["a", "z"]);
        foreach (var i in Enumerable.Range(0, 3000))
        {
            await Store.PutObjectAsync(Sample.Object("b", $"big/{i:D5}"));
        }

        var stats = new SqliteMetadataStore.ListingStats();
        var listing = await Store.ListObjectsAsync("b", "", "/", null, 1000, stats, default);

        Assert.Equal(["a", "z"], listing.Objects.Select(o => o.Key));
        Assert.Equal(["big/"], listing.CommonPrefixes);
        Assert.Equal(2, stats.Seeks);
        Assert.True(stats.RowsRead <= 4, $"read {stats.RowsRead} rows");
    }

    [Fact]
    public async Task Listing_stops_reading_at_the_end_of_the_prefix()
    {
        await PutAsync(Enumerable.Range(0, 500).Select(i => $"after/{i:D3}").Append("before/1").Append("mid"));

        var stats = new SqliteMetadataStore.ListingStats();
        var listing = await Store.ListObjectsAsync("b", "before/", null, null, 1000, stats, default);

        Assert.Equal(["before/1"], listing.Objects.Select(o => o.Key));
        Assert.True(stats.RowsRead <= 2, $"read {stats.RowsRead} rows");
    }
}
