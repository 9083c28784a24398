using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Amazon.S3.Model;
using Coffer.Storage.S3;

namespace Coffer.Storage.Tests;

/// <summary>What only the S3 store does: its options, its failures, what reaches the backend. The shared promises are in <see cref="Coffer.Testing.Contracts.BlobStoreContract"/>.</summary>
public sealed class S3BlobStoreTests
{
    private const string Secret = "secret-key-never-shown-0123456789";

    [Fact]
    public void Options_are_parsed_from_the_uri()
    {
        var options = S3BlobStoreOptions.Parse("s3://coffer-blobs?endpoint=http%3A%2F%2F127.0.0.1%3A7480&region=eu-west-1&path-style=false&prefix=node", "AK", Secret);

        Assert.Equal("coffer-blobs", options.Bucket);
        Assert.Equal(new Uri("http://127.0.0.1:7480"), options.Endpoint);
        Assert.Equal("eu-west-1", options.Region);
        Assert.False(options.PathStyle);
        Assert.Equal("node/", options.Prefix);
        Assert.Equal("AK", options.AccessKey);
        Assert.Equal(Secret, options.SecretKey);
    }

    [Fact]
    public void The_form_in_the_operations_guide_parses_with_an_unescaped_endpoint()
    {
        var options = S3BlobStoreOptions.Parse("s3://coffer-blobs?endpoint=http://127.0.0.1:7480&region=us-east-1&path-style=true", "AK", Secret);

        Assert.Equal(new Uri("http://127.0.0.1:7480"), options.Endpoint);
        Assert.Equal("us-east-1", options.Region);
        Assert.True(options.PathStyle);
    }

    [Fact]
    public void A_custom_endpoint_defaults_to_path_style_and_aws_to_virtual_hosted()
    {
        var rgw = S3BlobStoreOptions.Parse("s3://blobs?endpoint=http://127.0.0.1:7480", "AK", Secret);
        var aws = S3BlobStoreOptions.Parse("s3://blobs", "AK", Secret);

        Assert.True(rgw.PathStyle);
        Assert.Equal("us-east-1", rgw.Region);
        Assert.Equal("", rgw.Prefix);
        Assert.Null(aws.Endpoint);
        Assert.False(aws.PathStyle);
    }

    [Theory]
    [InlineData("http://127.0.0.1:7480/blobs", "s3://")]
    [InlineData("s3://Blobs", "bucket name")]
    [InlineData("s3://ab", "bucket name")]
    [InlineData("s3://blobs?endpoint=ftp://host", "endpoint")]
    [InlineData("s3://blobs?endpoint=http://host/path", "endpoint")]
    [InlineData("s3://blobs?path-style=yes", "path-style")]
    [InlineData("s3://blobs?prefix=/abs", "prefix")]
    [InlineData("s3://blobs?region=", "region")]
    [InlineData("s3://blobs?colour=blue", "Unknown parameter 'colour'")]
    public void A_bad_uri_is_refused_saying_what_to_fix(string uri, string hint)
    {
        var e = Assert.Throws<ArgumentException>(() => S3BlobStoreOptions.Parse(uri, "AK", Secret));
        Assert.Contains(hint, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_credentials_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => S3BlobStoreOptions.Parse("s3://blobs", "", ""));
        Assert.Contains("COFFER_BLOBS_ACCESS_KEY", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_secret_key_is_not_in_the_options_text()
    {
        var options = S3BlobStoreOptions.Parse("s3://blobs?endpoint=http://127.0.0.1:7480", "AK", Secret);
        Assert.DoesNotContain(Secret, options.ToString(), StringComparison.Ordinal);
        Assert.Contains("AK", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_part_smaller_than_s3_allows_is_refused()
    {
        var options = S3BlobStoreOptions.Parse("s3://blobs?endpoint=http://127.0.0.1:7480", "AK", Secret) with { PartSize = 1024 * 1024 };
        Assert.Throws<ArgumentOutOfRangeException>(() => new S3BlobStore(options));
    }

    [Fact]
    public async Task An_endpoint_that_refuses_connections_gives_blob_store_unavailable_quickly()
    {
        using var store = new S3BlobStore(Unreachable(ClosedPort()));
        var clock = Stopwatch.StartNew();

        await Assert.ThrowsAsync<BlobStoreUnavailableException>(async () => await store.ExistsAsync(BlobIds.New()));
        await Assert.ThrowsAsync<BlobStoreUnavailableException>(async () => await store.OpenReadAsync(BlobIds.New(), 10, 100));
        await Assert.ThrowsAsync<BlobStoreUnavailableException>(async () => await store.DeleteAsync(BlobIds.New()));
        await Assert.ThrowsAsync<BlobStoreUnavailableException>(async () => { await foreach (var _ in store.ListAsync()) { } });
        await using (var writer = store.CreateWriter())
        {
            await writer.WriteAsync(new byte[100]);
            await Assert.ThrowsAsync<BlobStoreUnavailableException>(() => writer.CommitAsync());
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    /// <summary>
    /// What the backend or the way to it did is a backend failure (503 to the client), whatever form .NET gives it —
    /// including a bare SocketException, which a connection reset as it is made lets escape (BlobBackendFaultTests);
    /// a bug or the caller's own cancellation is not.
    /// </summary>
    [Fact]
    public void Backend_failures_are_told_from_bugs_and_cancellation()
    {
        Assert.True(S3BlobStore.IsBackendFailure(new SocketException((int)SocketError.NotConnected), CancellationToken.None));
        Assert.True(S3BlobStore.IsBackendFailure(new HttpRequestException("reset", new IOException()), CancellationToken.None));
        Assert.True(S3BlobStore.IsBackendFailure(new IOException("reset"), CancellationToken.None));
        Assert.True(S3BlobStore.IsBackendFailure(new TaskCanceledException("timeout"), CancellationToken.None));
        Assert.False(S3BlobStore.IsBackendFailure(new TaskCanceledException("caller"), new CancellationToken(canceled: true)));
        Assert.False(S3BlobStore.IsBackendFailure(new NullReferenceException(), CancellationToken.None));
        Assert.False(S3BlobStore.IsBackendFailure(new BlobStoreUnavailableException("already"), CancellationToken.None));
    }

    [Fact]
    public async Task An_endpoint_that_never_answers_times_out_as_blob_store_unavailable()
    {
        // Accepts connections and reads requests, but never answers.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var sockets = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                    sockets.Add(await listener.AcceptSocketAsync(stop.Token));
            }
            catch (OperationCanceledException)
            {
            }
        });
        using var store = new S3BlobStore(Unreachable(((IPEndPoint)listener.LocalEndpoint).Port) with { RequestTimeout = TimeSpan.FromSeconds(1) });
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<BlobStoreUnavailableException>(async () => await store.OpenReadAsync(BlobIds.New()));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.Contains("127.0.0.1", e.Message, StringComparison.Ordinal);
        await stop.CancelAsync();
        await accepting;
        foreach (var socket in sockets)
            socket.Dispose();
    }

    [S3Fact]
    public async Task A_writer_disposed_without_commit_leaves_no_unfinished_upload()
    {
        var store = new S3BlobStore(S3TestBuckets.Options() with { PartSize = S3BlobStoreOptions.MinPartSize });
        try
        {
            await store.CreateBucketIfMissingAsync();
            await using (var writer = store.CreateWriter())
                await writer.WriteAsync(new byte[(2 * S3BlobStoreOptions.MinPartSize) + 1]);   // two parts up, the third buffered

            var uploads = await store.Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = store.Options.Bucket });
            Assert.Empty(uploads.MultipartUploads ?? []);
            var objects = await store.Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = store.Options.Bucket });
            Assert.Empty(objects.S3Objects ?? []);
        }
        finally
        {
            await S3TestBuckets.DropAsync(store);
        }
    }

    [S3Fact]
    public async Task A_large_blob_goes_up_with_at_most_the_configured_parts_in_flight()
    {
        var store = new S3BlobStore(S3TestBuckets.Options() with { PartSize = S3BlobStoreOptions.MinPartSize, MaxPartsInFlight = 1 });
        try
        {
            await store.CreateBucketIfMissingAsync();
            var content = System.Security.Cryptography.RandomNumberGenerator.GetBytes((4 * S3BlobStoreOptions.MinPartSize) + 3);
            var writer = (S3BlobWriter)store.CreateWriter();
            await using (writer)
            {
                for (var at = 0; at < content.Length; at += 65_552)
                    await writer.WriteAsync(content.AsMemory(at, Math.Min(65_552, content.Length - at)));
                await writer.CommitAsync();
            }

            Assert.Equal(1, writer.PeakPartsInFlight);
            await using var read = await store.OpenReadAsync(writer.BlobId);
            using var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(content, copy.ToArray());
        }
        finally
        {
            await S3TestBuckets.DropAsync(store);
        }
    }

    [S3Fact]
    public async Task Only_the_prefix_and_random_ids_reach_the_backend()
    {
        var store = new S3BlobStore(S3TestBuckets.Options("node-a/"));
        try
        {
            await store.CreateBucketIfMissingAsync();
            await store.CreateBucketIfMissingAsync();   // a second time is fine
            var ids = new List<string>();
            foreach (var size in new[] { 0, 10, 100_000 })
            {
                await using var writer = store.CreateWriter();
                await writer.WriteAsync(new byte[size]);
                await writer.CommitAsync();
                ids.Add(writer.BlobId);
            }

            var objects = await store.Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = store.Options.Bucket });
            Assert.Equal(ids.Select(id => "node-a/" + id).Order(), (objects.S3Objects ?? []).Select(o => o.Key).Order());
            foreach (var o in objects.S3Objects!)
            {
                var head = await store.Client.GetObjectMetadataAsync(store.Options.Bucket, o.Key);
                Assert.Empty(head.Metadata.Keys);   // no user metadata of Coffer's travels with a blob
            }
        }
        finally
        {
            await S3TestBuckets.DropAsync(store);
        }
    }

    [S3Fact]
    public async Task A_missing_bucket_is_an_unavailable_backend_not_a_missing_blob()
    {
        using var store = new S3BlobStore(S3TestBuckets.Options() with { MaxRetries = 0 });   // never created

        await Assert.ThrowsAsync<BlobStoreUnavailableException>(async () => await store.OpenReadAsync(BlobIds.New()));
        await Assert.ThrowsAsync<BlobStoreUnavailableException>(async () => { await foreach (var _ in store.ListAsync()) { } });
        await using var writer = store.CreateWriter();
        await writer.WriteAsync(new byte[10]);
        await Assert.ThrowsAsync<BlobStoreUnavailableException>(() => writer.CommitAsync());
    }

    private static S3BlobStoreOptions Unreachable(int port) =>
        S3BlobStoreOptions.Parse($"s3://blobs?endpoint=http://127.0.0.1:{port}", "AK", Secret) with
        {
            MaxRetries = 1,
            ConnectTimeout = TimeSpan.FromSeconds(1),
            RequestTimeout = TimeSpan.FromSeconds(2),
        };

    private static int ClosedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;   // closed again when the probe is disposed
    }
}
