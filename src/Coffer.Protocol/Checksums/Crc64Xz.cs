using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Coffer.Protocol.Checksums;

/// <summary>
/// CRC-64/XZ as COS uses it for <c>x-cos-hash-crc64ecma</c> (docs/protocol/objects.md#crc-64): the
/// ECMA-182 polynomial 0x42F0E1EBA9EA3693 in reflected form, init and xorout all ones;
/// check("123456789") = 0x995DC9BBDF1939FA. (<c>System.IO.Hashing.Crc64</c> is CRC-64/ECMA-182,
/// a different variant, and its generic parameter sets run byte at a time.)
/// </summary>
/// <remarks>
/// On x86 with PCLMULQDQ the bulk of the data is folded 128 bytes at a time with carry-less
/// multiplication (VPCLMULQDQ on 512-bit vectors where available); elsewhere, and for the short
/// head and tail, a slicing-by-8 table is used. Instances are not thread-safe.
/// </remarks>
public sealed class Crc64Xz
{
    /// <summary>The polynomial in normal form (x^64 implied).</summary>
    internal const ulong Polynomial = 0x42F0E1EBA9EA3693;

    /// <summary>The polynomial bit-reflected, as the reflected algorithm uses it.</summary>
    internal const ulong ReflectedPolynomial = 0xC96C5795D7870F42;

    /// <summary>Below this many bytes the table is faster than setting up the folding.</summary>
    private const int FoldThreshold = 256;

    /// <summary>Slicing-by-8 tables: Table[k*256 + b] is the register after byte b followed by k zero bytes.</summary>
    private static readonly ulong[] Table = BuildTable();

    /// <summary>x^(2^k) mod P (reflected), for <see cref="Combine"/>.</summary>
    private static readonly ulong[] PowersOfTwo = BuildPowersOfTwo();

    // Folding constants (reflected): fold by D bits uses (x^(D+63) mod P, x^(D-1) mod P) for the
    // (low, high) 64-bit lanes; the extra factor x of a reflected carry-less product is absorbed there.
    private static readonly ulong Fold128Lo = Reflect(XPowModP(128 + 63));
    private static readonly ulong Fold128Hi = Reflect(XPowModP(128 - 1));
    private static readonly ulong Fold1024Lo = Reflect(XPowModP(1024 + 63));
    private static readonly ulong Fold1024Hi = Reflect(XPowModP(1024 - 1));
    private static readonly ulong Fold512Lo = Reflect(XPowModP(512 + 63));
    private static readonly ulong Fold512Hi = Reflect(XPowModP(512 - 1));
    private static readonly ulong Fold2048Lo = Reflect(XPowModP(2048 + 63));
    private static readonly ulong Fold2048Hi = Reflect(XPowModP(2048 - 1));

    private ulong _register = ulong.MaxValue;

    /// <summary>Adds <paramref name="data"/> to the checksum.</summary>
    public void Append(ReadOnlySpan<byte> data) => _register = Update(_register, data);

    /// <summary>The CRC of everything appended since construction or <see cref="Reset"/> (0 for nothing).</summary>
    public ulong Value => ~_register;

    /// <summary>Starts over, as if nothing had been appended.</summary>
    public void Reset() => _register = ulong.MaxValue;

    /// <summary>The CRC-64/XZ of <paramref name="data"/>.</summary>
    public static ulong Compute(ReadOnlySpan<byte> data) => ~Update(ulong.MaxValue, data);

    /// <summary>
    /// The CRC of A||B from crc(A), crc(B) and the length of B in bytes (zlib-style combination
    /// by multiplying with x^(8·len(B)) modulo P), e.g. for a multipart object from its parts.
    /// </summary>
    public static ulong Combine(ulong crcA, ulong crcB, long lengthB)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lengthB);

        // x^(8·lengthB): the bits of lengthB, shifted by 3 (bytes to bits).
        ulong power = 1UL << 63;
        int k = 3;
        for (ulong n = (ulong)lengthB; n != 0; n >>= 1, k++)
        {
            if ((n & 1) != 0)
            {
                power = MultiplyModP(power, PowersOfTwo[k]);
            }
        }

        return MultiplyModP(power, crcA) ^ crcB;
    }

    /// <summary>Runs the (reflected, un-inverted) register over <paramref name="data"/>.</summary>
    internal static ulong Update(ulong register, ReadOnlySpan<byte> data)
    {
        if (data.Length >= FoldThreshold && Pclmulqdq.IsSupported && Sse2.IsSupported)
        {
            int consumed;
            (register, consumed) = Pclmulqdq.V512.IsSupported && Avx512F.IsSupported && data.Length >= 2 * FoldThreshold
                ? UpdateFolding512(register, data)
                : UpdateFolding(register, data);
            data = data[consumed..];
        }

        return UpdateTable(register, data);
    }

    /// <summary>The slicing-by-8 table implementation.</summary>
    internal static ulong UpdateTable(ulong register, ReadOnlySpan<byte> data)
    {
        ref ulong t = ref MemoryMarshal.GetArrayDataReference(Table);
        ref byte p = ref MemoryMarshal.GetReference(data);
        nint length = data.Length;
        nint i = 0;
        for (; i + 8 <= length; i += 8)
        {
            ulong v = register ^ Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, i));
            if (!BitConverter.IsLittleEndian)
            {
                v = BinaryPrimitives.ReverseEndianness(v);
            }

            register = Unsafe.Add(ref t, (7 * 256) + (nint)(v & 0xFF)) ^
                       Unsafe.Add(ref t, (6 * 256) + (nint)((v >> 8) & 0xFF)) ^
                       Unsafe.Add(ref t, (5 * 256) + (nint)((v >> 16) & 0xFF)) ^
                       Unsafe.Add(ref t, (4 * 256) + (nint)((v >> 24) & 0xFF)) ^
                       Unsafe.Add(ref t, (3 * 256) + (nint)((v >> 32) & 0xFF)) ^
                       Unsafe.Add(ref t, (2 * 256) + (nint)((v >> 40) & 0xFF)) ^
                       Unsafe.Add(ref t, 256 + (nint)((v >> 48) & 0xFF)) ^
                       Unsafe.Add(ref t, (nint)(v >> 56));
        }

        for (; i < length; i++)
        {
            register = Unsafe.Add(ref t, (nint)((register ^ Unsafe.Add(ref p, i)) & 0xFF)) ^ (register >> 8);
        }

        return register;
    }

    /// <summary>Bit-at-a-time reference implementation, for tests.</summary>
    internal static ulong UpdateBitwise(ulong register, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            register ^= b;
            for (int bit = 0; bit < 8; bit++)
            {
                register = (register & 1) != 0 ? (register >> 1) ^ ReflectedPolynomial : register >> 1;
            }
        }

        return register;
    }

    /// <summary>
    /// Folds whole 16-byte blocks of <paramref name="data"/> (at least 128 bytes) with PCLMULQDQ and
    /// returns the register after them and how many bytes were consumed.
    /// </summary>
    internal static (ulong Register, int Consumed) UpdateFolding(ulong register, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        var k1024 = Vector128.Create(Fold1024Lo, Fold1024Hi);
        var k128 = Vector128.Create(Fold128Lo, Fold128Hi);

        // Eight accumulators over the first 128 bytes; the register goes into the first 8 bytes.
        var x0 = Load(ref p, 0) ^ Vector128.CreateScalar(register);
        var x1 = Load(ref p, 16);
        var x2 = Load(ref p, 32);
        var x3 = Load(ref p, 48);
        var x4 = Load(ref p, 64);
        var x5 = Load(ref p, 80);
        var x6 = Load(ref p, 96);
        var x7 = Load(ref p, 112);
        int offset = 128;
        for (; offset + 128 <= data.Length; offset += 128)
        {
            x0 = Fold(x0, k1024) ^ Load(ref p, offset);
            x1 = Fold(x1, k1024) ^ Load(ref p, offset + 16);
            x2 = Fold(x2, k1024) ^ Load(ref p, offset + 32);
            x3 = Fold(x3, k1024) ^ Load(ref p, offset + 48);
            x4 = Fold(x4, k1024) ^ Load(ref p, offset + 64);
            x5 = Fold(x5, k1024) ^ Load(ref p, offset + 80);
            x6 = Fold(x6, k1024) ^ Load(ref p, offset + 96);
            x7 = Fold(x7, k1024) ^ Load(ref p, offset + 112);
        }

        var x = Fold(x0, k128) ^ x1;
        x = Fold(x, k128) ^ x2;
        x = Fold(x, k128) ^ x3;
        x = Fold(x, k128) ^ x4;
        x = Fold(x, k128) ^ x5;
        x = Fold(x, k128) ^ x6;
        x = Fold(x, k128) ^ x7;
        for (; offset + 16 <= data.Length; offset += 16)
        {
            x = Fold(x, k128) ^ Load(ref p, offset);
        }

        return (Finish(x), offset);
    }

    /// <summary>As <see cref="UpdateFolding"/>, with four 512-bit accumulators (256 bytes a step); needs at least 256 bytes.</summary>
    internal static (ulong Register, int Consumed) UpdateFolding512(ulong register, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        var k2048 = Vector512.Create(Fold2048Lo, Fold2048Hi, Fold2048Lo, Fold2048Hi, Fold2048Lo, Fold2048Hi, Fold2048Lo, Fold2048Hi);
        var k512 = Vector512.Create(Fold512Lo, Fold512Hi, Fold512Lo, Fold512Hi, Fold512Lo, Fold512Hi, Fold512Lo, Fold512Hi);

        var y0 = Load512(ref p, 0) ^ Vector512.CreateScalar(register);
        var y1 = Load512(ref p, 64);
        var y2 = Load512(ref p, 128);
        var y3 = Load512(ref p, 192);
        int offset = 256;
        for (; offset + 256 <= data.Length; offset += 256)
        {
            y0 = Fold512(y0, k2048) ^ Load512(ref p, offset);
            y1 = Fold512(y1, k2048) ^ Load512(ref p, offset + 64);
            y2 = Fold512(y2, k2048) ^ Load512(ref p, offset + 128);
            y3 = Fold512(y3, k2048) ^ Load512(ref p, offset + 192);
        }

        var y = Fold512(y0, k512) ^ y1;
        y = Fold512(y, k512) ^ y2;
        y = Fold512(y, k512) ^ y3;
        for (; offset + 64 <= data.Length; offset += 64)
        {
            y = Fold512(y, k512) ^ Load512(ref p, offset);
        }

        // Four 128-bit lanes, 16 bytes apart: fold them into one.
        var k128 = Vector128.Create(Fold128Lo, Fold128Hi);
        var x = Fold(y.GetLower().GetLower(), k128) ^ y.GetLower().GetUpper();
        x = Fold(x, k128) ^ y.GetUpper().GetLower();
        x = Fold(x, k128) ^ y.GetUpper().GetUpper();
        for (; offset + 16 <= data.Length; offset += 16)
        {
            x = Fold(x, k128) ^ Load(ref p, offset);
        }

        return (Finish(x), offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Load(ref byte p, int offset) =>
        Vector128.LoadUnsafe(ref Unsafe.Add(ref p, offset)).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Load512(ref byte p, int offset) =>
        Vector512.LoadUnsafe(ref Unsafe.Add(ref p, offset)).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Fold(Vector128<ulong> x, Vector128<ulong> k) =>
        Pclmulqdq.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.CarrylessMultiply(x, k, 0x11);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Fold512(Vector512<ulong> x, Vector512<ulong> k) =>
        Pclmulqdq.V512.CarrylessMultiply(x, k, 0x00) ^ Pclmulqdq.V512.CarrylessMultiply(x, k, 0x11);

    /// <summary>
    /// The register after a 128-bit remainder polynomial: running the table from a zero register
    /// over its 16 bytes computes exactly (remainder · x^64) mod P.
    /// </summary>
    private static ulong Finish(Vector128<ulong> x)
    {
        Span<byte> bytes = stackalloc byte[16];
        x.AsByte().CopyTo(bytes);
        return UpdateTable(0, bytes);
    }

    /// <summary>x^n mod P in normal form.</summary>
    private static ulong XPowModP(int n)
    {
        ulong v = 1;
        for (int i = 0; i < n; i++)
        {
            v = (v & (1UL << 63)) != 0 ? (v << 1) ^ Polynomial : v << 1;
        }

        return v;
    }

    private static ulong Reflect(ulong v)
    {
        ulong r = 0;
        for (int i = 0; i < 64; i++)
        {
            r = (r << 1) | ((v >> i) & 1);
        }

        return r;
    }

    /// <summary>a·b mod P for reflected polynomials (bit 63 is x^0).</summary>
    private static ulong MultiplyModP(ulong a, ulong b)
    {
        ulong product = 0;
        for (ulong m = 1UL << 63; m != 0; m >>= 1)
        {
            if ((a & m) != 0)
            {
                product ^= b;
            }

            b = (b & 1) != 0 ? (b >> 1) ^ ReflectedPolynomial : b >> 1;
        }

        return product;
    }

    private static ulong[] BuildPowersOfTwo()
    {
        // Index k up to 66: lengths up to 2^63 bytes, times 8 bits.
        var powers = new ulong[67];
        powers[0] = 1UL << 62; // x^1
        for (int k = 1; k < powers.Length; k++)
        {
            powers[k] = MultiplyModP(powers[k - 1], powers[k - 1]);
        }

        return powers;
    }

    private static ulong[] BuildTable()
    {
        var table = new ulong[8 * 256];
        for (int b = 0; b < 256; b++)
        {
            ulong r = (ulong)b;
            for (int bit = 0; bit < 8; bit++)
            {
                r = (r & 1) != 0 ? (r >> 1) ^ ReflectedPolynomial : r >> 1;
            }

            table[b] = r;
        }

        for (int k = 1; k < 8; k++)
        {
            for (int b = 0; b < 256; b++)
            {
                ulong prev = table[((k - 1) * 256) + b];
                table[(k * 256) + b] = (prev >> 8) ^ table[(int)(prev & 0xFF)];
            }
        }

        return table;
    }
}
