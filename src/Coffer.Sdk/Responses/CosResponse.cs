using System.Globalization;

namespace Coffer.Sdk;

/// <summary>
/// What every response has: the status, the request id and the raw headers by name, so that
/// <c>response["x-cos-server-side-encryption"]</c> reads as the Python SDK's
/// <c>response['x-cos-server-side-encryption']</c>.
/// </summary>
public abstract class CosResponse
{
    private protected CosResponse()
    {
    }

    /// <summary>The HTTP status, e.g. 200, 204, 206.</summary>
    public int StatusCode { get; private set; }

    /// <summary>The response headers (see <see cref="CosHeaders"/>).</summary>
    public CosHeaders Headers { get; private set; } = new();

    /// <summary>The request id (<c>x-cos-request-id</c> / <c>x-amz-request-id</c>); present on every Coffer and COS response.</summary>
    public string? RequestId => Headers.Get("x-cos-request-id");

    /// <summary>A response header by name, as <c>Headers[name]</c>; throws <see cref="KeyNotFoundException"/> when absent.</summary>
    /// <param name="name">The header name.</param>
    public string this[string name] => Headers[name];

    internal void Load(HttpResponseMessage response)
    {
        StatusCode = (int)response.StatusCode;
        Headers = CosHeaders.From(response);
    }

    internal void Load(CosResponse other)
    {
        StatusCode = other.StatusCode;
        Headers = other.Headers;
    }

    internal static T From<T>(HttpResponseMessage response)
        where T : CosResponse, new()
    {
        var result = new T();
        result.Load(response);
        return result;
    }
}

/// <summary>The restore state of an archived object, from <c>x-cos-restore</c>.</summary>
/// <param name="OngoingRequest">True while the restore runs.</param>
/// <param name="ExpiryDate">When the restored copy expires, once restored.</param>
public sealed record RestoreStatus(bool OngoingRequest, DateTimeOffset? ExpiryDate)
{
    internal static RestoreStatus? Parse(string? header)
    {
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        bool ongoing = header.Contains("ongoing-request=\"true\"", StringComparison.OrdinalIgnoreCase);
        DateTimeOffset? expiry = null;
        int at = header.IndexOf("expiry-date=\"", StringComparison.OrdinalIgnoreCase);
        if (at >= 0)
        {
            int start = at + "expiry-date=\"".Length;
            int end = header.IndexOf('"', start);
            if (end > start && DateTimeOffset.TryParse(header[start..end], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
            {
                expiry = date;
            }
        }

        return new RestoreStatus(ongoing, expiry);
    }
}

/// <summary>A response about one object, with its encryption and integrity headers typed.</summary>
public abstract class ObjectResponse : CosResponse
{
    private protected ObjectResponse()
    {
    }

    /// <summary>The ETag, quoted as sent (e.g. <c>"ee8de918d05640145b18f70f4c3aa602"</c>); the MD5 only for plain and SSE-COS single PUTs.</summary>
    public virtual string? ETag => Headers.Get("ETag");

    /// <summary>The CRC-64/XZ of the whole object's plaintext (<c>x-cos-hash-crc64ecma</c>); null when not sent.</summary>
    public virtual ulong? Crc64 => ulong.TryParse(Headers.Get("x-cos-hash-crc64ecma"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong v) ? v : null;

    /// <summary>The version id (<c>x-cos-version-id</c>) in a versioned bucket.</summary>
    public string? VersionId => Headers.Get("x-cos-version-id");

    /// <summary>"AES256" or "SM4" (SSE-COS), "cos/kms" (SSE-KMS; "aws:kms" over SigV4) or null (plain or SSE-C).</summary>
    public string? ServerSideEncryption => Headers.Get("x-cos-server-side-encryption");

    /// <summary>The KMS key id of an SSE-KMS object (<c>x-cos-server-side-encryption-cos-kms-key-id</c>).</summary>
    public string? KmsKeyId => Headers.Get("x-cos-server-side-encryption-cos-kms-key-id");

    /// <summary>The SSE-KMS encryption context (base64 JSON) when the server echoes it.</summary>
    public string? KmsContext => Headers.Get("x-cos-server-side-encryption-context");

    /// <summary>"AES256" for an SSE-C object (<c>x-cos-server-side-encryption-customer-algorithm</c>).</summary>
    public string? SseCustomerAlgorithm => Headers.Get("x-cos-server-side-encryption-customer-algorithm");

    /// <summary>The base64 MD5 of the SSE-C key used (<c>x-cos-server-side-encryption-customer-key-MD5</c>).</summary>
    public string? SseCustomerKeyMd5 => Headers.Get("x-cos-server-side-encryption-customer-key-MD5");
}
