namespace Coffer.Storage;

/// <summary>
/// Owner-only permissions for everything in a data folder: folders 0700, files 0600. The data
/// folder holds the metadata database (sealed keys, user names, object names), the encrypted
/// blobs, the root key and the TLS key; nobody but the server's own user has any business
/// reading them. Modes are given at creation (no window in which a file is readable by others);
/// <see cref="Tighten"/> repairs a folder made by an older version. Unix only: elsewhere the
/// folder's ACLs are left as they are and every method here does nothing beyond creating.
/// </summary>
public static class OwnerOnly
{
    /// <summary>rwx------ (0700).</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>rw------- (0600).</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupAndOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute |
        UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit;

    /// <summary>Creates <paramref name="path"/> and any missing parent, each 0700 (an existing folder is left as it is).</summary>
    public static DirectoryInfo CreateDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            return Directory.CreateDirectory(path);
        }
        // Directory.CreateDirectory(path, mode) gives the mode to the last folder only; its
        // missing parents would get 0777 & ~umask. So each missing one is made here, top down.
        var missing = new Stack<string>();
        for (var p = Path.GetFullPath(path); p is not null && !Directory.Exists(p); p = Path.GetDirectoryName(p))
        {
            missing.Push(p);
        }
        while (missing.TryPop(out var folder))
        {
            Directory.CreateDirectory(folder, FolderMode);
        }
        return new DirectoryInfo(path);
    }

    /// <summary>Makes a file that <paramref name="options"/> creates 0600; returns the options.</summary>
    public static FileStreamOptions Apply(FileStreamOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = FileMode;
        }
        return options;
    }

    /// <summary>
    /// Sets <paramref name="root"/> itself to 0700 and its direct entries (the database, the root key, the top
    /// folders) as <see cref="Tighten"/> does, without descending: cheap whatever the folder holds. With the root
    /// closed, nothing under it is reachable by others, so the full walk (<see cref="Tighten"/>, which reads every
    /// blob) may follow in the background. Returns how many entries were changed.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">An entry belongs to another user and could not be changed.</exception>
    public static int TightenTop(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (OperatingSystem.IsWindows())
        {
            return 0;
        }

        var top = new DirectoryInfo(root);
        if (!top.Exists)
        {
            return 0;
        }
        var changed = TightenOne(top, FolderMode) ? 1 : 0;
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var entry in top.EnumerateFileSystemInfos("*", options))
        {
            if (entry.LinkTarget is null)
            {
                changed += TightenOne(entry, entry is DirectoryInfo ? FolderMode : FileMode) ? 1 : 0;
            }
        }
        return changed;
    }

    /// <summary>
    /// Walks <paramref name="root"/> (itself included) and sets every folder that grants group or
    /// others anything to 0700 and every such file to 0600. Symbolic links are neither changed nor
    /// followed (what they point to is not the data folder's). Returns how many entries were changed.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">An entry belongs to another user and could not be changed.</exception>
    public static int Tighten(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        if (OperatingSystem.IsWindows())
        {
            return 0;
        }

        var top = new DirectoryInfo(root);
        if (!top.Exists)
        {
            return 0;
        }
        var changed = TightenOne(top, FolderMode) ? 1 : 0;
        var pending = new Stack<DirectoryInfo>();
        pending.Push(top);
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = 0, IgnoreInaccessible = false };
        while (pending.TryPop(out var directory))
        {
            foreach (var entry in directory.EnumerateFileSystemInfos("*", options))
            {
                if (entry.LinkTarget is not null)
                {
                    continue;
                }
                if (entry is DirectoryInfo folder)
                {
                    // Before descending: the folder is closed to others before its entries are looked at.
                    changed += TightenOne(folder, FolderMode) ? 1 : 0;
                    pending.Push(folder);
                }
                else
                {
                    changed += TightenOne(entry, FileMode) ? 1 : 0;
                }
            }
        }
        return changed;
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static bool TightenOne(FileSystemInfo entry, UnixFileMode wanted)
    {
        if ((entry.UnixFileMode & GroupAndOthers) == 0)
        {
            return false;
        }
        entry.UnixFileMode = wanted;
        return true;
    }
}
