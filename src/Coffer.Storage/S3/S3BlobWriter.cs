using Amazon.S3.Model;

namespace Coffer.Storage.S3;

/// <summary>
/// A blob being written to S3. Bytes fill a buffer that grows up to one part; a blob that fits
/// goes up in one PutObject at commit. Once a part is full a multipart upload starts, full parts
/// go up in the background (at most <see cref="S3BlobStoreOptions.MaxPartsInFlight"/> at once;
/// writing waits beyond that, so memory stays bounded), and the commit sends the last part and
/// completes the upload. Disposing without a commit cancels the parts in flight and aborts the
/// upload, so the backend keeps nothing.
/// </summary>
internal sealed class S3BlobWriter : IBlobWriter
{
    /// <summary>The first buffer of a stream; it doubles up to the part size, so small blobs take little memory.</summary>
    private const int InitialBufferSize = 256 * 1024;

    private readonly S3BlobStore _store;
    private readonly string _key;
    private readonly int _partSize;
    private readonly Queue<(Task<PartETag> Upload, byte[] Buffer)> _inFlight = new();
    private readonly List<PartETag> _parts = [];
    private readonly CancellationTokenSource _abort = new();
    private byte[]? _buffer;
    private int _filled;
    private int _capacity;   // of _buffer: a pool may hand out a larger array than asked for
    private string? _uploadId;
    private int _nextPart = 1;
    private bool _committed;
    private bool _disposed;
    private Exception? _fault;

    public S3BlobWriter(S3BlobStore store, string blobId)
    {
        _store = store;
        BlobId = blobId;
        _key = store.KeyOf(blobId);
        _partSize = store.Options.PartSize;
        Stream = new WriterStream(this);
    }

    public string BlobId { get; }

    /// <summary>The most parts that were uploading at once (tests check the memory bound with it).</summary>
    internal int PeakPartsInFlight { get; private set; }

    public Stream Stream { get; }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        CheckWritable();
        while (!data.IsEmpty)
        {
            if (_buffer is null || _filled == _capacity)
            {
                if (_filled == _partSize)
                {
                    await SendPartAsync(ct).ConfigureAwait(false);
                }
                Grow(data.Length);
            }
            var n = Math.Min(data.Length, _capacity - _filled);
            data.Span[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            data = data[n..];
        }
    }

    public async Task CommitAsync(CancellationToken ct = default)
    {
        CheckWritable();
        try
        {
            if (_uploadId is null)
            {
                var length = _filled;
                using var body = new MemoryStream(_buffer ?? [], 0, length, writable: false);
                await _store.CallAsync("write a blob", c => _store.Client.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _store.BucketName,
                    Key = _key,
                    InputStream = body,
                    AutoCloseStream = false,
                    UseChunkEncoding = false,
                    DisablePayloadSigning = _store.UnsignedPayload,
                    Headers = { ContentLength = length },
                }, c), ct).ConfigureAwait(false);
            }
            else
            {
                if (_filled > 0)
                {
                    await SendPartAsync(ct).ConfigureAwait(false);
                }
                while (_inFlight.Count > 0)
                {
                    await FinishOldestAsync().ConfigureAwait(false);
                }
                await _store.CallAsync("complete a multipart upload", c => _store.Client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
                {
                    BucketName = _store.BucketName,
                    Key = _key,
                    UploadId = _uploadId,
                    PartETags = _parts,
                }, c), ct).ConfigureAwait(false);
            }
            _committed = true;
        }
        catch (Exception e)
        {
            _fault ??= e;
            throw;
        }
        finally
        {
            ReturnBuffer();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        if (!_committed)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
        }
        while (_inFlight.Count > 0)
        {
            var (upload, buffer) = _inFlight.Dequeue();
            try
            {
                await upload.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Cancelled or failed: the upload is aborted below either way.
            }
            _store.Parts.Return(buffer);
        }
        ReturnBuffer();
        if (!_committed && _uploadId is not null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_store.Options.RequestTimeout);
                await _store.Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
                {
                    BucketName = _store.BucketName,
                    Key = _key,
                    UploadId = _uploadId,
                }, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (S3BlobStore.IsBackendFailure(e, CancellationToken.None))
            {
                // The backend is down: the unfinished upload stays until a bucket lifecycle rule
                // (AbortIncompleteMultipartUpload) removes it. It holds ciphertext under a random id only.
            }
        }
        _abort.Dispose();
    }

    /// <summary>Sends the buffer as the next part, starting the multipart upload first if needed; waits while too many parts are in flight.</summary>
    private async Task SendPartAsync(CancellationToken ct)
    {
        try
        {
            if (_uploadId is null)
            {
                var started = await _store.CallAsync("start a multipart upload", c => _store.Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
                {
                    BucketName = _store.BucketName,
                    Key = _key,
                }, c), ct).ConfigureAwait(false);
                _uploadId = started.UploadId;
            }
            while (_inFlight.Count >= _store.Options.MaxPartsInFlight)
            {
                await FinishOldestAsync().ConfigureAwait(false);
            }
            var buffer = _buffer!;
            var length = _filled;
            var partNumber = _nextPart++;
            (_buffer, _filled, _capacity) = (null, 0, 0);
            _inFlight.Enqueue((UploadPartAsync(buffer, length, partNumber), buffer));
            PeakPartsInFlight = Math.Max(PeakPartsInFlight, _inFlight.Count);
        }
        catch (Exception e)
        {
            _fault ??= e;
            throw;
        }
    }

    private async Task<PartETag> UploadPartAsync(byte[] buffer, int length, int partNumber)
    {
        using var body = new MemoryStream(buffer, 0, length, writable: false);
        var response = await _store.CallAsync("upload a part", c => _store.Client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _store.BucketName,
            Key = _key,
            UploadId = _uploadId,
            PartNumber = partNumber,
            PartSize = length,
            InputStream = body,
            UseChunkEncoding = false,
            DisablePayloadSigning = _store.UnsignedPayload,
        }, c), _abort.Token).ConfigureAwait(false);
        return new PartETag(partNumber, response.ETag);
    }

    private async Task FinishOldestAsync()
    {
        var (upload, buffer) = _inFlight.Peek();
        try
        {
            _parts.Add(await upload.ConfigureAwait(false));
        }
        finally
        {
            _inFlight.Dequeue();
            _store.Parts.Return(buffer);
        }
    }

    /// <summary>Makes room for more bytes: a first buffer, or one twice as large (up to a part) holding what was written.</summary>
    private void Grow(int wanted)
    {
        if (_buffer is null)
        {
            _capacity = Math.Clamp(wanted, InitialBufferSize, _partSize);
            _buffer = _store.Parts.Rent(_capacity);
            _filled = 0;
            return;
        }
        _capacity = Math.Min(Math.Max(_capacity * 2, _filled + wanted), _partSize);
        var larger = _store.Parts.Rent(_capacity);
        _buffer.AsSpan(0, _filled).CopyTo(larger);
        _store.Parts.Return(_buffer);
        _buffer = larger;
    }

    private void ReturnBuffer()
    {
        if (_buffer is { } buffer)
        {
            (_buffer, _filled, _capacity) = (null, 0, 0);
            _store.Parts.Return(buffer);
        }
    }

    private void CheckWritable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_committed)
        {
            throw new InvalidOperationException($"Blob '{BlobId}' is already committed.");
        }
        if (_fault is not null)
        {
            throw new InvalidOperationException($"Writing blob '{BlobId}' failed earlier; dispose the writer.", _fault);
        }
    }

    /// <summary>The writer as a write-only stream; flushing does nothing (a part goes up when full, the rest at commit).</summary>
    private sealed class WriterStream(S3BlobWriter writer) : Stream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            writer.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            writer.WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) =>
            writer.WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException("A blob being written is forward-only.");
        public override long Position { get => throw new NotSupportedException("A blob being written is forward-only."); set => throw new NotSupportedException("A blob being written is forward-only."); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("A blob being written is write-only.");
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("A blob being written is forward-only.");
        public override void SetLength(long value) => throw new NotSupportedException("A blob being written is forward-only.");
    }
}
