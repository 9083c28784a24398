using System.Text;

namespace Coffer.Protocol;

/// <summary>
/// User metadata values (<c>x-cos-meta-*</c>, <c>x-amz-meta-*</c>) on the wire, as S3 documents
/// them ("Working with object metadata"): any Unicode text is allowed; a value that is not
/// printable US-ASCII goes out RFC 2047-encoded (<c>=?UTF-8?B?…?=</c>), and a value that arrives as
/// RFC 2047 encoded words is decoded before it is stored. A printable ASCII value goes both ways
/// as is. Response headers therefore only ever carry printable ASCII, which every HTTP stack can
/// write and read; and HEAD's value sent back on a PUT (as copy tools do) stores the same text.
/// </summary>
public static class MetadataValues
{
    private const string WordStart = "=?UTF-8?B?";
    private const string WordEnd = "?=";

    // RFC 2047 §2: an encoded word is at most 75 characters; 10 + 60 + 2 = 72 (60 base64 = 45 bytes).
    private const int BytesPerWord = 45;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Whether <paramref name="value"/> goes out as is: printable US-ASCII only (0x20–0x7E).</summary>
    public static bool IsPlainAscii(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        foreach (var c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The header value for a stored value: as is when it is printable ASCII, else its UTF-8 as
    /// RFC 2047 "B" encoded words of at most 75 characters, separated by a space (decoders join
    /// adjacent words and drop the space between them).
    /// </summary>
    public static string Encode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (IsPlainAscii(value))
        {
            return value;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        var result = new StringBuilder(bytes.Length * 2);
        var start = 0;
        while (start < bytes.Length)
        {
            var length = Math.Min(BytesPerWord, bytes.Length - start);
            // Never split a character's bytes across two words (RFC 2047 §5: each word stands alone).
            while (start + length < bytes.Length && (bytes[start + length] & 0xC0) == 0x80)
            {
                length--;
            }
            if (result.Length > 0)
            {
                result.Append(' ');
            }
            result.Append(WordStart).Append(Convert.ToBase64String(bytes, start, length)).Append(WordEnd);
            start += length;
        }
        return result.ToString();
    }

    /// <summary>
    /// The text of a received value: the decoded text when the whole value is RFC 2047 encoded
    /// words in UTF-8 ("B" or "Q", separated by white space), else the value itself. Null when the
    /// words decode to bytes that are not UTF-8.
    /// </summary>
    public static string? Decode(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.StartsWith("=?", StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>();
        var rest = value.AsSpan();
        while (true)
        {
            if (!TryReadWord(ref rest, bytes))
            {
                return value; // not (only) encoded words: the value is literal text
            }
            var trimmed = rest.TrimStart(" \t");
            if (trimmed.IsEmpty)
            {
                break;
            }
            if (trimmed.Length == rest.Length)
            {
                return value; // a word directly followed by something else
            }
            rest = trimmed;
        }

        try
        {
            return StrictUtf8.GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>
    /// Why <paramref name="value"/> cannot be stored as a metadata value, or null when it can: it
    /// holds a control character (C0 but tab, DEL, C1), an unpaired surrogate, or U+FFFD, which is
    /// what invalid UTF-8 in a request header decodes to.
    /// </summary>
    public static string? Problem(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        for (var i = 0; i < value.Length;)
        {
            if (Rune.DecodeFromUtf16(value.AsSpan(i), out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                return $"an unpaired UTF-16 surrogate at character {i}";
            }
            if (rune.Value == '\t')
            {
                i += used;
                continue;
            }
            if (Rune.IsControl(rune))
            {
                return $"the control character U+{rune.Value:X4} at character {i}";
            }
            if (rune.Value == 0xFFFD)
            {
                return $"U+FFFD at character {i} (bytes that are not UTF-8 decode to it)";
            }
            i += used;
        }
        return null;
    }

    private static bool TryReadWord(ref ReadOnlySpan<char> rest, List<byte> bytes)
    {
        // =?charset?encoding?text?=
        if (!rest.StartsWith("=?", StringComparison.Ordinal))
        {
            return false;
        }
        var afterStart = rest[2..];
        var q1 = afterStart.IndexOf('?');
        if (q1 < 0 || !afterStart[..q1].Equals("UTF-8", StringComparison.OrdinalIgnoreCase) || afterStart.Length < q1 + 3 || afterStart[q1 + 2] != '?')
        {
            return false;
        }
        var encoding = char.ToUpperInvariant(afterStart[q1 + 1]);
        var text = afterStart[(q1 + 3)..];
        var end = text.IndexOf("?=", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }
        var payload = text[..end];
        if (encoding == 'B')
        {
            var buffer = new byte[payload.Length];
            if (!Convert.TryFromBase64Chars(payload, buffer, out var written))
            {
                return false;
            }
            bytes.AddRange(buffer.AsSpan(0, written));
        }
        else if (encoding == 'Q')
        {
            for (var i = 0; i < payload.Length; i++)
            {
                var c = payload[i];
                if (c == '_')
                {
                    bytes.Add((byte)' ');
                }
                else if (c == '=')
                {
                    if (i + 2 >= payload.Length
                        || !byte.TryParse(payload.Slice(i + 1, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var b))
                    {
                        return false;
                    }
                    bytes.Add(b);
                    i += 2;
                }
                else if (c is > ' ' and <= '~' and not '?')
                {
                    bytes.Add((byte)c);
                }
                else
                {
                    return false;
                }
            }
        }
        else
        {
            return false;
        }
        rest = text[(end + 2)..];
        return true;
    }
}
