using System.Diagnostics;
using System.Text;
using Coffer.Protocol.Checksums;
using Xunit.Abstractions;

namespace Coffer.Protocol.Tests.Checksums;

public sealed class Crc64XzTests(ITestOutputHelper output)
{
    [Fact]
    public void Check_value_of_123456789_is_the_CRC_64_XZ_one()
    {
        Assert.Equal(0x995DC9BBDF1939FAUL, Crc64Xz.Compute("123456789"u8));
        Assert.Equal(11051210869376104954UL, Crc64Xz.Compute("123456789"u8));
    }

    [Theory]
    [InlineData("[Object Content]", 16749565679157681890UL)]
    [InlineData("[Object Part]", 4510578591875220731UL)]
    [InlineData("[Object Content Version 2]", 11596229263574363878UL)]
    [InlineData("", 0UL)]
    public void COS_documented_vectors_match(string content, ulong expected)
    {
        Assert.Equal(expected, Crc64Xz.Compute(Encoding.UTF8.GetBytes(content)));
    }

    [Fact]
    public void A_new_instance_has_value_zero_and_reset_starts_over()
    {
        var crc = new Crc64Xz();
        Assert.Equal(0UL, crc.Value);
        crc.Append("garbage"u8);
        crc.Reset();
        crc.Append("123456789"u8);
        Assert.Equal(0x995DC9BBDF1939FAUL, crc.Value);
    }

    [Fact]
    public void Fast_path_equals_the_bitwise_reference_for_every_length_up_to_300()
    {
        var random = new Random(1);
        var data = new byte[300];
        random.NextBytes(data);
        for (int length = 0; length <= 300; length++)
        {
            var slice = data.AsSpan(0, length);
            Assert.Equal(~Crc64Xz.UpdateBitwise(ulong.MaxValue, slice), Crc64Xz.Compute(slice));
            Assert.Equal(Crc64Xz.UpdateBitwise(ulong.MaxValue, slice), Crc64Xz.UpdateTable(ulong.MaxValue, slice));
        }
    }

    [Theory]
    [InlineData(511)]
    [InlineData(512)]
    [InlineData(513)]
    [InlineData(1000)]
    [InlineData(4096)]
    [InlineData(65_536 + 7)]
    [InlineData(1_000_003)]
    public void Fast_path_equals_the_bitwise_reference_for_large_inputs_at_any_alignment(int length)
    {
        var random = new Random(length);
        var data = new byte[length + 16];
        random.NextBytes(data);
        foreach (int offset in new[] { 0, 1, 3, 8, 15 })
        {
            var slice = data.AsSpan(offset, length);
            Assert.Equal(~Crc64Xz.UpdateBitwise(ulong.MaxValue, slice), Crc64Xz.Compute(slice));
        }
    }

    [Fact]
    public void Each_carry_less_folding_path_equals_the_bitwise_reference_where_the_CPU_has_it()
    {
        var random = new Random(11);
        var data = new byte[5000];
        random.NextBytes(data);
        for (int length = 256; length <= data.Length; length += random.Next(1, 40))
        {
            var slice = data.AsSpan(0, length);
            ulong expected = Crc64Xz.UpdateBitwise(0x0123456789ABCDEF, slice);
            if (System.Runtime.Intrinsics.X86.Pclmulqdq.IsSupported)
            {
                var (register, consumed) = Crc64Xz.UpdateFolding(0x0123456789ABCDEF, slice);
                Assert.Equal(expected, Crc64Xz.UpdateTable(register, slice[consumed..]));
            }

            if (System.Runtime.Intrinsics.X86.Pclmulqdq.V512.IsSupported && System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            {
                var (register, consumed) = Crc64Xz.UpdateFolding512(0x0123456789ABCDEF, slice);
                Assert.Equal(expected, Crc64Xz.UpdateTable(register, slice[consumed..]));
            }
        }
    }

    [Fact]
    public void Appending_in_random_pieces_gives_the_same_value_as_one_call()
    {
        var random = new Random(7);
        var data = new byte[200_000];
        random.NextBytes(data);
        ulong expected = ~Crc64Xz.UpdateBitwise(ulong.MaxValue, data);
        for (int round = 0; round < 20; round++)
        {
            var crc = new Crc64Xz();
            int position = 0;
            while (position < data.Length)
            {
                int piece = Math.Min(data.Length - position, random.Next(4) switch
                {
                    0 => random.Next(0, 16),
                    1 => random.Next(16, 300),
                    2 => random.Next(300, 5000),
                    _ => random.Next(5000, 70_000),
                });
                crc.Append(data.AsSpan(position, piece));
                position += piece;
            }

            Assert.Equal(expected, crc.Value);
        }
    }

    [Fact]
    public void Combine_gives_the_CRC_of_the_concatenation()
    {
        var random = new Random(3);
        foreach (var (lengthA, lengthB) in new[] { (0, 0), (0, 5), (5, 0), (1, 1), (13, 16), (1000, 3), (300, 70_000), (65_536, 65_537) })
        {
            var a = new byte[lengthA];
            var b = new byte[lengthB];
            random.NextBytes(a);
            random.NextBytes(b);
            ulong whole = Crc64Xz.Compute([.. a, .. b]);
            Assert.Equal(whole, Crc64Xz.Combine(Crc64Xz.Compute(a), Crc64Xz.Compute(b), lengthB));
        }
    }

    [Fact]
    public void Combine_of_the_COS_part_vectors_is_the_CRC_of_the_joined_text()
    {
        byte[] a = "[Object Content]"u8.ToArray();
        byte[] b = "[Object Part]"u8.ToArray();
        Assert.Equal(Crc64Xz.Compute([.. a, .. b]), Crc64Xz.Combine(16749565679157681890UL, 4510578591875220731UL, b.Length));
    }

    [Fact]
    public void Combine_rejects_a_negative_length()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Crc64Xz.Combine(1, 2, -1));
    }

    [Fact]
    public void System_IO_Hashing_with_the_XZ_parameters_agrees()
    {
        // A cross-check against an independent implementation of the same parameter set.
        var library = new System.IO.Hashing.Crc64(System.IO.Hashing.Crc64ParameterSet.Create(0x42F0E1EBA9EA3693, ulong.MaxValue, ulong.MaxValue, true));
        var random = new Random(9);
        foreach (int length in new[] { 0, 1, 9, 255, 256, 4097, 100_000 })
        {
            var data = new byte[length];
            random.NextBytes(data);
            library.Reset();
            library.Append(data);
            Assert.Equal(library.GetCurrentHashAsUInt64(), Crc64Xz.Compute(data));
        }
    }

    [Fact]
    public void Throughput_is_reported_without_being_asserted()
    {
        var data = new byte[4 << 20];
        new Random(5).NextBytes(data);
        Crc64Xz.Compute(data); // warm up (tiering)
        Crc64Xz.Compute(data);
        double fast = Measure(() => Crc64Xz.Compute(data), data.Length);
        double table = Measure(() => Crc64Xz.UpdateTable(ulong.MaxValue, data), data.Length);
        double fold128 = System.Runtime.Intrinsics.X86.Pclmulqdq.IsSupported ? Measure(() => Crc64Xz.UpdateFolding(ulong.MaxValue, data), data.Length) : 0;
        var generic = new System.IO.Hashing.Crc64(System.IO.Hashing.Crc64ParameterSet.Create(0x42F0E1EBA9EA3693, ulong.MaxValue, ulong.MaxValue, true));
        double library = Measure(() => { generic.Reset(); generic.Append(data); }, data.Length);
        output.WriteLine($"Crc64Xz.Compute: {fast:F0} MB/s; 128-bit folding: {fold128:F0} MB/s; slicing-by-8 table: {table:F0} MB/s; " +
                         $"System.IO.Hashing generic parameter set: {library:F0} MB/s; " +
                         $"PCLMULQDQ={System.Runtime.Intrinsics.X86.Pclmulqdq.IsSupported}, VPCLMULQDQ-512={System.Runtime.Intrinsics.X86.Pclmulqdq.V512.IsSupported}");
    }

    private static double Measure(Action action, int bytes)
    {
        var watch = Stopwatch.StartNew();
        int rounds = 0;
        while (watch.ElapsedMilliseconds < 300 || rounds < 3)
        {
            action();
            rounds++;
        }

        return (double)bytes * rounds / (1 << 20) / watch.Elapsed.TotalSeconds;
    }
}
