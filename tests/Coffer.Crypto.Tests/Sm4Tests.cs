using Coffer.Crypto;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Modes;
using Org.BouncyCastle.Crypto.Parameters;
using static Coffer.Crypto.Tests.TestData;

namespace Coffer.Crypto.Tests;

/// <summary>
/// SM4-GCM sealed streams (docs/format.md, cipher 0x02): the block cipher against the examples of the
/// standard (GB/T 32907-2016, Appendix A), its GCM against RFC 8998's SM4-GCM example, and the stream format
/// under SM4 — round trips, range reads, truncation. The tamper table runs for SM4 in SealedStreamTamperTests,
/// and the golden SM4 streams (computed independently by Vectors/reference.py) in GoldenVectorTests.
/// </summary>
public sealed class Sm4Tests
{
    private static readonly byte[] StandardKey = Convert.FromHexString("0123456789abcdeffedcba9876543210");

    [Fact]
    public void Sm4_encrypts_the_standard_example()
    {
        var engine = new SM4Engine();
        engine.Init(true, new KeyParameter(StandardKey));
        var output = new byte[16];
        engine.ProcessBlock(StandardKey, 0, output, 0); // plaintext = key in the standard's example 1
        Assert.Equal("681edf34d206965e86b3e94f536e4246", Convert.ToHexStringLower(output));

        engine.Init(false, new KeyParameter(StandardKey));
        var back = new byte[16];
        engine.ProcessBlock(output, 0, back, 0);
        Assert.Equal(StandardKey, back);
    }

    [Fact]
    public void Sm4_encrypting_the_standard_example_a_million_times_gives_its_result()
    {
        var engine = new SM4Engine();
        engine.Init(true, new KeyParameter(StandardKey));
        var block = (byte[])StandardKey.Clone();
        for (int i = 0; i < 1_000_000; i++)
        {
            engine.ProcessBlock(block, 0, block, 0);
        }

        Assert.Equal("595298c7c6fd271f0402f804c33d3f66", Convert.ToHexStringLower(block));
    }

    [Fact]
    public void Sm4_gcm_matches_the_rfc_8998_example()
    {
        var gcm = new GcmBlockCipher(new SM4Engine());
        gcm.Init(true, new AeadParameters(new KeyParameter(StandardKey), 128, Convert.FromHexString("00001234567800000000ABCD"),
            Convert.FromHexString("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")));
        byte[] plaintext = Convert.FromHexString(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA");
        var output = new byte[plaintext.Length + 16];
        int n = gcm.ProcessBytes(plaintext, 0, plaintext.Length, output, 0);
        gcm.DoFinal(output, n);
        Assert.Equal(
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
            + "83DE3541E4C2B58177E065A9BF7B62EC", Convert.ToHexString(output));
    }

    public static TheoryData<int> Sizes() => new() { 0, 1, 15, 16, 17, S - 1, S, S + 1, (2 * S) + 5, (3 * S) + 17 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task An_sm4_stream_round_trips_and_records_its_cipher(int size)
    {
        using var key = ObjectKey.Generate();
        byte[] plaintext = Pattern(size, seed: size);
        byte[] sealedBytes = await SealAsync(plaintext, key, cipher: StreamCipher.Sm4Gcm);

        Assert.Equal(0x02, sealedBytes[5]);
        Assert.Equal(SealedStream.SealedLength(size, encrypted: true), sealedBytes.Length);
        Assert.Equal(plaintext, await OpenAllAsync(sealedBytes, key, size));
        Assert.Equal(plaintext, ReadRangeSync(sealedBytes, key, size, 0, size, bufferSize: 1000).Data);
        Assert.Equal(plaintext, (await ReadRangedAsync(sealedBytes, key, size, 0, size)).Data);
    }

    [Fact]
    public async Task Sm4_and_aes_seal_the_same_plaintext_differently_and_neither_shows_it()
    {
        using var key = FixedKey();
        byte[] salt = Range(0x40, 0x60);
        byte[] plaintext = new byte[S + 100]; // zeros: an unencrypted segment would show as runs of zeros
        byte[] sm4 = await SealAsync(plaintext, key, salt: salt, cipher: StreamCipher.Sm4Gcm);
        byte[] aes = await SealAsync(plaintext, key, salt: salt, cipher: StreamCipher.Aes256Gcm);

        Assert.NotEqual(sm4.AsSpan(SealedStream.HeaderSize).ToArray(), aes.AsSpan(SealedStream.HeaderSize).ToArray());
        Assert.False(sm4.AsSpan(SealedStream.HeaderSize).IndexOf(new byte[64]) >= 0);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(S - 1)]
    [InlineData(S + 1)]
    [InlineData(1 << 20)]
    public async Task Sm4_output_does_not_depend_on_how_the_plaintext_is_chunked(int chunk)
    {
        using var key = FixedKey();
        byte[] salt = Range(0x40, 0x60);
        byte[] plaintext = Pattern((3 * S) + 17);
        byte[] reference = await SealAsync(plaintext, key, chunk: plaintext.Length, salt: salt, cipher: StreamCipher.Sm4Gcm);
        Assert.Equal(reference, await SealAsync(plaintext, key, chunk: chunk, salt: salt, cipher: StreamCipher.Sm4Gcm));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(S - 1, 2)]
    [InlineData(S, S)]
    [InlineData(17, (3 * S) - 10)]
    [InlineData((3 * S) + 16, 1)]
    public async Task Sm4_range_reads_equal_the_plaintext_slice(long offset, long count)
    {
        const int size = (3 * S) + 17;
        using var key = ObjectKey.Generate();
        byte[] plaintext = Pattern(size);
        byte[] sealedBytes = await SealAsync(plaintext, key, cipher: StreamCipher.Sm4Gcm);
        byte[] expected = plaintext.AsSpan((int)offset, (int)count).ToArray();

        var (data, error) = await ReadRangeAsync(sealedBytes, key, size, offset, count);
        Assert.Null(error);
        Assert.Equal(expected, data);
        (data, error) = await ReadRangedAsync(sealedBytes, key, size, offset, count, bufferSize: 1);
        Assert.Null(error);
        Assert.Equal(expected, data);
    }

    [Fact]
    public async Task A_truncated_sm4_stream_is_refused()
    {
        using var key = ObjectKey.Generate();
        byte[] plaintext = Pattern((2 * S) + 5);
        byte[] sealedBytes = await SealAsync(plaintext, key, cipher: StreamCipher.Sm4Gcm);

        var (data, error) = await ReadRangeAsync(sealedBytes[..^3], key, plaintext.Length, 0, plaintext.Length);
        Assert.Equal(SealedStreamError.Truncated, error?.Reason);
        Assert.Empty(data);

        // Cut to whole frames and told the shorter length: the new last frame was sealed as non-final.
        int twoFrames = SealedStream.HeaderSize + (2 * (S + SealedStream.TagSize));
        (data, error) = await ReadRangeAsync(sealedBytes[..twoFrames], key, 2 * S, 0, 2 * S);
        Assert.Equal(SealedStreamError.TagMismatch, error?.Reason);
        Assert.Equal(1, error?.SegmentIndex);
        Assert.Equal(plaintext.AsSpan(0, data.Length).ToArray(), data);
    }
}
