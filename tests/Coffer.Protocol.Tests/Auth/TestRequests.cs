using Coffer.Protocol.Auth;

namespace Coffer.Protocol.Tests.Auth;

/// <summary>Builds <see cref="SignableRequest"/>s and secret lookups for tests.</summary>
internal static class TestRequests
{
    public static SignableRequest Make(string method, string target, IEnumerable<KeyValuePair<string, string>> headers, string? authorization = null, string? bodySha256 = null)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            map[name] = map.TryGetValue(name, out var existing) ? existing + "," + value : value;
        }

        if (authorization is not null)
        {
            map["Authorization"] = authorization;
        }

        return new SignableRequest { Method = method, RawTarget = target, Headers = map, BodySha256 = bodySha256 };
    }

    public static Func<string, string?> Secrets(params (string Id, string Key)[] keys) =>
        id => keys.FirstOrDefault(k => k.Id == id).Key;

    public static KeyValuePair<string, string> H(string name, string value) => new(name, value);

    /// <summary>Asserts that <paramref name="action"/> throws a CofferException with <paramref name="code"/>; returns it.</summary>
    public static CofferException Fails(ErrorCode code, Action action)
    {
        var e = Assert.Throws<CofferException>(action);
        Assert.Equal(code.Code, e.Error.Code);
        Assert.Same(code, e.Error);
        return e;
    }
}
