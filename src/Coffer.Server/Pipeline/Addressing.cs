using System.Text;
using System.Text.RegularExpressions;
using Coffer.Protocol;

namespace Coffer.Server.Pipeline;

/// <summary>Where a request points: bucket and object key, and whether the bucket came from the Host.</summary>
public sealed record Target(string? Bucket, string? Key, bool VirtualHosted, string? HostRegion);

/// <summary>
/// Resolves bucket and key from the Host header and the raw request target. Virtual-hosted
/// hosts are COS-style (<c>bucket-appid.cos.region.myqcloud.com</c>, any port, because the
/// official COS SDKs send that name even when pointed at an IP) and <c>bucket.DOMAIN</c>;
/// everything else is path style. The key is percent-decoded from the raw target exactly:
/// no dot-segment normalisation (docs/protocol/requests.md#addressing, #object-keys).
/// </summary>
public sealed partial class Addressing(string? domain)
{
    private readonly string? _domainSuffix = string.IsNullOrEmpty(domain) ? null : "." + domain.ToLowerInvariant();

    [GeneratedRegex(@"^(?<bucket>[a-z0-9][a-z0-9.-]*-\d+)\.cos(-internal|v6|-cdc)?\.(?<region>[^.]+)\.(myqcloud\.com|tencentcos\.cn)$", RegexOptions.CultureInvariant)]
    private static partial Regex CosHost();

    public Target Resolve(string host, string rawPath)
    {
        var hostName = StripPort(host).ToLowerInvariant();
        var match = CosHost().Match(hostName);
        if (match.Success)
            return new Target(match.Groups["bucket"].Value, KeyFromPath(rawPath, 1), true, match.Groups["region"].Value);

        if (_domainSuffix is not null && hostName.EndsWith(_domainSuffix, StringComparison.Ordinal) && hostName.Length > _domainSuffix.Length)
            return new Target(hostName[..^_domainSuffix.Length], KeyFromPath(rawPath, 1), true, null);

        // Path style: /bucket/key...
        if (rawPath.Length <= 1)
            return new Target(null, null, false, null);
        var slash = rawPath.IndexOf('/', 1);
        var bucket = Decode(slash < 0 ? rawPath[1..] : rawPath[1..slash]);
        if (bucket.Length == 0)
            return new Target(null, null, false, null);
        return new Target(bucket, slash < 0 ? null : KeyFromPath(rawPath, slash + 1), false, null);
    }

    private static string? KeyFromPath(string rawPath, int start)
    {
        if (start >= rawPath.Length)
            return null;
        var key = Decode(rawPath[start..]);
        return key.Length == 0 ? null : key;
    }

    private static string StripPort(string host)
    {
        if (host.StartsWith('['))
        {
            var end = host.IndexOf(']');
            return end < 0 ? host : host[..(end + 1)];
        }
        var colon = host.LastIndexOf(':');
        return colon < 0 ? host : host[..colon];
    }

    /// <summary>Percent-decodes UTF-8 text; '+' stays '+'. Malformed escapes are an InvalidURI error.</summary>
    public static string Decode(string value)
    {
        if (!value.Contains('%'))
            return value;
        var bytes = new List<byte>(value.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%')
            {
                if (i + 2 >= value.Length || !IsHex(value[i + 1]) || !IsHex(value[i + 2]))
                    throw new CofferException(ErrorCode.InvalidURI, "The request path has a malformed percent-escape; encode '%' as %25.");
                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c < 0x80)
            {
                bytes.Add((byte)c);
            }
            else
            {
                var n = Encoding.UTF8.GetBytes(value.AsSpan(i, char.IsHighSurrogate(c) && i + 1 < value.Length ? 2 : 1), utf8);
                if (char.IsHighSurrogate(c)) i++;
                for (var j = 0; j < n; j++) bytes.Add(utf8[j]);
            }
        }
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            throw new CofferException(ErrorCode.InvalidURI, "The request path does not decode to valid UTF-8.");
        }
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);
}
