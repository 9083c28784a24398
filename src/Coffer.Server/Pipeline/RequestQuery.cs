namespace Coffer.Server.Pipeline;

/// <summary>The decoded query of a request, in order, with case-sensitive names as S3 uses them.</summary>
public sealed class RequestQuery
{
    private readonly List<KeyValuePair<string, string>> _pairs = [];

    public static RequestQuery Parse(string rawQuery)
    {
        var query = new RequestQuery();
        if (rawQuery.StartsWith('?')) rawQuery = rawQuery[1..];
        foreach (var part in rawQuery.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var name = Addressing.Decode(eq < 0 ? part : part[..eq]);
            var value = eq < 0 ? "" : Addressing.Decode(part[(eq + 1)..].Replace('+', ' '));
            query._pairs.Add(new(name, value));
        }
        return query;
    }

    public IReadOnlyList<KeyValuePair<string, string>> Pairs => _pairs;

    public bool Has(string name) => _pairs.Exists(p => p.Key == name);

    public string? Get(string name)
    {
        foreach (var p in _pairs)
            if (p.Key == name) return p.Value;
        return null;
    }
}
