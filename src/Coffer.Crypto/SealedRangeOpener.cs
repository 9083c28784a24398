namespace Coffer.Crypto;

/// <summary>
/// Opens stored bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>)
/// of one sealed stream (to its end when <paramref name="length"/> is null) as a forward-only stream
/// that ends early when the stored stream does. How a blob store hands its ranged reads to
/// <see cref="SealedStreamReader.OpenRange(SealedRangeOpener, ObjectKey?, string, long, long, long)"/>.
/// </summary>
public delegate ValueTask<Stream> SealedRangeOpener(long offset, long? length, CancellationToken ct);
