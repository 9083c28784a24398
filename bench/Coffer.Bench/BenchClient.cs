using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using Coffer.Protocol.Auth;

namespace Coffer.Bench;

/// <summary>SSE settings of a benchmark row.</summary>
internal enum Mode { Plain, SseCos, SseKms, SseC }

/// <summary>A lean COS-signed HTTP client: the signature covers no body, so the client spends its CPU on moving bytes, not hashing them.</summary>
internal sealed class BenchClient : IDisposable
{
    private static readonly byte[] CustomerKey = RandomNumberGenerator.GetBytes(32);
    private static readonly string CustomerKeyBase64 = Convert.ToBase64String(CustomerKey);
    private static readonly string CustomerKeyMd5 = Convert.ToBase64String(MD5.HashData(CustomerKey));
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly string _accessKey;
    private readonly string _secretKey;
    private readonly bool _sigV4;

    /// <param name="sigV4">Sign with AWS SigV4 (UNSIGNED-PAYLOAD) instead of COS v5: for talking to an S3 service such as RGW directly.</param>
    public BenchClient(Uri baseUri, string accessKey, string secretKey, string? certificateThumbprint, bool sigV4 = false)
    {
        _base = baseUri;
        _sigV4 = sigV4;
        _accessKey = accessKey;
        _secretKey = secretKey;
        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 256,
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, cert, _, _) => certificateThumbprint is null || cert?.GetCertHashString() == certificateThumbprint,
            },
        })
        { Timeout = TimeSpan.FromMinutes(30) };
    }

    public static readonly byte[] Pattern = RandomNumberGenerator.GetBytes(1 << 20);

    /// <summary>Creates a bucket; one that already exists is fine.</summary>
    public async Task CreateBucketAsync(string bucket)
    {
        using var request = Build(HttpMethod.Put, bucket, null, Mode.Plain);
        using var response = await _http.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.Conflict)
            await EnsureAsync(response);
    }

    public async Task PutAsync(string bucket, string key, long length, Mode mode, CancellationToken ct = default)
    {
        using var request = Build(HttpMethod.Put, bucket, key, mode);
        request.Content = new PatternContent(length);
        using var response = await _http.SendAsync(request, ct);
        await EnsureAsync(response);
    }

    /// <summary>Sets the bucket's policy (PUT ?policy).</summary>
    public async Task PutPolicyAsync(string bucket, string policy)
    {
        using var request = Build(HttpMethod.Put, bucket, null, Mode.Plain, [new("policy", "")]);
        request.Content = new StringContent(policy, System.Text.Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request);
        await EnsureAsync(response);
    }

    public async Task DeleteAsync(string bucket, string key)
    {
        using var request = Build(HttpMethod.Delete, bucket, key, Mode.Plain);
        using var response = await _http.SendAsync(request);
        await EnsureAsync(response);
    }

    /// <summary>HEADs an object; throws unless it exists.</summary>
    public async Task HeadAsync(string bucket, string key)
    {
        using var request = Build(HttpMethod.Head, bucket, key, Mode.Plain);
        using var response = await _http.SendAsync(request);
        await EnsureAsync(response);
    }

    /// <summary>GET Service (ListBuckets); returns the size of the answer in bytes.</summary>
    public async Task<int> ListBucketsAsync()
    {
        using var request = Build(HttpMethod.Get, "", null, Mode.Plain);
        using var response = await _http.SendAsync(request);
        await EnsureAsync(response);
        return (await response.Content.ReadAsByteArrayAsync()).Length;
    }

    /// <summary>A signed GET of a server path such as "/_coffer/metrics"; returns the size of the answer in bytes.</summary>
    public async Task<int> GetPathAsync(string path)
    {
        using var request = Build(HttpMethod.Get, path.TrimStart('/'), null, Mode.Plain);
        using var response = await _http.SendAsync(request);
        await EnsureAsync(response);
        return (await response.Content.ReadAsByteArrayAsync()).Length;
    }

    /// <summary>One page of ListObjects (marker paging, up to 1,000 keys): how many keys it held and the marker of the next page, null at the end.</summary>
    public async Task<(int Keys, string? Next)> ListPageAsync(string bucket, string? marker)
    {
        var query = new List<KeyValuePair<string, string>> { new("max-keys", "1000") };
        if (marker is not null)
            query.Add(new("marker", marker));
        using var request = Build(HttpMethod.Get, bucket, null, Mode.Plain, query);
        using var response = await _http.SendAsync(request);
        await EnsureAsync(response);
        var xml = System.Xml.Linq.XDocument.Parse(await response.Content.ReadAsStringAsync());
        var keys = xml.Descendants().Where(e => e.Name.LocalName == "Key").Select(e => e.Value).ToList();
        var truncated = xml.Descendants().FirstOrDefault(e => e.Name.LocalName == "IsTruncated")?.Value == "true";
        return (keys.Count, truncated && keys.Count > 0 ? keys[^1] : null);
    }

    /// <summary>GETs (a range of) an object and discards the bytes; returns how many arrived.</summary>
    public async Task<long> GetAsync(string bucket, string key, Mode mode, (long From, long To)? range = null, CancellationToken ct = default)
    {
        using var request = Build(HttpMethod.Get, bucket, key, mode);
        if (range is { } r)
            request.Headers.Range = new RangeHeaderValue(r.From, r.To);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await EnsureAsync(response);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[1 << 18];
        long total = 0;
        int n;
        while ((n = await body.ReadAsync(buffer, ct)) > 0)
            total += n;
        return total;
    }

    private HttpRequestMessage Build(HttpMethod method, string bucket, string? key, Mode mode, List<KeyValuePair<string, string>>? query = null)
    {
        var path = "/" + bucket + (key is null ? "" : "/" + key);
        var target = query is null ? path : path + "?" + string.Join('&', query.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var request = new HttpRequestMessage(method, new Uri(_base, target));
        var signed = new List<KeyValuePair<string, string>> { new("host", _base.Authority) };
        void Add(string name, string value)
        {
            request.Headers.TryAddWithoutValidation(name, value);
            signed.Add(new(name, value));
        }
        if (key is not null)
        {
            switch (mode)
            {
                case Mode.SseCos when method == HttpMethod.Put:
                    Add("x-cos-server-side-encryption", "AES256");
                    break;
                case Mode.SseKms when method == HttpMethod.Put:
                    Add("x-cos-server-side-encryption", "cos/kms");
                    break;
                case Mode.SseC:
                    Add("x-cos-server-side-encryption-customer-algorithm", "AES256");
                    Add("x-cos-server-side-encryption-customer-key", CustomerKeyBase64);
                    Add("x-cos-server-side-encryption-customer-key-MD5", CustomerKeyMd5);
                    break;
            }
        }
        if (_sigV4)
        {
            if (query is not null)
                throw new NotSupportedException("the bench signs queries with the COS signature only");
            Add("x-amz-date", SigV4Signer.FormatAmzDate(DateTimeOffset.UtcNow));
            Add("x-amz-content-sha256", SigV4Signer.UnsignedPayload);
            request.Headers.TryAddWithoutValidation("Authorization", SigV4Signer.Sign(_accessKey, _secretKey, "us-east-1", "s3", method.Method, target, signed));
            return request;
        }
        var start = DateTimeOffset.UtcNow.AddSeconds(-60);
        request.Headers.TryAddWithoutValidation("Authorization", CosV5Signer.Sign(_accessKey, _secretKey, method.Method, path, query ?? [], signed, start, start.AddHours(2)));
        return request;
    }

    private static async Task EnsureAsync(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A body of any length made of one random 1 MiB pattern, written without buffering.</summary>
    private sealed class PatternContent(long length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var left = length;
            while (left > 0)
            {
                var n = (int)Math.Min(left, Pattern.Length);
                await stream.WriteAsync(Pattern.AsMemory(0, n));
                left -= n;
            }
        }

        protected override bool TryComputeLength(out long length1)
        {
            length1 = length;
            return true;
        }
    }
}
