using Coffer.Crypto;
using static Coffer.Crypto.Tests.TestData;

namespace Coffer.Crypto.Tests;

/// <summary>
/// The writer overlaps sealing with an outstanding destination write, and the reader reads the next
/// frame ahead while opening the current one. These tests use streams whose async calls really yield,
/// so a write or read-ahead is in flight while the next frame is processed.
/// </summary>
public sealed class AsyncIoTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(S)]
    [InlineData((3 * S) + 17)]
    [InlineData((20 * S) + 1)]
    public async Task Output_through_an_asynchronous_destination_is_identical(int size)
    {
        using var key = FixedKey();
        byte[] salt = Range(0x40, 0x60);
        byte[] plaintext = Pattern(size);
        byte[] reference = await SealAsync(plaintext, key, salt: salt);

        var destination = new YieldingStream(new MemoryStream());
        await using (var writer = new SealedStreamWriter(destination, key, "object", salt))
        {
            for (int at = 0; at < size; at += 50_000)
            {
                await writer.WriteAsync(plaintext.AsMemory(at, Math.Min(50_000, size - at)));
            }

            await writer.CompleteAsync();
        }

        Assert.Equal(reference, destination.Inner.ToArray());
        Assert.Equal(0, destination.MaxConcurrentWrites - 1);
    }

    [Fact]
    public async Task A_failed_asynchronous_write_is_reported_by_a_later_call()
    {
        using var key = ObjectKey.Generate();
        var destination = new YieldingStream(new MemoryStream()) { FailWritesAfter = 1 };
        await using var writer = new SealedStreamWriter(destination, key, "object");
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            for (int i = 0; i < 10; i++)
            {
                await writer.WriteAsync(new byte[S]);
            }

            await writer.CompleteAsync();
        });
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await writer.CompleteAsync());
    }

    [Theory]
    [InlineData(0L, (12L * S) + 5)]
    [InlineData(S - 3L, (5L * S) + 7)]
    [InlineData((11L * S) + 1, S + 4L)]
    public async Task Reads_from_an_asynchronous_source_return_the_plaintext(long offset, long count)
    {
        const int size = (12 * S) + 5;
        byte[] plaintext = Pattern(size);
        using var key = ObjectKey.Generate();
        foreach (var k in new[] { key, null })
        {
            byte[] sealedBytes = await SealAsync(plaintext, k);
            foreach (int bufferSize in new[] { 1, 4096, S, 100_000 })
            {
                var source = new YieldingStream(new MemoryStream(sealedBytes));
                await using var plain = SealedStreamReader.OpenRange(source, k, "object", size, offset, count);
                var output = new MemoryStream();
                var buffer = new byte[bufferSize];
                int n;
                while ((n = await plain.ReadAsync(buffer)) > 0)
                {
                    output.Write(buffer, 0, n);
                }

                Assert.Equal(plaintext.AsSpan((int)offset, (int)count).ToArray(), output.ToArray());
            }
        }
    }

    [Fact]
    public async Task A_damaged_segment_behind_a_read_ahead_is_still_refused_in_order()
    {
        byte[] plaintext = Pattern(6 * S);
        using var key = ObjectKey.Generate();
        byte[] sealedBytes = await SealAsync(plaintext, key);
        sealedBytes[SealedStream.HeaderSize + (3 * (S + 16)) + 7] ^= 1;
        var source = new YieldingStream(new MemoryStream(sealedBytes));
        await using var plain = SealedStreamReader.Open(source, key, "object", plaintext.Length);
        var output = new MemoryStream();
        var buffer = new byte[S];
        var e = await Assert.ThrowsAsync<SealedStreamException>(async () =>
        {
            int n;
            while ((n = await plain.ReadAsync(buffer)) > 0)
            {
                output.Write(buffer, 0, n);
            }
        });
        Assert.Equal((SealedStreamError.TagMismatch, 3L), (e.Reason, e.SegmentIndex));
        Assert.Equal(plaintext.AsSpan(0, 3 * S).ToArray(), output.ToArray());
    }

    [Fact]
    public async Task Disposing_with_a_read_ahead_in_flight_is_safe()
    {
        byte[] plaintext = Pattern(8 * S);
        using var key = ObjectKey.Generate();
        byte[] sealedBytes = await SealAsync(plaintext, key);
        foreach (bool async in new[] { true, false })
        {
            var source = new YieldingStream(new MemoryStream(sealedBytes)) { ReadDelay = TimeSpan.FromMilliseconds(20) };
            var plain = SealedStreamReader.Open(source, key, "object", plaintext.Length);
            var buffer = new byte[100];
            await plain.ReadExactlyAsync(buffer);
            Assert.Equal(plaintext.AsSpan(0, 100).ToArray(), buffer);
            if (async)
            {
                await plain.DisposeAsync();
            }
            else
            {
                plain.Dispose();
            }

            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await plain.ReadExactlyAsync(buffer));
        }
    }
}

/// <summary>Wraps a stream; its async reads and writes yield (and may be delayed) before doing the work.</summary>
internal sealed class YieldingStream(MemoryStream inner) : Stream
{
    private int _writesInFlight;

    public MemoryStream Inner { get; } = inner;

    public TimeSpan ReadDelay { get; init; }

    public int FailWritesAfter { get; init; } = int.MaxValue;

    public int MaxConcurrentWrites { get; private set; }

    private int _writes;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => true;

    public override long Length => Inner.Length;

    public override long Position { get => Inner.Position; set => Inner.Position = value; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        long position = Inner.Position;
        Inner.Position = position + Math.Min(buffer.Length, Math.Max(0, Inner.Length - position)); // claim the range now, as a file read at an offset does
        if (ReadDelay > TimeSpan.Zero)
        {
            await Task.Delay(ReadDelay, cancellationToken);
        }
        else
        {
            await Task.Yield();
        }

        long saved = Inner.Position;
        Inner.Position = position;
        int n = Inner.Read(buffer.Span);
        Inner.Position = saved;
        return n;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        MaxConcurrentWrites = Math.Max(MaxConcurrentWrites, Interlocked.Increment(ref _writesInFlight));
        try
        {
            await Task.Yield();
            if (++_writes > FailWritesAfter)
            {
                throw new IOException("device error (test)");
            }

            Inner.Write(buffer.Span);
        }
        finally
        {
            Interlocked.Decrement(ref _writesInFlight);
        }
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => Inner.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => Inner.Seek(offset, origin);

    public override void Flush()
    {
    }

    public override void SetLength(long value) => Inner.SetLength(value);

    public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);
}
