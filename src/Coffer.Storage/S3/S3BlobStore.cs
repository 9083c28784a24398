using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Coffer.Storage.S3;

/// <summary>
/// Blobs as objects of one bucket in an S3-compatible store (Ceph RGW, MinIO, AWS S3, COS),
/// through AWSSDK.S3. A blob's key is <see cref="S3BlobStoreOptions.Prefix"/> + its random id:
/// no object name, bucket name, metadata or key of Coffer's ever reaches the backend, only
/// ciphertext (or the plain framing of unencrypted objects) under random ids.
/// </summary>
/// <remarks>
/// A blob up to one part goes up in a single PutObject at commit; a larger one as a multipart
/// upload whose parts go up while the next is filled (memory per stream: at most
/// (<see cref="S3BlobStoreOptions.MaxPartsInFlight"/> + 1) parts), completed at commit and
/// aborted when the writer is disposed without a commit. Reads are ranged GETs. The SDK retries
/// 5xx answers, throttling and timeouts with backoff (<see cref="S3BlobStoreOptions.MaxRetries"/>);
/// whatever still fails is a <see cref="BlobStoreUnavailableException"/>.
/// Checksums are computed and validated only when an operation requires them (AWSSDK.S3 4.x
/// otherwise adds CRC trailers by default, which older RGW and MinIO releases refuse).
/// </remarks>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _prefix;
    private readonly string _where;

    /// <summary>Creates the store; no request is sent until a blob is used (see <see cref="CreateBucketIfMissingAsync"/>).</summary>
    /// <exception cref="ArgumentException">The options are not usable.</exception>
    public S3BlobStore(S3BlobStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _bucket = options.Bucket;
        _prefix = options.Prefix;
        _where = options.Endpoint is { } e ? $"bucket '{_bucket}' at {e.GetLeftPart(UriPartial.Authority)}" : $"bucket '{_bucket}' in {options.Region}";
        var config = new AmazonS3Config
        {
            AuthenticationRegion = options.Region,
            ForcePathStyle = options.PathStyle,
            RetryMode = RequestRetryMode.Standard,
            MaxErrorRetry = options.MaxRetries,
            ConnectTimeout = options.ConnectTimeout,
            Timeout = options.RequestTimeout,
            // AWSSDK.S3 4.x sends CRC32 trailers (aws-chunked) and validates response checksums by
            // default; RGW (before Squid) and older MinIO refuse or ignore them. Only when required.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.UseHttp = endpoint.Scheme == Uri.UriSchemeHttp;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }
        _client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
        Parts = ArrayPool<byte>.Create(options.PartSize, maxArraysPerBucket: 8);
    }

    /// <summary>The options the store was made with.</summary>
    public S3BlobStoreOptions Options { get; }

    /// <summary>The SDK client (tests use it to look at the bucket directly).</summary>
    internal IAmazonS3 Client => _client;

    /// <summary>Part buffers: few per size, so a burst of uploads does not leave hundreds of MiB pooled.</summary>
    internal ArrayPool<byte> Parts { get; }

    /// <summary>Whether payloads go unsigned (only over HTTPS; over HTTP the signature covers the body's SHA-256).</summary>
    internal bool UnsignedPayload => Options.Endpoint is null || Options.Endpoint.Scheme == Uri.UriSchemeHttps;

    internal string BucketName => _bucket;

    /// <summary>Creates the bucket unless it exists and is ours already.</summary>
    /// <exception cref="BlobStoreUnavailableException">The backend cannot be reached, or the bucket belongs to someone else.</exception>
    public async Task CreateBucketIfMissingAsync(CancellationToken ct = default)
    {
        try
        {
            await _client.PutBucketAsync(new PutBucketRequest { BucketName = _bucket, UseClientRegion = true }, ct).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou")
        {
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyExists")
        {
            // Some backends answer this for the caller's own bucket too: it is usable if it can be listed.
            await CallAsync("list the bucket", c => _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, MaxKeys = 1 }, c), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsBackendFailure(e, ct))
        {
            throw Unavailable("create the bucket", e);
        }
    }

    /// <inheritdoc />
    public IBlobWriter CreateWriter() => new S3BlobWriter(this, BlobIds.New());

    /// <inheritdoc />
    public async ValueTask<Stream> OpenReadAsync(string blobId, long offset = 0, long? length = null, CancellationToken ct = default)
    {
        BlobIds.Check(blobId);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is { } l)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(length));
        }
        if (length == 0)
        {
            // A GET cannot ask for no bytes; the blob must still exist.
            return await ExistsAsync(blobId, ct).ConfigureAwait(false)
                ? Stream.Null
                : throw Missing(blobId);
        }

        var request = new GetObjectRequest { BucketName = _bucket, Key = KeyOf(blobId) };
        if (offset > 0 || length is not null)
        {
            request.ByteRange = length is { } count ? new ByteRange(offset, offset + count - 1) : new ByteRange($"bytes={offset}-");
        }
        try
        {
            var response = await _client.GetObjectAsync(request, ct).ConfigureAwait(false);
            return new S3ReadStream(this, response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode is "NoSuchKey")
        {
            // (A missing bucket, NoSuchBucket, is a backend that is not set up: unavailable, below.)
            throw Missing(blobId, e);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // The blob exists; the range starts at or past its end (or the blob is empty).
            return Stream.Null;
        }
        catch (Exception e) when (IsBackendFailure(e, ct))
        {
            throw Unavailable("read a blob", e);
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> ExistsAsync(string blobId, CancellationToken ct = default)
    {
        BlobIds.Check(blobId);
        try
        {
            await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = KeyOf(blobId) }, ct).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
        catch (Exception e) when (IsBackendFailure(e, ct))
        {
            throw Unavailable("look up a blob", e);
        }
    }

    /// <inheritdoc />
    public async ValueTask DeleteAsync(string blobId, CancellationToken ct = default)
    {
        BlobIds.Check(blobId);
        // S3 answers 204 for a key that is already gone.
        await CallAsync("delete a blob", c => _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = KeyOf(blobId) }, c), ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Keys under the prefix that are not blob ids are ignored.</remarks>
    public async IAsyncEnumerable<BlobInfo> ListAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _prefix, MaxKeys = 1000 };
        while (true)
        {
            var page = await CallAsync("list blobs", c => _client.ListObjectsV2Async(request, c), ct).ConfigureAwait(false);
            foreach (var o in page.S3Objects ?? [])
            {
                var id = o.Key.Length > _prefix.Length ? o.Key[_prefix.Length..] : "";
                if (BlobIds.IsValid(id))
                {
                    yield return new BlobInfo(id, o.Size ?? 0, o.LastModified is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : DateTimeOffset.MinValue);
                }
            }
            if (page.IsTruncated != true || string.IsNullOrEmpty(page.NextContinuationToken))
            {
                yield break;
            }
            request.ContinuationToken = page.NextContinuationToken;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    internal string KeyOf(string blobId) => _prefix + blobId;

    /// <summary>Runs one SDK call, turning a backend failure into <see cref="BlobStoreUnavailableException"/>.</summary>
    internal async Task<T> CallAsync<T>(string what, Func<CancellationToken, Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (IsBackendFailure(e, ct))
        {
            throw Unavailable(what, e);
        }
    }

    /// <summary>
    /// A failure of the backend or of the way to it (as opposed to a bug, or the caller
    /// cancelling): an error answer, a refused or reset connection, a timeout. A bare
    /// <see cref="System.Net.Sockets.SocketException"/> is one too: .NET's connection pool lets one escape unwrapped
    /// (ENOTCONN from reading the remote end point) when a backend resets a connection as it is made.
    /// </summary>
    internal static bool IsBackendFailure(Exception e, CancellationToken ct) => e switch
    {
        BlobStoreUnavailableException => false,
        OperationCanceledException => !ct.IsCancellationRequested,   // a timeout, not the caller
        AmazonServiceException or AmazonClientException or HttpRequestException or IOException or TimeoutException
            or System.Net.Sockets.SocketException => true,
        _ => false,
    };

    internal BlobStoreUnavailableException Unavailable(string what, Exception e)
    {
        var reason = e is AmazonServiceException s
            ? $"{(int)s.StatusCode} {s.ErrorCode}: {s.Message}"
            : $"{e.GetType().Name}: {e.Message}";
        return new BlobStoreUnavailableException($"The S3 blob store ({_where}) could not {what}: {reason}", e);
    }

    private FileNotFoundException Missing(string blobId, Exception? inner = null) =>
        new($"Blob '{blobId}' does not exist in {_where}.", KeyOf(blobId), inner);

    /// <summary>The body of a GET: reading failures become <see cref="BlobStoreUnavailableException"/>; disposing it ends the response.</summary>
    private sealed class S3ReadStream(S3BlobStore store, GetObjectResponse response) : Stream
    {
        private readonly Stream _body = response.ResponseStream;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await _body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsBackendFailure(e, cancellationToken))
            {
                throw store.Unavailable("read a blob to its end", e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            try
            {
                return _body.Read(buffer);
            }
            catch (Exception e) when (IsBackendFailure(e, CancellationToken.None))
            {
                throw store.Unavailable("read a blob to its end", e);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                response.Dispose();
            }
            base.Dispose(disposing);
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException("A blob range is forward-only.");
        public override long Position { get => throw new NotSupportedException("A blob range is forward-only."); set => throw new NotSupportedException("A blob range is forward-only."); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A blob range is forward-only.");
        public override void SetLength(long value) => throw new NotSupportedException("A blob range is read-only.");
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("A blob range is read-only.");
    }
}
