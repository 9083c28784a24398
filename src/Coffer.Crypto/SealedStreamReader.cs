using Coffer.Crypto.Internal;

namespace Coffer.Crypto;

/// <summary>Opens sealed streams written by <see cref="SealedStreamWriter"/> (docs/format.md, "Range read").</summary>
public static class SealedStreamReader
{
    /// <summary>
    /// Plaintext [offset, offset+count) of a sealed stream in <paramref name="source"/> (seekable). The
    /// sealed stream starts at <paramref name="source"/>'s position when this is called (usually 0) and
    /// ends at its <see cref="Stream.Length"/>. Decrypts only the segments the range touches: it seeks
    /// to segment offset / SegmentSize and reads whole segments. The header and the stored length are
    /// checked on the first read (a stored length that does not match <paramref name="plainLength"/>
    /// fails as <see cref="SealedStreamError.Truncated"/> or <see cref="SealedStreamError.Extended"/>).
    /// <para>
    /// Never returns a byte of a segment before that segment authenticated; on corruption, truncation,
    /// extension, reordering or splicing, Read/ReadAsync throw <see cref="SealedStreamException"/> (bytes of
    /// earlier, good segments may already have been returned) and every later read throws it again.
    /// </para>
    /// The returned stream does not dispose <paramref name="source"/>; <paramref name="key"/> is copied,
    /// so the caller may dispose it at once.
    /// </summary>
    /// <param name="source">The stored stream; must be readable and seekable.</param>
    /// <param name="key">The object key, or null for plain framing.</param>
    /// <param name="streamIdentity">The identity the stream was written with ("object", "part:3").</param>
    /// <param name="plainLength">The plaintext length of the whole stream (from metadata).</param>
    /// <param name="offset">First plaintext byte wanted.</param>
    /// <param name="count">Number of plaintext bytes wanted.</param>
    /// <exception cref="ArgumentOutOfRangeException">The range is not within [0, plainLength].</exception>
    public static Stream OpenRange(Stream source, ObjectKey? key, string streamIdentity, long plainLength, long offset, long count)
        => OpenRange(source, key, streamIdentity, plainLength, offset, count, leaveOpen: true);

    /// <summary>As <see cref="OpenRange(Stream, ObjectKey?, string, long, long, long)"/>; with
    /// <paramref name="leaveOpen"/> false, disposing the returned stream disposes <paramref name="source"/>.</summary>
    public static Stream OpenRange(Stream source, ObjectKey? key, string streamIdentity, long plainLength, long offset, long count, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(streamIdentity);
        if (!source.CanRead || !source.CanSeek)
        {
            throw new ArgumentException("The source of a sealed stream must be readable and seekable.", nameof(source));
        }

        SealedStream.CheckRange(plainLength, offset, count);
        return new SealedRangeStream(source, key, streamIdentity, plainLength, offset, count, leaveOpen);
    }

    /// <summary>
    /// Plaintext [offset, offset+count) of a sealed stream kept where byte ranges are fetched (a blob
    /// store): <paramref name="open"/> is asked for the 40-byte header and for exactly the frames the
    /// range touches (one range when they follow the header closely, else two, asked for together),
    /// which are then read forward only. The checks are those of the seekable overload, except that
    /// the stored size is not known up front: a truncated stream fails on the short frame
    /// (<see cref="SealedStreamError.Truncated"/>), an extended one when the range reaches the final
    /// frame (<see cref="SealedStreamError.Extended"/>; the final frame's range is asked for to the end
    /// of the stored stream, and one byte more is read). Disposing the returned stream disposes every
    /// range it opened; <paramref name="key"/> is copied.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not within [0, plainLength].</exception>
    public static Stream OpenRange(SealedRangeOpener open, ObjectKey? key, string streamIdentity, long plainLength, long offset, long count)
    {
        ArgumentNullException.ThrowIfNull(open);
        ArgumentException.ThrowIfNullOrEmpty(streamIdentity);
        SealedStream.CheckRange(plainLength, offset, count);
        return new SealedRangeStream(open, key, streamIdentity, plainLength, offset, count);
    }

    /// <summary>The whole plaintext of a sealed stream: <c>OpenRange(source, key, streamIdentity, plainLength, 0, plainLength)</c>.</summary>
    public static Stream Open(Stream source, ObjectKey? key, string streamIdentity, long plainLength)
        => OpenRange(source, key, streamIdentity, plainLength, 0, plainLength);
}
