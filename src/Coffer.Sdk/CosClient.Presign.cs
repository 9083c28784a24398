using System.Text;
using Coffer.Protocol.Auth;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

public sealed partial class CosClient
{
    /// <summary>
    /// A presigned URL (Python <c>get_presigned_url</c>): anyone holding it can make this one
    /// request until it expires, without credentials. Signed with the client's scheme (COS v5
    /// <c>q-*</c> or SigV4 <c>X-Amz-*</c> query parameters); a session token is added. The URL's
    /// host must be the signed host, so use path style or real virtual-hosted names, not IP mode.
    /// SSE-C keys cannot travel in a URL: the caller of the URL sends them as headers.
    /// </summary>
    /// <param name="method">"GET", "PUT", "HEAD" or "DELETE".</param>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The key.</param>
    /// <param name="expires">How long the URL is valid (SigV4: at most 7 days).</param>
    /// <param name="parameters">Extra query parameters to sign, e.g. response-content-disposition; null for none.</param>
    public string GetPresignedUrl(string method, string bucket, string key, TimeSpan expires, IReadOnlyDictionary<string, string>? parameters = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        if (string.IsNullOrEmpty(bucket) || string.IsNullOrEmpty(key))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "The bucket and key are required.");
        }

        var (baseUrl, host, prefix) = _http.Endpoint.For(bucket);
        string rawPath = prefix + "/" + UriEncoder.EncodeKey(key);
        string decodedPath = (prefix.Length == 0 ? "" : "/" + bucket) + "/" + key;
        var query = (parameters ?? new Dictionary<string, string>()).ToList();
        var url = new StringBuilder(baseUrl).Append(rawPath);
        string Join() => string.Join("&", query.Select(p => p.Value.Length == 0 ? UriEncoder.Encode(p.Key) : UriEncoder.Encode(p.Key) + "=" + UriEncoder.Encode(p.Value)));
        string existing = Join();
        var now = Settings.TimeProvider.GetUtcNow();
        string method2 = method.ToUpperInvariant();
        if (_http.Builder.IsSigV4)
        {
            string target = rawPath + (existing.Length > 0 ? "?" + existing : "");
            string signature = SigV4Signer.Presign(Settings.SecretId, Settings.SecretKey, Settings.Region, "s3", method2, target,
                [new("host", host)], now, expires, string.IsNullOrEmpty(Settings.Token) ? null : Settings.Token);
            return url.Append('?').Append(existing.Length > 0 ? existing + "&" : "").Append(signature).ToString();
        }

        string cos = CosV5Signer.PresignQuery(Settings.SecretId, Settings.SecretKey, method2, decodedPath, query, [new("host", host)], now, now + expires);
        url.Append('?').Append(existing.Length > 0 ? existing + "&" : "").Append(cos);
        if (!string.IsNullOrEmpty(Settings.Token))
        {
            url.Append("&x-cos-security-token=").Append(UriEncoder.Encode(Settings.Token));
        }

        return url.ToString();
    }
}
