using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Coffer.Protocol.Auth;

namespace Coffer.Sdk.Internal;

/// <summary>
/// Turns an <see cref="OperationRequest"/> into a signed <see cref="HttpRequestMessage"/> for
/// one attempt: addressing (<see cref="Endpoint"/>), header family, body content and the COS v5
/// or SigV4 signature (computed by <c>Coffer.Protocol.Auth</c>).
/// </summary>
internal sealed class RequestBuilder(CosConfig config, Endpoint endpoint)
{
    /// <summary>Headers that the COS Python SDK signs besides x-cos-* (its cos_auth.py filter_headers; docs/protocol/signatures.md#which-headers-the-sdks-sign).</summary>
    private static readonly HashSet<string> CosSignedHeaders = new(StringComparer.Ordinal)
    {
        "cache-control", "content-disposition", "content-encoding", "content-type", "content-md5", "content-length",
        "expect", "expires", "host", "if-match", "if-modified-since", "if-none-match", "if-unmodified-since",
        "origin", "range", "transfer-encoding", "date", "content-language",
    };

    private static readonly HashSet<string> ContentHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Content-Type", "Content-MD5", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires", "Content-Length",
    };

    private readonly string _userAgent = config.UserAgent ?? "coffer-sdk-dotnet/" + typeof(RequestBuilder).Assembly.GetName().Version?.ToString(3);

    public bool IsSigV4 => config.SignatureVersion == SignatureVersion.SigV4;

    /// <summary>The header name in the request family: "x-cos-X" becomes "x-amz-X" for SigV4.</summary>
    public string FamilyName(string cosName)
    {
        if (!IsSigV4 || !cosName.StartsWith("x-cos-", StringComparison.Ordinal) || cosName == "x-cos-sdk-retry")
        {
            return cosName;
        }

        return cosName switch
        {
            "x-cos-server-side-encryption-cos-kms-key-id" => "x-amz-server-side-encryption-aws-kms-key-id",
            _ => "x-amz-" + cosName[6..],
        };
    }

    public HttpRequestMessage Build(OperationRequest op, bool isRetry)
    {
        var (baseUrl, host, prefix) = endpoint.For(op.Bucket);
        string keyPart = op.Key is null ? "" : "/" + UriEncoder.EncodeKey(op.Key);
        string rawPath = prefix + keyPart;
        if (rawPath.Length == 0)
        {
            rawPath = "/";
        }

        string decodedPath = (prefix.Length == 0 ? "" : "/" + op.Bucket) + (op.Key is null ? "" : "/" + op.Key);
        if (decodedPath.Length == 0)
        {
            decodedPath = "/";
        }

        var queryText = new StringBuilder();
        foreach (var (name, value) in op.Query)
        {
            queryText.Append(queryText.Length == 0 ? '?' : '&').Append(UriEncoder.Encode(name));
            if (value.Length > 0)
            {
                queryText.Append('=').Append(UriEncoder.Encode(value));
            }
        }

        string rawTarget = rawPath + queryText;
        var request = new HttpRequestMessage(op.Method, new Uri(baseUrl + rawTarget, UriKind.Absolute));
        request.Headers.Host = host;
        request.Headers.TryAddWithoutValidation("User-Agent", _userAgent);

        // Every header sent, in order: (name as sent, value).
        var headers = new List<KeyValuePair<string, string>>();
        foreach (var (name, value) in op.Headers)
        {
            string wireValue = IsSigV4 && name == "x-cos-server-side-encryption" && value == "cos/kms" ? "aws:kms" : value;
            headers.Add(new(FamilyName(name), wireValue));
        }

        headers.AddRange(op.RawHeaders);
        if (isRetry)
        {
            headers.Add(new("x-cos-sdk-retry", "true"));
        }

        if (!string.IsNullOrEmpty(config.Token))
        {
            headers.Add(new(IsSigV4 ? "x-amz-security-token" : "x-cos-security-token", config.Token));
        }

        long? contentLength = null;
        if (op.Body is not null || op.Method == HttpMethod.Put || op.Method == HttpMethod.Post)
        {
            var body = op.Body ?? CosBody.FromBytes(ReadOnlyMemory<byte>.Empty);
            contentLength = body.Length;
            request.Content = new BodyContent(body.OpenForAttempt(), body.Length, op.OnBytesSent);
        }

        string? payloadHash = null;
        if (IsSigV4)
        {
            payloadHash = op.Body is null ? SigV4Signer.EmptySha256
                : op.Body.Memory is { } memory ? Convert.ToHexStringLower(SHA256.HashData(memory.Span))
                : SigV4Signer.UnsignedPayload;
            headers.Add(new("x-amz-date", SigV4Signer.FormatAmzDate(config.TimeProvider.GetUtcNow())));
            headers.Add(new("x-amz-content-sha256", payloadHash));
        }

        foreach (var (name, value) in headers)
        {
            if (ContentHeaders.Contains(name))
            {
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        // What is signed: host, the body's length, and the headers each scheme's SDKs sign.
        var toSign = new List<KeyValuePair<string, string>> { new("host", host) };
        if (contentLength is { } length)
        {
            toSign.Add(new("content-length", length.ToString(CultureInfo.InvariantCulture)));
        }

        foreach (var (name, value) in headers)
        {
            string lower = name.ToLowerInvariant();
            bool signed = IsSigV4
                ? lower.StartsWith("x-amz-", StringComparison.Ordinal) || lower is "content-type" or "content-md5" or "range" or "date"
                    || lower.StartsWith("if-", StringComparison.Ordinal)
                : lower.StartsWith("x-cos-", StringComparison.Ordinal) || lower.StartsWith("x-ci-", StringComparison.Ordinal) || CosSignedHeaders.Contains(lower);
            if (signed && lower != "content-length")
            {
                toSign.Add(new(lower, value));
            }
        }

        string authorization;
        if (IsSigV4)
        {
            authorization = SigV4Signer.Sign(config.SecretId, config.SecretKey, config.Region, op.Service, op.Method.Method, rawTarget, toSign, payloadHash);
        }
        else
        {
            var start = config.TimeProvider.GetUtcNow();
            authorization = CosV5Signer.Sign(config.SecretId, config.SecretKey, op.Method.Method, decodedPath, op.Query, toSign,
                start, start + config.SignatureExpiration);
        }

        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    /// <summary>Content-MD5 value (base64) of in-memory bytes.</summary>
    public static string ContentMd5(ReadOnlySpan<byte> data) => Convert.ToBase64String(MD5.HashData(data));

    /// <summary>Media type for XML request bodies.</summary>
    public static readonly MediaTypeHeaderValue Xml = new("application/xml");
}
