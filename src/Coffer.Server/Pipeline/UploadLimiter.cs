namespace Coffer.Server.Pipeline;

/// <summary>
/// Counts the request bodies being received at once (<see cref="CofferServerOptions.MaxConcurrentUploads"/>).
/// A request beyond the limit is refused before its body is read, so many slow uploads cannot make
/// the server hold buffers for all of them.
/// </summary>
public sealed class UploadLimiter(int max)
{
    private int _active;
    private int _peak;

    public int Max => max;

    /// <summary>Bodies being received now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Takes a slot; false (and nothing taken) when all are in use.</summary>
    public bool TryEnter()
    {
        var active = Interlocked.Increment(ref _active);
        if (active <= max)
        {
            for (var peak = Volatile.Read(ref _peak); active > peak; peak = Volatile.Read(ref _peak))
                if (Interlocked.CompareExchange(ref _peak, active, peak) == peak)
                    break;
            return true;
        }
        Interlocked.Decrement(ref _active);
        return false;
    }

    /// <summary>
    /// Gives back a slot taken by <see cref="TryEnter"/>. When that leaves no body being received,
    /// returns the most that were received at once since the last such moment (else 0).
    /// </summary>
    public int Exit() => Interlocked.Decrement(ref _active) == 0 ? Interlocked.Exchange(ref _peak, 0) : 0;
}
