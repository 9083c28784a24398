using System.Security.Cryptography;
using Coffer.Protocol.Auth;

namespace Coffer.Protocol.Tests.Auth;

public sealed class Sha256VerifyingStreamTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_matching_its_signed_hash_reads_to_the_end(bool async)
    {
        byte[] body = new byte[100_000];
        new Random(1).NextBytes(body);
        string hex = Convert.ToHexString(SHA256.HashData(body)); // upper case is accepted too
        using var stream = new Sha256VerifyingStream(new TrickleStream(body, () => 7_777), hex);
        Assert.Equal(body, await ChunkedBodies.ReadAllAsync(stream, () => 5000, async));
        Assert.Equal(0, stream.Read(new byte[10], 0, 10));
        Assert.Equal(body.Length, stream.Position);
    }

    [Fact]
    public async Task An_empty_body_matches_the_empty_hash()
    {
        using var stream = new Sha256VerifyingStream(new MemoryStream(), SigV4Signer.EmptySha256);
        Assert.Empty(await ChunkedBodies.ReadAllAsync(stream, () => 10));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_changed_body_throws_XAmzContentSHA256Mismatch_at_the_end_and_on_every_later_read(bool async)
    {
        byte[] body = "hello world"u8.ToArray();
        string hex = Convert.ToHexStringLower(SHA256.HashData(body));
        body[0] ^= 1;
        using var stream = new Sha256VerifyingStream(new MemoryStream(body), hex);
        var e = await Assert.ThrowsAsync<CofferException>(() => ChunkedBodies.ReadAllAsync(stream, () => 4, async));
        Assert.Same(ErrorCode.XAmzContentSHA256Mismatch, e.Error);
        Assert.Same(e, Assert.Throws<CofferException>(() => _ = stream.Read(new byte[1], 0, 1)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("UNSIGNED-PAYLOAD")]
    [InlineData("g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public void The_expected_hash_must_be_64_hex_digits(string hex)
    {
        Assert.Throws<ArgumentException>(() => new Sha256VerifyingStream(new MemoryStream(), hex));
    }
}
