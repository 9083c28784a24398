using System.Text;

namespace Coffer.Sdk.Internal;

/// <summary>
/// Percent-encoding as the COS Python SDK does it (<c>quote(x, safe='-_.~')</c>, '/' also kept
/// in paths): upper-case hex, space as %20, never '+'.
/// </summary>
internal static class UriEncoder
{
    public static string Encode(string value, bool keepSlash = false)
    {
        var sb = new StringBuilder(value.Length + 8);
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            char c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (keepSlash && c == '/'))
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append("0123456789ABCDEF"[b >> 4]).Append("0123456789ABCDEF"[b & 0xF]);
            }
        }

        return sb.ToString();
    }

    /// <summary>The wire path of an object key: encoded with '/' kept, and "./" sent as ".%2F" so that no URL library collapses dot segments.</summary>
    public static string EncodeKey(string key) => Encode(key, keepSlash: true).Replace("./", ".%2F", StringComparison.Ordinal);

    /// <summary>Decodes %XX escapes (UTF-8); '+' stays '+', as COS's encoding-type=url never uses it for space.</summary>
    public static string Decode(string value) => value.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(value) : value;
}
