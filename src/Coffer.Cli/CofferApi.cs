using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Coffer.Protocol.Auth;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary>A bucket of a ListBuckets answer.</summary>
internal sealed record BucketSummary(string Name, DateTimeOffset? Created, string? Region);

/// <summary>
/// The few calls the SDK has no method for, made the way the SDK makes its own: the SDK's HTTP handler (TLS trust,
/// timeouts) and the same signers (<see cref="SigV4Signer"/>, <see cref="CosV5Signer"/>). ListBuckets (GET / on the
/// endpoint) and the KMS operations <see cref="KmsClient"/> lacks (ListAliases, CancelKeyDeletion,
/// RotateKeyOnDemand, and ScheduleKeyDeletion for its deletion date). Errors are the SDK's <see cref="CofferException"/>.
/// </summary>
internal sealed class CofferApi : IDisposable
{
    private readonly CosConfig _config;
    private readonly HttpClient _http;
    private readonly Uri _base;

    public CofferApi(CosConfig config)
    {
        _config = config;
        _http = new HttpClient(CosClient.CreateDefaultHandler(config)) { Timeout = config.Timeout };
        _base = new Uri(config.Endpoint!);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>GET Service: the caller's buckets.</summary>
    public async Task<IReadOnlyList<BucketSummary>> ListBucketsAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, "/"));
        var host = _base.Authority;
        request.Headers.Host = host;
        var now = _config.TimeProvider.GetUtcNow();
        var toSign = new List<KeyValuePair<string, string>> { new("host", host) };
        if (_config.SignatureVersion == SignatureVersion.SigV4)
        {
            toSign.Add(new("x-amz-content-sha256", SigV4Signer.EmptySha256));
            toSign.Add(new("x-amz-date", SigV4Signer.FormatAmzDate(now)));
            if (_config.Token is { } token)
                toSign.Add(new("x-amz-security-token", token));
            AddHeaders(request, toSign);
            request.Headers.TryAddWithoutValidation("Authorization",
                SigV4Signer.Sign(_config.SecretId, _config.SecretKey, _config.Region, "s3", "GET", "/", toSign, SigV4Signer.EmptySha256));
        }
        else
        {
            if (_config.Token is { } token)
                toSign.Add(new("x-cos-security-token", token));
            AddHeaders(request, toSign);
            request.Headers.TryAddWithoutValidation("Authorization",
                CosV5Signer.Sign(_config.SecretId, _config.SecretKey, "GET", "/", [], toSign, now, now + _config.SignatureExpiration));
        }

        var text = await SendAsync(request, ct);
        var root = XDocument.Parse(text).Root!;
        return root.Descendants().Where(e => e.Name.LocalName == "Bucket").Select(b => new BucketSummary(
            Child(b, "Name") ?? "",
            DateTimeOffset.TryParse(Child(b, "CreationDate"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var created) ? created : null,
            Child(b, "Location"))).ToList();
    }

    /// <summary>One call of the KMS JSON API (SigV4, service "kms"), as <see cref="KmsClient"/> makes it.</summary>
    public async Task<JsonObject> KmsAsync(string operation, JsonObject input, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(input.ToJsonString());
        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(body));
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, "/"));
        var host = _base.Authority;
        request.Headers.Host = host;
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
        var toSign = new List<KeyValuePair<string, string>>
        {
            new("host", host),
            new("content-length", body.Length.ToString(CultureInfo.InvariantCulture)),
            new("content-type", "application/x-amz-json-1.1"),
            new("x-amz-content-sha256", payloadHash),
            new("x-amz-date", SigV4Signer.FormatAmzDate(_config.TimeProvider.GetUtcNow())),
            new("x-amz-target", "TrentService." + operation),
        };
        if (_config.Token is { } token)
            toSign.Add(new("x-amz-security-token", token));
        AddHeaders(request, toSign.Where(h => h.Key.StartsWith("x-", StringComparison.Ordinal)));
        request.Headers.TryAddWithoutValidation("Authorization",
            SigV4Signer.Sign(_config.SecretId, _config.SecretKey, _config.Region, "kms", "POST", "/", toSign, payloadHash));

        var text = await SendAsync(request, ct);
        try
        {
            return string.IsNullOrWhiteSpace(text) ? [] : JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (JsonException e)
        {
            throw new CosClientException(CosClientErrorKind.InvalidResponse, $"The KMS answer to {operation} is not JSON: {e.Message}", e);
        }
    }

    private static void AddHeaders(HttpRequestMessage request, IEnumerable<KeyValuePair<string, string>> headers)
    {
        foreach (var (name, value) in headers)
        {
            if (name != "host")
                request.Headers.TryAddWithoutValidation(name, value);
        }
    }

    /// <summary>Sends the request and returns the body of a 2xx answer; throws the SDK's exceptions otherwise.</summary>
    private async Task<string> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CosClientException(CosClientErrorKind.Network, $"{request.RequestUri!.GetLeftPart(UriPartial.Authority)} could not be reached: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new CosClientException(CosClientErrorKind.Timeout, $"{request.RequestUri!.GetLeftPart(UriPartial.Authority)} did not answer in time.", e);
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            if (response.IsSuccessStatusCode)
                return text;
            throw ErrorOf(response, text);
        }
    }

    private static CofferException ErrorOf(HttpResponseMessage response, string text)
    {
        var status = (int)response.StatusCode;
        var requestId = response.Headers.TryGetValues("x-cos-request-id", out var ids) || response.Headers.TryGetValues("x-amz-request-id", out ids)
            ? ids.FirstOrDefault()
            : null;
        if (text.TrimStart().StartsWith('{'))
        {
            try
            {
                var json = JsonNode.Parse(text);
                if (json?["__type"]?.GetValue<string>() is { } type)
                    return new CofferException(type[(type.LastIndexOf('#') + 1)..], json["message"]?.GetValue<string>() ?? json["Message"]?.GetValue<string>() ?? "", status, requestId);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
                // Not the KMS error shape: fall through to the status.
            }
        }
        if (text.Contains("<Error", StringComparison.Ordinal))
        {
            try
            {
                var root = XDocument.Parse(text).Root!;
                if (Child(root, "Code") is { } code)
                    return new CofferException(code, Child(root, "Message") ?? "", status, Child(root, "RequestId") ?? requestId, Child(root, "Resource"));
            }
            catch (System.Xml.XmlException)
            {
                // Fall through to the status.
            }
        }
        var synthetic = status switch
        {
            403 => ErrorCodes.AccessDenied,
            404 => ErrorCodes.NoSuchResource,
            >= 500 => ErrorCodes.InternalError,
            _ => "BadRequest",
        };
        return new CofferException(synthetic, "", status, requestId);
    }

    private static string? Child(XElement element, string name) => element.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
}
