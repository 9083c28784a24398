using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Testing;

namespace Coffer.EndToEnd.Tests.Remote;

/// <summary>
/// A bucket of its own on the S3-compatible engine (<see cref="Engines.S3Endpoint"/>, Ceph RGW in development and
/// CI) that Coffer servers keep their blobs in (<c>--blobs s3://BUCKET?…&amp;prefix=…</c>), and a direct AWSSDK.S3
/// client on it so a test can see exactly what the backend holds. Disposing empties and removes the bucket.
/// </summary>
public sealed partial class RemoteBackend : IAsyncDisposable
{
    public const string Prefix = "coffer-blobs/";

    public string Bucket { get; } = $"coffer-e2e-{Guid.NewGuid():N}"[..40];

    public AmazonS3Client Client { get; } = new(
        new BasicAWSCredentials(Engines.S3AccessKey, Engines.S3SecretKey),
        new AmazonS3Config { ServiceURL = Engines.S3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 2 });

    /// <summary>The <c>--blobs</c> spec of this bucket (credentials go separately, in the options).</summary>
    public string Spec => $"s3://{Bucket}?endpoint={Engines.S3Endpoint}&region=us-east-1&path-style=true&prefix={Prefix}";

    /// <summary>Points a server's options at this bucket.</summary>
    public void Configure(Coffer.Server.CofferServerOptions options)
    {
        options.Blobs = Spec;
        options.BlobsAccessKey = Engines.S3AccessKey;
        options.BlobsSecretKey = Engines.S3SecretKey;
    }

    /// <summary>Every key in the bucket, whatever its prefix.</summary>
    public Task<List<string>> KeysAsync() => Clients.ListAllKeysAsync(Client, Bucket);

    public async Task<byte[]> ReadAsync(string key)
    {
        using var get = await Client.GetObjectAsync(Bucket, key);
        using var buffer = new MemoryStream();
        await get.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// Asserts that every key is the prefix and a random blob id, and that no key and no object's bytes contain
    /// any of <paramref name="secrets"/> (names, metadata values, SSE-C keys, plaintext markers).
    /// </summary>
    public async Task AssertOnlyOpaqueBlobsAsync(params byte[][] secrets)
    {
        var keys = await KeysAsync();
        Assert.NotEmpty(keys);
        foreach (var key in keys)
        {
            Assert.Matches(BlobKey(), key);
            var bytes = await ReadAsync(key);
            foreach (var secret in secrets)
            {
                Assert.True(bytes.AsSpan().IndexOf(secret) < 0,
                    $"backend object {key} ({bytes.Length} bytes) holds the secret '{System.Text.Encoding.UTF8.GetString(secret)}'");
            }
        }
    }

    /// <summary>Waits (up to <paramref name="timeout"/>) until none of <paramref name="keys"/> is in the bucket; returns those still there.</summary>
    public async Task<List<string>> WaitGoneAsync(IReadOnlyCollection<string> keys, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var left = (await KeysAsync()).Intersect(keys).ToList();
            if (left.Count == 0 || DateTime.UtcNow > deadline)
                return left;
            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var key in await KeysAsync())
                await Client.DeleteObjectAsync(Bucket, key);
            var uploads = await Client.ListMultipartUploadsAsync(Bucket);
            foreach (var upload in uploads.MultipartUploads ?? [])
                await Client.AbortMultipartUploadAsync(Bucket, upload.Key, upload.UploadId);
            await Client.DeleteBucketAsync(Bucket);
        }
        catch (AmazonS3Exception)
        {
            // Never made (a server that did not start), or already gone.
        }
        Client.Dispose();
    }

    [GeneratedRegex("^coffer-blobs/[0-9a-f]{32}$")]
    private static partial Regex BlobKey();
}
