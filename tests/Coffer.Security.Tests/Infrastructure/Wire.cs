using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Protocol.Auth;

namespace Coffer.Security.Tests.Infrastructure;

/// <summary>How a request proves who sent it.</summary>
public enum Auth
{
    /// <summary>No signature at all: an anonymous caller, path-style addressing.</summary>
    None,
    /// <summary>No signature at all, COS virtual host (the COS Python SDK sends an empty Authorization header).</summary>
    NoneCos,
    /// <summary>SigV4 in the Authorization header, path-style addressing.</summary>
    S3Header,
    /// <summary>SigV4 in the query string (a presigned URL), path-style addressing.</summary>
    S3Presigned,
    /// <summary>COS q-sign in the Authorization header, COS virtual host.</summary>
    CosHeader,
    /// <summary>COS q-sign in the query string (a presigned URL), COS virtual host.</summary>
    CosPresigned,
    /// <summary>SigV2 in the Authorization header (<c>AWS key:signature</c>, dated by the Date header), path-style addressing.</summary>
    S3V2Header,
    /// <summary>SigV2 in the query string (<c>AWSAccessKeyId</c>, <c>Expires</c>, <c>Signature</c>: an s3cmd or boto3 presigned URL), path-style addressing.</summary>
    S3V2Presigned,
}

/// <summary>
/// A request as an operation table describes it, before any signature. Header names may use
/// <c>x-{fam}-</c>, which becomes <c>x-amz-</c> under S3 and <c>x-cos-</c> under COS.
/// </summary>
public sealed record Req(string Method, string? Bucket, string? Key = null)
{
    public IReadOnlyList<KeyValuePair<string, string>> Query { get; init; } = [];
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];
    public byte[]? Body { get; init; }

    public Req With(params (string Name, string Value)[] query) => this with { Query = [.. Query, .. query.Select(p => KeyValuePair.Create(p.Name, p.Value))] };
    public Req WithHeaders(params (string Name, string Value)[] headers) => this with { Headers = [.. Headers, .. headers.Select(p => KeyValuePair.Create(p.Name, p.Value))] };
    public Req WithJson(string json) => (this with { Body = Encoding.UTF8.GetBytes(json) }).WithHeaders(("Content-Type", "application/json"));
    /// <summary>Whether this addresses a server path (/_coffer/…), which is never a bucket: sent path style in both families.</summary>
    public bool ServerPath => Bucket == "_coffer";
    public Req WithBody(string xml, bool md5 = false)
    {
        var body = Encoding.UTF8.GetBytes(xml);
        var req = this with { Body = body };
        return md5 ? req.WithHeaders(("Content-MD5", Convert.ToBase64String(MD5.HashData(body)))) : req;
    }
}

/// <summary>What an attack does to a request around its signature.</summary>
public sealed record Tampering
{
    /// <summary>The signing time (default: now).</summary>
    public DateTimeOffset? SignedAt { get; init; }
    /// <summary>How long a presigned URL or COS signature is valid (default: an hour).</summary>
    public TimeSpan Validity { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Changes the finished signature (hex) before it is sent.</summary>
    public Func<string, string>? Signature { get; init; }
    /// <summary>Headers added after signing.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> UnsignedHeaders { get; init; } = [];
    /// <summary>Query parameters added after signing.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> UnsignedQuery { get; init; } = [];
    /// <summary>The request actually sent, when it differs from the one signed (another key, another method).</summary>
    public Func<Req, Req>? Retarget { get; init; }
}

/// <summary>
/// Builds, signs and sends a <see cref="Req"/> over raw HTTP(S) exactly as a client library
/// would, so that every attack starts from a request the server would otherwise accept.
/// </summary>
public sealed class Wire(CofferFixture f) : IDisposable
{
    public const string CosRegion = "ap-guangzhou";
    private readonly HttpClient _https = Clients.Http(f, f.HttpsUrl.Port);
    private readonly HttpClient _http = Clients.Http(f, f.HttpUrl.Port);

    public static bool IsCos(Auth auth) => auth is Auth.CosHeader or Auth.CosPresigned or Auth.NoneCos;

    /// <summary>Whether the request is signed with Signature Version 2.</summary>
    public static bool IsV2(Auth auth) => auth is Auth.S3V2Header or Auth.S3V2Presigned;

    public async Task<HttpResponseMessage> SendAsync(Req req, Tenant? signer, Auth auth, bool https = true, Tampering? tamper = null)
    {
        tamper ??= new Tampering();
        var family = IsCos(auth) ? "cos" : "amz";
        req = req with { Headers = [.. req.Headers.Select(h => KeyValuePair.Create(h.Key.Replace("x-{fam}-", $"x-{family}-"), h.Value.Replace("x-{fam}-", $"x-{family}-")))] };
        var sent = tamper.Retarget?.Invoke(req) ?? req;
        var port = (https ? f.HttpsUrl : f.HttpUrl).Port;
        var now = tamper.SignedAt ?? DateTimeOffset.UtcNow;
        var cos = IsCos(auth);
        var cosHost = cos && !req.ServerPath;
        var host = cosHost ? (req.Bucket is null ? $"service.cos.myqcloud.com" : $"{req.Bucket}.cos.{CosRegion}.myqcloud.com") : $"127.0.0.1:{port}";
        var cosPath = req.ServerPath ? "/" + req.Bucket + "/" + (req.Key ?? "") : "/" + (req.Key ?? "");

        var headers = new List<KeyValuePair<string, string>>(req.Headers);
        string extraQuery = "";
        if (signer is not null)
        {
            switch (auth)
            {
                case Auth.S3Header:
                    {
                        var sha = Convert.ToHexStringLower(SHA256.HashData(req.Body ?? []));
                        headers.Add(new("x-amz-date", SigV4Signer.FormatAmzDate(now)));
                        headers.Add(new("x-amz-content-sha256", sha));
                        var signedHeaders = headers.Append(new("host", host)).ToList();
                        var authorization = SigV4Signer.Sign(signer.AccessKey, signer.SecretKey, CofferFixture.Region, "s3", req.Method, S3Target(req), signedHeaders);
                        headers.Add(new("Authorization", TamperTail(authorization, tamper)));
                        break;
                    }
                case Auth.S3Presigned:
                    {
                        var signedHeaders = req.Headers.Append(new("host", host)).ToList();
                        var query = SigV4Signer.Presign(signer.AccessKey, signer.SecretKey, CofferFixture.Region, "s3", req.Method, S3Target(req), signedHeaders, now, tamper.Validity);
                        extraQuery = TamperTail(query, tamper);
                        break;
                    }
                case Auth.S3V2Header:
                    {
                        var date = now.ToUniversalTime().ToString("r", System.Globalization.CultureInfo.InvariantCulture);
                        headers.Add(new("Date", date));
                        var signature = SigV2Signature(signer.SecretKey, req, date, req.Headers);
                        headers.Add(new("Authorization", $"AWS {signer.AccessKey}:{TamperV2(signature, tamper)}"));
                        break;
                    }
                case Auth.S3V2Presigned:
                    {
                        var expires = (now + tamper.Validity).ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
                        var signature = SigV2Signature(signer.SecretKey, req, expires, req.Headers);
                        extraQuery = $"AWSAccessKeyId={Uri.EscapeDataString(signer.AccessKey)}&Expires={expires}&Signature={Uri.EscapeDataString(TamperV2(signature, tamper))}";
                        break;
                    }
                case Auth.CosHeader:
                    {
                        var signedHeaders = req.Headers.Append(new("host", host)).ToList();
                        if (req.Body is not null)
                            signedHeaders.Add(new("content-length", req.Body.Length.ToString()));
                        var authorization = CosV5Signer.Sign(signer.AccessKey, signer.SecretKey, req.Method, cosPath, req.Query, signedHeaders,
                            now.AddSeconds(-60), now + tamper.Validity);
                        headers.Add(new("Authorization", TamperTail(authorization, tamper)));
                        break;
                    }
                case Auth.CosPresigned:
                    {
                        var signedHeaders = req.Headers.Append(new("host", host)).ToList();
                        var query = CosV5Signer.PresignQuery(signer.AccessKey, signer.SecretKey, req.Method, cosPath, req.Query, signedHeaders,
                            now.AddSeconds(-60), now + tamper.Validity);
                        extraQuery = TamperTail(query, tamper);
                        break;
                    }
            }
        }
        if (!ReferenceEquals(sent, req))
        {
            // Same signature, another request: keep what was signed, send the new target.
            headers = [.. headers.Where(h => !req.Headers.Contains(h)), .. sent.Headers];
        }
        if (auth == Auth.NoneCos)
            headers.Add(new("Authorization", ""));
        headers.AddRange(tamper.UnsignedHeaders.Select(h => KeyValuePair.Create(h.Key.Replace("x-{fam}-", $"x-{family}-"), h.Value)));

        var target = cosHost ? CosTarget(sent) : S3Target(sent);
        var query2 = string.Join("&", new[] { extraQuery, Encode(tamper.UnsignedQuery) }.Where(s => s.Length > 0));
        var url = $"{(https ? "https" : "http")}://{(cosHost ? host : "127.0.0.1")}:{port}{target}";
        if (query2.Length > 0)
            url += (target.Contains('?') ? "&" : "?") + query2;

        var request = new HttpRequestMessage(new HttpMethod(sent.Method), url);
        if (sent.Body is not null)
            request.Content = new ByteArrayContent(sent.Body);
        foreach (var (name, value) in headers)
        {
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) || name.Equals("Expires", StringComparison.OrdinalIgnoreCase))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        return await (https ? _https : _http).SendAsync(request, HttpCompletionOption.ResponseContentRead);
    }

    /// <summary>
    /// The sub-resources SigV2 signs (AWS's list with botocore's additions): the others are plain arguments or, for the
    /// operations S3 added after SigV2, not signable at all.
    /// </summary>
    private static readonly HashSet<string> V2SubResources = new(StringComparer.Ordinal)
    {
        "accelerate", "acl", "analytics", "cors", "delete", "encryption", "inventory", "legal-hold", "lifecycle", "location",
        "logging", "metrics", "notification", "object-lock", "partNumber", "policy", "replication", "requestPayment",
        "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
        "response-content-type", "response-expires", "restore", "retention", "select", "select-type", "storageClass", "tagging",
        "torrent", "uploadId", "uploads", "versionId", "versioning", "versions", "website",
    };

    /// <summary>Query parameters S3 leaves out of a SigV2 signature and that change no operation: listing bounds and markers.</summary>
    private static readonly HashSet<string> V2PlainArguments = new(StringComparer.Ordinal)
    {
        "prefix", "delimiter", "marker", "max-keys", "encoding-type", "list-type", "continuation-token", "start-after", "fetch-owner",
        "key-marker", "version-id-marker", "upload-id-marker", "max-uploads", "max-parts", "part-number-marker",
    };

    /// <summary>
    /// Whether <paramref name="req"/> names a sub-resource SigV2 cannot sign (<c>?attributes</c>, <c>?policyStatus</c>,
    /// <c>?publicAccessBlock</c>, <c>?ownershipControls</c>, an admin API argument): the server refuses it under SigV2
    /// (docs/protocol/signatures.md, "What a SigV2 signature covers"), whoever signs it.
    /// </summary>
    public static bool V2CannotSign(Req req) => req.Query.Any(p => !V2SubResources.Contains(p.Key) && !V2PlainArguments.Contains(p.Key));

    /// <summary>
    /// Base64 HMAC-SHA1 over SigV2's string to sign, written out here as a client library does (not with the server's code):
    /// method, Content-MD5, Content-Type, the Date (or Expires), the x-amz-* headers sorted, the path-style resource
    /// with its sub-resources.
    /// </summary>
    private static string SigV2Signature(string secret, Req req, string date, IEnumerable<KeyValuePair<string, string>> headers)
    {
        string Header(string name) => headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value ?? "";
        var amz = headers.Where(h => h.Key.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase))
            .GroupBy(h => h.Key.ToLowerInvariant()).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key + ":" + string.Join(",", g.Select(h => h.Value.Trim())) + "\n");
        var path = S3Target(req with { Query = [] });
        var sub = req.Query.Where(p => V2SubResources.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => p.Value.Length == 0 ? p.Key : p.Key + "=" + p.Value).ToList();
        var resource = sub.Count == 0 ? path : path + "?" + string.Join("&", sub);
        var stringToSign = $"{req.Method}\n{Header("Content-MD5")}\n{Header("Content-Type")}\n{date}\n{string.Concat(amz)}{resource}";
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(stringToSign)));
    }

    /// <summary>Applies the signature tampering to a SigV2 signature: to the hex of its 20 bytes, so that a flipped digit changes real bits (not base64 padding).</summary>
    private static string TamperV2(string signature, Tampering tamper) =>
        tamper.Signature is null ? signature : Convert.ToBase64String(Convert.FromHexString(tamper.Signature(Convert.ToHexStringLower(Convert.FromBase64String(signature)))));

    /// <summary>Path-style S3 target: /bucket/key?query, RFC 3986 encoded.</summary>
    public static string S3Target(Req req)
    {
        var path = req.Bucket is null ? "/" : "/" + req.Bucket + (req.Key is null ? "" : "/" + EncodePath(req.Key));
        return req.Query.Count == 0 ? path : path + "?" + Encode(req.Query);
    }

    /// <summary>COS virtual-host target: /key?query.</summary>
    public static string CosTarget(Req req)
    {
        var path = "/" + EncodePath(req.Key ?? "");
        return req.Query.Count == 0 ? path : path + "?" + Encode(req.Query);
    }

    private static string EncodePath(string key) => string.Join("/", key.Split('/').Select(Uri.EscapeDataString));

    private static string Encode(IEnumerable<KeyValuePair<string, string>> query) =>
        string.Join("&", query.Select(p => p.Value.Length == 0 ? Uri.EscapeDataString(p.Key) : Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));

    /// <summary>Applies the signature tampering to the 40/64 hex digits that end an Authorization value or a query string.</summary>
    private static string TamperTail(string signed, Tampering tamper)
    {
        if (tamper.Signature is null)
            return signed;
        var at = signed.LastIndexOf('=') + 1;
        return signed[..at] + tamper.Signature(signed[at..]);
    }

    public void Dispose()
    {
        _https.Dispose();
        _http.Dispose();
    }
}

public static class Signatures
{
    /// <summary>Flips the last hex digit: a signature one bit away from the right one.</summary>
    public static string FlipLast(string hex) => hex[..^1] + (hex[^1] == '0' ? '1' : '0');
}
