using System.Text;

namespace Coffer.Storage;

/// <summary>
/// Ordering of strings by their UTF-8 bytes, the order COS and S3 list keys in and the order
/// SQLite's BINARY collation gives a UTF-8 database. It differs from ordinal UTF-16 order for
/// characters above U+FFFF versus U+E000–U+FFFF.
/// </summary>
internal static class Utf8Order
{
    /// <summary>Compares like a byte-wise comparison of the UTF-8 encodings (for well-formed strings), without encoding.</summary>
    public static int Compare(string a, string b)
    {
        var length = Math.Min(a.Length, b.Length);
        for (var i = 0; i < length; i++)
        {
            var x = a[i];
            var y = b[i];
            if (x != y)
            {
                // UTF-8 order is code point order. At the first differing UTF-16 unit, move the
                // surrogates (D800–DFFF, i.e. code points ≥ U+10000) above E000–FFFF.
                return Fixup(x) - Fixup(y);
            }
        }
        return a.Length - b.Length;
    }

    /// <summary>
    /// The smallest byte string greater than every string that starts with <paramref name="prefix"/>:
    /// its UTF-8 bytes with the last byte below 0xFF incremented (and what follows it dropped).
    /// Null when there is none (no such byte). May not be valid UTF-8: compare it as bytes.
    /// </summary>
    public static byte[]? SuccessorOfPrefix(string prefix)
    {
        var bytes = Encoding.UTF8.GetBytes(prefix);
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] != 0xFF)
            {
                bytes[i]++;
                return bytes.AsSpan(0, i + 1).ToArray();
            }
        }
        return null;
    }

    private static int Fixup(char c) => c switch
    {
        >= '\uE000' => c - 0x800,
        >= '\uD800' => c + 0x2000,
        _ => c,
    };
}
