using Coffer.Crypto;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>Streams a plaintext range of an object out of its sealed streams, decrypting only the segments the range touches.</summary>
public static class ObjectReader
{
    public static async Task CopyRangeAsync(ObjectRecord obj, ObjectKey? key, long offset, long count, Stream output, IBlobStore blobs, CancellationToken ct)
    {
        long streamStart = 0;
        foreach (var stream in obj.Streams)
        {
            var streamEnd = streamStart + stream.PlainSize;
            if (count > 0 && offset < streamEnd && offset + count > streamStart)
            {
                var from = Math.Max(offset, streamStart) - streamStart;
                var to = Math.Min(offset + count, streamEnd) - streamStart;
                await using var blob = blobs.OpenRead(stream.BlobId);
                await using var plain = SealedStreamReader.OpenRange(blob, key, stream.StreamIdentity, stream.PlainSize, from, to - from);
                await plain.CopyToAsync(output, ObjectWriter.BufferSize, ct);
            }
            streamStart = streamEnd;
        }
    }
}
