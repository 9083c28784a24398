using System.Diagnostics;
using Coffer.Crypto;
using Xunit.Abstractions;

namespace Coffer.Crypto.Tests;

/// <summary>
/// Prints in-process throughput of the writer and reader on 64 MiB, encrypted against plain framing and a
/// plain copy. It asserts correctness only, never timings (see docs/architecture.md#conventions). To see the table:
/// dotnet test tests/Coffer.Crypto.Tests --filter ThroughputReport --logger "console;verbosity=detailed"
/// </summary>
public sealed class ThroughputReport(ITestOutputHelper output)
{
    private const int Size = 64 * 1024 * 1024;
    private const int Chunk = 1024 * 1024;

    [Fact]
    public async Task Prints_writer_and_reader_throughput_on_64_MiB()
    {
        byte[] plaintext = TestData.Pattern(Size);
        using var key = ObjectKey.Generate();
        byte[] sealedEncrypted = await TestData.SealAsync(plaintext, key, chunk: Chunk);
        byte[] sealedPlain = await TestData.SealAsync(plaintext, null, chunk: Chunk);
        byte[] sink = new byte[Chunk];

        double copy = Best(async () =>
        {
            using var source = new MemoryStream(plaintext, writable: false);
            int n;
            while ((n = await source.ReadAsync(sink)) > 0)
            {
                await Stream.Null.WriteAsync(sink.AsMemory(0, n));
            }
        });
        double writeEncrypted = Best(() => Write(plaintext, key));
        double writePlain = Best(() => Write(plaintext, null));
        double readEncrypted = Best(() => Read(sealedEncrypted, key, sink));
        double readPlain = Best(() => Read(sealedPlain, null, sink));

        output.WriteLine($"{"64 MiB, 1 MiB calls",-34} {"GB/s",8} {"vs plain framing",18}");
        output.WriteLine($"{"copy in memory (no framing)",-34} {Rate(copy),8:F2}");
        output.WriteLine($"{"memory write, plain (XXH3-128)",-34} {Rate(writePlain),8:F2}");
        output.WriteLine($"{"memory write, AES-256-GCM",-34} {Rate(writeEncrypted),8:F2} {Percent(writeEncrypted, writePlain),18}");
        output.WriteLine($"{"memory read, plain (XXH3-128)",-34} {Rate(readPlain),8:F2}");
        output.WriteLine($"{"memory read, AES-256-GCM",-34} {Rate(readEncrypted),8:F2} {Percent(readEncrypted, readPlain),18}");
        output.WriteLine($"encryption vs a plain in-memory copy: write {Percent(writeEncrypted, copy)}, read {Percent(readEncrypted, copy)}");

        // The same through a real file (temp folder, no fsync): what the server's PUT and GET paths pay.
        string path = Path.Combine(Path.GetTempPath(), $"coffer-throughput-{Guid.NewGuid():N}");
        try
        {
            double fileWritePlain = Best(() => WriteFile(path, plaintext, null));
            double fileWriteEncrypted = Best(() => WriteFile(path, plaintext, key));
            double fileReadEncrypted = Best(() => ReadFile(path, key, sink));
            await WriteFile(path, plaintext, null);
            double fileReadPlain = Best(() => ReadFile(path, null, sink));
            output.WriteLine($"{"file write, plain framing",-34} {Rate(fileWritePlain),8:F2}");
            output.WriteLine($"{"file write, AES-256-GCM",-34} {Rate(fileWriteEncrypted),8:F2} {Percent(fileWriteEncrypted, fileWritePlain),18}");
            output.WriteLine($"{"file read, plain framing",-34} {Rate(fileReadPlain),8:F2}");
            output.WriteLine($"{"file read, AES-256-GCM",-34} {Rate(fileReadEncrypted),8:F2} {Percent(fileReadEncrypted, fileReadPlain),18}");
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal(plaintext.Length, (await TestData.OpenAllAsync(sealedEncrypted, key, Size)).Length);
    }

    private static async Task WriteFile(string path, byte[] plaintext, ObjectKey? key)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0, useAsync: true);
        await using var writer = new SealedStreamWriter(file, key, "object");
        for (int at = 0; at < plaintext.Length; at += Chunk)
        {
            await writer.WriteAsync(plaintext.AsMemory(at, Chunk));
        }

        await writer.CompleteAsync();
    }

    private static async Task ReadFile(string path, ObjectKey? key, byte[] sink)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, useAsync: true);
        await using var plain = SealedStreamReader.Open(file, key, "object", Size);
        while (await plain.ReadAsync(sink) > 0)
        {
        }
    }

    private static async Task Write(byte[] plaintext, ObjectKey? key)
    {
        await using var writer = new SealedStreamWriter(Stream.Null, key, "object");
        for (int at = 0; at < plaintext.Length; at += Chunk)
        {
            await writer.WriteAsync(plaintext.AsMemory(at, Chunk));
        }

        await writer.CompleteAsync();
    }

    private static async Task Read(byte[] sealedBytes, ObjectKey? key, byte[] sink)
    {
        using var source = new MemoryStream(sealedBytes, writable: false);
        await using var plain = SealedStreamReader.Open(source, key, "object", Size);
        while (await plain.ReadAsync(sink) > 0)
        {
        }
    }

    /// <summary>
    /// Best run, in seconds, after at least a second of warm-up: XXH3 is managed code whose optimised
    /// (tier-1, AVX2) version replaces the first one only after the JIT has been quiet for a while, which
    /// other tests running in the same process delay. AES-GCM is native (OpenSSL) and needs no warm-up.
    /// </summary>
    private static double Best(Func<Task> run)
    {
        var total = Stopwatch.StartNew();
        double best = double.MaxValue;
        for (int timed = 0; timed < 5 || total.Elapsed < TimeSpan.FromSeconds(1.2);)
        {
            var watch = Stopwatch.StartNew();
            run().GetAwaiter().GetResult();
            if (total.Elapsed > TimeSpan.FromSeconds(0.4))
            {
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
                timed++;
            }
        }

        return best;
    }

    private static double Rate(double seconds) => Size / seconds / 1e9;

    private static string Percent(double seconds, double baseline) => $"{((seconds / baseline) - 1) * 100:+0;-0;0}% time";
}
