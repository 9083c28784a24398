using System.Buffers;
using System.Security.Cryptography;
using System.Threading.Channels;
using Coffer.Crypto;

namespace Coffer.Server.Objects;

/// <summary>
/// MD5 on a worker, one buffer behind the caller. MD5 (~800 MB/s on one core here) is the one
/// serial cost of a PUT that does not need to wait in line with CRC-64, sealing and the disk:
/// the caller hands each filled buffer to <see cref="Hash"/> and goes on sealing it, and the
/// buffer comes back to the pool once hashed. Buffers are only read concurrently, never written.
/// </summary>
internal sealed class ParallelMd5 : IAsyncDisposable
{
    private readonly byte[]?[] _buffers;
    private readonly int[] _written;
    private readonly int _bufferSize;
    private readonly Channel<byte[]> _free;
    private readonly Channel<(byte[] Buffer, int Length)> _work;
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly Task _worker;
    private readonly bool _inline;
    private int _rented;
    private bool _finished;

    /// <param name="bufferSize">Size of each buffer.</param>
    /// <param name="bufferCount">Buffers in rotation; 1 hashes inline on the caller's thread (small bodies: a worker hop would cost more than it saves).</param>
    public ParallelMd5(int bufferSize, int bufferCount = 3)
    {
        _inline = bufferCount == 1;
        _bufferSize = bufferSize;
        _buffers = new byte[bufferCount][];
        _written = new int[bufferCount];
        _free = Channel.CreateBounded<byte[]>(bufferCount);
        _work = Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(bufferCount) { SingleReader = true, SingleWriter = true });
        _worker = _inline ? Task.CompletedTask : Task.Run(async () =>
        {
            await foreach (var (buffer, length) in _work.Reader.ReadAllAsync())
            {
                _md5.AppendData(buffer, 0, length);
                _free.Writer.TryWrite(buffer);
            }
        });
    }

    /// <summary>
    /// A buffer to fill; waits while all of them are still being hashed. Buffers are rented from
    /// the pool only when needed: a slow upload that never fills its first buffer holds one, not three.
    /// </summary>
    public ValueTask<byte[]> RentAsync(CancellationToken ct)
    {
        if (_free.Reader.TryRead(out var free))
            return ValueTask.FromResult(free);
        if (_rented < _buffers.Length)
        {
            var buffer = BufferPool.Shared.Rent(_bufferSize);
            _buffers[_rented++] = buffer;
            return ValueTask.FromResult(buffer);
        }
        return _free.Reader.ReadAsync(ct);
    }

    /// <summary>Records that the first <paramref name="length"/> bytes of a rented buffer now hold data (zeroed on dispose).</summary>
    public void Written(byte[] buffer, int length)
    {
        for (var i = 0; i < _rented; i++)
            if (ReferenceEquals(_buffers[i], buffer))
            {
                _written[i] = Math.Max(_written[i], length);
                return;
            }
    }

    /// <summary>Queues the first <paramref name="length"/> bytes for hashing; the buffer must not be written until rented again.</summary>
    public void Hash(byte[] buffer, int length)
    {
        Written(buffer, length);
        if (_inline)
        {
            _md5.AppendData(buffer, 0, length);
            _free.Writer.TryWrite(buffer);
            return;
        }
        if (!_work.Writer.TryWrite((buffer, length)))
            throw new InvalidOperationException("more buffers queued than were rented");
    }

    /// <summary>Gives back a rented buffer that holds nothing to hash.</summary>
    public void Return(byte[] buffer) => _free.Writer.TryWrite(buffer);

    /// <summary>The MD5 of everything queued, once the worker has caught up.</summary>
    public async Task<byte[]> FinishAsync()
    {
        _finished = true;
        _work.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
        return _md5.GetHashAndReset();
    }

    public async ValueTask DisposeAsync()
    {
        _work.Writer.TryComplete();
        try { await _worker.ConfigureAwait(false); }
        catch when (!_finished) { }
        _md5.Dispose();
        for (var i = 0; i < _rented; i++)
        {
            // They held plaintext: zero what was written, and only that (zeroing untouched pages of
            // a fresh array would make the process commit memory the upload never used).
            CryptographicOperations.ZeroMemory(_buffers[i].AsSpan(0, _written[i]));
            BufferPool.Shared.Return(_buffers[i]!);
        }
    }
}
