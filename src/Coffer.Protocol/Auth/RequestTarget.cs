namespace Coffer.Protocol.Auth;

/// <summary>One query parameter: as it was on the wire and percent-decoded.</summary>
internal readonly record struct QueryParameter(string RawName, string RawValue, string Name, string Value, bool HasValue);

/// <summary>
/// A request target split into its raw path and its query parameters, without any
/// normalisation (no dot-segment removal, <c>%2F</c> stays in the raw path).
/// </summary>
internal sealed class RequestTarget
{
    private RequestTarget(string rawPath, List<QueryParameter> query)
    {
        RawPath = rawPath;
        Query = query;
    }

    /// <summary>The path exactly as received, "/" when the target has none.</summary>
    public string RawPath { get; }

    /// <summary>The query parameters in wire order; empty pieces ("a&amp;&amp;b") are skipped.</summary>
    public List<QueryParameter> Query { get; }

    /// <summary>The percent-decoded path (UTF-8), as COS signs it.</summary>
    public string DecodedPath => UriEncoding.Decode(RawPath);

    public static RequestTarget Parse(string rawTarget)
    {
        var target = rawTarget.AsSpan();

        // Absolute-form ("http://host/path"), which proxies send: drop scheme and authority.
        int scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && target[..scheme].IndexOfAny('/', '?') < 0)
        {
            var rest = target[(scheme + 3)..];
            int pathStart = rest.IndexOfAny('/', '?');
            target = pathStart < 0 ? [] : rest[pathStart..];
        }

        int fragment = target.IndexOf('#');
        if (fragment >= 0)
        {
            target = target[..fragment];
        }

        int q = target.IndexOf('?');
        var path = q < 0 ? target : target[..q];
        var query = new List<QueryParameter>();
        if (q >= 0)
        {
            var rest = target[(q + 1)..];
            while (!rest.IsEmpty)
            {
                int amp = rest.IndexOf('&');
                var piece = amp < 0 ? rest : rest[..amp];
                rest = amp < 0 ? [] : rest[(amp + 1)..];
                if (piece.IsEmpty)
                {
                    continue;
                }

                int eq = piece.IndexOf('=');
                var rawName = eq < 0 ? piece : piece[..eq];
                var rawValue = eq < 0 ? [] : piece[(eq + 1)..];
                query.Add(new QueryParameter(
                    rawName.ToString(), rawValue.ToString(), UriEncoding.Decode(rawName), UriEncoding.Decode(rawValue), eq >= 0));
            }
        }

        return new RequestTarget(path.IsEmpty ? "/" : path.ToString(), query);
    }

    /// <summary>The decoded value of the first parameter whose decoded name equals <paramref name="name"/> (ordinal, ignoring case).</summary>
    public string? Get(string name)
    {
        foreach (var p in Query)
        {
            if (string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return null;
    }

    /// <summary>Whether a parameter with this decoded name (ignoring case) is present.</summary>
    public bool Has(string name) => Get(name) is not null;
}
