using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server;
using Coffer.Storage;
using Coffer.Testing;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// The orphan sweep reads the whole blob store, so a server does not run it before it serves: it answers its first
/// request while the sweep's listing is still held back, the sweep then removes the orphans a crash left, and the
/// writes answered meanwhile (blobs committed while the sweep was pending) are never swept. On the embedded backend
/// and on PostgreSQL.
/// </summary>
public sealed class StartupSweepTests : IAsyncLifetime
{
    private const int LargerThanInline = CofferServerOptions.DefaultInlineMaxBytes + 1;

    private readonly PostgresTestDatabase _database = new("coffer_sweep");
    private readonly string _blobRoot = Path.Combine(Path.GetTempPath(), "coffer-sweep-blobs-" + Guid.NewGuid().ToString("N"));
    private readonly GatedListing _gate = new();
    private CofferFixture? _node;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _gate.Open();
        if (_node is not null)
            await _node.DisposeAsync();
        try { Directory.Delete(_blobRoot, recursive: true); }
        catch (DirectoryNotFoundException) { }
        await _database.DisposeAsync();
    }

    private async Task<CofferFixture> StartAsync(bool postgres)
    {
        if (postgres)
            await _database.CreateAsync();
        _node = new CofferFixture
        {
            Configure = o =>
            {
                if (postgres)
                    o.Metadata = _database.Uri;
                o.Blobs = "file:" + _blobRoot;
                o.WrapBlobs = inner => _gate.Wrap(inner);
            },
        };
        await _node.InitializeAsync();
        return _node;
    }

    [Fact]
    public Task On_the_embedded_backend_the_first_request_is_answered_before_the_sweep_and_the_sweep_spares_writes_in_flight() =>
        FirstRequestBeforeTheSweepAsync(postgres: false);

    [PostgresFact]
    public Task On_PostgreSQL_the_first_request_is_answered_before_the_sweep_and_the_sweep_spares_writes_in_flight() =>
        FirstRequestBeforeTheSweepAsync(postgres: true);

    private async Task FirstRequestBeforeTheSweepAsync(bool postgres)
    {
        var node = await StartAsync(postgres);
        await WaitForAsync(() => node.Server.OrphanSweep.PassesRun >= 1, "the first sweep of an empty store");
        var bucket = CofferFixture.NewBucket("sweep");
        var objects = new Dictionary<string, byte[]>();
        using (var s3 = Clients.S3(node))
        {
            await s3.PutBucketAsync(bucket);
            for (var i = 0; i < 20; i++)
            {
                var data = RandomNumberGenerator.GetBytes(i % 2 == 0 ? LargerThanInline : 100);
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"k{i}", InputStream = new MemoryStream(data) });
                objects[$"k{i}"] = data;
            }
        }

        // A committed blob that no row names (as a crash that lost its ledger row leaves one), then a restart.
        var files = new FileSystemBlobStore(_blobRoot);
        await using (var writer = files.CreateWriter())
        {
            await writer.Stream.WriteAsync(new byte[] { 1, 2, 3 });
            await writer.CommitAsync();
            _gate.Close();
            await node.RestartAsync();   // returns once the server serves, the sweep's listing held back
            var orphan = writer.BlobId;

            await WaitForAsync(() => _gate.Waiting == 1, "the sweep to reach its listing");
            Assert.Equal(0, node.Server.OrphanSweep.PassesRun);
            using var s3 = Clients.S3(node);
            Assert.Equal(objects["k0"], await ReadAsync(s3, bucket, "k0"));
            // Writes answered while the sweep is pending: their blobs appear in the listing the sweep is about to read.
            for (var i = 0; i < 6; i++)
            {
                var data = RandomNumberGenerator.GetBytes(LargerThanInline + i);
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"late{i}", InputStream = new MemoryStream(data) });
                objects[$"late{i}"] = data;
            }
            Assert.True(await files.ExistsAsync(orphan));

            _gate.Open();
            await WaitForAsync(() => node.Server.OrphanSweep.PassesRun >= 1, "the sweep once its listing is let go");
            Assert.False(await files.ExistsAsync(orphan));
            foreach (var (key, data) in objects)
                Assert.Equal(data, await ReadAsync(s3, bucket, key));
        }
    }

    private static async Task<byte[]> ReadAsync(AmazonS3Client s3, string bucket, string key)
    {
        using var get = await s3.GetObjectAsync(bucket, key);
        using var buffer = new MemoryStream();
        await get.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>Blob stores whose listing waits while the gate is closed (everything else goes straight through).</summary>
    private sealed class GatedListing
    {
        private volatile TaskCompletionSource _open = Opened();
        private int _waiting;

        public int Waiting => Volatile.Read(ref _waiting);

        public void Close() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        public IBlobStore Wrap(IBlobStore inner) => new Store(inner, this);

        private static TaskCompletionSource Opened()
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            done.SetResult();
            return done;
        }

        private sealed class Store(IBlobStore inner, GatedListing gate) : IBlobStore
        {
            public IBlobWriter CreateWriter() => inner.CreateWriter();
            public ValueTask<Stream> OpenReadAsync(string blobId, long offset = 0, long? length = null, CancellationToken ct = default) => inner.OpenReadAsync(blobId, offset, length, ct);
            public ValueTask<bool> ExistsAsync(string blobId, CancellationToken ct = default) => inner.ExistsAsync(blobId, ct);
            public ValueTask DeleteAsync(string blobId, CancellationToken ct = default) => inner.DeleteAsync(blobId, ct);

            public async IAsyncEnumerable<BlobInfo> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
            {
                var open = gate._open.Task;
                if (!open.IsCompleted)
                {
                    Interlocked.Increment(ref gate._waiting);
                    try { await open.WaitAsync(ct); }
                    finally { Interlocked.Decrement(ref gate._waiting); }
                }
                await foreach (var blob in inner.ListAsync(ct))
                    yield return blob;
            }
        }
    }
}
