using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.Protocol.Auth;
using Coffer.Protocol.Checksums;

namespace Coffer.Protocol.Tests.Auth;

/// <summary>
/// Runs the real AWSSDK.S3 / AWSSDK.KeyManagementService 4.1 against a loopback listener that
/// records the raw request, then checks that our authenticator and aws-chunked decoder accept it.
/// </summary>
public sealed class AwsSdkCaptureTests
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    private static readonly Func<string, string?> Lookup = TestRequests.Secrets((AccessKey, Secret));

    private sealed record Captured(string Method, string Target, Dictionary<string, string> Headers, byte[] Body)
    {
        public SignableRequest ToSignable() => new() { Method = Method, RawTarget = Target, Headers = Headers };
    }

    [Theory]
    [InlineData("k1", 11)]
    [InlineData("dir/a b+c~(1)ü=&.txt", 200_000)]
    [InlineData("a/./b/../%2F", 0)]
    public async Task A_default_PutObject_with_signed_chunks_and_a_CRC32_trailer_authenticates_and_decodes(string key, int size)
    {
        byte[] payload = size == 11 ? "hello world"u8.ToArray() : new byte[size];
        new Random(size).NextBytes(size == 11 ? [] : payload);
        var request = await CaptureAsync(url => S3(url).PutObjectAsync(new PutObjectRequest
        {
            BucketName = "bkt",
            Key = key,
            InputStream = new MemoryStream(payload),
        }));

        var identity = RequestAuthenticator.Authenticate(request.ToSignable(), Lookup, DateTimeOffset.UtcNow);
        Assert.NotNull(identity);
        Assert.Equal(AccessKey, identity.AccessKeyId);
        Assert.Equal("us-east-1", identity.Region);
        if (size == 0)
        {
            // An empty body is sent whole, its SHA-256 signed.
            Assert.Equal(PayloadKind.Sha256, identity.Payload);
            using var verifying = new Sha256VerifyingStream(new MemoryStream(request.Body), identity.PayloadSha256!);
            Assert.Empty(await ChunkedBodies.ReadAllAsync(verifying, () => 10));
            return;
        }

        Assert.Equal(PayloadKind.StreamingSignedTrailer, identity.Payload);
        Assert.Equal("aws-chunked", request.Headers["Content-Encoding"]);

        long decodedLength = long.Parse(request.Headers["x-amz-decoded-content-length"]);
        using var stream = new AwsChunkedStream(new MemoryStream(request.Body), identity, decodedLength);
        byte[] decoded = await ChunkedBodies.ReadAllAsync(stream, () => 65536);
        Assert.Equal(payload, decoded);
        var crc = ChecksumHasher.Create(Coffer.Protocol.Checksums.ChecksumAlgorithm.Crc32);
        crc.Append(payload);
        Assert.Equal(crc.GetBase64(), stream.Trailers["x-amz-checksum-crc32"]);
        if (size == 11)
        {
            Assert.Equal("DUoRhQ==", stream.Trailers["x-amz-checksum-crc32"]);
        }
    }

    [Fact]
    public async Task A_ListObjectsV2_with_query_parameters_authenticates()
    {
        var request = await CaptureAsync(url => S3(url).ListObjectsV2Async(new ListObjectsV2Request
        {
            BucketName = "bkt",
            Prefix = "a b/ü+",
            Delimiter = "/",
            MaxKeys = 10,
        }), "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><IsTruncated>false</IsTruncated></ListBucketResult>");
        var identity = RequestAuthenticator.Authenticate(request.ToSignable(), Lookup, DateTimeOffset.UtcNow);
        Assert.Equal(SignatureScheme.SigV4Header, identity!.Scheme);
        Assert.Contains("prefix=", request.Target);
    }

    [Fact]
    public async Task A_presigned_GetObject_URL_authenticates()
    {
        string url = await S3("http://127.0.0.1:9000").GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = "bkt",
            Key = "dir/a b+ü.txt",
            Verb = HttpVerb.GET,
            Expires = DateTime.UtcNow.AddMinutes(5),
            Protocol = Amazon.S3.Protocol.HTTP,
        });
        var uri = new Uri(url);
        var request = new SignableRequest
        {
            Method = "GET",
            RawTarget = uri.PathAndQuery,
            Headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["Host"] = uri.Authority },
        };
        var identity = RequestAuthenticator.Authenticate(request, Lookup, DateTimeOffset.UtcNow);
        Assert.Equal(SignatureScheme.SigV4Query, identity!.Scheme);
        Assert.Equal(PayloadKind.Unsigned, identity.Payload);
    }

    [Fact]
    public async Task A_KMS_call_authenticates_with_its_signed_body_hash()
    {
        // AWSSDK.KeyManagementService 4.1 sends x-amz-content-sha256, so BodySha256 is not needed for it.
        var request = await CaptureAsync(url =>
        {
            var kms = new AmazonKeyManagementServiceClient(new BasicAWSCredentials(AccessKey, Secret),
                new AmazonKeyManagementServiceConfig { ServiceURL = url, AuthenticationRegion = "ap-guangzhou", MaxErrorRetry = 0 });
            return kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/test" });
        }, "{\"KeyMetadata\":{\"KeyId\":\"k\"}}", "application/x-amz-json-1.1");

        Assert.True(request.Headers.ContainsKey("x-amz-content-sha256"), string.Join(", ", request.Headers.Keys));
        var identity = RequestAuthenticator.Authenticate(request.ToSignable(), Lookup, DateTimeOffset.UtcNow);
        Assert.Equal("kms", identity!.Service);
        Assert.Equal("ap-guangzhou", identity.Region);
        Assert.Equal(PayloadKind.Sha256, identity.Payload);
        Assert.Equal(SigV4.Sha256Hex(request.Body), identity.PayloadSha256);
    }

    private static AmazonS3Client S3(string url) => new(new BasicAWSCredentials(AccessKey, Secret), new AmazonS3Config
    {
        ServiceURL = url,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        MaxErrorRetry = 0,
    });

    /// <summary>Runs <paramref name="call"/> against a one-request loopback listener and returns what it sent.</summary>
    private static async Task<Captured> CaptureAsync(Func<string, Task> call, string responseBody = "", string contentType = "application/xml")
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        string url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        var server = ServeOneAsync(listener, responseBody, contentType);
        var client = call(url);
        var captured = await server.WaitAsync(TimeSpan.FromSeconds(30));
        await client.WaitAsync(TimeSpan.FromSeconds(30));
        return captured;
    }

    private static async Task<Captured> ServeOneAsync(TcpListener listener, string responseBody, string contentType)
    {
        using var socket = await listener.AcceptTcpClientAsync();
        var stream = socket.GetStream();
        var buffer = new MemoryStream();
        var chunk = new byte[65536];
        int headerEnd;
        while ((headerEnd = IndexOf(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), "\r\n\r\n"u8)) < 0)
        {
            int n = await stream.ReadAsync(chunk);
            if (n == 0)
            {
                throw new IOException("connection closed before the headers ended");
            }

            buffer.Write(chunk, 0, n);
        }

        string head = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, headerEnd);
        string[] lines = head.Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines[1..])
        {
            int colon = line.IndexOf(':');
            string name = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var existing) ? existing + "," + value : value;
        }

        if (headers.TryGetValue("Expect", out var expect) && expect.Equals("100-continue", StringComparison.OrdinalIgnoreCase))
        {
            await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray());
        }

        int length = headers.TryGetValue("Content-Length", out var cl) ? int.Parse(cl) : 0;
        var body = new MemoryStream();
        body.Write(buffer.GetBuffer(), headerEnd + 4, (int)buffer.Length - headerEnd - 4);
        while (body.Length < length)
        {
            int n = await stream.ReadAsync(chunk);
            if (n == 0)
            {
                break;
            }

            body.Write(chunk, 0, n);
        }

        byte[] response = Encoding.UTF8.GetBytes(responseBody);
        string responseHead = $"HTTP/1.1 200 OK\r\nETag: \"0123456789abcdef0123456789abcdef\"\r\nx-amz-request-id: 1\r\nContent-Type: {contentType}\r\n" +
                              $"Content-Length: {response.Length}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(responseHead));
        await stream.WriteAsync(response);
        await stream.FlushAsync();
        return new Captured(requestLine[0], requestLine[1], headers, body.ToArray());
    }

    private static int IndexOf(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle);
}
