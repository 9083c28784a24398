using System.Text;

namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore
{
    /// <summary>At most this many rows are read per query of a listing; a longer run of keys is read in several seeks.</summary>
    private const int ListingBatch = 1000;

    /// <summary>One bounded seek of a listing, in key order: a range scan of the (bucket, object_key) primary key.</summary>
    internal static string SeekObjectsSql(bool inclusive, bool bounded) => $"""
        SELECT {ObjectColumns} FROM objects
        WHERE bucket = @bucket AND object_key {(inclusive ? ">=" : ">")} @from {(bounded ? "AND object_key < @end" : "")}
        ORDER BY object_key LIMIT @limit;
        """;

    private static readonly ObjectListing EmptyListing = new([], [], false, null);

    /// <inheritdoc />
    /// <remarks>
    /// S3 semantics, exactly as <see cref="SqliteMetadataStore.ListObjectsAsync(string, string, string?, string?, int, CancellationToken)"/>:
    /// keys in UTF-8 byte order (<c>COLLATE "C"</c> on a UTF8 database), a common prefix at or before
    /// <paramref name="after"/> is not returned again, <see cref="ObjectListing.IsTruncated"/> only when
    /// another entry exists, <paramref name="maxKeys"/> 0 gives an empty page. Every query is a bounded
    /// range scan of the primary key (<c>LIMIT</c>, and below the prefix's successor), and each common
    /// prefix costs one seek past it. The pages of one listing are read in one REPEATABLE READ snapshot.
    /// </remarks>
    public Task<ObjectListing> ListObjectsAsync(string bucket, string prefix, string? delimiter, string? after, int maxKeys, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfNegative(maxKeys);
        if (maxKeys == 0 || !IsStorable(prefix) || !IsStorable(bucket))
        {
            return Task.FromResult(EmptyListing);   // no key contains what text cannot hold
        }
        if (delimiter is { Length: 0 })
        {
            delimiter = null;
        }
        var end = TextSuccessorOfPrefix(prefix);

        return ReadSnapshotAsync(async (s, ct) =>
        {
            var objects = new List<ObjectRecord>();
            var commonPrefixes = new List<string>();
            string? last = null;

            // Start just after `after`, or at the prefix when that is later.
            var afterIsLater = after is not null && Utf8Order.Compare(after, prefix) >= 0;
            var (from, inclusive) = afterIsLater ? StartAfter(after!) : (prefix, true);

            while (from is not null)
            {
                var limit = Math.Min(maxKeys - objects.Count - commonPrefixes.Count + 1, ListingBatch);
                await using var cmd = s.Command(SeekObjectsSql(inclusive, bounded: end is not null));
                Text(cmd, "bucket", bucket);
                Text(cmd, "from", from);
                Text(cmd, "end", end);
                Int(cmd, "limit", limit);
                var (next, rows, lastRow) = ((string?)null, 0, (string?)null);

                await using (var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        rows++;
                        var key = reader.GetString(1);
                        lastRow = key;
                        if (!key.StartsWith(prefix, StringComparison.Ordinal))
                        {
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
                            next = TextSuccessorOfPrefix(common) ?? "";
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

                if (next is not null)
                {
                    (from, inclusive) = next.Length == 0 ? (null, true) : (next, true);
                }
                else if (rows == limit)
                {
                    (from, inclusive) = (lastRow, false);   // the batch ended, the range did not
                }
                else
                {
                    from = null;
                }
            }
            return Page(truncated: false);

            ObjectListing Page(bool truncated) => new(objects, commonPrefixes, truncated, truncated ? last : null);
        }, ct);
    }

    /// <summary>
    /// The smallest string that sorts (by UTF-8 bytes) after every string starting with
    /// <paramref name="prefix"/>: its last code point incremented (U+10FFFF dropped and the one
    /// before it incremented instead). Unlike <see cref="Utf8Order.SuccessorOfPrefix"/> this is valid
    /// text, which PostgreSQL needs: UTF-8 order is code point order, no code point lies between c and
    /// c + 1, and the encoding of c + 1 is not a prefix of any encoding that starts with c's.
    /// Null when there is none (empty, or only U+10FFFF).
    /// </summary>
    internal static string? TextSuccessorOfPrefix(string prefix)
    {
        var runes = prefix.EnumerateRunes().ToList();
        while (runes.Count > 0)
        {
            var last = runes[^1].Value;
            runes.RemoveAt(runes.Count - 1);
            if (last == 0x10FFFF)
            {
                continue;
            }
            runes.Add(new Rune(last + 1 == 0xD800 ? 0xE000 : last + 1));
            var text = new StringBuilder(prefix.Length + 1);
            foreach (var rune in runes)
            {
                text.Append(rune.ToString());
            }
            return text.ToString();
        }
        return null;
    }

    /// <summary>
    /// Where a scan that starts after <paramref name="after"/> begins, as text PostgreSQL can hold: a
    /// marker with U+0000 (which no stored key contains) becomes "at its part before U+0000, then U+0001".
    /// </summary>
    private static (string From, bool Inclusive) StartAfter(string after)
    {
        var nul = after.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            return (after[..nul] + "\u0001", true);
        }
        RequireStorable(after);
        return (after, false);
    }
}
