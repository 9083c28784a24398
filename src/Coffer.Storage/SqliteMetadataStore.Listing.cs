using System.Text;
using Microsoft.Data.Sqlite;

namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore
{
    // Seeks in the (bucket, object_key) primary key. The bound is a BLOB cast to TEXT so that a
    // byte string that is not valid UTF-8 (a prefix's successor) compares byte-wise as it is.
    internal const string SeekFromSql = $"SELECT {ObjectColumns} FROM objects WHERE bucket = $bucket AND object_key >= CAST($from AS TEXT) ORDER BY object_key;";
    internal const string SeekAfterSql = $"SELECT {ObjectColumns} FROM objects WHERE bucket = $bucket AND object_key > CAST($from AS TEXT) ORDER BY object_key;";

    private static readonly ObjectListing EmptyListing = new([], [], false, null);

    /// <inheritdoc />
    /// <remarks>
    /// S3 semantics: keys in UTF-8 byte order; a common prefix that sorts at or before
    /// <paramref name="after"/> is not returned again (after "a/" every "a/…" key is skipped);
    /// <see cref="ObjectListing.IsTruncated"/> only when another entry exists;
    /// <paramref name="maxKeys"/> 0 gives an empty, untruncated page, as S3 does. Each common
    /// prefix costs one index seek past it, however many keys it holds.
    /// </remarks>
    public Task<ObjectListing> ListObjectsAsync(string bucket, string prefix, string? delimiter, string? after, int maxKeys, CancellationToken ct = default) =>
        ListObjectsAsync(bucket, prefix, delimiter, after, maxKeys, stats: null, ct);

    /// <summary>Counts of the work a listing did, for tests that check it seeks rather than scans.</summary>
    internal sealed class ListingStats
    {
        public int Seeks { get; set; }
        public int RowsRead { get; set; }
    }

    internal Task<ObjectListing> ListObjectsAsync(string bucket, string prefix, string? delimiter, string? after, int maxKeys, ListingStats? stats, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(maxKeys);
        if (maxKeys == 0)
        {
            return Task.FromResult(EmptyListing);
        }
        if (delimiter is { Length: 0 })
        {
            delimiter = null;
        }

        return ReadSnapshotAsync(async (s, ct) =>
        {
            var objects = new List<ObjectRecord>();
            var commonPrefixes = new List<string>();
            string? last = null;

            // Start just after `after`, or at the prefix when that is later.
            var afterIsLater = after is not null && Utf8Order.Compare(after, prefix) >= 0;
            byte[]? from = Encoding.UTF8.GetBytes(afterIsLater ? after! : prefix);
            var inclusive = !afterIsLater;

            using var seekFrom = s.Command(SeekFromSql);
            using var seekAfter = s.Command(SeekAfterSql);
            foreach (var cmd in (SqliteCommand[])[seekFrom, seekAfter])
            {
                cmd.Parameters.AddWithValue("$bucket", bucket);
                cmd.Parameters.Add("$from", SqliteType.Blob);
            }

            while (from is not null)
            {
                var cmd = inclusive ? seekFrom : seekAfter;
                cmd.Parameters["$from"].Value = from;
                from = null;
                if (stats is not null)
                {
                    stats.Seeks++;
                }

                using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (reader.Read())
                {
                    if (stats is not null)
                    {
                        stats.RowsRead++;
                    }
                    var key = reader.GetString(1);
                    if (!key.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        // Keys with the prefix are contiguous and we started at or after it: done.
                        return Page(truncated: false);
                    }

                    var at = delimiter is null ? -1 : key.IndexOf(delimiter, prefix.Length, StringComparison.Ordinal);
                    if (at >= 0)
                    {
                        var common = key[..(at + delimiter!.Length)];
                        if (after is null || Utf8Order.Compare(common, after) > 0)
                        {
                            if (objects.Count + commonPrefixes.Count == maxKeys)
                            {
                                return Page(truncated: true);
                            }
                            commonPrefixes.Add(common);
                            last = common;
                        }
                        // Skip every other key under this common prefix with one seek.
                        from = Utf8Order.SuccessorOfPrefix(common);
                        inclusive = true;
                        break;
                    }

                    if (objects.Count + commonPrefixes.Count == maxKeys)
                    {
                        return Page(truncated: true);
                    }
                    objects.Add(ReadObject(reader));
                    last = key;
                }
            }
            return Page(truncated: false);

            ObjectListing Page(bool truncated) => new(objects, commonPrefixes, truncated, truncated ? last : null);
        }, ct);
    }
}
