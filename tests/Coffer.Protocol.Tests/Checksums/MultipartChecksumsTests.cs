using Coffer.Protocol.Checksums;

namespace Coffer.Protocol.Tests.Checksums;

public sealed class MultipartChecksumsTests
{
    [Theory]
    [InlineData(ChecksumAlgorithm.Crc32)]
    [InlineData(ChecksumAlgorithm.Crc32C)]
    [InlineData(ChecksumAlgorithm.Crc64Nvme)]
    public void Full_object_crc_combined_from_parts_equals_the_crc_of_the_whole(ChecksumAlgorithm algorithm)
    {
        var random = new Random(7);
        foreach (var sizes in new[] { new[] { 1 }, new[] { 1000, 1 }, new[] { 5000, 3, 70000 }, new[] { 65536, 65536, 0, 17 } })
        {
            var parts = sizes.Select(n => { var b = new byte[n]; random.NextBytes(b); return b; }).ToList();
            var whole = ChecksumHasher.Create(algorithm);
            foreach (var part in parts)
                whole.Append(part);
            var combined = MultipartChecksums.FullObjectOf(algorithm, parts.Select(p => (Of(algorithm, p), (long)p.Length)).ToList());
            Assert.Equal(whole.GetBase64(), combined);
        }
    }

    [Fact]
    public void Composite_sha256_matches_the_value_captured_on_s3()
    {
        // 3 parts of 5 MiB of 'A', 'B', 'C' (the shared notes' s3-versions-locks-tags-lifecycle.md §9.3, VERIFIED on S3).
        string[] parts = ["275VF5loJr1YYawit0XSHREhkFXYkkPKGuoK0x9VKxI=", "mrHwOfjTL5Zwfj74F05HOQGLdUb7E5szdCbxgUSq6NM=", "Vw7oB/nKQ5xWb3hNgbyfkvDiivl+U+/Dft48nfJfDow="];
        Assert.Equal("uWBwpe1dxI4Vw8Gf0X9ynOdw/SS6VBzfWm9giiv1sf4=-3", MultipartChecksums.CompositeOf(ChecksumAlgorithm.Sha256, parts));
        var a = new byte[5 << 20];
        Array.Fill(a, (byte)'A');
        Assert.Equal(parts[0], Of(ChecksumAlgorithm.Sha256, a));
    }

    [Fact]
    public void Allowed_types_and_defaults_are_s3s()
    {
        Assert.Equal(MultipartChecksums.FullObject, MultipartChecksums.DefaultType(ChecksumAlgorithm.Crc64Nvme));
        Assert.Equal(MultipartChecksums.Composite, MultipartChecksums.DefaultType(ChecksumAlgorithm.Crc32));
        Assert.False(MultipartChecksums.Allows(ChecksumAlgorithm.Sha256, MultipartChecksums.FullObject));
        Assert.False(MultipartChecksums.Allows(ChecksumAlgorithm.Crc64Nvme, MultipartChecksums.Composite));
        Assert.True(MultipartChecksums.Allows(ChecksumAlgorithm.Crc32C, MultipartChecksums.FullObject));
        Assert.Throws<ArgumentOutOfRangeException>(() => MultipartChecksums.FullObjectOf(ChecksumAlgorithm.Sha1, [("AAAA", 1)]));
        Assert.Throws<FormatException>(() => MultipartChecksums.FullObjectOf(ChecksumAlgorithm.Crc32, [("AAAAAAAAAAA=", 1)]));
    }

    private static string Of(ChecksumAlgorithm algorithm, byte[] data)
    {
        var hasher = ChecksumHasher.Create(algorithm);
        hasher.Append(data);
        return hasher.GetBase64();
    }
}
