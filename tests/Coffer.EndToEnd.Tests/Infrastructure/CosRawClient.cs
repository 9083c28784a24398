using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using Coffer.Protocol.Auth;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Sends raw requests the way the COS SDKs do: COS-style virtual host
/// (<c>bucket-appid.cos.region.myqcloud.com</c>) connected to loopback, COS v5 signature over
/// the host, every x-cos-* header and the other headers the Python SDK signs (<see cref="PythonSigns"/>), keys encoded like the Python SDK (quote with safe '/-_.~').
/// </summary>
public sealed class CosRawClient(CofferFixture fixture, bool https = true, string? secretId = null, string? secretKey = null) : IDisposable
{
    public const string Region = "ap-guangzhou";
    private readonly HttpClient _http = Clients.Http(fixture, (https ? fixture.HttpsUrl : fixture.HttpUrl).Port);
    private readonly string _secretId = secretId ?? CofferFixture.AccessKey;
    private readonly string _secretKey = secretKey ?? CofferFixture.SecretKey;

    /// <summary>A COS bucket name (name-appid) unique to the calling test.</summary>
    public static string NewBucket() => "cos" + Guid.NewGuid().ToString("N")[..12] + "-1250000000";

    public static string Host(string bucket) => $"{bucket}.cos.{Region}.myqcloud.com";

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string bucket, string? key = null,
        IEnumerable<KeyValuePair<string, string>>? query = null, IEnumerable<KeyValuePair<string, string>>? headers = null,
        byte[]? body = null, DateTimeOffset? signStart = null, TimeSpan? validity = null, bool sign = true)
    {
        var queryList = query?.ToList() ?? [];
        var path = "/" + (key ?? "");
        var url = new StringBuilder($"{(https ? "https" : "http")}://{Host(bucket)}:{(https ? fixture.HttpsUrl : fixture.HttpUrl).Port}/");
        // As the Python SDK does: "./" goes out as ".%2F" so no URL library collapses dot segments.
        url.Append(Encode(key ?? "", keepSlash: true).Replace("./", ".%2F"));
        if (queryList.Count > 0)
            url.Append('?').Append(string.Join("&", queryList.Select(p => p.Value.Length == 0 ? Encode(p.Key, false) : Encode(p.Key, false) + "=" + Encode(p.Value, false))));

        var request = new HttpRequestMessage(method, url.ToString());
        var signed = new List<KeyValuePair<string, string>> { new("host", Host(bucket)) };
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            signed.Add(new("content-length", body.Length.ToString()));
        }
        foreach (var (name, value) in headers ?? [])
        {
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-MD5", StringComparison.OrdinalIgnoreCase)
                || name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) || name.Equals("Expires", StringComparison.OrdinalIgnoreCase))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
            if (PythonSigns(name))
                signed.Add(new(name.ToLowerInvariant(), value));
        }
        if (sign)
        {
            var start = signStart ?? DateTimeOffset.UtcNow.AddSeconds(-60);
            var authorization = CosV5Signer.Sign(_secretId, _secretKey, method.Method, path, queryList, signed, start, start + (validity ?? TimeSpan.FromHours(1)));
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>
    /// The headers the COS Python SDK signs (its cos_auth.py filter_headers; docs/protocol/signatures.md#which-headers-the-sdks-sign):
    /// every x-cos-* and x-ci-* header (its STS token included: send_request adds it before signing)
    /// and this fixed list. Nothing else (not If-Range, not Content-Language).
    /// </summary>
    public static bool PythonSigns(string name) =>
        name.StartsWith("x-cos-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("x-ci-", StringComparison.OrdinalIgnoreCase)
        || PythonSignedHeaders.Contains(name);

    private static readonly HashSet<string> PythonSignedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "cache-control", "content-disposition", "content-encoding", "content-type", "content-md5", "content-length", "expect", "expires",
        "host", "if-match", "if-modified-since", "if-none-match", "if-unmodified-since", "origin", "range", "transfer-encoding", "pic-operations",
    };

    /// <summary>Python SDK style: percent-encode all but A-Z a-z 0-9 - _ . ~ (and '/' in paths), upper-case hex.</summary>
    public static string Encode(string value, bool keepSlash)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' || (keepSlash && c == '/'))
                sb.Append(c);
            else
                sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    public void Dispose() => _http.Dispose();
}

public static class ResponseExtensions
{
    /// <summary>A response header by exact name (case-insensitive lookup in HttpClient), or null.</summary>
    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var v) ? string.Join(",", v)
        : response.Content.Headers.TryGetValues(name, out var c) ? string.Join(",", c) : null;

    /// <summary>The error code of an XML error body, or of the admin API's JSON one (<c>{"code": …}</c>).</summary>
    public static async Task<string?> ErrorCodeAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType == "application/json")
        {
            try
            {
                return System.Text.Json.Nodes.JsonNode.Parse(text)?["code"]?.GetValue<string>();
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
        var start = text.IndexOf("<Code>", StringComparison.Ordinal);
        var end = text.IndexOf("</Code>", StringComparison.Ordinal);
        return start < 0 || end < 0 ? null : text[(start + 6)..end];
    }
}
