using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>Real clients for the fixture's server: AWSSDK.S3 (defaults, including its checksums) and raw HttpClient.</summary>
public static class Clients
{
    public static AmazonS3Client S3(CofferFixture f, bool https = false, bool virtualHosted = false, string? accessKey = null, string? secretKey = null)
    {
        var url = https ? f.HttpsUrl : f.HttpUrl;
        var config = new AmazonS3Config
        {
            ServiceURL = virtualHosted ? $"{url.Scheme}://{CofferFixture.Domain}:{url.Port}" : url.ToString(),
            ForcePathStyle = !virtualHosted,
            AuthenticationRegion = CofferFixture.Region,
            HttpClientFactory = Factory(f, url.Port),
            MaxErrorRetry = 0,
        };
        return new AmazonS3Client(new BasicAWSCredentials(accessKey ?? CofferFixture.AccessKey, secretKey ?? CofferFixture.SecretKey), config);
    }

    /// <summary>Every key in the bucket, following the listing's continuation tokens.</summary>
    public static async Task<List<string>> ListAllKeysAsync(AmazonS3Client client, string bucket)
    {
        var keys = new List<string>();
        var request = new ListObjectsV2Request { BucketName = bucket };
        ListObjectsV2Response page;
        do
        {
            page = await client.ListObjectsV2Async(request);
            keys.AddRange((page.S3Objects ?? []).Select(o => o.Key));
            request.ContinuationToken = page.NextContinuationToken;
        }
        while (page.IsTruncated == true);
        return keys;
    }

    /// <summary>An HttpClient that reaches the server whatever the host name (virtual-hosted names need no DNS) and trusts exactly its certificate.</summary>
    public static HttpClient Http(CofferFixture f, int port) => new(Handler(f, port)) { Timeout = TimeSpan.FromMinutes(5) };

    public static SocketsHttpHandler Handler(CofferFixture f, int port) => new()
    {
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
            return new NetworkStream(socket, ownsSocket: true);
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, cert, _, _) =>
                cert is not null && f.Server.Certificate is not null && cert.GetCertHashString() == f.Server.Certificate.GetCertHashString(),
        },
        AllowAutoRedirect = false,
        // A metadata value that is not ASCII goes out as raw UTF-8 (HttpClient refuses non-ASCII
        // header values otherwise); the server must store it and return it (RFC 2047-encoded).
        RequestHeaderEncodingSelector = (name, _) =>
            name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("x-cos-meta-", StringComparison.OrdinalIgnoreCase)
                ? System.Text.Encoding.UTF8 : null,
    };

    /// <summary>An AWS SDK client factory that builds <see cref="Http"/> clients (loopback, the server's certificate trusted).</summary>
    public static HttpClientFactory Factory(CofferFixture f, int port) => new LoopbackHttpClientFactory(f, port);

    private sealed class LoopbackHttpClientFactory(CofferFixture f, int port) : HttpClientFactory
    {
        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(Handler(f, port)) { Timeout = TimeSpan.FromMinutes(5) };
        public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;
        public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => true;
    }
}
