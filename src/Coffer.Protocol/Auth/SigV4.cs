using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Coffer.Protocol.Auth;

/// <summary>
/// The pieces of AWS Signature Version 4 shared by <see cref="SigV4Signer"/>, the verifier and
/// <see cref="AwsChunkedStream"/> [AWS "Authenticating Requests (AWS Signature Version 4)",
/// "Transferring Payload in Multiple Chunks", "Signature calculations for trailing headers"].
/// </summary>
internal static class SigV4
{
    public const string Algorithm = "AWS4-HMAC-SHA256";
    public const string AmzDateFormat = "yyyyMMdd'T'HHmmss'Z'";
    public const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    public const string UnsignedPayload = "UNSIGNED-PAYLOAD";
    public const string StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
    public const string StreamingPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
    public const string StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

    /// <summary>Presigned URLs may be valid for at most seven days.</summary>
    public const long MaxExpiresSeconds = 604800;

    /// <summary>HMAC chain "AWS4"+secret → date → region → service → "aws4_request".</summary>
    public static byte[] DeriveSigningKey(string secretKey, string date, string region, string service)
    {
        byte[] key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretKey), Encoding.UTF8.GetBytes(date));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(region));
        key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(service));
        return HMACSHA256.HashData(key, "aws4_request"u8);
    }

    /// <summary>Lower-case hex HMAC-SHA256 of <paramref name="stringToSign"/>.</summary>
    public static string Sign(ReadOnlySpan<byte> signingKey, string stringToSign)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(stringToSign), mac);
        return Convert.ToHexStringLower(mac);
    }

    /// <summary>Lower-case hex SHA-256 of the UTF-8 text.</summary>
    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Lower-case hex SHA-256 of the bytes.</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(data, hash);
        return Convert.ToHexStringLower(hash);
    }

    public static string StringToSign(string amzDate, string scope, string canonicalRequest) =>
        Algorithm + "\n" + amzDate + "\n" + scope + "\n" + Sha256Hex(canonicalRequest);

    /// <summary>
    /// The canonical query: every parameter re-encoded from its decoded name and value, sorted by
    /// encoded name and then encoded value; a parameter without value gives "name=".
    /// </summary>
    public static string CanonicalQuery(IEnumerable<QueryParameter> query, string? exclude = null)
    {
        var pairs = new List<(string Name, string Value)>();
        foreach (var p in query)
        {
            if (exclude is not null && string.Equals(p.Name, exclude, StringComparison.Ordinal))
            {
                continue;
            }

            pairs.Add((UriEncoding.Encode(p.Name), UriEncoding.Encode(p.Value)));
        }

        pairs.Sort(static (a, b) =>
        {
            int c = string.CompareOrdinal(a.Name, b.Name);
            return c != 0 ? c : string.CompareOrdinal(a.Value, b.Value);
        });

        var sb = new StringBuilder();
        foreach (var (name, value) in pairs)
        {
            if (sb.Length > 0)
            {
                sb.Append('&');
            }

            sb.Append(name).Append('=').Append(value);
        }

        return sb.ToString();
    }

    /// <summary>A header value in canonical form: trimmed, runs of spaces collapsed to one.</summary>
    public static string CanonicalHeaderValue(string value)
    {
        var span = value.AsSpan().Trim();
        if (span.IndexOf("  ", StringComparison.Ordinal) < 0 && span.IndexOfAny('\t', '\r', '\n') < 0)
        {
            return span.Length == value.Length ? value : span.ToString();
        }

        var sb = new StringBuilder(span.Length);
        bool lastSpace = false;
        foreach (char c in span)
        {
            bool space = c is ' ' or '\t' or '\r' or '\n';
            if (space)
            {
                if (!lastSpace)
                {
                    sb.Append(' ');
                }
            }
            else
            {
                sb.Append(c);
            }

            lastSpace = space;
        }

        return sb.ToString();
    }

    public static string CanonicalRequest(string method, string canonicalUri, string canonicalQuery, string canonicalHeaders, string signedHeaders, string payloadHash) =>
        method + "\n" + canonicalUri + "\n" + canonicalQuery + "\n" + canonicalHeaders + "\n" + signedHeaders + "\n" + payloadHash;

    /// <summary>String to sign of one aws-chunked chunk.</summary>
    public static string ChunkStringToSign(string amzDate, string scope, string previousSignature, string chunkSha256Hex) =>
        "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + previousSignature + "\n" + EmptySha256 + "\n" + chunkSha256Hex;

    /// <summary>String to sign of the trailer: its canonical form is each "name:value\n", in order.</summary>
    public static string TrailerStringToSign(string amzDate, string scope, string previousSignature, string canonicalTrailer) =>
        "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + "\n" + scope + "\n" + previousSignature + "\n" + Sha256Hex(canonicalTrailer);

    public static string FormatAmzDate(DateTimeOffset time) =>
        time.ToUniversalTime().ToString(AmzDateFormat, CultureInfo.InvariantCulture);

    public static bool TryParseAmzDate(string? value, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(value?.Trim(), AmzDateFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    /// <summary>Parses an HTTP date (RFC 1123, or any form the invariant culture reads).</summary>
    public static bool TryParseHttpDate(string? value, out DateTimeOffset time)
    {
        time = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        return DateTimeOffset.TryParseExact(value.Trim(), "r", CultureInfo.InvariantCulture,
                   DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time)
               || DateTimeOffset.TryParse(value.Trim(), CultureInfo.InvariantCulture,
                   DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }

    /// <summary>Whether <paramref name="value"/> is 64 hex digits.</summary>
    public static bool IsSha256Hex(string value) => value.Length == 64 && !value.AsSpan().ContainsAnyExcept(HexDigits);

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>
    /// Constant-time comparison of a computed lower-case hex signature with a provided one
    /// (case-insensitive on the provided side).
    /// </summary>
    public static bool SignatureEquals(string computedLowerHex, string provided)
    {
        if (provided.Length != computedLowerHex.Length)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[computedLowerHex.Length];
        Span<byte> b = stackalloc byte[provided.Length];
        for (int i = 0; i < a.Length; i++)
        {
            a[i] = (byte)computedLowerHex[i];
            char c = provided[i];
            b[i] = (byte)(c is >= 'A' and <= 'F' ? c | 0x20 : c);
        }

        return CryptographicOperations.FixedTimeEquals(a, b);
    }

    /// <summary>"host:port" → "host"; "[::1]:80" → "[::1]"; null when there is no port.</summary>
    public static string? StripPort(string host)
    {
        host = host.Trim();
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']');
            return close > 0 && close + 1 < host.Length && host[close + 1] == ':' ? host[..(close + 1)] : null;
        }

        int colon = host.IndexOf(':');
        return colon > 0 && colon == host.LastIndexOf(':') ? host[..colon] : null;
    }
}
