using System.Text;
using Coffer.Protocol.Auth;

namespace Coffer.Protocol.Tests.Auth;

/// <summary>Builds aws-chunked bodies with our own chunk signer, and reads streams in odd pieces.</summary>
internal static class ChunkedBodies
{
    /// <summary>
    /// Encodes <paramref name="payload"/> in chunks of <paramref name="chunkSize"/> (last one shorter),
    /// signing chunks and trailer when <paramref name="context"/> is given.
    /// </summary>
    public static byte[] Encode(byte[] payload, int chunkSize, ChunkSigningContext? context,
        IEnumerable<KeyValuePair<string, string>>? trailers = null, bool signTrailer = true)
    {
        var body = new MemoryStream();
        string? previous = context?.SeedSignature;
        for (int offset = 0; ; offset = Math.Min(offset + chunkSize, payload.Length))
        {
            var chunk = payload.AsSpan(offset, Math.Min(chunkSize, payload.Length - offset));
            string header = chunk.Length.ToString("x");
            if (context is not null)
            {
                previous = SigV4Signer.SignChunk(context, previous!, chunk);
                header += ";chunk-signature=" + previous;
            }

            Write(body, header + "\r\n");
            if (chunk.IsEmpty)
            {
                break;
            }

            body.Write(chunk);
            Write(body, "\r\n");
        }

        if (trailers is not null)
        {
            var list = trailers.ToList();
            foreach (var (name, value) in list)
            {
                Write(body, name + ":" + value + "\r\n");
            }

            if (context is not null && signTrailer)
            {
                Write(body, "x-amz-trailer-signature:" + SigV4Signer.SignTrailer(context, previous!, list) + "\r\n");
            }
        }

        Write(body, "\r\n");
        return body.ToArray();
    }

    public static void Write(Stream stream, string text) => stream.Write(Encoding.ASCII.GetBytes(text));

    /// <summary>Reads <paramref name="stream"/> to its end with reads of the sizes <paramref name="sizes"/> gives.</summary>
    public static async Task<byte[]> ReadAllAsync(Stream stream, Func<int> sizes, bool async = true)
    {
        var result = new MemoryStream();
        var buffer = new byte[1 << 17];
        while (true)
        {
            int size = Math.Max(1, Math.Min(buffer.Length, sizes()));
            int n = async ? await stream.ReadAsync(buffer.AsMemory(0, size)) : stream.Read(buffer, 0, size);
            if (n == 0)
            {
                return result.ToArray();
            }

            result.Write(buffer, 0, n);
        }
    }
}

/// <summary>An inner stream that returns at most the number of bytes <c>sizes</c> gives per read.</summary>
internal sealed class TrickleStream(byte[] data, Func<int> sizes) : Stream
{
    private int _position;

    public int Reads { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => data.Length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        Reads++;
        int n = Math.Min(Math.Min(buffer.Length, Math.Max(1, sizes())), data.Length - _position);
        data.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer, offset, count));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
