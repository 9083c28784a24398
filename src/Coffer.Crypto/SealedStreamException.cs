namespace Coffer.Crypto;

/// <summary>Why a sealed stream was refused (docs/format.md, "Errors").</summary>
public enum SealedStreamError
{
    /// <summary>The header is not a sealed-stream header (magic, cipher, segment size or reserved byte).</summary>
    BadHeader,

    /// <summary>The header names a format version this build cannot read.</summary>
    UnsupportedVersion,

    /// <summary>The stream is encrypted but no key was given, or plain but a key was given.</summary>
    WrongCipher,

    /// <summary>A segment did not authenticate: corrupted or tampered bytes or header, segments reordered,
    /// spliced from another stream, a changed stream identity, or the wrong key.</summary>
    TagMismatch,

    /// <summary>The stream ends before its final segment (or is shorter than the length the caller expects).</summary>
    Truncated,

    /// <summary>There are bytes after the final segment (or the stream is longer than the caller expects).</summary>
    Extended,
}

/// <summary>
/// A sealed stream failed a check. Bytes already returned belong to earlier segments that did
/// authenticate; nothing of the failing segment was released. The message names no key material.
/// </summary>
public sealed class SealedStreamException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">What failed.</param>
    /// <param name="segmentIndex">The segment that failed; -1 for the header.</param>
    /// <param name="message">What happened, for logs; never key material.</param>
    public SealedStreamException(SealedStreamError reason, long segmentIndex, string message)
        : base(message)
    {
        Reason = reason;
        SegmentIndex = segmentIndex;
    }

    /// <summary>What failed.</summary>
    public SealedStreamError Reason { get; }

    /// <summary>Index of the segment that failed (0-based); -1 when the header failed.</summary>
    public long SegmentIndex { get; }
}
