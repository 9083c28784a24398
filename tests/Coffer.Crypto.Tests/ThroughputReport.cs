using System.Diagnostics;
using Coffer.Crypto;
using Xunit.Abstractions;

namespace Coffer.Crypto.Tests;

/// <summary>
/// Prints in-process throughput of the writer and reader on 64 MiB, encrypted against plain framing and a
/// plain copy. It asserts correctness only, never timings (see DESIGN.md "Conventions"). To see the table:
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

        output.WriteLine($"{"64 MiB, 1 MiB calls, in memory",-34} {"GB/s",8} {"vs plain framing",18}");
        output.WriteLine($"{"copy (no framing)",-34} {Rate(copy),8:F2}");
        output.WriteLine($"{"write, plain framing (XXH3-128)",-34} {Rate(writePlain),8:F2}");
        output.WriteLine($"{"write, AES-256-GCM",-34} {Rate(writeEncrypted),8:F2} {$"+{((writeEncrypted / writePlain) - 1) * 100:F0}% time",18}");
        output.WriteLine($"{"read, plain framing (XXH3-128)",-34} {Rate(readPlain),8:F2}");
        output.WriteLine($"{"read, AES-256-GCM",-34} {Rate(readEncrypted),8:F2} {$"+{((readEncrypted / readPlain) - 1) * 100:F0}% time",18}");
        output.WriteLine($"encryption overhead vs a plain copy: write +{((writeEncrypted / copy) - 1) * 100:F0}% time, read +{((readEncrypted / copy) - 1) * 100:F0}% time");

        Assert.Equal(plaintext.Length, (await TestData.OpenAllAsync(sealedEncrypted, key, Size)).Length);
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
        for (int timed = 0; timed < 5 || total.Elapsed < TimeSpan.FromSeconds(1.2); )
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
}
