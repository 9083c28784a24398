using System.Globalization;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Cors;

/// <summary>
/// How a bucket's CORS rules answer a browser (docs/protocol/cors.md): the first rule whose origin, method and
/// request headers all match wins, for a preflight and for the actual request alike.
/// </summary>
public static class CorsRules
{
    /// <summary>What every answer shaped by the origin says, so caches keep one copy per origin and preflight.</summary>
    public const string VaryValue = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

    /// <summary>The first rule that allows <paramref name="origin"/> to send <paramref name="method"/> with these request headers, or null.</summary>
    public static CorsRule? Find(BucketCors cors, string origin, string method, IReadOnlyList<string> requestHeaders)
    {
        foreach (var rule in cors.Rules)
        {
            if (rule.AllowedOrigins.Any(o => Matches(o, origin, StringComparison.Ordinal))
                && rule.AllowedMethods.Contains(method, StringComparer.Ordinal)
                && requestHeaders.All(h => rule.AllowedHeaders.Any(p => Matches(p, h, StringComparison.OrdinalIgnoreCase))))
                return rule;
        }
        return null;
    }

    /// <summary>The names of <c>Access-Control-Request-Headers</c> (comma-separated), trimmed and lower-cased.</summary>
    public static IReadOnlyList<string> RequestHeaders(string? value) =>
        value is null ? [] : [.. value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(h => h.ToLowerInvariant())];

    /// <summary>
    /// The CORS headers of an answer to <paramref name="origin"/> under <paramref name="rule"/>: a preflight also names
    /// the request headers it allows; an actual request names the headers its script may read.
    /// </summary>
    public static void Write(HttpResponse response, CorsRule rule, string origin, IReadOnlyList<string>? preflightHeaders)
    {
        var any = rule.AllowedOrigins.Contains("*", StringComparer.Ordinal) && !rule.AllowedOrigins.Any(o => o != "*" && Matches(o, origin, StringComparison.Ordinal));
        var headers = response.Headers;
        headers.AccessControlAllowOrigin = any ? "*" : origin;
        if (!any)
            headers.AccessControlAllowCredentials = "true";
        headers.AccessControlAllowMethods = string.Join(", ", rule.AllowedMethods);
        if (preflightHeaders is { Count: > 0 })
            headers.AccessControlAllowHeaders = string.Join(", ", preflightHeaders);
        if (rule.ExposeHeaders.Count > 0)
            headers.AccessControlExposeHeaders = string.Join(", ", rule.ExposeHeaders);
        if (rule.MaxAgeSeconds is { } maxAge)
            headers.AccessControlMaxAge = maxAge.ToString(CultureInfo.InvariantCulture);
        headers.Vary = VaryValue;
    }

    /// <summary>Whether <paramref name="value"/> matches <paramref name="pattern"/>: exactly, or around its one <c>*</c>.</summary>
    public static bool Matches(string pattern, string value, StringComparison comparison)
    {
        var star = pattern.IndexOf('*');
        if (star < 0)
            return string.Equals(pattern, value, comparison);
        var prefix = pattern.AsSpan(0, star);
        var suffix = pattern.AsSpan(star + 1);
        return value.Length >= prefix.Length + suffix.Length
            && value.AsSpan().StartsWith(prefix, comparison) && value.AsSpan().EndsWith(suffix, comparison);
    }
}
