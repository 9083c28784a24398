using System.Text;
using System.Xml;

namespace Coffer.Server.Xml;

/// <summary>Helpers for the XML documents the server writes and reads.</summary>
public static class XmlText
{
    /// <summary>Replaces characters XML 1.0 cannot carry (C0 controls but tab, LF, CR) with U+FFFD.</summary>
    public static string Clean(string text)
    {
        foreach (var c in text)
        {
            if (!XmlConvert.IsXmlChar(c) && !char.IsSurrogate(c) || c < 0x20 && c is not ('\t' or '\n' or '\r'))
                return string.Create(text.Length, text, static (span, t) =>
                {
                    for (var i = 0; i < t.Length; i++)
                        span[i] = t[i] < 0x20 && t[i] is not ('\t' or '\n' or '\r') || !XmlConvert.IsXmlChar(t[i]) && !char.IsSurrogate(t[i]) ? '\uFFFD' : t[i];
                });
        }
        return text;
    }

    /// <summary>Percent-encodes for encoding-type=url: everything but A-Z a-z 0-9 - _ . ~ and '/', space as %20, never '+'.</summary>
    public static string UrlEncode(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9'
                or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~' or (byte)'/')
                sb.Append((char)b);
            else
                sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    /// <summary>ISO 8601 with milliseconds in UTC, as S3 listings write dates.</summary>
    public static string IsoDate(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");

    /// <summary>RFC 1123 date for HTTP headers.</summary>
    public static string HttpDate(DateTimeOffset time) => time.UtcDateTime.ToString("r");
}
