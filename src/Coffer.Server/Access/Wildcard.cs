namespace Coffer.Server.Access;

/// <summary>IAM wildcard matching: <c>*</c> matches any run of characters (<c>/</c> included), <c>?</c> exactly one. No allocation.</summary>
public static class Wildcard
{
    /// <summary>Whether <paramref name="text"/> matches <paramref name="pattern"/>, comparing characters ordinally or ignoring case.</summary>
    public static bool Match(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase = false)
    {
        // Greedy matching with one backtrack point (the last '*'): linear in practice, no recursion.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (p < pattern.Length && (pattern[p] == '?' || Same(pattern[p], text[t], ignoreCase)))
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }
        while (p < pattern.Length && pattern[p] == '*')
            p++;
        return p == pattern.Length;
    }

    /// <summary>
    /// ARN matching (ArnEquals / ArnLike): the six colon-separated segments are matched one by one, so a wildcard never
    /// crosses a colon, except in the last segment (the resource), which may itself hold colons.
    /// </summary>
    public static bool MatchArn(string pattern, string arn)
    {
        var ps = pattern.AsSpan();
        var ts = arn.AsSpan();
        for (var segment = 0; segment < 5; segment++)
        {
            var pc = ps.IndexOf(':');
            var tc = ts.IndexOf(':');
            if (pc < 0 || tc < 0)
                return false;
            if (!Match(ps[..pc], ts[..tc]))
                return false;
            ps = ps[(pc + 1)..];
            ts = ts[(tc + 1)..];
        }
        return Match(ps, ts);
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
