using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Net.Http.Headers;

namespace Coffer.Sdk;

/// <summary>
/// The response headers by name, as the Python SDK's response dict gives them:
/// <c>response.Headers["x-cos-server-side-encryption"]</c>. Names keep the spelling the
/// server sent; lookup ignores case, and a <c>x-cos-</c> name also finds the same
/// <c>x-amz-</c> header (and the other way round), so code written for either family works
/// whichever signature the client uses. Repeated headers are joined with ",". The indexer
/// throws <see cref="KeyNotFoundException"/> for a missing header, as a dict does;
/// <see cref="Get"/> returns null instead.
/// </summary>
public sealed class CosHeaders : IReadOnlyDictionary<string, string>
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _names = [];

    internal CosHeaders()
    {
    }

    internal static CosHeaders From(HttpResponseMessage response)
    {
        var headers = new CosHeaders();
        headers.AddAll(response.Headers);
        headers.AddAll(response.Content.Headers);
        return headers;
    }

    private void AddAll(HttpHeaders source)
    {
        foreach (var (name, values) in source.NonValidated)
        {
            Add(name, string.Join(",", values));
        }
    }

    internal void Add(string name, string value)
    {
        if (_values.TryGetValue(name, out var existing))
        {
            _values[name] = existing + "," + value;
        }
        else
        {
            _values[name] = value;
            _names.Add(name);
        }
    }

    /// <summary>The value of header <paramref name="name"/>; throws <see cref="KeyNotFoundException"/> when absent.</summary>
    /// <param name="name">The header name, any case.</param>
    public string this[string name] => Get(name) ?? throw new KeyNotFoundException($"The response has no header '{name}'.");

    /// <summary>The value of header <paramref name="name"/>, or null when absent.</summary>
    /// <param name="name">The header name, any case; <c>x-cos-</c> and <c>x-amz-</c> find each other.</param>
    public string? Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_values.TryGetValue(name, out var value))
        {
            return value;
        }

        string? alias = Alias(name);
        return alias is not null && _values.TryGetValue(alias, out value) ? value : null;
    }

    /// <summary>The names as the server spelt them, in the order received.</summary>
    public IEnumerable<string> Keys => _names;

    /// <summary>The values, in the order of <see cref="Keys"/>.</summary>
    public IEnumerable<string> Values => _names.Select(n => _values[n]);

    /// <summary>How many distinct header names there are.</summary>
    public int Count => _names.Count;

    /// <summary>Whether header <paramref name="key"/> (or its other-family twin) is present.</summary>
    /// <param name="key">The header name.</param>
    public bool ContainsKey(string key) => Get(key) is not null;

    /// <summary>Looks up a header.</summary>
    /// <param name="key">The header name.</param>
    /// <param name="value">Its value when present.</param>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out string value)
    {
        value = Get(key);
        return value is not null;
    }

    /// <summary>Enumerates name/value pairs as received.</summary>
    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
        _names.Select(n => new KeyValuePair<string, string>(n, _values[n])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static string? Alias(string name)
    {
        if (name.StartsWith("x-cos-", StringComparison.OrdinalIgnoreCase))
        {
            string rest = name[6..];
            return "x-amz-" + (rest.Equals("server-side-encryption-cos-kms-key-id", StringComparison.OrdinalIgnoreCase)
                ? "server-side-encryption-aws-kms-key-id" : rest);
        }

        if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
        {
            string rest = name[6..];
            return "x-cos-" + (rest.Equals("server-side-encryption-aws-kms-key-id", StringComparison.OrdinalIgnoreCase)
                ? "server-side-encryption-cos-kms-key-id" : rest);
        }

        return null;
    }
}
