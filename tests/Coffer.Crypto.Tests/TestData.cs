using Coffer.Crypto;

namespace Coffer.Crypto.Tests;

/// <summary>Shared helpers: deterministic data, sealing and reading whole streams.</summary>
internal static class TestData
{
    public const int S = SealedStream.SegmentSize;

    /// <summary>Deterministic, non-repeating-looking bytes.</summary>
    public static byte[] Pattern(int length, int seed = 1)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static ObjectKey FixedKey(byte start = 0x00)
        => ObjectKey.FromBytes(Enumerable.Range(start, ObjectKey.Size).Select(i => (byte)i).ToArray());

    public static byte[] Range(int from, int to) => Enumerable.Range(from, to - from).Select(i => (byte)i).ToArray();

    /// <summary>Seals <paramref name="plaintext"/>, writing it in chunks of <paramref name="chunk"/> bytes.</summary>
    public static async Task<byte[]> SealAsync(byte[] plaintext, ObjectKey? key, string identity = "object", int chunk = 100_000, byte[]? salt = null,
        StreamCipher cipher = StreamCipher.Aes256Gcm)
    {
        using var destination = new MemoryStream();
        await using (var writer = salt is null
                         ? new SealedStreamWriter(destination, key, identity, cipher)
                         : new SealedStreamWriter(destination, key, identity, cipher, salt))
        {
            for (int at = 0; at < plaintext.Length; at += chunk)
            {
                await writer.WriteAsync(plaintext.AsMemory(at, Math.Min(chunk, plaintext.Length - at)));
            }

            await writer.CompleteAsync();
            Assert.Equal(plaintext.Length, writer.PlainLength);
            Assert.Equal(destination.Length, writer.SealedLength);
        }

        return destination.ToArray();
    }

    /// <summary>Reads a range with ReadAsync and a given buffer size, collecting what was returned before any failure.</summary>
    public static async Task<(byte[] Data, SealedStreamException? Error)> ReadRangeAsync(
        byte[] sealedBytes, ObjectKey? key, long plainLength, long offset, long count, string identity = "object", int bufferSize = 81920)
    {
        using var source = new MemoryStream(sealedBytes, writable: false);
        await using var plain = SealedStreamReader.OpenRange(source, key, identity, plainLength, offset, count);
        var output = new MemoryStream();
        var buffer = new byte[bufferSize];
        try
        {
            int n;
            while ((n = await plain.ReadAsync(buffer)) > 0)
            {
                output.Write(buffer, 0, n);
            }
        }
        catch (SealedStreamException e)
        {
            return (output.ToArray(), e);
        }

        return (output.ToArray(), null);
    }

    /// <summary>
    /// As <see cref="ReadRangeAsync"/> (or, with <paramref name="sync"/>, its synchronous reads) over a
    /// source that fetches byte ranges, as a blob store does; <paramref name="source"/> records them.
    /// </summary>
    public static async Task<(byte[] Data, SealedStreamException? Error)> ReadRangedAsync(
        byte[] sealedBytes, ObjectKey? key, long plainLength, long offset, long count, string identity = "object", int bufferSize = 81920,
        bool sync = false, RangedSource? source = null)
    {
        source ??= new RangedSource(sealedBytes);
        var plain = SealedStreamReader.OpenRange(source.Open, key, identity, plainLength, offset, count);
        var output = new MemoryStream();
        var buffer = new byte[bufferSize];
        try
        {
            int n;
            while ((n = sync ? plain.Read(buffer.AsSpan()) : await plain.ReadAsync(buffer)) > 0)
            {
                output.Write(buffer, 0, n);
            }
        }
        catch (SealedStreamException e)
        {
            return (output.ToArray(), e);
        }
        finally
        {
            await plain.DisposeAsync();
        }

        return (output.ToArray(), null);
    }

    /// <summary>As <see cref="ReadRangeAsync"/> with synchronous Read(Span).</summary>
    public static (byte[] Data, SealedStreamException? Error) ReadRangeSync(
        byte[] sealedBytes, ObjectKey? key, long plainLength, long offset, long count, string identity = "object", int bufferSize = 81920)
    {
        using var source = new MemoryStream(sealedBytes, writable: false);
        using var plain = SealedStreamReader.OpenRange(source, key, identity, plainLength, offset, count);
        var output = new MemoryStream();
        var buffer = new byte[bufferSize];
        try
        {
            int n;
            while ((n = plain.Read(buffer.AsSpan())) > 0)
            {
                output.Write(buffer, 0, n);
            }
        }
        catch (SealedStreamException e)
        {
            return (output.ToArray(), e);
        }

        return (output.ToArray(), null);
    }

    public static async Task<byte[]> OpenAllAsync(byte[] sealedBytes, ObjectKey? key, long plainLength, string identity = "object")
    {
        var (data, error) = await ReadRangeAsync(sealedBytes, key, plainLength, 0, plainLength, identity);
        if (error is not null)
        {
            throw error;
        }

        return data;
    }
}

/// <summary>Stored bytes served by range, as a blob store serves them, recording each range asked for.</summary>
public sealed class RangedSource(byte[] stored)
{
    public List<(long Offset, long? Length)> Requests { get; } = [];

    public ValueTask<Stream> Open(long offset, long? length, CancellationToken ct)
    {
        lock (Requests)
        {
            Requests.Add((offset, length));
        }
        int from = (int)Math.Min(offset, stored.Length);
        int to = (int)Math.Min(stored.Length, length is { } l ? offset + l : stored.Length);
        return ValueTask.FromResult<Stream>(new MemoryStream(stored, from, Math.Max(0, to - from), writable: false));
    }
}
