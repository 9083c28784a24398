using System.Diagnostics;
using Coffer.Sdk.Tests.Infrastructure;
using static Coffer.Sdk.Tests.Infrastructure.TestData;

namespace Coffer.Sdk.Tests;

/// <summary>IfNoneMatch / IfMatch on put, copy and complete, against a real server with both signatures.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConditionalWriteTests(ServerFixture fixture)
{
    public static TheoryData<SignatureVersion> Signatures => new() { SignatureVersion.CosV5, SignatureVersion.SigV4 };

    private static async Task<CofferException> RefusedAsync(Func<Task> call, string code, int status)
    {
        var e = await Assert.ThrowsAsync<CofferException>(call);
        Assert.Equal((code, status), (e.Code, e.StatusCode));
        return e;
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Put_and_copy_honour_if_none_match_and_if_match(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var first = await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "k", Body = "first", IfNoneMatch = "*" });
        await RefusedAsync(() => client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "k", Body = "second", IfNoneMatch = "*" }),
            ErrorCodes.PreconditionFailed, 412);
        await RefusedAsync(() => client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "k", Body = "second", IfMatch = "\"0123456789abcdef0123456789abcdef\"" }),
            ErrorCodes.PreconditionFailed, 412);
        await RefusedAsync(() => client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "absent", Body = "x", IfMatch = "*" }),
            ErrorCodes.NoSuchKey, 404);
        Assert.Equal("first"u8.ToArray(), await ReadAsync(client, bucket, "k"));

        await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "k", Body = "second", IfMatch = first.ETag });
        Assert.Equal("second"u8.ToArray(), await ReadAsync(client, bucket, "k"));

        var copy = new CopyObjectRequest { Bucket = bucket, Key = "k", CopySource = new CopySource(bucket, "src"), IfNoneMatch = "*" };
        await client.PutObjectAsync(bucket, "src", "source");
        await RefusedAsync(() => client.CopyObjectAsync(copy), ErrorCodes.PreconditionFailed, 412);
        copy.Key = "fresh";
        await client.CopyObjectAsync(copy);
        Assert.Equal("source"u8.ToArray(), await ReadAsync(client, bucket, "fresh"));
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Complete_with_if_none_match_fails_over_an_object_and_keeps_the_upload(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var init = await client.CreateMultipartUploadAsync(new CreateMultipartUploadRequest { Bucket = bucket, Key = "mp" });
        var part = await client.UploadPartAsync(new UploadPartRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, Body = Bytes(1000, 3) });
        var existing = await client.PutObjectAsync(bucket, "mp", "existing");

        var complete = new CompleteMultipartUploadRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId, IfNoneMatch = "*" };
        complete.Parts.Add(new CompletedPart(1, part.ETag!));
        await RefusedAsync(() => client.CompleteMultipartUploadAsync(complete), ErrorCodes.PreconditionFailed, 412);
        Assert.Equal("existing"u8.ToArray(), await ReadAsync(client, bucket, "mp"));
        Assert.Single((await client.ListPartsAsync(new ListPartsRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId })).Parts);

        complete.IfNoneMatch = null;
        complete.IfMatch = existing.ETag;
        await client.CompleteMultipartUploadAsync(complete);
        Assert.Equal(Bytes(1000, 3), await ReadAsync(client, bucket, "mp"));
    }

    /// <summary>
    /// The check at commit time, not only the early one: the conditional PUT starts while the key is empty
    /// (so it passes the early check and writes its data), another writer creates the key, then the body ends.
    /// The conditional PUT must lose, and its data must be reclaimed.
    /// </summary>
    [Fact]
    public async Task A_put_whose_key_is_created_while_its_body_streams_fails_at_commit_and_leaves_no_blob()
    {
        var scaled = new ServerFixture { TimeScale = 100 };
        await scaled.InitializeAsync();
        try
        {
            using var client = scaled.Client();
            string bucket = await scaled.CreateBucketAsync(client);
            // Far more than loopback socket buffers hold: when the gate is reached the server has been reading
            // the body for a while, so its early check has passed.
            const int Length = 24 * MiB;
            await using var body = new GatedStream(Length, gateAt: 20 * MiB);
            var conditional = client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "k", Body = CosBody.FromStream(body, Length), IfNoneMatch = "*" });

            await body.GateReached.WaitAsync(TimeSpan.FromSeconds(60));
            await client.PutObjectAsync(bucket, "k", "the other writer");
            body.Open();
            await RefusedAsync(() => conditional, ErrorCodes.PreconditionFailed, 412);
            Assert.Equal("the other writer"u8.ToArray(), await ReadAsync(client, bucket, "k"));

            // The winner is small enough to be inline: once the scaled grace has passed, no blob is left at all.
            var blobs = Path.Combine(scaled.DataDirectory, "blobs");
            var watch = Stopwatch.StartNew();
            while (BlobCount(blobs) > 0 && watch.Elapsed < TimeSpan.FromSeconds(10))
                await Task.Delay(20);
            Assert.Equal(0, BlobCount(blobs));
        }
        finally
        {
            await scaled.DisposeAsync();
        }
    }

    private static int BlobCount(string directory) =>
        Directory.Exists(directory) ? Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Count() : 0;

    /// <summary>A body of zeros that stops at <c>gateAt</c> bytes until <see cref="Open"/> is called.</summary>
    private sealed class GatedStream(long length, long gateAt) : Stream
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _position;

        public Task GateReached => _reached.Task;

        public void Open() => _open.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position >= gateAt && !_open.Task.IsCompleted)
            {
                _reached.TrySetResult();
                await _open.Task.WaitAsync(cancellationToken);
            }
            var limit = _position < gateAt ? gateAt : length;
            var n = (int)Math.Min(buffer.Length, limit - _position);
            buffer.Span[..n].Clear();
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
