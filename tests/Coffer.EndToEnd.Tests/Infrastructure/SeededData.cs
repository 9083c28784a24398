using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Reproducible pseudo-random bytes with random access: byte i of stream <c>seed</c> is byte i % 8 of
/// SplitMix64(seed, i / 8), so any range of any size can be generated (or regenerated to compare)
/// without holding the whole in memory, and parallel parts can be generated independently.
/// </summary>
public static class SeededData
{
    public static byte[] Bytes(ulong seed, long offset, int count)
    {
        var result = new byte[count];
        Fill(seed, offset, result);
        return result;
    }

    /// <summary>Fills <paramref name="buffer"/> with bytes [offset, offset + buffer.Length) of stream <paramref name="seed"/>.</summary>
    public static void Fill(ulong seed, long offset, Span<byte> buffer)
    {
        Span<byte> word = stackalloc byte[8];
        var i = 0;
        var block = offset / 8;
        var skip = (int)(offset % 8);
        if (skip != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, Mix(seed, block++));
            var n = Math.Min(8 - skip, buffer.Length);
            word.Slice(skip, n).CopyTo(buffer);
            i = n;
        }
        for (; i + 8 <= buffer.Length; i += 8)
            BinaryPrimitives.WriteUInt64LittleEndian(buffer[i..], Mix(seed, block++));
        if (i < buffer.Length)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(word, Mix(seed, block));
            word[..(buffer.Length - i)].CopyTo(buffer[i..]);
        }
    }

    private static ulong Mix(ulong seed, long block)
    {
        var z = seed * 0x9E3779B97F4A7C15UL + (ulong)block * 0xBF58476D1CE4E5B9UL + 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A read-only, seekable stream of bytes [offset, offset + length) of stream <paramref name="seed"/>.</summary>
    public static Stream Open(ulong seed, long offset, long length) => new SeededStream(seed, offset, length);

    /// <summary>S3's multipart ETag, computed independently: MD5 over the concatenated binary part MD5s, "-N".</summary>
    public static string MultipartETag(IEnumerable<byte[]> partMd5s)
    {
        var all = partMd5s.ToList();
        return Convert.ToHexStringLower(MD5.HashData(all.SelectMany(m => m).ToArray())) + "-" + all.Count;
    }

    /// <summary>CRC-64/XZ by System.IO.Hashing's generic parameter set, independent of the server's implementation.</summary>
    public static ulong Crc64(ReadOnlySpan<byte> data)
    {
        var crc = NewCrc64();
        crc.Append(data);
        return crc.GetCurrentHashAsUInt64();
    }

    /// <summary>An incremental CRC-64/XZ from System.IO.Hashing (reflected ECMA-182 polynomial, all-ones init and xorout).</summary>
    public static System.IO.Hashing.Crc64 NewCrc64() =>
        new(System.IO.Hashing.Crc64ParameterSet.Create(0x42F0E1EBA9EA3693, ulong.MaxValue, ulong.MaxValue, true));

    private sealed class SeededStream(ulong seed, long offset, long length) : Stream
    {
        private long _position;

        public override int Read(byte[] buffer, int bufferOffset, int count) => Read(buffer.AsSpan(bufferOffset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = (int)Math.Min(buffer.Length, length - _position);
            if (n <= 0)
                return 0;
            Fill(seed, offset + _position, buffer[..n]);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int bufferOffset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer.AsSpan(bufferOffset, count)));

        public override long Seek(long seekOffset, SeekOrigin origin)
        {
            _position = origin switch
            {
                SeekOrigin.Begin => seekOffset,
                SeekOrigin.Current => _position + seekOffset,
                _ => length + seekOffset,
            };
            return _position;
        }

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => _position = value; }
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int bufferOffset, int count) => throw new NotSupportedException();
    }
}
