using System.Buffers;

namespace Coffer.Crypto;

/// <summary>
/// The pool for the large buffers that object data passes through (1 MiB transfer buffers, 64 KiB
/// segment frames). <see cref="ArrayPool{T}.Shared"/> keeps up to 32 arrays per size per core
/// plus one per thread, and trims them slowly, so after a burst of concurrent transfers a server
/// with many cores can keep (32 × cores) MiB of idle 1 MiB buffers. This pool keeps at most
/// <see cref="ArraysPerSize"/> of each size whatever the core count; a burst beyond that
/// allocates, and the extra arrays go back to the garbage collector.
/// </summary>
public static class BufferPool
{
    /// <summary>How many arrays of each size the pool keeps for reuse.</summary>
    public const int ArraysPerSize = 16;

    /// <summary>The largest array the pool hands out from its store (larger ones are allocated each time).</summary>
    public const int MaxArrayLength = 2 * 1024 * 1024;

    /// <summary>The pool; return every array to it once no plaintext is left in it (clear it first if it held any).</summary>
    public static ArrayPool<byte> Shared { get; } = ArrayPool<byte>.Create(MaxArrayLength, ArraysPerSize);
}
