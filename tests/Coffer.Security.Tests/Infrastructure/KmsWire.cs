using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Protocol.Auth;

namespace Coffer.Security.Tests.Infrastructure;

/// <summary>Raw AWS KMS JSON calls (X-Amz-Target: TrentService.*), SigV4-signed for service "kms" as the AWS SDKs sign them.</summary>
public sealed class KmsWire(CofferFixture f) : IDisposable
{
    private readonly HttpClient _https = Clients.Http(f, f.HttpsUrl.Port);
    private readonly HttpClient _http = Clients.Http(f, f.HttpUrl.Port);

    public async Task<(int Status, string? Type, JsonObject? Body)> CallAsync(string operation, JsonObject input, Tenant? signer, bool https = true, Tampering? tamper = null)
    {
        tamper ??= new Tampering();
        var port = (https ? f.HttpsUrl : f.HttpUrl).Port;
        var body = Encoding.UTF8.GetBytes(input.ToJsonString());
        var request = new HttpRequestMessage(HttpMethod.Post, $"{(https ? "https" : "http")}://127.0.0.1:{port}/") { Content = new ByteArrayContent(body) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "TrentService." + operation);
        if (signer is not null)
        {
            var now = tamper.SignedAt ?? DateTimeOffset.UtcNow;
            var sha = Convert.ToHexStringLower(SHA256.HashData(body));
            var date = SigV4Signer.FormatAmzDate(now);
            var headers = new List<KeyValuePair<string, string>>
            {
                new("host", $"127.0.0.1:{port}"), new("x-amz-date", date), new("x-amz-target", "TrentService." + operation),
                new("content-type", "application/x-amz-json-1.1"), new("x-amz-content-sha256", sha),
            };
            var authorization = SigV4Signer.Sign(signer.AccessKey, signer.SecretKey, CofferFixture.Region, "kms", "POST", "/", headers);
            if (tamper.Signature is not null)
            {
                var at = authorization.LastIndexOf('=') + 1;
                authorization = authorization[..at] + tamper.Signature(authorization[at..]);
            }
            request.Headers.TryAddWithoutValidation("x-amz-date", date);
            request.Headers.TryAddWithoutValidation("x-amz-content-sha256", sha);
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        foreach (var (name, value) in tamper.UnsignedHeaders)
            request.Headers.TryAddWithoutValidation(name, value);
        using var response = await (https ? _https : _http).SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonObject? json = null;
        try { json = JsonNode.Parse(text) as JsonObject; } catch (System.Text.Json.JsonException) { }
        var type = json?["__type"]?.GetValue<string>();
        return ((int)response.StatusCode, type, json);
    }

    public void Dispose()
    {
        _https.Dispose();
        _http.Dispose();
    }
}
