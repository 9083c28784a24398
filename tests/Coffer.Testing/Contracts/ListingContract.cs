using System.Text;
using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

public abstract class ListingContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    // In UTF-8 byte order. Note "ä" (C3 A4) < "Ａ" (U+FF21, EF BC A1) < "😀" (F0 9F 98 80),
    // while in UTF-16 order "😀" (D83D …) sorts before "Ａ".
    private static readonly string[] Keys =
        ["a", "a-", "a/", "a/b", "a/b/c", "a/c", "ab", "b", "b/x", "ä", "Ａ", "😀"];

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

    /// <summary>One listing case: expected entries in order, "/"-ending ones marked as prefixes by a leading "P:".</summary>
    public static TheoryData<string, string?, string?, int, string[], bool, string?> Cases => new()
    {
        // prefix, delimiter, after, maxKeys → entries, truncated, next marker
        { "", null, null, 100, Keys, false, null },
        { "", "/", null, 100, ["a", "a-", "P:a/", "ab", "b", "P:b/", "ä", "Ａ", "😀"], false, null },
        { "a/", "/", null, 100, ["a/", "a/b", "P:a/b/", "a/c"], false, null },
        { "a", null, null, 100, ["a", "a-", "a/", "a/b", "a/b/c", "a/c", "ab"], false, null },
        { "a", "/", null, 100, ["a", "a-", "P:a/", "ab"], false, null },
        { "", "-", null, 100, ["a", "P:a-", "a/", "a/b", "a/b/c", "a/c", "ab", "b", "b/x", "ä", "Ａ", "😀"], false, null },
        // after a common prefix, or after any key under it: the prefix is not repeated
        { "", "/", "a/", 100, ["ab", "b", "P:b/", "ä", "Ａ", "😀"], false, null },
        { "", "/", "a/b", 100, ["ab", "b", "P:b/", "ä", "Ａ", "😀"], false, null },
        { "", "/", "a-", 100, ["P:a/", "ab", "b", "P:b/", "ä", "Ａ", "😀"], false, null },
        { "a/", "/", "a/b/", 100, ["a/c"], false, null },
        { "", null, "a/", 100, ["a/b", "a/b/c", "a/c", "ab", "b", "b/x", "ä", "Ａ", "😀"], false, null },
        { "", null, "ä", 100, ["Ａ", "😀"], false, null },
        { "", null, "Ａ", 100, ["😀"], false, null },
        // after sorts before the prefix / after everything
        { "b", null, "a", 100, ["b", "b/x"], false, null },
        { "a", null, "z", 100, [], false, null },
        { "", null, "😀", 100, [], false, null },
        { "zzz", "/", null, 100, [], false, null },
        // maxKeys boundaries: objects and prefixes both count
        { "", "/", null, 3, ["a", "a-", "P:a/"], true, "a/" },
        { "", "/", "a/", 3, ["ab", "b", "P:b/"], true, "b/" },
        { "", "/", "b/", 3, ["ä", "Ａ", "😀"], false, null },
        { "", "/", null, 9, ["a", "a-", "P:a/", "ab", "b", "P:b/", "ä", "Ａ", "😀"], false, null },
        { "", "/", null, 8, ["a", "a-", "P:a/", "ab", "b", "P:b/", "ä", "Ａ"], true, "Ａ" },
        { "", null, null, 1, ["a"], true, "a" },
        { "", null, null, 12, Keys, false, null },
        { "", null, null, 11, Keys[..11], true, "Ａ" },
        { "", "/", null, 0, [], false, null },
        { "", null, null, 0, [], false, null },
    };

    [ContractTheory]
    [MemberData(nameof(Cases))]
    public async Task Listing_follows_s3_semantics(string prefix, string? delimiter, string? after, int maxKeys, string[] expected, bool truncated, string? nextMarker)
    {
        await PutAsync(Keys);

        var listing = await Store.ListObjectsAsync("b", prefix, delimiter, after, maxKeys);

        Assert.Equal(expected.Where(e => !e.StartsWith("P:", StringComparison.Ordinal)), listing.Objects.Select(o => o.Key));
        Assert.Equal(expected.Where(e => e.StartsWith("P:", StringComparison.Ordinal)).Select(e => e[2..]), listing.CommonPrefixes);
        Assert.Equal(truncated, listing.IsTruncated);
        Assert.Equal(nextMarker, listing.NextMarker);
    }

    [ContractFact]
    public async Task Listing_returns_whole_records()
    {
        await PutAsync(["k"]);
        var listing = await Store.ListObjectsAsync("b", "", null, null, 10);
        AssertRecord.Equal(Sample.Object("b", "k", listing.Objects[0].Streams[0].BlobId), listing.Objects[0]);
    }

    [ContractFact]
    public async Task A_delimiter_whose_last_utf8_byte_is_0xBF_skips_correctly()
    {
        // "¿" is C2 BF: the seek past "x¿" is the byte string 78 C2 C0, which is not valid UTF-8.
        await PutAsync(["x¿1", "x¿2", "x¿3/deep", "xÀ", "x\u00BF", "y"]);

        var listing = await Store.ListObjectsAsync("b", "", "¿", null, 100);

        Assert.Equal(["xÀ", "y"], listing.Objects.Select(o => o.Key));
        Assert.Equal(["x¿"], listing.CommonPrefixes);
    }

    [ContractFact]
    public async Task A_delimiter_outside_the_basic_plane_rolls_up()
    {
        await PutAsync(["a😀1", "a😀2", "a\uFFFF", "b"]);

        var listing = await Store.ListObjectsAsync("b", "", "😀", null, 100);

        Assert.Equal(["a\uFFFF", "b"], listing.Objects.Select(o => o.Key));
        Assert.Equal(["a😀"], listing.CommonPrefixes);
    }

    [ContractFact]
    public async Task A_multi_character_delimiter_rolls_up_at_its_first_occurrence()
    {
        await PutAsync(["x--y--z", "x--w", "x-y", "x"]);

        var listing = await Store.ListObjectsAsync("b", "x", "--", null, 100);

        Assert.Equal(["x", "x-y"], listing.Objects.Select(o => o.Key));
        Assert.Equal(["x--"], listing.CommonPrefixes);
    }

    [ContractFact]
    public async Task An_empty_delimiter_means_none()
    {
        await PutAsync(Keys);
        Assert.Equal(Keys, (await Store.ListObjectsAsync("b", "", "", null, 100)).Objects.Select(o => o.Key));
    }

    [ContractFact]
    public async Task A_negative_max_keys_is_rejected()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.ListObjectsAsync("b", "", null, null, -1));
    }

    [ContractFact]
    public async Task Listing_a_missing_bucket_is_empty()
    {
        var listing = await Store.ListObjectsAsync("nope", "", "/", null, 10);
        Assert.Empty(listing.Objects);
        Assert.False(listing.IsTruncated);
    }

    [ContractFact]
    public async Task Buckets_do_not_leak_into_each_others_listings()
    {
        await PutAsync(["a", "m/1", "z"], "b1");
        await PutAsync(["a", "b", "m/2", "zz"], "b2");

        var listing = await Store.ListObjectsAsync("b1", "", "/", null, 100);

        Assert.Equal(["a", "z"], listing.Objects.Select(o => o.Key));
        Assert.Equal(["m/"], listing.CommonPrefixes);
        Assert.All(listing.Objects, o => Assert.Equal("b1", o.Bucket));
    }

    [ContractTheory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(1000)]
    public async Task Paginating_2500_keys_with_a_delimiter_returns_every_entry_exactly_once(int pageSize)
    {
        var keys = Enumerable.Range(0, 2500).Select(i => (i % 5) switch
        {
            0 => $"top-{i:D4}",
            1 => $"dir{i % 40:D2}/file-{i:D4}",
            2 => $"dir{i % 40:D2}/sub/{i:D4}",
            3 => $"ü/{i:D4}",
            _ => $"{i:D4}/x",
        }).ToList();
        await PutAsync(keys);

        var expected = Reference(keys, "", "/", null, int.MaxValue).Entries;
        var seen = new List<string>();
        string? marker = null;
        var pages = 0;
        while (true)
        {
            var page = await Store.ListObjectsAsync("b", "", "/", marker, pageSize);
            pages++;
            var entries = Merge(page);
            seen.AddRange(entries);
            Assert.True(entries.Count <= pageSize);
            if (!page.IsTruncated)
            {
                Assert.Null(page.NextMarker);
                break;
            }
            Assert.Equal(pageSize, entries.Count);
            Assert.Equal(entries[^1], page.NextMarker);
            marker = page.NextMarker;
        }

        Assert.Equal(expected, seen);
        Assert.Equal(seen.Count, seen.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal((expected.Count + pageSize - 1) / pageSize, pages);
    }

    [ContractFact]
    public async Task Random_keys_list_like_a_reference_model_for_every_prefix_delimiter_marker_and_page_size()
    {
        var random = new Random(20250314);
        string[] alphabet = ["a", "b", "/", "-", "ä", "¿", "Ａ", "😀"];
        var keys = Enumerable.Range(0, 200)
            .Select(_ => string.Concat(Enumerable.Range(0, random.Next(1, 6)).Select(_ => alphabet[random.Next(alphabet.Length)])))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        await PutAsync(keys);

        string[] prefixes = ["", "a", "a/", "ä", "😀", "b-", "zz"];
        string?[] delimiters = [null, "/", "¿", "😀", "a/"];
        var afters = new List<string?> { null, "a", "a/", "b/", "ä¿", "Ａ", "😀😀😀😀😀😀" };
        afters.AddRange(keys.OrderBy(_ => random.Next()).Take(5));
        var cases = 0;
        foreach (var prefix in prefixes)
        {
            foreach (var delimiter in delimiters)
            {
                foreach (var after in afters)
                {
                    foreach (var maxKeys in new[] { 1, 3, 1000 })
                    {
                        var expected = Reference(keys, prefix, delimiter, after, maxKeys);
                        var actual = await Store.ListObjectsAsync("b", prefix, delimiter, after, maxKeys);
                        var label = $"prefix '{prefix}' delimiter '{delimiter}' after '{after}' max {maxKeys}";
                        Assert.True(expected.Entries.SequenceEqual(Merge(actual)), label);
                        Assert.True(expected.Truncated == actual.IsTruncated, label);
                        Assert.True(expected.Next == actual.NextMarker, label);
                        cases++;
                    }
                }
            }
        }
        Assert.Equal(prefixes.Length * delimiters.Length * afters.Count * 3, cases);
    }

    /// <summary>The page's objects and common prefixes merged back into listing (byte) order.</summary>
    private static List<string> Merge(ObjectListing page) =>
        page.Objects.Select(o => o.Key).Concat(page.CommonPrefixes).OrderBy(k => k, Utf8Comparer.Instance).ToList();

    /// <summary>S3 listing by brute force: every key, sorted as bytes, filtered, rolled up.</summary>
    private static (List<string> Entries, bool Truncated, string? Next) Reference(IEnumerable<string> keys, string prefix, string? delimiter, string? after, int maxKeys)
    {
        var all = new List<string>();
        foreach (var key in keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(k => k, Utf8Comparer.Instance))
        {
            var entry = key;
            if (delimiter is not null)
            {
                var at = key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (at >= 0)
                {
                    entry = key[..(at + delimiter.Length)];
                }
            }
            if ((after is null || Utf8Comparer.Instance.Compare(entry, after) > 0) && (all.Count == 0 || all[^1] != entry))
            {
                all.Add(entry);
            }
        }
        var page = all.Take(maxKeys).ToList();
        var truncated = all.Count > maxKeys && maxKeys > 0;
        return (page, truncated, truncated ? page[^1] : null);
    }

    private sealed class Utf8Comparer : IComparer<string>
    {
        public static readonly Utf8Comparer Instance = new();

        public int Compare(string? x, string? y) =>
            Encoding.UTF8.GetBytes(x!).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y!));
    }
}
