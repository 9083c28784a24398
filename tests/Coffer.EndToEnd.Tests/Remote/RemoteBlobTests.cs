using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Testing;
using static Coffer.EndToEnd.Tests.Infrastructure.SseCases;

namespace Coffer.EndToEnd.Tests.Remote;

/// <summary>
/// A Coffer server whose blobs are on an S3-compatible backend (<c>--blobs s3://…</c>, RGW here), driven through
/// AWSSDK.S3 in every SSE mode: whole, ranged and HEAD reads, multipart with parts larger than the S3 writer's
/// part size (so blobs go up as backend multipart uploads), copy into another mode, overwrite and delete. The
/// backend bucket is then read directly: its keys are the prefix and random ids only, and no name, metadata value,
/// SSE-C key or plaintext is in any key or object; replaced data is deleted from it after the (scaled) grace.
/// </summary>
public sealed class RemoteBlobTests : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;
    private const int Segment = 64 * 1024;

    private RemoteBackend? _backend;
    private CofferFixture? _server;

    public Task InitializeAsync() => Task.CompletedTask;   // lazily, so a skipped test needs no engine

    public async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        if (_backend is not null)
            await _backend.DisposeAsync();
    }

    private async Task<(RemoteBackend Backend, CofferFixture Server)> StartAsync()
    {
        _backend = new RemoteBackend();
        var backend = _backend;
        _server = new CofferFixture { TimeScale = 100, Configure = backend.Configure };
        await _server.InitializeAsync();
        return (backend, _server);
    }

    /// <summary>Random bytes with <paramref name="marker"/> written in at the start, across a segment boundary and at the end.</summary>
    private static byte[] Plaintext(int size, byte[] marker)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        foreach (var at in new[] { 0, Segment - marker.Length / 2, size / 2, size - marker.Length })
            marker.CopyTo(data, at);
        return data;
    }

    private static void AssertMode(Mode mode, ServerSideEncryptionMethod method, ServerSideEncryptionCustomerMethod customer)
    {
        switch (mode)
        {
            case Mode.SseS3: Assert.Equal(ServerSideEncryptionMethod.AES256, method); break;
            case Mode.SseKms: Assert.Equal(ServerSideEncryptionMethod.AWSKMS, method); break;
            case Mode.SseC: Assert.Equal(ServerSideEncryptionCustomerMethod.AES256, customer); break;
        }
    }

    private static async Task<byte[]> ReadAsync(AmazonS3Client s3, string bucket, string key, Mode mode, ByteRange? range = null)
    {
        using var get = await s3.GetObjectAsync(Get(bucket, key, mode, range));
        return await ReadAllAsync(get);
    }

    [S3Theory]
    [InlineData(Mode.SseS3)]
    [InlineData(Mode.SseKms)]
    [InlineData(Mode.SseC)]
    public async Task Every_operation_works_on_s3_blobs_and_the_backend_holds_only_random_ids_and_ciphertext(Mode mode)
    {
        var (backend, f) = await StartAsync();
        using var s3 = Clients.S3(f, https: true);
        using var kms = KmsLifeTests.Kms(f);
        var kmsKeyId = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "remote" })).KeyMetadata.KeyId;

        var tag = Guid.NewGuid().ToString("N")[..12];
        var bucket = $"zqbucketmark-{tag}";
        var key = $"ZqKeyMark-{tag}/small.bin";
        var bigKey = $"ZqKeyMark-{tag}/big.bin";
        var copyKey = $"ZqKeyMark-{tag}/copy.bin";
        var metaValue = $"ZqMetaMark-{tag}";
        var plainMarker = Encoding.UTF8.GetBytes($"ZqPlainMark-{tag}");
        await s3.PutBucketAsync(bucket);

        // PUT, GET, HEAD and ranges of an object of a few segments.
        var small = Plaintext(3 * Segment + 100, plainMarker);
        var put = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(small) };
        put.Metadata.Add("marker", metaValue);
        Apply(put, mode, kmsKeyId);
        var before = (await backend.KeysAsync()).ToHashSet();
        await s3.PutObjectAsync(put);
        var smallBlobs = (await backend.KeysAsync()).Except(before).ToList();
        Assert.NotEmpty(smallBlobs);

        using (var get = await s3.GetObjectAsync(Get(bucket, key, mode)))
        {
            Assert.Equal(small, await ReadAllAsync(get));
            AssertMode(mode, get.ServerSideEncryptionMethod, get.ServerSideEncryptionCustomerMethod);
        }
        var head = await s3.GetObjectMetadataAsync(Head(bucket, key, mode));
        Assert.Equal(small.Length, head.ContentLength);
        Assert.Equal(metaValue, head.Metadata["marker"]);
        AssertMode(mode, head.ServerSideEncryptionMethod, head.ServerSideEncryptionCustomerMethod);
        foreach (var (from, to) in new[] { (small.Length - 1L, small.Length - 1L), (Segment - 5L, Segment + 5L), (10L, 2L * Segment + 7), (0L, 0L) })
            Assert.Equal(small[(int)from..(int)(to + 1)], await ReadAsync(s3, bucket, key, mode, new ByteRange(from, to)));

        // Multipart with a part larger than the S3 writer's part size (8 MiB): that blob goes up in backend parts.
        var part1 = Plaintext(9 * MiB + 3, plainMarker);
        var part2 = Plaintext(Segment + 17, plainMarker);
        var initiate = new InitiateMultipartUploadRequest { BucketName = bucket, Key = bigKey };
        initiate.Metadata.Add("marker", metaValue);
        Apply(initiate, mode, kmsKeyId);
        var uploadId = (await s3.InitiateMultipartUploadAsync(initiate)).UploadId;
        var etags = new List<PartETag>();
        foreach (var (number, data) in new[] { (1, part1), (2, part2) })
        {
            var part = new UploadPartRequest { BucketName = bucket, Key = bigKey, UploadId = uploadId, PartNumber = number, InputStream = new MemoryStream(data) };
            Apply(part, mode);
            etags.Add(new PartETag(number, (await s3.UploadPartAsync(part)).ETag));
        }
        Assert.Empty((await backend.Client.ListMultipartUploadsAsync(backend.Bucket)).MultipartUploads ?? []);
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = bigKey, UploadId = uploadId, PartETags = etags });
        var big = part1.Concat(part2).ToArray();
        Assert.Equal(big, await ReadAsync(s3, bucket, bigKey, mode));
        foreach (var (from, to) in new[] { (part1.Length - 10L, part1.Length + 10L), (big.Length - 1L, big.Length - 1L), (8L * MiB - 3, 8L * MiB + 3) })
            Assert.Equal(big[(int)from..(int)(to + 1)], await ReadAsync(s3, bucket, bigKey, mode, new ByteRange(from, to)));
        var bigBlobs = (await backend.KeysAsync()).Except(before).Except(smallBlobs).ToList();
        Assert.NotEmpty(bigBlobs);
        var largest = 0L;
        foreach (var blob in bigBlobs)
            largest = Math.Max(largest, (await backend.Client.GetObjectMetadataAsync(backend.Bucket, blob)).ContentLength);
        Assert.True(largest > 8 * MiB, $"no blob of the multipart object is larger than the S3 writer's part size ({largest} bytes)");

        // Copy into another SSE mode.
        var target = mode switch { Mode.SseS3 => Mode.SseC, Mode.SseKms => Mode.SseS3, _ => Mode.SseKms };
        var copy = new CopyObjectRequest { SourceBucket = bucket, SourceKey = key, DestinationBucket = bucket, DestinationKey = copyKey };
        Apply(copy, mode, target, kmsKeyId);
        var beforeCopy = (await backend.KeysAsync()).ToHashSet();
        await s3.CopyObjectAsync(copy);
        // A copy re-wraps the object key and shares the data: nothing new on the backend.
        Assert.Equal(beforeCopy.Order(), (await backend.KeysAsync()).Order());
        using (var get = await s3.GetObjectAsync(Get(bucket, copyKey, target)))
        {
            Assert.Equal(small, await ReadAllAsync(get));
            AssertMode(target, get.ServerSideEncryptionMethod, get.ServerSideEncryptionCustomerMethod);
        }
        Assert.Equal(small[^1..], await ReadAsync(s3, bucket, copyKey, target, new ByteRange(small.Length - 1, small.Length - 1)));

        // The backend: random ids under the prefix, ciphertext only.
        var secrets = new List<byte[]>
        {
            Encoding.UTF8.GetBytes(bucket), Encoding.UTF8.GetBytes("ZqKeyMark-" + tag), Encoding.UTF8.GetBytes(metaValue), plainMarker,
            Convert.FromBase64String(SseKeys.KeyA), Encoding.UTF8.GetBytes(SseKeys.KeyA), Convert.FromBase64String(SseKeys.KeyAMd5),
            small[200..264], part1[(5 * MiB)..(5 * MiB + 64)],
        };
        await backend.AssertOnlyOpaqueBlobsAsync([.. secrets]);

        // Overwrite and delete: the replaced data leaves the backend after the grace (300 ms at a time scale of 100),
        // except what the copy still shares.
        var second = Plaintext(Segment + 100, plainMarker);
        var overwrite = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(second) };
        Apply(overwrite, mode, kmsKeyId);
        var beforeOverwrite = (await backend.KeysAsync()).ToHashSet();
        await s3.PutObjectAsync(overwrite);
        var secondBlobs = (await backend.KeysAsync()).Except(beforeOverwrite).ToList();
        Assert.NotEmpty(secondBlobs);
        await s3.DeleteObjectAsync(bucket, bigKey);
        var left = await backend.WaitGoneAsync(bigBlobs, TimeSpan.FromSeconds(20));
        Assert.True(left.Count == 0, $"the deleted object's blobs are still on the backend: {string.Join(", ", left)}");
        await Task.Delay(1000);   // > 3 graces: the overwritten blob would be gone by now were it not shared
        Assert.Subset((await backend.KeysAsync()).ToHashSet(), smallBlobs.ToHashSet());

        Assert.Equal(second, await ReadAsync(s3, bucket, key, mode));
        Assert.Equal(small, await ReadAsync(s3, bucket, copyKey, target));
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(Get(bucket, bigKey, mode)));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        secrets.Add(second[300..364]);
        await backend.AssertOnlyOpaqueBlobsAsync([.. secrets]);

        // Deleting the copy releases the last reference to the first version's data.
        await s3.DeleteObjectAsync(bucket, copyKey);
        left = await backend.WaitGoneAsync(smallBlobs, TimeSpan.FromSeconds(20));
        Assert.True(left.Count == 0, $"the overwritten and then unshared blobs are still on the backend: {string.Join(", ", left)}");
        Assert.Equal(secondBlobs.Order(), (await backend.KeysAsync()).Order());
        Assert.Equal(second, await ReadAsync(s3, bucket, key, mode));
    }
}
