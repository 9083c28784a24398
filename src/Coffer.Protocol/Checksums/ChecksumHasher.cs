using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;

namespace Coffer.Protocol.Checksums;

/// <summary>The S3 additional checksum algorithms (<c>x-amz-checksum-*</c>, <c>x-amz-sdk-checksum-algorithm</c>).</summary>
public enum ChecksumAlgorithm
{
    /// <summary>CRC-32 (ISO-HDLC, as zlib).</summary>
    Crc32,

    /// <summary>CRC-32C (Castagnoli).</summary>
    Crc32C,

    /// <summary>CRC-64/NVME.</summary>
    Crc64Nvme,

    /// <summary>SHA-1.</summary>
    Sha1,

    /// <summary>SHA-256.</summary>
    Sha256,
}

/// <summary>
/// Computes an S3 additional checksum: the base64 of the big-endian CRC value or of the digest
/// bytes, as in <c>x-amz-checksum-crc32: DUoRhQ==</c> for "hello world". CRC-32, CRC-32C and
/// CRC-64/NVME come from System.IO.Hashing (vectorised), SHA-1 and SHA-256 from the platform.
/// </summary>
public abstract class ChecksumHasher
{
    private protected ChecksumHasher(ChecksumAlgorithm algorithm) => Algorithm = algorithm;

    /// <summary>The algorithm this hasher computes.</summary>
    public ChecksumAlgorithm Algorithm { get; }

    /// <summary>A new hasher for <paramref name="algorithm"/>.</summary>
    public static ChecksumHasher Create(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Crc32 => new CrcHasher(algorithm, new Crc32()),
        ChecksumAlgorithm.Crc32C => new CrcHasher(algorithm, new Crc32(Crc32ParameterSet.Crc32C)),
        ChecksumAlgorithm.Crc64Nvme => new CrcHasher(algorithm, new Crc64(Crc64ParameterSet.Nvme)),
        ChecksumAlgorithm.Sha1 => new DigestHasher(algorithm, HashAlgorithmName.SHA1),
        ChecksumAlgorithm.Sha256 => new DigestHasher(algorithm, HashAlgorithmName.SHA256),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown checksum algorithm."),
    };

    /// <summary>Adds <paramref name="data"/> to the checksum.</summary>
    public abstract void Append(ReadOnlySpan<byte> data);

    /// <summary>The base64 checksum of all appended data. Call it once, at the end.</summary>
    public abstract string GetBase64();

    /// <summary>Parses an algorithm name, ignoring case: "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256".</summary>
    public static bool TryParse(string name, out ChecksumAlgorithm algorithm)
    {
        switch (name?.Trim().ToUpperInvariant())
        {
            case "CRC32":
                algorithm = ChecksumAlgorithm.Crc32;
                return true;
            case "CRC32C":
                algorithm = ChecksumAlgorithm.Crc32C;
                return true;
            case "CRC64NVME":
                algorithm = ChecksumAlgorithm.Crc64Nvme;
                return true;
            case "SHA1":
                algorithm = ChecksumAlgorithm.Sha1;
                return true;
            case "SHA256":
                algorithm = ChecksumAlgorithm.Sha256;
                return true;
            default:
                algorithm = default;
                return false;
        }
    }

    /// <summary>The algorithm's name as S3 spells it: "CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256".</summary>
    public static string Name(ChecksumAlgorithm algorithm) => algorithm switch
    {
        ChecksumAlgorithm.Crc32 => "CRC32",
        ChecksumAlgorithm.Crc32C => "CRC32C",
        ChecksumAlgorithm.Crc64Nvme => "CRC64NVME",
        ChecksumAlgorithm.Sha1 => "SHA1",
        ChecksumAlgorithm.Sha256 => "SHA256",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown checksum algorithm."),
    };

    /// <summary>The header carrying the checksum: "x-amz-checksum-crc32" etc.</summary>
    public static string HeaderName(ChecksumAlgorithm algorithm) => "x-amz-checksum-" + Name(algorithm).ToLowerInvariant();

    /// <summary>Parses a checksum header name such as "x-amz-checksum-crc32c" (any case).</summary>
    public static bool TryParseHeaderName(string headerName, out ChecksumAlgorithm algorithm)
    {
        const string prefix = "x-amz-checksum-";
        if (headerName is not null && headerName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return TryParse(headerName[prefix.Length..], out algorithm);
        }

        algorithm = default;
        return false;
    }

    private sealed class CrcHasher(ChecksumAlgorithm algorithm, NonCryptographicHashAlgorithm crc) : ChecksumHasher(algorithm)
    {
        public override void Append(ReadOnlySpan<byte> data) => crc.Append(data);

        public override string GetBase64()
        {
            Span<byte> bytes = stackalloc byte[8];
            switch (crc)
            {
                case Crc32 c32:
                    BinaryPrimitives.WriteUInt32BigEndian(bytes, c32.GetCurrentHashAsUInt32());
                    return Convert.ToBase64String(bytes[..4]);
                case Crc64 c64:
                    BinaryPrimitives.WriteUInt64BigEndian(bytes, c64.GetCurrentHashAsUInt64());
                    return Convert.ToBase64String(bytes);
                default:
                    throw new InvalidOperationException("Unexpected CRC implementation.");
            }
        }
    }

    private sealed class DigestHasher(ChecksumAlgorithm algorithm, HashAlgorithmName name) : ChecksumHasher(algorithm)
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(name);

        public override void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

        public override string GetBase64()
        {
            Span<byte> digest = stackalloc byte[32];
            int n = _hash.GetCurrentHash(digest);
            return Convert.ToBase64String(digest[..n]);
        }
    }
}
