using System.Buffers;
using System.Text;

namespace Coffer.Protocol.Auth;

/// <summary>
/// Percent-encoding as both signature schemes use it: every UTF-8 byte outside the RFC 3986
/// unreserved set (<c>A-Z a-z 0-9 - _ . ~</c>) becomes <c>%XX</c> with upper-case hex; space is
/// <c>%20</c>, never <c>+</c>. Decoding is lenient: a <c>%</c> not followed by two hex digits is
/// kept literally, and <c>+</c> stays <c>+</c> (S3 and COS clients encode space as <c>%20</c>).
/// </summary>
internal static class UriEncoding
{
    private static readonly SearchValues<char> Unreserved =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~");

    private static readonly SearchValues<char> UnreservedOrSlash =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~/");

    /// <summary>Encodes <paramref name="value"/>; '/' is kept when <paramref name="keepSlash"/>.</summary>
    public static string Encode(string value, bool keepSlash = false)
    {
        var safe = keepSlash ? UnreservedOrSlash : Unreserved;
        int first = value.AsSpan().IndexOfAnyExcept(safe);
        if (first < 0)
        {
            return value;
        }

        var sb = new StringBuilder(value.Length + 16);
        sb.Append(value, 0, first);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = first; i < value.Length; i++)
        {
            char c = value[i];
            if (safe.Contains(c))
            {
                sb.Append(c);
                continue;
            }

            int n;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                n = Encoding.UTF8.GetBytes(value.AsSpan(i, 2), utf8);
                i++;
            }
            else
            {
                n = Encoding.UTF8.GetBytes(value.AsSpan(i, 1), utf8);
            }

            for (int j = 0; j < n; j++)
            {
                sb.Append('%').Append(HexUpper[utf8[j] >> 4]).Append(HexUpper[utf8[j] & 0xF]);
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Percent-decodes <paramref name="value"/> into UTF-8 text. Invalid escapes are kept as
    /// they are; invalid UTF-8 becomes U+FFFD.
    /// </summary>
    public static string Decode(ReadOnlySpan<char> value)
    {
        int first = value.IndexOf('%');
        if (first < 0)
        {
            return value.ToString();
        }

        byte[]? rented = null;
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[512] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            int len = Encoding.UTF8.GetBytes(value[..first], bytes);
            int i = first;
            while (i < value.Length)
            {
                char c = value[i];
                if (c == '%' && i + 2 < value.Length && IsHex(value[i + 1]) && IsHex(value[i + 2]))
                {
                    bytes[len++] = (byte)((HexValue(value[i + 1]) << 4) | HexValue(value[i + 2]));
                    i += 3;
                    continue;
                }

                int runEnd = value[(i + 1)..].IndexOf('%');
                int end = runEnd < 0 ? value.Length : i + 1 + runEnd;
                len += Encoding.UTF8.GetBytes(value[i..end], bytes[len..]);
                i = end;
            }

            return Encoding.UTF8.GetString(bytes[..len]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// The canonical URI of a SigV4 request: each '/'-separated segment of the raw path is
    /// decoded and encoded again, so "/b/a%2Fb" stays "/b/a%2Fb" and "/b/a+b" becomes "/b/a%2Bb".
    /// </summary>
    public static string CanonicalPathFromRaw(string rawPath)
    {
        if (rawPath.Length == 0)
        {
            return "/";
        }

        var sb = new StringBuilder(rawPath.Length + 16);
        int start = 0;
        while (true)
        {
            int slash = rawPath.IndexOf('/', start);
            var segment = slash < 0 ? rawPath.AsSpan(start) : rawPath.AsSpan(start, slash - start);
            sb.Append(Encode(Decode(segment)));
            if (slash < 0)
            {
                break;
            }

            sb.Append('/');
            start = slash + 1;
        }

        return sb.ToString();
    }

    private const string HexUpper = "0123456789ABCDEF";

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
