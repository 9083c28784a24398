using System.Net;
using System.Text;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Storage;

namespace Coffer.EndToEnd.Tests;

/// <summary>What must hold whatever a client does: no plaintext or key on disk or in logs, corruption never served, few KMS calls.</summary>
[Collection(CofferCollection.Name)]
public sealed class SseSafetyTests(CofferFixture f)
{
    [Fact]
    public async Task Encrypted_plaintext_and_keys_appear_nowhere_in_the_data_folder_or_the_log()
    {
        using var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        await cos.SendAsync(HttpMethod.Put, bucket);
        var marker = "RECOGNISABLE-PLAINTEXT-" + Guid.NewGuid().ToString("N");
        var body = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(marker, 200)));
        var context = SseKeys.Context("{\"project\":\"context-marker-" + Guid.NewGuid().ToString("N")[..8] + "\"}");

        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "cos", headers: [new("x-cos-server-side-encryption", "AES256")], body: body)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "kms", headers: [new("x-cos-server-side-encryption", "cos/kms"), new("x-cos-server-side-encryption-context", context)], body: body)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "ssec", headers: SseKeys.CosCustomer(), body: body)).StatusCode);
        foreach (var key in new[] { "cos", "kms" })
            Assert.Equal(body, await (await cos.SendAsync(HttpMethod.Get, bucket, key)).Content.ReadAsByteArrayAsync());
        Assert.Equal(body, await (await cos.SendAsync(HttpMethod.Get, bucket, "ssec", headers: SseKeys.CosCustomer())).Content.ReadAsByteArrayAsync());
        await cos.SendAsync(HttpMethod.Get, bucket, "ssec", headers: SseKeys.CosCustomer(SseKeys.KeyB, SseKeys.KeyBMd5));

        var needle = Encoding.ASCII.GetBytes(marker);
        var rawKey = Convert.FromBase64String(SseKeys.KeyA);
        // Scan a copy made by another process: opening and closing the live database files from this
        // process would drop SQLite's POSIX locks on them (fcntl locks are per process), and another
        // process could then take the database for unused and reset its WAL under the server.
        var copy = Path.Combine(Path.GetTempPath(), "coffer-scan-" + Guid.NewGuid().ToString("N"));
        using (var cp = System.Diagnostics.Process.Start("cp", ["-r", f.DataDirectory, copy])!)
            await cp.WaitForExitAsync();
        foreach (var file in Directory.EnumerateFiles(copy, "*", SearchOption.AllDirectories))
        {
            byte[] content;
            try { content = await File.ReadAllBytesAsync(file); }
            catch (IOException) { continue; }
            Assert.True(content.AsSpan().IndexOf(needle) < 0, $"plaintext found in {file}");
            Assert.True(content.AsSpan().IndexOf(rawKey) < 0, $"SSE-C key found in {file}");
            Assert.True(content.AsSpan().IndexOf(Encoding.ASCII.GetBytes(SseKeys.KeyA)) < 0, $"SSE-C key (base64) found in {file}");
        }

        Directory.Delete(copy, recursive: true);

        var log = string.Join("\n", f.Log.Lines);
        Assert.DoesNotContain(SseKeys.KeyA, log);
        Assert.DoesNotContain(SseKeys.KeyB, log);
        Assert.DoesNotContain(marker, log);
        Assert.DoesNotContain(CofferFixture.SecretKey, log);
    }

    [Fact]
    public async Task Small_sse_kms_objects_share_a_cached_bucket_key_so_kms_is_rarely_called()
    {
        using var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        await cos.SendAsync(HttpMethod.Put, bucket);
        var kms = f.Server.Services.Kms;
        var key = await kms.CreateKeyAsync(await f.RootIdAsync(), "count");
        var generateBefore = kms.GenerateCalls;
        var decryptBefore = kms.DecryptCalls;
        for (var i = 0; i < 50; i++)
        {
            var put = await cos.SendAsync(HttpMethod.Put, bucket, $"small-{i}", body: Encoding.ASCII.GetBytes($"object {i}"),
                headers: [new("x-cos-server-side-encryption", "cos/kms"), new("x-cos-server-side-encryption-cos-kms-key-id", key.KeyId)]);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            Assert.Equal($"object {i}", await (await cos.SendAsync(HttpMethod.Get, bucket, $"small-{i}")).Content.ReadAsStringAsync());
        }
        Assert.Equal(1, kms.GenerateCalls - generateBefore);
        Assert.True(kms.DecryptCalls - decryptBefore <= 1, $"decrypts: {kms.DecryptCalls - decryptBefore}");

        // LIST and HEAD of non-SSE-C objects never call the KMS.
        var before = kms.GenerateCalls + kms.DecryptCalls;
        await cos.SendAsync(HttpMethod.Get, bucket);
        await cos.SendAsync(HttpMethod.Head, bucket, "small-3");
        Assert.Equal(before, kms.GenerateCalls + kms.DecryptCalls);
    }

    [Fact]
    public async Task A_flipped_byte_on_disk_is_never_served_but_head_still_works()
    {
        using var s3 = Clients.S3(f, https: true);
        var bucket = CofferFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var data = new byte[300_000];
        Random.Shared.NextBytes(data);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "victim", InputStream = new MemoryStream(data), ServerSideEncryptionMethod = Amazon.S3.ServerSideEncryptionMethod.AES256 });

        var record = (await f.Server.Services.Store.GetObjectAsync(bucket, "victim"))!;
        var blobPath = Directory.EnumerateFiles(Path.Combine(f.DataDirectory, "blobs"), record.Streams[0].BlobId, SearchOption.AllDirectories).Single();
        var bytes = await File.ReadAllBytesAsync(blobPath);
        var flipAt = bytes.Length / 2;  // inside the third of five segments
        bytes[flipAt] ^= 0x01;
        await File.WriteAllBytesAsync(blobPath, bytes);

        var head = await s3.GetObjectMetadataAsync(bucket, "victim");
        Assert.Equal(data.Length, head.ContentLength);

        var received = new MemoryStream();
        var failed = false;
        try
        {
            using var get = await s3.GetObjectAsync(bucket, "victim");
            await get.ResponseStream.CopyToAsync(received);
        }
        catch (Exception)
        {
            failed = true;
        }
        Assert.True(failed, "a corrupted object must not be served whole");
        var got = received.ToArray();
        // Whatever arrived is a correct prefix that ends before the corrupted segment.
        Assert.True(got.Length <= 2 * Coffer.Crypto.SealedStream.SegmentSize + 1, $"{got.Length} bytes arrived");
        Assert.Equal(data[..got.Length], got);
        Assert.Contains(f.Log.Lines, l => l.Contains("victim") && l.Contains("integrity"));

        // A range before the corruption still reads.
        using var early = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "victim", ByteRange = new ByteRange(0, 999) });
        using var ms = new MemoryStream();
        await early.ResponseStream.CopyToAsync(ms);
        Assert.Equal(data[..1000], ms.ToArray());
    }
}
