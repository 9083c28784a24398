using Coffer.Crypto;
using static Coffer.Crypto.Tests.TestData;

namespace Coffer.Crypto.Tests;

public sealed class SealedStreamTests
{
    public static TheoryData<int, bool> Sizes()
    {
        var data = new TheoryData<int, bool>();
        foreach (int size in new[] { 0, 1, S - 1, S, S + 1, (3 * S) + 17, (3 * 1024 * 1024) + 5 })
        {
            data.Add(size, true);
            data.Add(size, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Round_trip_returns_the_plaintext(int size, bool encrypted)
    {
        using var key = encrypted ? ObjectKey.Generate() : null;
        byte[] plaintext = Pattern(size);
        byte[] sealedBytes = await SealAsync(plaintext, key);

        Assert.Equal(SealedStream.SealedLength(size, encrypted), sealedBytes.Length);
        Assert.Equal(plaintext, await OpenAllAsync(sealedBytes, key, size));
        Assert.Equal(plaintext, ReadRangeSync(sealedBytes, key, size, 0, size).Data);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    [InlineData(S - 1)]
    [InlineData(S)]
    [InlineData(S + 1)]
    [InlineData(1 << 20)]
    public async Task Output_does_not_depend_on_how_the_plaintext_is_chunked(int chunk)
    {
        using var key = FixedKey();
        byte[] salt = Range(0x40, 0x60);
        byte[] plaintext = Pattern((3 * S) + 17);
        byte[] reference = await SealAsync(plaintext, key, chunk: plaintext.Length, salt: salt);
        Assert.Equal(reference, await SealAsync(plaintext, key, chunk: chunk, salt: salt));
    }

    [Fact]
    public async Task Encrypted_segments_do_not_contain_the_plaintext()
    {
        using var key = ObjectKey.Generate();
        byte[] plaintext = new byte[S + 100]; // zeros: any unencrypted segment would show as runs of zeros
        byte[] sealedBytes = await SealAsync(plaintext, key);
        Assert.False(sealedBytes.AsSpan(SealedStream.HeaderSize).IndexOf(new byte[64]) >= 0);
    }

    [Fact]
    public async Task Every_stream_gets_a_fresh_salt_so_equal_plaintexts_seal_differently()
    {
        using var key = FixedKey();
        byte[] plaintext = Pattern(1000);
        byte[] a = await SealAsync(plaintext, key, "part:1");
        byte[] b = await SealAsync(plaintext, key, "part:1");
        Assert.NotEqual(a.AsSpan(8, 32).ToArray(), b.AsSpan(8, 32).ToArray());
        Assert.NotEqual(a.AsSpan(SealedStream.HeaderSize).ToArray(), b.AsSpan(SealedStream.HeaderSize).ToArray());
    }

    public static TheoryData<long, long> Ranges() => new()
    {
        { 0, 0 }, { 0, 1 }, { 1, 1 }, { S - 1, 1 }, { S - 1, 2 }, { S, 1 }, { S, S }, { S - 1, S + 2 }, { 17, (3 * S) - 10 },
        { (2 * S) + 5, S + 12 }, { 3 * S, 17 }, { (3 * S) + 16, 1 }, { (3 * S) + 17, 0 }, { 0, (3 * S) + 17 }, { S + 1, 0 },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public async Task Range_reads_at_and_across_segment_boundaries_equal_the_plaintext_slice(long offset, long count)
    {
        const int size = (3 * S) + 17;
        byte[] plaintext = Pattern(size);
        using var key = ObjectKey.Generate();
        foreach (var k in new[] { key, null })
        {
            byte[] sealedBytes = await SealAsync(plaintext, k);
            byte[] expected = plaintext.AsSpan((int)offset, (int)count).ToArray();
            var (data, error) = await ReadRangeAsync(sealedBytes, k, size, offset, count);
            Assert.Null(error);
            Assert.Equal(expected, data);
            Assert.Equal(expected, ReadRangeSync(sealedBytes, k, size, offset, count, bufferSize: 1).Data);
            (data, error) = await ReadRangedAsync(sealedBytes, k, size, offset, count);
            Assert.Null(error);
            Assert.Equal(expected, data);
            Assert.Equal(expected, (await ReadRangedAsync(sealedBytes, k, size, offset, count, bufferSize: 1, sync: true)).Data);
        }
    }

    [Theory]
    [MemberData(nameof(Ranges))]
    public async Task A_ranged_source_is_asked_for_the_header_and_exactly_the_frames_the_range_touches(long offset, long count)
    {
        const int size = (3 * S) + 17;
        const int frame = S + SealedStream.TagSize;
        byte[] sealedBytes = await SealAsync(Pattern(size), null);
        var source = new RangedSource(sealedBytes);

        await ReadRangedAsync(sealedBytes, null, size, offset, count, source: source);

        var (start, length) = SealedStream.StoredRange(size, offset, count);
        var touchesFinal = start + length == sealedBytes.Length;
        long? framesLength = touchesFinal ? null : length;   // the final frame's range runs to the end: nothing may follow it
        (long, long?)[] expected = count == 0
            ? [(0, SealedStream.HeaderSize)]
            : start - SealedStream.HeaderSize <= frame
                ? [(0, framesLength is { } l ? start + l : null)]
                : [(start, framesLength), (0, SealedStream.HeaderSize)];
        Assert.Equal(expected, source.Requests);
    }

    [Fact]
    public async Task A_ranged_read_of_an_empty_stream_authenticates_its_final_segment()
    {
        using var key = ObjectKey.Generate();
        byte[] sealedBytes = await SealAsync([], key);
        var (data, error) = await ReadRangedAsync(sealedBytes, key, 0, 0, 0);
        Assert.Null(error);
        Assert.Empty(data);

        sealedBytes[^1] ^= 1;
        (_, error) = await ReadRangedAsync(sealedBytes, key, 0, 0, 0);
        Assert.Equal(SealedStreamError.TagMismatch, error?.Reason);
    }

    [Fact]
    public async Task Reading_with_one_byte_buffers_gives_the_same_result()
    {
        byte[] plaintext = Pattern((2 * S) + 3);
        using var key = ObjectKey.Generate();
        byte[] sealedBytes = await SealAsync(plaintext, key);
        Assert.Equal(plaintext, (await ReadRangeAsync(sealedBytes, key, plaintext.Length, 0, plaintext.Length, bufferSize: 1)).Data);
        Assert.Equal(plaintext, ReadRangeSync(sealedBytes, key, plaintext.Length, 0, plaintext.Length, bufferSize: 1).Data);
        Assert.Equal(plaintext, ReadRangeSync(sealedBytes, key, plaintext.Length, 0, plaintext.Length, bufferSize: 3).Data);
    }

    [Fact]
    public async Task A_range_read_touches_only_the_segments_it_needs()
    {
        byte[] plaintext = Pattern(10 * S);
        using var key = ObjectKey.Generate();
        byte[] sealedBytes = await SealAsync(plaintext, key);
        using var source = new CountingStream(sealedBytes);
        await using (var plain = SealedStreamReader.OpenRange(source, key, "object", plaintext.Length, (4 * S) + 10, S))
        {
            var copy = new MemoryStream();
            await plain.CopyToAsync(copy);
            Assert.Equal(plaintext.AsSpan((4 * S) + 10, S).ToArray(), copy.ToArray());
        }

        // The header plus segments 4 and 5, nothing else.
        Assert.Equal(SealedStream.HeaderSize + (2 * (S + SealedStream.TagSize)), source.BytesRead);
    }

    [Fact]
    public async Task A_sealed_stream_can_start_at_a_non_zero_position_of_its_source()
    {
        byte[] plaintext = Pattern(S + 9);
        using var key = ObjectKey.Generate();
        byte[] sealedBytes = await SealAsync(plaintext, key);
        byte[] prefixed = [.. new byte[123], .. sealedBytes];
        using var source = new MemoryStream(prefixed);
        source.Position = 123;
        await using var plain = SealedStreamReader.OpenRange(source, key, "object", plaintext.Length, 5, S);
        var copy = new MemoryStream();
        await plain.CopyToAsync(copy);
        Assert.Equal(plaintext.AsSpan(5, S).ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task The_writer_writes_whole_frames_and_the_header_with_the_first()
    {
        using var key = ObjectKey.Generate();
        var destination = new CountingStream([]);
        await using var writer = new SealedStreamWriter(destination, key, "object");
        for (int i = 0; i < (2 * S) + 5; i += 1000)
        {
            await writer.WriteAsync(new byte[Math.Min(1000, (2 * S) + 5 - i)]);
        }

        await writer.CompleteAsync();
        Assert.Equal([SealedStream.HeaderSize + S + 16, S + 16, 5 + 16], destination.WriteSizes);
        Assert.Equal(1, destination.Flushes);
    }

    [Fact]
    public async Task Sealed_length_matches_the_written_bytes_and_inverts()
    {
        using var key = ObjectKey.Generate();
        foreach (int size in new[] { 0, 1, 15, 16, 17, S - 1, S, S + 1, (2 * S) + 16, 5 * S })
        {
            byte[] sealedBytes = await SealAsync(new byte[size], key);
            Assert.Equal(sealedBytes.Length, SealedStream.SealedLength(size, encrypted: true));
            Assert.Equal(sealedBytes.Length, SealedStream.SealedLength(size, encrypted: false));
            Assert.True(SealedStream.TryGetPlainLength(sealedBytes.Length, out long plain));
            Assert.Equal(size, plain);
        }

        Assert.Equal(SealedStream.HeaderSize + 16, SealedStream.SealedLength(0, true));
        Assert.Equal(SealedStream.HeaderSize + (1L << 30) + (16 * 16384), SealedStream.SealedLength(1L << 30, true));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(39)]
    [InlineData(40)]
    [InlineData(55)] // header + 15: shorter than one tag
    [InlineData(40 + S + 16 + 1)] // one full frame + 1 byte: a final frame is at least 16 bytes
    [InlineData(40 + S + 16 + 16 + S + 1)] // two full frames and a 16-byte frame ... plus 1 extra byte
    public void Lengths_no_stream_can_have_are_rejected(long sealedLength)
    {
        if (sealedLength == 40 + S + 16 + 16 + S + 1)
        {
            sealedLength = 40 + (2 * (S + 16)) + 8;
        }

        Assert.False(SealedStream.TryGetPlainLength(sealedLength, out _));
    }

    [Fact]
    public void Stored_range_covers_exactly_the_touched_frames()
    {
        const long plain = (3 * S) + 17;
        Assert.Equal((40L, S + 16L), SealedStream.StoredRange(plain, 0, 1));
        Assert.Equal((40L, 2L * (S + 16)), SealedStream.StoredRange(plain, S - 1, 2));
        Assert.Equal((40L + (3 * (S + 16)), 17L + 16), SealedStream.StoredRange(plain, 3 * S, 17));
        Assert.Equal((40L, SealedStream.SealedLength(plain, true) - 40), SealedStream.StoredRange(plain, 0, plain));
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    [InlineData(11, 0)]
    [InlineData(5, 6)]
    public void Out_of_range_requests_are_argument_errors(long offset, long count)
    {
        using var source = new MemoryStream(new byte[100]);
        Assert.Throws<ArgumentOutOfRangeException>(() => SealedStreamReader.OpenRange(source, null, "object", 10, offset, count));
    }

    [Fact]
    public void Bad_arguments_are_refused_at_once()
    {
        using var key = ObjectKey.Generate();
        using var readOnly = new MemoryStream(new byte[10], writable: false);
        Assert.Throws<ArgumentException>(() => new SealedStreamWriter(new MemoryStream(), key, ""));
        Assert.Throws<ArgumentException>(() => new SealedStreamWriter(readOnly, key, "object"));
        Assert.Throws<ArgumentNullException>(() => new SealedStreamWriter(null!, key, "object"));
        Assert.Throws<ArgumentException>(() => SealedStreamReader.OpenRange(new NonSeekable(), key, "object", 0, 0, 0));
        Assert.Throws<ArgumentException>(() => SealedStreamReader.OpenRange(new MemoryStream(), key, "", 0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SealedStream.SealedLength(-1, true));
        Assert.Throws<ArgumentOutOfRangeException>(() => SealedStream.SealedLength(SealedStream.MaxPlainLength + 1, true));
    }

    private sealed class NonSeekable : MemoryStream
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task The_writer_refuses_writes_after_completion_and_completion_is_idempotent()
    {
        using var destination = new MemoryStream();
        await using var writer = new SealedStreamWriter(destination, null, "object");
        await writer.WriteAsync(new byte[3]);
        await writer.CompleteAsync();
        await writer.CompleteAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await writer.WriteAsync(new byte[1]));
        Assert.Equal(SealedStream.SealedLength(3, false), destination.Length);
    }

    [Fact]
    public async Task A_stream_disposed_before_completion_reads_as_truncated()
    {
        using var key = ObjectKey.Generate();
        using var destination = new MemoryStream();
        await using (var writer = new SealedStreamWriter(destination, key, "object"))
        {
            await writer.WriteAsync(new byte[(2 * S) + 1]);
        }

        var (_, error) = await ReadRangeAsync(destination.ToArray(), key, (2 * S) + 1, 0, (2 * S) + 1);
        Assert.Equal(SealedStreamError.Truncated, error?.Reason);
    }

    [Fact]
    public async Task A_failed_destination_write_faults_the_writer()
    {
        using var key = ObjectKey.Generate();
        var destination = new CountingStream([]) { FailWrites = true };
        await using var writer = new SealedStreamWriter(destination, key, "object");
        await Assert.ThrowsAsync<IOException>(async () => await writer.WriteAsync(new byte[S + 1]));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await writer.CompleteAsync());
    }

    [Fact]
    public async Task The_key_may_be_disposed_once_the_writer_and_the_reader_are_created()
    {
        byte[] plaintext = Pattern(S + 1);
        var keyBytes = Range(0, 32);
        using var destination = new MemoryStream();
        var key = ObjectKey.FromBytes(keyBytes);
        await using (var writer = new SealedStreamWriter(destination, key, "object"))
        {
            key.Dispose();
            await writer.WriteAsync(plaintext);
            await writer.CompleteAsync();
        }

        var readKey = ObjectKey.FromBytes(keyBytes);
        using var source = new MemoryStream(destination.ToArray());
        await using var plain = SealedStreamReader.Open(source, readKey, "object", plaintext.Length);
        readKey.Dispose();
        var copy = new MemoryStream();
        await plain.CopyToAsync(copy);
        Assert.Equal(plaintext, copy.ToArray());
    }

    [Fact]
    public async Task Disposing_the_reader_leaves_the_source_open_unless_asked()
    {
        byte[] sealedBytes = await SealAsync([1, 2, 3], null);
        var source = new MemoryStream(sealedBytes);
        SealedStreamReader.OpenRange(source, null, "object", 3, 0, 3).Dispose();
        Assert.True(source.CanRead);
        SealedStreamReader.OpenRange(source, null, "object", 3, 0, 3, leaveOpen: false).Dispose();
        Assert.False(source.CanRead);
    }
}

/// <summary>A memory stream that counts reads and records write sizes.</summary>
internal sealed class CountingStream : MemoryStream
{
    public CountingStream(byte[] initial)
    {
        base.Write(initial, 0, initial.Length);
        Position = 0;
    }

    public long BytesRead { get; private set; }

    public List<int> WriteSizes { get; } = [];

    public int Flushes { get; private set; }

    public bool FailWrites { get; init; }

    // MemoryStream.Read(Span) in a derived type defers to Read(byte[], int, int), so count there only.
    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = base.Read(buffer, offset, count);
        BytesRead += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => Task.FromResult(Read(buffer, offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (FailWrites)
        {
            throw new IOException("disk full (test)");
        }

        WriteSizes.Add(buffer.Length);
        return base.WriteAsync(buffer, cancellationToken);
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Flushes++;
        return Task.CompletedTask;
    }
}
