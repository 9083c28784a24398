using System.Runtime.InteropServices;

namespace Coffer.Storage;

/// <summary>
/// fsync of a directory, which makes the names created, renamed or removed in it durable.
/// .NET has no API for it (it refuses to open a directory as a file), so on Linux this calls
/// libc directly; elsewhere it does nothing.
/// </summary>
internal static partial class DirectorySync
{
    private const int ORdOnly = 0;
    private const int OCloExec = 0x80000; // 02000000 on every Linux architecture .NET runs on
    private const int EIntr = 4;

    // O_DIRECTORY differs by architecture: 040000 on ARM, 0200000 on x86 and most others.
    private static readonly int ODirectory = RuntimeInformation.ProcessArchitecture is Architecture.Arm or Architecture.Arm64
        ? 0x4000
        : 0x10000;

    /// <summary>fsyncs <paramref name="directory"/> (Linux; a no-op elsewhere).</summary>
    /// <exception cref="IOException">The directory could not be opened or synced.</exception>
    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd;
        do
        {
            fd = Open(directory, ORdOnly | ODirectory | OCloExec);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EIntr);
        if (fd < 0)
        {
            throw Failure("open", directory);
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw Failure("fsync", directory);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private static IOException Failure(string call, string directory)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call}('{directory}') failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
