using Coffer.Crypto.Internal;

namespace Coffer.Crypto;

/// <summary>
/// Constants and size arithmetic of the sealed segment-stream format (docs/format.md): a 40-byte
/// header, then segments of <see cref="SegmentSize"/> plaintext bytes each followed by a 16-byte tag;
/// the final segment holds 0..<see cref="SegmentSize"/> bytes and is always present.
/// </summary>
public static class SealedStream
{
    /// <summary>
    /// Plaintext bytes per segment. Part of the stored format: DO NOT CHANGE — every existing blob
    /// would become unreadable (the header records it as log2 = 16 and readers refuse other values).
    /// </summary>
    public const int SegmentSize = 64 * 1024;

    /// <summary>Size of the stream header in bytes.</summary>
    public const int HeaderSize = StreamHeader.Size;

    /// <summary>Bytes after each segment's body: the GCM tag, or the XXH3-128 check of plain framing.</summary>
    public const int TagSize = SegmentCipher.TagSize;

    /// <summary>Most segments one stream may hold (2^32; 256 TiB of plaintext).</summary>
    public const long MaxSegmentCount = 1L << 32;

    /// <summary>Largest plaintext one stream may hold.</summary>
    public const long MaxPlainLength = MaxSegmentCount * SegmentSize;

    /// <summary>Segments that <paramref name="plainLength"/> bytes take: max(1, ceil(plainLength / SegmentSize)).</summary>
    public static long SegmentCount(long plainLength)
    {
        CheckPlainLength(plainLength);
        return plainLength == 0 ? 1 : ((plainLength - 1) / SegmentSize) + 1;
    }

    /// <summary>
    /// Stored size of a stream of <paramref name="plainLength"/> plaintext bytes:
    /// HeaderSize + plainLength + TagSize × SegmentCount(plainLength). Plain framing has the same layout
    /// today, so <paramref name="encrypted"/> does not change the result; pass it anyway so callers stay
    /// correct if a later version frames the two differently.
    /// </summary>
    public static long SealedLength(long plainLength, bool encrypted)
    {
        _ = encrypted;
        return HeaderSize + plainLength + (TagSize * SegmentCount(plainLength));
    }

    /// <summary>
    /// The plaintext length of a stored stream of <paramref name="sealedLength"/> bytes; false when no
    /// plaintext length gives that size (a truncated or extended blob, or not a sealed stream).
    /// </summary>
    public static bool TryGetPlainLength(long sealedLength, out long plainLength)
    {
        plainLength = 0;
        long body = sealedLength - HeaderSize;
        if (body < TagSize)
        {
            return false;
        }

        const long frame = SegmentSize + TagSize;
        long segments = (body + frame - 1) / frame;
        long candidate = body - (segments * TagSize);
        if (candidate < 0 || candidate > MaxPlainLength || SegmentCount(candidate) != segments)
        {
            return false;
        }

        plainLength = candidate;
        return true;
    }

    /// <summary>
    /// The stored byte range [Offset, Offset + Length) that holds the segments a plaintext range touches,
    /// for stores that fetch byte ranges of a blob (the header, bytes [0, HeaderSize), is needed too).
    /// </summary>
    public static (long Offset, long Length) StoredRange(long plainLength, long offset, long count)
    {
        CheckRange(plainLength, offset, count);
        long last = SegmentCount(plainLength) - 1;
        long first = Math.Min(offset / SegmentSize, last);
        long end = count == 0 ? first : Math.Min((offset + count - 1) / SegmentSize, last);
        long start = HeaderSize + (first * (SegmentSize + TagSize));
        long stop = end == last ? SealedLength(plainLength, true) : HeaderSize + ((end + 1) * (SegmentSize + TagSize));
        return (start, stop - start);
    }

    internal static void CheckPlainLength(long plainLength)
    {
        if (plainLength < 0 || plainLength > MaxPlainLength)
        {
            throw new ArgumentOutOfRangeException(nameof(plainLength), plainLength,
                $"A sealed stream holds 0..{MaxPlainLength} bytes.");
        }
    }

    internal static void CheckRange(long plainLength, long offset, long count)
    {
        CheckPlainLength(plainLength);
        if (offset < 0 || offset > plainLength)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"The offset must be within 0..{plainLength}.");
        }

        if (count < 0 || count > plainLength - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count,
                $"The range [{offset}, {offset}+{count}) must lie within the {plainLength}-byte plaintext.");
        }
    }
}
