using Coffer.Server.Pipeline;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Hosting;

/// <summary>
/// Gives memory back to the system after a burst of concurrent uploads. Their transfer buffers
/// beyond what <see cref="Coffer.Crypto.BufferPool"/> keeps become garbage on the large object
/// heap, which the runtime would otherwise keep committed until it needs the space again. Once no
/// body has been received for a moment after a burst of at least <see cref="BurstThreshold"/>,
/// one compacting collection that decommits free memory runs (at most every <see cref="MinInterval"/>).
/// </summary>
public sealed class MemoryTrimmer(UploadLimiter uploads, ILogger log)
{
    /// <summary>Bursts smaller than this fit in what the buffer pool keeps; nothing to give back.</summary>
    public const int BurstThreshold = 32;
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(30);

    private int _scheduled;
    private long _lastTrim = Environment.TickCount64 - (long)MinInterval.TotalMilliseconds;

    /// <summary>Called when the last body of a burst of <paramref name="peak"/> concurrent ones has been received.</summary>
    public void AfterBurst(int peak)
    {
        if (peak < BurstThreshold || Interlocked.Exchange(ref _scheduled, 1) == 1)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(Quiet);
                var wait = MinInterval.TotalMilliseconds - (Environment.TickCount64 - Volatile.Read(ref _lastTrim));
                if (wait > 0)
                    await Task.Delay(TimeSpan.FromMilliseconds(wait));
                if (uploads.Active > 0)
                    return;   // a new burst: its own end will trim
                var before = Environment.WorkingSet;
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                Volatile.Write(ref _lastTrim, Environment.TickCount64);
                log.LogInformation("After {Peak} concurrent uploads, memory trimmed from {Before} MiB to {After} MiB.",
                    peak, before >> 20, Environment.WorkingSet >> 20);
            }
            finally
            {
                Volatile.Write(ref _scheduled, 0);
            }
        });
    }
}
