using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Testing;
using static Coffer.EndToEnd.Tests.Infrastructure.SseCases;

namespace Coffer.EndToEnd.Tests.Remote;

/// <summary>
/// Three Coffer nodes over one PostgreSQL database (a fresh one per test) and one RGW bucket, with one root key and
/// one root key pair: a mixed workload spread over the nodes reads back byte for byte through the others, in
/// process; and, with the nodes as real <c>coffer serve</c> processes, every acknowledged write survives the
/// SIGKILL of one node mid-workload.
/// </summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;

    private readonly PostgresTestDatabase _database = new("coffer_remote");
    private readonly List<CofferFixture> _nodes = [];
    private readonly List<Process> _processes = [];
    private readonly List<string> _directories = [];
    private RemoteBackend? _backend;

    public Task InitializeAsync() => Task.CompletedTask;   // lazily, so a skipped test needs no engine

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            process.Dispose();
        }
        foreach (var node in _nodes)
            await node.DisposeAsync();
        if (_backend is not null)
            await _backend.DisposeAsync();
        await _database.DisposeAsync();
        foreach (var directory in _directories)
        {
            try { Directory.Delete(directory, recursive: true); }
            catch (DirectoryNotFoundException) { }
            catch (IOException) { }
        }
    }

    private static async Task<byte[]> ReadAsync(AmazonS3Client s3, string bucket, string key, Mode mode = Mode.Plain)
    {
        using var get = await s3.GetObjectAsync(Get(bucket, key, mode));
        return await ReadAllAsync(get);
    }

    [PostgresFact]
    public async Task Three_nodes_on_one_database_and_one_bucket_serve_a_mixed_workload_that_reads_back_through_the_others()
    {
        Assert.False(string.IsNullOrEmpty(Engines.S3Endpoint));
        _backend = new RemoteBackend();
        var backend = _backend;
        await _database.CreateAsync();
        var rootKey = RandomNumberGenerator.GetBytes(32);
        for (var i = 0; i < 3; i++)
        {
            var node = new CofferFixture
            {
                DataDirectory = CofferFixture.DataFolderWithRootKey(rootKey),
                TimeScale = 1000,
                Configure = o =>
                {
                    o.Metadata = _database.Uri;
                    backend.Configure(o);
                },
            };
            _nodes.Add(node);
            await node.InitializeAsync();   // one at a time: the first migrates the schema and makes the root user
        }
        var s3 = _nodes.Select(n => Clients.S3(n, https: true)).ToArray();
        try
        {
            using var kms = KmsLifeTests.Kms(_nodes[0]);
            var kmsKeyId = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "cluster" })).KeyMetadata.KeyId;
            var bucket = CofferFixture.NewBucket("cl");
            await s3[1].PutBucketAsync(bucket);

            // Every mode written on one node, read on the two others.
            var acknowledged = new Dictionary<string, (byte[] Data, Mode Mode)>();
            var modes = new[] { Mode.Plain, Mode.SseS3, Mode.SseKms, Mode.SseC };
            for (var i = 0; i < 12; i++)
            {
                var mode = modes[i % modes.Length];
                var data = RandomNumberGenerator.GetBytes(1 + i * 37_000);
                var key = $"obj-{i}-{mode}";
                var put = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(data) };
                Apply(put, mode, kmsKeyId);
                await s3[i % 3].PutObjectAsync(put);
                acknowledged[key] = (data, mode);
                Assert.Equal(data, await ReadAsync(s3[(i + 1) % 3], bucket, key, mode));
                Assert.Equal(data, await ReadAsync(s3[(i + 2) % 3], bucket, key, mode));
            }

            // One multipart upload whose parts go to three nodes (the first one larger than the S3 writer's part size).
            var parts = new[] { RandomNumberGenerator.GetBytes(9 * MiB), RandomNumberGenerator.GetBytes(5 * MiB), RandomNumberGenerator.GetBytes(1234) };
            var initiate = new InitiateMultipartUploadRequest { BucketName = bucket, Key = "multi", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = kmsKeyId };
            var uploadId = (await s3[0].InitiateMultipartUploadAsync(initiate)).UploadId;
            var etags = new List<PartETag>();
            for (var n = 0; n < parts.Length; n++)
            {
                var part = await s3[(n + 1) % 3].UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "multi", UploadId = uploadId, PartNumber = n + 1, InputStream = new MemoryStream(parts[n]) });
                etags.Add(new PartETag(n + 1, part.ETag));
            }
            await s3[2].CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "multi", UploadId = uploadId, PartETags = etags });
            acknowledged["multi"] = ([.. parts.SelectMany(p => p)], Mode.Plain);

            // A copy into another mode on one node, read on another.
            var (source, _) = acknowledged["obj-5-SseS3"];
            await s3[2].CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = bucket,
                SourceKey = "obj-5-SseS3",
                DestinationBucket = bucket,
                DestinationKey = "copied",
                ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
                ServerSideEncryptionKeyManagementServiceKeyId = kmsKeyId,
            });
            acknowledged["copied"] = (source, Mode.SseKms);

            // An archive object restored through one node, read through another when the restore is done.
            var cold = RandomNumberGenerator.GetBytes(70_000);
            await s3[0].PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "cold", InputStream = new MemoryStream(cold), StorageClass = S3StorageClass.Glacier });
            var frozen = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3[1].GetObjectAsync(bucket, "cold"));
            Assert.Equal("InvalidObjectState", frozen.ErrorCode);
            await s3[1].RestoreObjectAsync(new RestoreObjectRequest { BucketName = bucket, Key = "cold", Days = 1, Tier = GlacierJobTier.Expedited });
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while ((await s3[2].GetObjectMetadataAsync(bucket, "cold")).RestoreInProgress == true && DateTime.UtcNow < deadline)
                await Task.Delay(100);
            Assert.Equal(cold, await ReadAsync(s3[2], bucket, "cold"));

            // A delete on one node is seen by the others.
            await s3[0].DeleteObjectAsync(bucket, "obj-0-Plain");
            acknowledged.Remove("obj-0-Plain");
            foreach (var other in new[] { s3[1], s3[2] })
            {
                var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => other.GetObjectAsync(bucket, "obj-0-Plain"));
                Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            }

            // Every acknowledged write, byte for byte, through every node; the listing is the same everywhere.
            foreach (var client in s3)
            {
                foreach (var (key, (data, mode)) in acknowledged)
                {
                    var read = await ReadAsync(client, bucket, key, mode);
                    Assert.True(data.AsSpan().SequenceEqual(read), $"{key} differs");
                }
                var listed = await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
                Assert.Equal(acknowledged.Keys.Append("cold").Order(StringComparer.Ordinal), listed.S3Objects.Select(o => o.Key));
            }
        }
        finally
        {
            foreach (var client in s3)
                client.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static AmazonS3Client PlainClient(int port, string accessKey, string secretKey) => new(
        new BasicAWSCredentials(accessKey, secretKey),
        new AmazonS3Config { ServiceURL = $"http://127.0.0.1:{port}", ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0, Timeout = TimeSpan.FromSeconds(20) });

    [PostgresFact]
    public async Task Every_acknowledged_write_survives_the_sigkill_of_one_coffer_serve_process_mid_workload()
    {
        Assert.False(string.IsNullOrEmpty(Engines.S3Endpoint));
        _backend = new RemoteBackend();
        await _database.CreateAsync();
        const string accessKey = "AKIDCLUSTERKILLTEST00000000000000000";
        const string secretKey = "ClusterKillTestSecretKey0123456789abcdef";
        var rootKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var ports = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var data = Path.Combine(Path.GetTempPath(), "coffer-kill-" + Guid.NewGuid().ToString("N"));
            _directories.Add(data);
            var port = FreePort();
            ports.Add(port);
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("COFFER_", StringComparison.Ordinal)).ToList())
                start.Environment.Remove(name);
            start.Environment["DOTNET_NOLOGO"] = "1";
            start.Environment["COFFER_ROOT_KEY"] = rootKey;
            start.Environment["COFFER_ACCESS_KEY"] = accessKey;
            start.Environment["COFFER_SECRET_KEY"] = secretKey;
            start.Environment["COFFER_BLOBS_ACCESS_KEY"] = Engines.S3AccessKey;
            start.Environment["COFFER_BLOBS_SECRET_KEY"] = Engines.S3SecretKey;
            foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "coffer.dll"), "serve", "--data", data, "--http", $"127.0.0.1:{port}", "--https", "none", "--metadata", _database.Uri, "--blobs", _backend.Spec })
                start.ArgumentList.Add(arg);
            var process = Process.Start(start)!;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _processes.Add(process);
            await WaitHealthyAsync(port, process);   // one at a time: the first migrates the schema and makes the root user
        }

        var s3 = ports.Select(p => PlainClient(p, accessKey, secretKey)).ToArray();
        try
        {
            var bucket = CofferFixture.NewBucket("kill");
            await s3[0].PutBucketAsync(bucket);
            var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<string, byte[]>();
            var failures = 0;
            using var stop = new CancellationTokenSource();

            async Task WriterAsync(int writer)
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    var node = (writer + i) % 3;
                    var key = $"w{writer}/{i}";
                    var data = RandomNumberGenerator.GetBytes(1 + RandomNumberGenerator.GetInt32(300_000));
                    try
                    {
                        var put = new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(data) };
                        if (i % 2 == 0)
                            put.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256;
                        await s3[node].PutObjectAsync(put);
                        acknowledged[key] = data;
                    }
                    catch (Exception e) when (e is AmazonServiceException or HttpRequestException or IOException or OperationCanceledException or SocketException)
                    {
                        Interlocked.Increment(ref failures);   // not acknowledged: the node is gone (or going)
                    }
                }
            }

            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() => WriterAsync(w))).ToArray();
            var watch = Stopwatch.StartNew();
            while (acknowledged.Count < 40 && watch.Elapsed < TimeSpan.FromSeconds(20))
                await Task.Delay(50);
            var beforeKill = acknowledged.Count;
            _processes[2].Kill();   // SIGKILL: no shutdown path runs
            await _processes[2].WaitForExitAsync();
            var afterKill = watch.Elapsed;
            while (acknowledged.Count < beforeKill + 40 && watch.Elapsed < afterKill + TimeSpan.FromSeconds(15))
                await Task.Delay(50);
            await stop.CancelAsync();
            await Task.WhenAll(writers);

            Assert.True(beforeKill >= 40, $"only {beforeKill} writes before the kill");
            Assert.True(acknowledged.Count >= beforeKill + 40, $"the survivors took only {acknowledged.Count - beforeKill} writes after the kill");
            Assert.True(failures > 0, "no write went to the killed node");

            // Every acknowledged write reads back byte for byte through both survivors, and is listed.
            foreach (var client in s3[..2])
            {
                foreach (var (key, data) in acknowledged)
                {
                    var read = await ReadAsync(client, bucket, key);
                    Assert.True(data.AsSpan().SequenceEqual(read), $"{key} differs");
                }
                var listed = (await Clients.ListAllKeysAsync(client, bucket)).ToHashSet();
                Assert.Subset(listed, acknowledged.Keys.ToHashSet());
            }
        }
        finally
        {
            foreach (var client in s3)
                client.Dispose();
        }
    }

    private static async Task WaitHealthyAsync(int port, Process process)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"coffer serve on port {port} exited with {(process.HasExited ? process.ExitCode : 0)}");
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/_coffer/health")).StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(200);
        }
        Assert.Fail($"coffer serve on port {port} did not answer its health check within 30 s");
    }
}
