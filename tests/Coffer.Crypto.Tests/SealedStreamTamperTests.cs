using Coffer.Crypto;
using static Coffer.Crypto.Tests.TestData;

namespace Coffer.Crypto.Tests;

/// <summary>
/// Each case changes one named thing in a valid 4-segment stream (3 × 64 KiB + 17 bytes) and expects a
/// <see cref="SealedStreamException"/> with the right reason and segment, and no byte of an
/// unauthenticated segment: whatever was returned is exactly the plaintext of the good segments before it.
/// </summary>
public sealed class SealedStreamTamperTests
{
    private const int Size = (3 * S) + 17;
    private const int Header = SealedStream.HeaderSize;
    private const int Frame = S + SealedStream.TagSize;

    private static readonly byte[] Plaintext = Pattern(Size, seed: 7);

    public enum Change
    {
        HeaderMagic,
        HeaderVersion,
        HeaderCipherUnknown,
        HeaderCipherSaysPlain,
        HeaderSegmentSize,
        HeaderReserved,
        HeaderSalt,
        Segment1Body,
        Segment2Tag,
        FinalSegmentBody,
        SwapSegments0And1,
        SwapSegments1And2,
        DropFinalSegment,
        DropFinalSegmentAndShortenLength,
        CutInsideSegment2,
        AppendCopyOfSegment1,
        AppendOneByte,
        SpliceSegment1FromAnotherStreamSameKey,
        OtherStreamIdentity,
        WrongKey,
        NoKey,
    }

    public static TheoryData<Change, SealedStreamError, long> Cases() => new()
    {
        { Change.HeaderMagic, SealedStreamError.BadHeader, -1 },
        { Change.HeaderVersion, SealedStreamError.UnsupportedVersion, -1 },
        { Change.HeaderCipherUnknown, SealedStreamError.BadHeader, -1 },
        { Change.HeaderCipherSaysPlain, SealedStreamError.WrongCipher, -1 },
        { Change.HeaderSegmentSize, SealedStreamError.BadHeader, -1 },
        { Change.HeaderReserved, SealedStreamError.BadHeader, -1 },
        { Change.HeaderSalt, SealedStreamError.TagMismatch, 0 },
        { Change.Segment1Body, SealedStreamError.TagMismatch, 1 },
        { Change.Segment2Tag, SealedStreamError.TagMismatch, 2 },
        { Change.FinalSegmentBody, SealedStreamError.TagMismatch, 3 },
        { Change.SwapSegments0And1, SealedStreamError.TagMismatch, 0 },
        { Change.SwapSegments1And2, SealedStreamError.TagMismatch, 1 },
        { Change.DropFinalSegment, SealedStreamError.Truncated, 3 },
        { Change.DropFinalSegmentAndShortenLength, SealedStreamError.TagMismatch, 2 },
        { Change.CutInsideSegment2, SealedStreamError.Truncated, 2 },
        { Change.AppendCopyOfSegment1, SealedStreamError.Extended, 4 },
        { Change.AppendOneByte, SealedStreamError.Extended, 4 },
        { Change.SpliceSegment1FromAnotherStreamSameKey, SealedStreamError.TagMismatch, 1 },
        { Change.OtherStreamIdentity, SealedStreamError.TagMismatch, 0 },
        { Change.WrongKey, SealedStreamError.TagMismatch, 0 },
        { Change.NoKey, SealedStreamError.WrongCipher, -1 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Tampered_encrypted_stream_is_refused_without_releasing_unauthenticated_bytes(Change change, SealedStreamError reason, long segment)
    {
        using var key = TestData.FixedKey();
        using var otherKey = TestData.FixedKey(0x80);
        byte[] good = await SealAsync(Plaintext, key);
        byte[] other = await SealAsync(Plaintext, key); // same key, same identity, same plaintext, its own salt
        var (bytes, plainLength, readKey, identity) = Apply(change, good, other, key, otherKey);

        await AssertRefusedAsync(bytes, readKey, plainLength, identity, reason, segment);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Tampered_sm4_stream_is_refused_without_releasing_unauthenticated_bytes(Change change, SealedStreamError reason, long segment)
    {
        using var key = TestData.FixedKey();
        using var otherKey = TestData.FixedKey(0x80);
        byte[] good = await SealAsync(Plaintext, key, cipher: StreamCipher.Sm4Gcm);
        byte[] other = await SealAsync(Plaintext, key, cipher: StreamCipher.Sm4Gcm);
        Assert.Equal(0x02, good[5]);
        var (bytes, plainLength, readKey, identity) = Apply(change, good, other, key, otherKey);

        await AssertRefusedAsync(bytes, readKey, plainLength, identity, reason, segment);
    }

    [Theory]
    [InlineData(StreamCipher.Sm4Gcm, 0x01)]
    [InlineData(StreamCipher.Aes256Gcm, 0x02)]
    public async Task A_stream_whose_cipher_byte_names_the_other_cipher_fails_its_first_tag(StreamCipher written, byte claimed)
    {
        using var key = TestData.FixedKey();
        byte[] bytes = await SealAsync(Plaintext, key, cipher: written);
        bytes[5] = claimed; // the cipher byte is in D, so the stream key and every AAD change
        await AssertRefusedAsync(bytes, key, Size, "object", SealedStreamError.TagMismatch, 0);
    }

    public static TheoryData<Change, SealedStreamError, long> PlainCases() => new()
    {
        { Change.HeaderMagic, SealedStreamError.BadHeader, -1 },
        { Change.HeaderSalt, SealedStreamError.TagMismatch, 0 },
        { Change.Segment1Body, SealedStreamError.TagMismatch, 1 },
        { Change.Segment2Tag, SealedStreamError.TagMismatch, 2 },
        { Change.FinalSegmentBody, SealedStreamError.TagMismatch, 3 },
        { Change.SwapSegments1And2, SealedStreamError.TagMismatch, 1 },
        { Change.DropFinalSegment, SealedStreamError.Truncated, 3 },
        { Change.DropFinalSegmentAndShortenLength, SealedStreamError.TagMismatch, 2 },
        { Change.AppendOneByte, SealedStreamError.Extended, 4 },
        { Change.SpliceSegment1FromAnotherStreamSameKey, SealedStreamError.TagMismatch, 1 },
        { Change.OtherStreamIdentity, SealedStreamError.TagMismatch, 0 },
    };

    [Theory]
    [MemberData(nameof(PlainCases))]
    public async Task Plain_framing_detects_corruption_too(Change change, SealedStreamError reason, long segment)
    {
        byte[] good = await SealAsync(Plaintext, null);
        byte[] other = await SealAsync(Plaintext, null);
        var (bytes, plainLength, _, identity) = Apply(change, good, other, null, null);

        await AssertRefusedAsync(bytes, null, plainLength, identity, reason, segment);
    }

    [Fact]
    public async Task A_plain_stream_read_with_a_key_is_refused()
    {
        using var key = ObjectKey.Generate();
        byte[] good = await SealAsync(Plaintext, null);
        await AssertRefusedAsync(good, key, Size, "object", SealedStreamError.WrongCipher, -1);
    }

    [Fact]
    public async Task An_extension_with_a_matching_length_is_caught_by_the_final_flag()
    {
        using var key = ObjectKey.Generate();
        byte[] plaintext = Pattern(2 * S);
        byte[] good = await SealAsync(plaintext, key); // 2 full segments, the second one final
        byte[] extended = [.. good, .. good.AsSpan(Header + Frame, Frame)]; // append a copy of the final frame
        await AssertRefusedAsync(extended, key, 3 * S, "object", SealedStreamError.TagMismatch, 1, [.. plaintext, .. new byte[S]]);
    }

    [Fact]
    public async Task A_range_that_does_not_touch_the_damage_still_reads()
    {
        using var key = ObjectKey.Generate();
        byte[] bytes = await SealAsync(Plaintext, key);
        bytes[Header + (2 * Frame) + 100] ^= 1; // damage segment 2
        var (data, error) = await ReadRangeAsync(bytes, key, Size, S - 10, 20);
        Assert.Null(error);
        Assert.Equal(Plaintext.AsSpan(S - 10, 20).ToArray(), data);

        (data, error) = await ReadRangeAsync(bytes, key, Size, (2 * S) + 1, 5);
        Assert.Equal(SealedStreamError.TagMismatch, error?.Reason);
        Assert.Equal(2, error?.SegmentIndex);
        Assert.Empty(data);

        (data, error) = await ReadRangedAsync(bytes, key, Size, S - 10, 20);
        Assert.Null(error);
        Assert.Equal(Plaintext.AsSpan(S - 10, 20).ToArray(), data);
        (data, error) = await ReadRangedAsync(bytes, key, Size, (2 * S) + 1, 5);
        Assert.Equal(SealedStreamError.TagMismatch, error?.Reason);
        Assert.Equal(2, error?.SegmentIndex);
    }

    [Fact]
    public async Task A_failed_reader_keeps_failing()
    {
        using var key = ObjectKey.Generate();
        byte[] bytes = await SealAsync(Plaintext, key);
        bytes[Header + 5] ^= 1;
        using var source = new MemoryStream(bytes);
        await using var plain = SealedStreamReader.Open(source, key, "object", Size);
        var buffer = new byte[100];
        var first = await Assert.ThrowsAsync<SealedStreamException>(async () => await plain.ReadExactlyAsync(buffer));
        var second = Assert.Throws<SealedStreamException>(() => plain.ReadExactly(buffer, 0, 100));
        Assert.Same(first, second);
    }

    [Fact]
    public async Task An_empty_object_authenticates_its_empty_final_segment()
    {
        using var key = ObjectKey.Generate();
        byte[] bytes = await SealAsync([], key);
        bytes[^1] ^= 1;
        await AssertRefusedAsync(bytes, key, 0, "object", SealedStreamError.TagMismatch, 0);
    }

    private static async Task AssertRefusedAsync(byte[] bytes, ObjectKey? key, long plainLength, string identity, SealedStreamError reason, long segment, byte[]? plaintext = null)
    {
        plaintext ??= Plaintext;
        foreach (int bufferSize in new[] { 81920, 1 })
        {
            var (data, error) = await ReadRangeAsync(bytes, key, plainLength, 0, plainLength, identity, bufferSize);
            AssertError(data, error);
            (data, error) = ReadRangeSync(bytes, key, plainLength, 0, plainLength, identity, bufferSize);
            AssertError(data, error);
            // As a blob store serves it: no size known up front, the same errors at the same segments.
            (data, error) = await ReadRangedAsync(bytes, key, plainLength, 0, plainLength, identity, bufferSize);
            AssertError(data, error);
            (data, error) = await ReadRangedAsync(bytes, key, plainLength, 0, plainLength, identity, bufferSize, sync: true);
            AssertError(data, error);
        }

        void AssertError(byte[] data, SealedStreamException? error)
        {
            Assert.NotNull(error);
            Assert.Equal(reason, error.Reason);
            Assert.Equal(segment, error.SegmentIndex);
            // Only whole, authenticated segments before the failing one may have been returned.
            long good = Math.Max(0, segment) * S;
            Assert.True(data.Length <= good, $"{data.Length} bytes returned, at most {good} were authenticated");
            Assert.Equal(plaintext.AsSpan(0, data.Length).ToArray(), data);
        }
    }

    private static (byte[] Bytes, long PlainLength, ObjectKey? Key, string Identity) Apply(
        Change change, byte[] good, byte[] other, ObjectKey? key, ObjectKey? otherKey)
    {
        byte[] b = (byte[])good.Clone();
        long length = Size;
        string identity = "object";
        switch (change)
        {
            case Change.HeaderMagic: b[0] ^= 0x20; break;
            case Change.HeaderVersion: b[4] = 2; break;
            case Change.HeaderCipherUnknown: b[5] = 0x7F; break;
            case Change.HeaderCipherSaysPlain: b[5] = 0x00; break;
            case Change.HeaderSegmentSize: b[6] = 12; break;
            case Change.HeaderReserved: b[7] = 1; break;
            case Change.HeaderSalt: b[20] ^= 1; break;
            case Change.Segment1Body: b[Header + Frame + 1234] ^= 0x01; break;
            case Change.Segment2Tag: b[Header + (2 * Frame) + S + 3] ^= 0x80; break;
            case Change.FinalSegmentBody: b[Header + (3 * Frame) + 2] ^= 0x04; break;
            case Change.SwapSegments0And1: Swap(b, 0, 1); break;
            case Change.SwapSegments1And2: Swap(b, 1, 2); break;
            case Change.DropFinalSegment: b = b[..(Header + (3 * Frame))]; break;
            case Change.DropFinalSegmentAndShortenLength: b = b[..(Header + (3 * Frame))]; length = 3 * S; break;
            case Change.CutInsideSegment2: b = b[..(Header + (2 * Frame) + 500)]; break;
            case Change.AppendCopyOfSegment1: b = [.. b, .. good.AsSpan(Header + Frame, Frame)]; break;
            case Change.AppendOneByte: b = [.. b, 0]; break;
            case Change.SpliceSegment1FromAnotherStreamSameKey: other.AsSpan(Header + Frame, Frame).CopyTo(b.AsSpan(Header + Frame)); break;
            case Change.OtherStreamIdentity: identity = "part:1"; break;
            case Change.WrongKey: key = otherKey; break;
            case Change.NoKey: key = null; break;
            default: throw new ArgumentOutOfRangeException(nameof(change));
        }

        return (b, length, key, identity);
    }

    private static void Swap(byte[] b, int i, int j)
    {
        byte[] first = b.AsSpan(Header + (i * Frame), Frame).ToArray();
        b.AsSpan(Header + (j * Frame), Frame).CopyTo(b.AsSpan(Header + (i * Frame)));
        first.CopyTo(b.AsSpan(Header + (j * Frame)));
    }
}
