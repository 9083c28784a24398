using System.Globalization;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

/// <summary>
/// A client for Coffer, Tencent COS and S3-compatible stores whose calls mirror the COS
/// Python SDK's <c>CosS3Client</c>: <c>put_object</c> is <see cref="PutObjectAsync(PutObjectRequest, CancellationToken)"/>,
/// <c>upload_file</c> is <see cref="UploadFileAsync"/>, and so on, with the same parameter
/// names as request properties. Thread-safe; create one per configuration and reuse it.
/// </summary>
/// <example>
/// <code>
/// var client = new CosClient(new CosConfig { Region = "ap-beijing", SecretId = id, SecretKey = key });
/// var put = await client.PutObjectAsync(new PutObjectRequest
/// {
///     Bucket = "examplebucket-1250000000", Key = "sdk-sse-cos", Body = "123", ServerSideEncryption = "AES256",
/// });
/// Console.WriteLine(put["x-cos-server-side-encryption"]); // AES256
/// </code>
/// </example>
public sealed partial class CosClient : IDisposable
{
    private readonly CosHttp _http;

    /// <summary>Creates a client. The settings are copied; later changes to <paramref name="config"/> have no effect.</summary>
    /// <param name="config">The settings; SecretId and SecretKey are required.</param>
    /// <param name="handler">
    /// The handler that sends requests, or null for one built from the TLS and timeout settings
    /// (see <see cref="CreateDefaultHandler"/>). Wrap that one in a <see cref="DelegatingHandler"/>
    /// to observe or change traffic. The client disposes it.
    /// </param>
    public CosClient(CosConfig config, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (string.IsNullOrEmpty(config.SecretId) || string.IsNullOrEmpty(config.SecretKey))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "CosConfig.SecretId and SecretKey are required.");
        }

        _http = new CosHttp(config.Clone(), handler);
    }

    /// <summary>A copy of the settings this client uses (changing it does not change the client).</summary>
    public CosConfig Config => _http.Config.Clone();

    /// <summary>The settings in use (not a copy).</summary>
    internal CosConfig Settings => _http.Config;

    /// <summary>
    /// The handler a client builds by default: a <see cref="SocketsHttpHandler"/> with the
    /// connect timeout and the certificate check of <paramref name="config"/>
    /// (<see cref="CosConfig.VerifySsl"/>, <see cref="CosConfig.CaFile"/>, <see cref="CosConfig.ServerCertificateValidation"/>).
    /// </summary>
    /// <param name="config">The settings.</param>
    public static HttpMessageHandler CreateDefaultHandler(CosConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return CosHttp.CreateHandler(config, new Internal.Endpoint(config));
    }

    /// <summary>Releases the connections.</summary>
    public void Dispose() => _http.Dispose();

    internal CosHttp Http => _http;

    private static string? HttpDate(DateTimeOffset? value) => value?.ToUniversalTime().ToString("R", CultureInfo.InvariantCulture);

    private static OperationRequest ObjectOp(HttpMethod method, ObjectRequest request)
    {
        request.ValidateKey();
        return new OperationRequest(method, request.Bucket, request.Key).AddRawHeaders(request.Headers);
    }

    private static OperationRequest BucketOp(HttpMethod method, string bucket)
    {
        if (string.IsNullOrWhiteSpace(bucket))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "The bucket name is required.");
        }

        return new OperationRequest(method, bucket, null);
    }

    private static void AddMetadata(OperationRequest op, ObjectWriteRequest r)
    {
        op.AddHeader("Content-Type", r.ContentType)
            .AddHeader("Cache-Control", r.CacheControl)
            .AddHeader("Content-Disposition", r.ContentDisposition)
            .AddHeader("Content-Encoding", r.ContentEncoding)
            .AddHeader("Content-Language", r.ContentLanguage)
            .AddHeader("Expires", r.Expires)
            .AddHeader("x-cos-storage-class", r.StorageClass)
            .AddHeader("x-cos-acl", r.ACL)
            .AddHeader("x-cos-tagging", r.Tagging.Count == 0 ? null : TaggingHeader(r.Tagging));
        foreach (var (name, value) in r.Metadata)
        {
            // Text that is not printable ASCII goes RFC 2047-encoded (a header value is ASCII); the server stores the text.
            op.AddHeader("x-cos-meta-" + name, Coffer.Protocol.MetadataValues.Encode(value));
        }
    }

    private static async Task<string> Md5Async(CosBody body, CancellationToken cancellationToken)
    {
        if (!body.CanReplay)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "EnableMD5 needs a body that can be read twice (text, bytes, a file or a seekable stream).");
        }

        await using var stream = body.OpenForAttempt();
        using var md5 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.MD5);
        var buffer = new byte[81920];
        int n;
        while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            md5.AppendData(buffer, 0, n);
        }

        return Convert.ToBase64String(md5.GetHashAndReset());
    }
}
