using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Coffer.Protocol.Auth;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>One sample of a Prometheus text scrape: metric name, labels and value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>Scrapes /_coffer/metrics and reads the Prometheus text format.</summary>
public static partial class Prometheus
{
    /// <summary>
    /// GET /_coffer/metrics path-style on the HTTPS listener, COS-signed with the root key in the Authorization header
    /// (what <c>--metrics admin</c> asks), or unsigned with <paramref name="sign"/> false.
    /// </summary>
    public static async Task<HttpResponseMessage> GetAsync(CofferFixture f, bool sign = true, bool https = true,
        string? accessKey = null, string? secretKey = null)
    {
        var url = https ? f.HttpsUrl : f.HttpUrl;
        using var http = Clients.Http(f, url.Port);
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, "/_coffer/metrics"));
        if (sign)
        {
            var start = DateTimeOffset.UtcNow.AddSeconds(-60);
            request.Headers.TryAddWithoutValidation("Authorization", CosV5Signer.Sign(accessKey ?? CofferFixture.AccessKey, secretKey ?? CofferFixture.SecretKey,
                "GET", "/_coffer/metrics", [], [new("host", url.Authority)], start, start.AddHours(1)));
        }
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>A signed scrape that must succeed, parsed.</summary>
    public static async Task<List<PrometheusSample>> ScrapeAsync(CofferFixture f)
    {
        using var response = await GetAsync(f);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"scrape: {(int)response.StatusCode} {text}");
        return Parse(text);
    }

    public static List<PrometheusSample> Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a Prometheus sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match l in Label().Matches(m.Groups["labels"].Value))
                labels[l.Groups[1].Value] = l.Groups[2].Value.Replace("\\\"", "\"").Replace("\\n", "\n").Replace("\\\\", "\\");
            var value = m.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, CultureInfo.InvariantCulture),
            };
            samples.Add(new PrometheusSample(m.Groups["name"].Value, labels, value));
        }
        return samples;
    }

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include every (label, value) given.</summary>
    public static double Sum(this IEnumerable<PrometheusSample> samples, string name, params (string Label, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).Sum(s => s.Value);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+-?\d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex Label();
}
