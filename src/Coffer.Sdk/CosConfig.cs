using System.Net.Security;

namespace Coffer.Sdk;

/// <summary>Which signature a <see cref="CosClient"/> puts on its requests.</summary>
public enum SignatureVersion
{
    /// <summary>
    /// The COS v5 "q-sign" signature in the Authorization header; headers are sent in the
    /// <c>x-cos-*</c> family (the default, as the COS Python SDK does).
    /// </summary>
    CosV5,

    /// <summary>
    /// AWS Signature Version 4 (service "s3"); headers are sent in the <c>x-amz-*</c> family,
    /// so the client works against any S3 endpoint as well as COS and Coffer.
    /// </summary>
    SigV4,
}

/// <summary>
/// Client settings, named as the COS Python SDK's <c>CosConfig</c> names them
/// (<c>Region</c>, <c>SecretId</c>, <c>SecretKey</c>, <c>Token</c>, <c>Scheme</c>, <c>Endpoint</c>,
/// <c>Domain</c>, <c>IP</c>/<c>Port</c>, <c>VerifySSL</c>) plus what a C# client needs
/// (signature choice, timeouts, retries, TLS trust).
/// </summary>
/// <remarks>
/// <para>How a request is addressed, in order:</para>
/// <list type="number">
/// <item><see cref="Domain"/> set: the Host is exactly that name and the bucket is not added (a custom domain bound to one bucket).</item>
/// <item><see cref="PathStyle"/>: the URL is <c>scheme://ENDPOINT/bucket/key</c> and the Host is the endpoint.</item>
/// <item><see cref="Ip"/> set, or an endpoint that is an IP address or "localhost": the connection goes to that
/// address while the Host header (signed) is the COS virtual-hosted name <c>bucket.cos.REGION.myqcloud.com</c>
/// (or <c>bucket.ENDPOINT</c> when <see cref="Ip"/> is set and the endpoint is a name), as the Python SDK's IP mode does.
/// Coffer resolves the bucket from that Host.</item>
/// <item>otherwise virtual-hosted: <c>scheme://bucket.ENDPOINT/key</c>.</item>
/// </list>
/// <para>The endpoint defaults to <c>cos.REGION.myqcloud.com</c>.</para>
/// </remarks>
public sealed class CosConfig
{
    /// <summary>The region, e.g. "ap-beijing". Always needed: it names the default endpoint and the SigV4 credential scope.</summary>
    public string Region { get; set; } = "ap-guangzhou";

    /// <summary>The SecretId (access key id). Required.</summary>
    public string SecretId { get; set; } = "";

    /// <summary>The SecretKey (secret access key). Required; never logged or put in an exception.</summary>
    public string SecretKey { get; set; } = "";

    /// <summary>
    /// The session token of temporary (STS) credentials, or null for permanent keys. Sent as
    /// <c>x-cos-security-token</c> (COS v5) or <c>x-amz-security-token</c> (SigV4).
    /// </summary>
    public string? Token { get; set; }

    /// <summary>"https" (the default; SSE-C and SSE-KMS need it) or "http".</summary>
    public string Scheme { get; set; } = "https";

    /// <summary>
    /// The service endpoint, "host", "host:port" or a URL "https://host:port" (whose scheme then
    /// overrides <see cref="Scheme"/>), e.g. "127.0.0.1:9443" for a local Coffer. Null for
    /// <c>cos.REGION.myqcloud.com</c>.
    /// </summary>
    public string? Endpoint { get; set; }

    /// <summary>A custom domain used verbatim as the Host of every request; the bucket is then not put in the host or path.</summary>
    public string? Domain { get; set; }

    /// <summary>
    /// Connect to this address ("10.0.0.1" or "10.0.0.1:9443") instead of the host name the
    /// request is addressed to, which is still sent (and signed) as the Host header.
    /// </summary>
    public string? Ip { get; set; }

    /// <summary>The port to go with <see cref="Ip"/>; null for the scheme's default.</summary>
    public int? Port { get; set; }

    /// <summary>Path-style addressing (<c>/bucket/key</c>) instead of a bucket host name. Most S3 endpoints other than AWS want it.</summary>
    public bool PathStyle { get; set; }

    /// <summary>The signature scheme; <see cref="SignatureVersion.CosV5"/> by default.</summary>
    public SignatureVersion SignatureVersion { get; set; } = SignatureVersion.CosV5;

    /// <summary>How long a COS v5 signature stays valid (q-key-time); one hour by default.</summary>
    public TimeSpan SignatureExpiration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a TCP (and TLS) connection may take to open; 10 s by default.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one attempt may take until the response headers arrive, request body upload
    /// included; 5 minutes by default. A streamed response body is not limited by it. An
    /// attempt that times out is retried like a network fault.
    /// </summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Retries of transient failures: 5xx, throttling and network faults.</summary>
    public CosRetryOptions Retry { get; set; } = new();

    /// <summary>Whether to check the server's TLS certificate (Python's <c>VerifySSL</c>); true by default. False trusts any certificate: for tests only.</summary>
    public bool VerifySsl { get; set; } = true;

    /// <summary>
    /// A PEM file of certificates to trust instead of the system store, e.g. a private CA or a
    /// self-signed server certificate (Coffer's <c>tls/cert.pem</c>). The server certificate must
    /// chain to one of them or be one of them, and name the host connected to.
    /// </summary>
    public string? CaFile { get; set; }

    /// <summary>A custom server certificate check, which replaces <see cref="VerifySsl"/> and <see cref="CaFile"/> when set.</summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>The User-Agent header; "coffer-sdk-dotnet/VERSION" by default.</summary>
    public string? UserAgent { get; set; }

    /// <summary>The clock used to sign requests; <see cref="TimeProvider.System"/> unless a test fixes the time.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>A shallow copy of these settings.</summary>
    public CosConfig Clone()
    {
        var copy = (CosConfig)MemberwiseClone();
        copy.Retry = Retry with { };
        return copy;
    }
}

/// <summary>
/// Retries with exponential backoff and jitter for responses with status 5xx or 429 or error
/// code SlowDown/RequestTimeout, and for network faults and attempt timeouts. A request whose
/// body cannot be rewound (a non-seekable stream) is not retried. Retried requests carry
/// <c>x-cos-sdk-retry: true</c>.
/// </summary>
public sealed record CosRetryOptions
{
    /// <summary>Retries after the first attempt; 3 by default, 0 turns retrying off.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The delay before the first retry; it doubles for each further retry. 200 ms by default.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between two attempts; 10 s by default.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether to randomise delays so that many clients do not retry in step; true by default.</summary>
    public bool UseJitter { get; init; } = true;
}
