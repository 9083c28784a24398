using System.Buffers.Binary;

namespace Coffer.Protocol.Checksums;

/// <summary>
/// S3's checksums of a multipart object from its parts' checksums, without reading the data
/// (S3 user guide "Checking object integrity"; the shared notes' s3-versions-locks-tags-lifecycle.md §9):
/// <list type="bullet">
/// <item>COMPOSITE: base64(H(raw(part 1) ‖ raw(part 2) ‖ …)) + "-N", H the upload's algorithm.</item>
/// <item>FULL_OBJECT (CRC algorithms only): the CRC of the whole object, combined from the part CRCs.</item>
/// </list>
/// </summary>
public static class MultipartChecksums
{
    /// <summary>The checksum types: "COMPOSITE" and "FULL_OBJECT".</summary>
    public const string Composite = "COMPOSITE", FullObject = "FULL_OBJECT";

    /// <summary>The type an upload gets when it names none: FULL_OBJECT for CRC-64/NVME, COMPOSITE for the rest (S3).</summary>
    public static string DefaultType(ChecksumAlgorithm algorithm) => algorithm == ChecksumAlgorithm.Crc64Nvme ? FullObject : Composite;

    /// <summary>Whether S3 allows the combination: COMPOSITE for all but CRC-64/NVME, FULL_OBJECT for the CRCs only.</summary>
    public static bool Allows(ChecksumAlgorithm algorithm, string type) => type switch
    {
        Composite => algorithm != ChecksumAlgorithm.Crc64Nvme,
        FullObject => algorithm is ChecksumAlgorithm.Crc32 or ChecksumAlgorithm.Crc32C or ChecksumAlgorithm.Crc64Nvme,
        _ => false,
    };

    /// <summary>The COMPOSITE checksum of parts whose checksums (base64, in part order) are given: "value-N".</summary>
    /// <exception cref="FormatException">A part checksum is not base64.</exception>
    public static string CompositeOf(ChecksumAlgorithm algorithm, IReadOnlyList<string> partChecksums)
    {
        var hasher = ChecksumHasher.Create(algorithm);
        foreach (var part in partChecksums)
            hasher.Append(Convert.FromBase64String(part));
        return hasher.GetBase64() + "-" + partChecksums.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The FULL_OBJECT checksum (CRC of the whole object) of parts given as (base64 CRC, plaintext length), in order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The algorithm is not a CRC.</exception>
    /// <exception cref="FormatException">A part checksum is not the base64 of a CRC of the algorithm's width.</exception>
    public static string FullObjectOf(ChecksumAlgorithm algorithm, IReadOnlyList<(string Checksum, long Length)> parts)
    {
        var (poly, width) = algorithm switch
        {
            ChecksumAlgorithm.Crc32 => (0xEDB88320UL, 32),
            ChecksumAlgorithm.Crc32C => (0x82F63B78UL, 32),
            ChecksumAlgorithm.Crc64Nvme => (0x9A6C9329AC4BC9B5UL, 64),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "FULL_OBJECT checksums exist for CRC algorithms only."),
        };
        ulong crc = 0;
        var first = true;
        foreach (var (checksum, length) in parts)
        {
            var bytes = Convert.FromBase64String(checksum);
            if (bytes.Length != width / 8)
                throw new FormatException($"A {ChecksumHasher.Name(algorithm)} checksum has {width / 8} bytes.");
            var partCrc = width == 32 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt64BigEndian(bytes);
            crc = first ? partCrc : Combine(crc, partCrc, length, poly, width);
            first = false;
        }
        Span<byte> result = stackalloc byte[8];
        if (width == 32)
        {
            BinaryPrimitives.WriteUInt32BigEndian(result, (uint)crc);
            return Convert.ToBase64String(result[..4]);
        }
        BinaryPrimitives.WriteUInt64BigEndian(result, crc);
        return Convert.ToBase64String(result);
    }

    /// <summary>
    /// crc(A ‖ B) from crc(A), crc(B) and len(B), for a reflected CRC with initial value and final xor all ones
    /// (CRC-32, CRC-32C, CRC-64/NVME): zlib's crc32_combine, with GF(2) matrices of the register's width.
    /// </summary>
    internal static ulong Combine(ulong crcA, ulong crcB, long lengthB, ulong reflectedPoly, int width)
    {
        if (lengthB <= 0)
            return crcA;
        var odd = new ulong[width];
        var even = new ulong[width];
        odd[0] = reflectedPoly;   // the operator for one zero bit
        ulong row = 1;
        for (var n = 1; n < width; n++, row <<= 1)
            odd[n] = row;
        Square(even, odd, width);   // two zero bits
        Square(odd, even, width);   // four zero bits
        var remaining = (ulong)lengthB;
        do
        {
            Square(even, odd, width);   // first pass: one zero byte
            if ((remaining & 1) != 0)
                crcA = Times(even, crcA);
            remaining >>= 1;
            if (remaining == 0)
                break;
            Square(odd, even, width);
            if ((remaining & 1) != 0)
                crcA = Times(odd, crcA);
            remaining >>= 1;
        }
        while (remaining != 0);
        return crcA ^ crcB;
    }

    private static ulong Times(ulong[] matrix, ulong vector)
    {
        ulong sum = 0;
        for (var i = 0; vector != 0; i++, vector >>= 1)
            if ((vector & 1) != 0)
                sum ^= matrix[i];
        return sum;
    }

    private static void Square(ulong[] square, ulong[] matrix, int width)
    {
        for (var n = 0; n < width; n++)
            square[n] = Times(matrix, matrix[n]);
    }
}
