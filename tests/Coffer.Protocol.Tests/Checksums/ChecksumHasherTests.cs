using System.Buffers.Binary;
using System.Text;
using Coffer.Protocol.Checksums;

namespace Coffer.Protocol.Tests.Checksums;

public sealed class ChecksumHasherTests
{
    [Theory]
    [InlineData(ChecksumAlgorithm.Crc32, "DUoRhQ==")]
    [InlineData(ChecksumAlgorithm.Crc32C, "yZRlqg==")]
    [InlineData(ChecksumAlgorithm.Sha1, "Kq5sNclPz7QV2+lfQIuc6R7oRu0=")]
    [InlineData(ChecksumAlgorithm.Sha256, "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=")]
    public void Hello_world_gives_the_known_S3_checksum(ChecksumAlgorithm algorithm, string expected)
    {
        var hasher = ChecksumHasher.Create(algorithm);
        hasher.Append("hello "u8);
        hasher.Append("world"u8);
        Assert.Equal(expected, hasher.GetBase64());
        Assert.Equal(algorithm, hasher.Algorithm);
    }

    [Theory]
    [InlineData(ChecksumAlgorithm.Crc32, 0xCBF43926UL)]
    [InlineData(ChecksumAlgorithm.Crc32C, 0xE3069283UL)]
    [InlineData(ChecksumAlgorithm.Crc64Nvme, 0xAE8B14860A799888UL)]
    public void CRC_check_values_of_123456789_are_big_endian_in_base64(ChecksumAlgorithm algorithm, ulong check)
    {
        var hasher = ChecksumHasher.Create(algorithm);
        hasher.Append("123456789"u8);
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, check);
        string expected = Convert.ToBase64String(algorithm == ChecksumAlgorithm.Crc64Nvme ? bytes : bytes[4..]);
        Assert.Equal(expected, hasher.GetBase64());
    }

    [Fact]
    public void Empty_input_CRC64NVME_is_all_zero()
    {
        Assert.Equal("AAAAAAAAAAA=", ChecksumHasher.Create(ChecksumAlgorithm.Crc64Nvme).GetBase64());
    }

    [Fact]
    public void AWS_documented_chunked_example_payload_has_the_documented_CRC32C()
    {
        // 66,560 bytes of 'a': the trailer of AWS's "trailing headers" example is x-amz-checksum-crc32c:sOO8/Q==.
        var hasher = ChecksumHasher.Create(ChecksumAlgorithm.Crc32C);
        hasher.Append(Encoding.ASCII.GetBytes(new string('a', 66_560)));
        Assert.Equal("sOO8/Q==", hasher.GetBase64());
    }

    [Theory]
    [InlineData("CRC32", ChecksumAlgorithm.Crc32)]
    [InlineData("crc32c", ChecksumAlgorithm.Crc32C)]
    [InlineData("CRC64NVME", ChecksumAlgorithm.Crc64Nvme)]
    [InlineData("Sha1", ChecksumAlgorithm.Sha1)]
    [InlineData("SHA256", ChecksumAlgorithm.Sha256)]
    public void Names_parse_ignoring_case_and_map_to_header_names(string name, ChecksumAlgorithm expected)
    {
        Assert.True(ChecksumHasher.TryParse(name, out var algorithm));
        Assert.Equal(expected, algorithm);
        string header = ChecksumHasher.HeaderName(algorithm);
        Assert.Equal("x-amz-checksum-" + name.ToLowerInvariant(), header);
        Assert.True(ChecksumHasher.TryParseHeaderName(header, out var fromHeader));
        Assert.Equal(expected, fromHeader);
    }

    [Theory]
    [InlineData("")]
    [InlineData("MD5")]
    [InlineData("CRC64")]
    [InlineData(null)]
    public void Unknown_names_do_not_parse(string? name)
    {
        Assert.False(ChecksumHasher.TryParse(name!, out _));
    }
}
