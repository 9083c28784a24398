namespace Coffer.Server.Pipeline;

/// <summary>
/// Counts the request bodies being received at once (<see cref="CofferServerOptions.MaxConcurrentUploads"/>).
/// A request beyond the limit is refused before its body is read, so many slow uploads cannot make
/// the server hold buffers for all of them.
/// </summary>
public sealed class UploadLimiter(int max)
{
    private int _active;

    public int Max => max;

    /// <summary>Bodies being received now.</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>Takes a slot; false (and nothing taken) when all are in use.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _active) <= max)
            return true;
        Interlocked.Decrement(ref _active);
        return false;
    }

    /// <summary>Gives back a slot taken by <see cref="TryEnter"/>.</summary>
    public void Exit() => Interlocked.Decrement(ref _active);
}
