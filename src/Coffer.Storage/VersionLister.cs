namespace Coffer.Storage;

/// <summary>
/// The engine-neutral part of ListObjectVersions: markers, common prefixes, IsLatest and paging over an engine's
/// ordered seek. A key's entries are ordered by a rank, newest first: the current row has <see cref="CurrentRank"/>,
/// a noncurrent version or delete marker its sequence number (always below it).
/// </summary>
internal static class VersionLister
{
    /// <summary>The rank of a key's current row (the <c>objects</c> table): above every stored sequence number.</summary>
    public const long CurrentRank = long.MaxValue - 1;

    /// <summary>The rank of a key's version, or null when the key has no such version.</summary>
    public delegate Task<long?> RankOf(string key, string? storedVersionId, CancellationToken ct);

    /// <summary>
    /// Up to <paramref name="limit"/> entries in listing order, at or after <paramref name="from"/>: those of a greater key,
    /// and those of the key <paramref name="from"/> itself whose rank is below <paramref name="rankBelow"/>. With
    /// <paramref name="pastPrefix"/>, only the keys after every key that starts with <paramref name="from"/>.
    /// </summary>
    public delegate Task<List<(ObjectRecord Version, long Rank)>> Seek(string from, bool pastPrefix, long rankBelow, int limit, CancellationToken ct);

    public static async Task<VersionListing> ListAsync(
        string prefix, string? delimiter, string? keyMarker, string? versionIdMarker, int maxKeys, RankOf rankOf, Seek seek, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(maxKeys);
        if (delimiter is { Length: 0 })
        {
            delimiter = null;
        }
        var entries = new List<ObjectVersionEntry>();
        var prefixes = new List<string>();
        string? lastKey = null, lastVersion = null;
        if (maxKeys == 0)
        {
            return new VersionListing(entries, prefixes, false, null, null);
        }

        string from;
        var pastPrefix = false;
        long below;
        string? previousKey = null; // entries of this key are not its latest (the page began inside it)
        if (keyMarker is not null && Utf8Order.Compare(keyMarker, prefix) >= 0)
        {
            from = keyMarker;
            below = long.MinValue;
            if (versionIdMarker is not null && await rankOf(keyMarker, VersionIds.ToStored(versionIdMarker), ct).ConfigureAwait(false) is { } rank)
            {
                below = rank;
                previousKey = keyMarker;
            }
        }
        else
        {
            from = prefix;
            below = long.MaxValue;
        }

        var limit = Math.Min(maxKeys + 1, 1001);
        while (true)
        {
            var batch = await seek(from, pastPrefix, below, limit, ct).ConfigureAwait(false);
            pastPrefix = false;
            var seekAgain = false;
            foreach (var (version, rank) in batch)
            {
                var key = version.Key;
                if (!key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return Page(truncated: false);
                }
                var at = delimiter is null ? -1 : key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                if (at >= 0)
                {
                    var common = key[..(at + delimiter!.Length)];
                    if (keyMarker is null || Utf8Order.Compare(common, keyMarker) > 0)
                    {
                        if (entries.Count + prefixes.Count == maxKeys)
                        {
                            return Page(truncated: true);
                        }
                        prefixes.Add(common);
                        (lastKey, lastVersion) = (common, null);
                    }
                    (from, pastPrefix) = (common, true);
                    below = long.MaxValue;
                    previousKey = null;
                    seekAgain = true;
                    break;
                }
                if (entries.Count + prefixes.Count == maxKeys)
                {
                    return Page(truncated: true);
                }
                entries.Add(new ObjectVersionEntry(version, IsLatest: key != previousKey));
                previousKey = key;
                (lastKey, lastVersion) = (key, VersionIds.ToWire(version.VersionId));
                from = key;
                below = rank;
            }
            if (!seekAgain && batch.Count < limit)
            {
                break;
            }
        }
        return Page(truncated: false);

        VersionListing Page(bool truncated) =>
            new(entries, prefixes, truncated, truncated ? lastKey : null, truncated ? lastVersion : null);
    }
}
