using Microsoft.Data.Sqlite;
using Npgsql;

namespace Coffer.Storage;

/// <summary>What went wrong with the storage under a request, when it is the storage's fault and not a bug.</summary>
public enum StorageFault
{
    /// <summary>No space left: the data folder's filesystem, a quota, SQLite (SQLITE_FULL) or PostgreSQL (disk_full).</summary>
    Full,

    /// <summary>The data folder or the database is read-only (EROFS, SQLITE_READONLY, read_only_sql_transaction).</summary>
    ReadOnly,

    /// <summary>The device failed a read, write or fsync (EIO, SQLITE_IOERR).</summary>
    IoError,

    /// <summary>
    /// The metadata database cannot be reached or is going away: PostgreSQL down, restarting or refusing connections
    /// (SQLSTATE class 08, 57P01–57P03), or Npgsql giving up on a connection (a transient <c>NpgsqlException</c>).
    /// </summary>
    Unavailable,
}

/// <summary>
/// Recognises the storage faults that a server must answer with a clear 503 (the client retries later; nothing was
/// written) instead of a 500: a full disk, a read-only data folder, a failing device — whether the blob store or the
/// metadata database met it, and however deeply it is wrapped — or a metadata database that cannot be reached.
/// </summary>
public static class StorageFaults
{
    // errno values as .NET reports them in IOException.HResult on Linux and macOS; the Windows HRESULTs beside them.
    private const int Eio = 5, Enospc = 28, Erofs = 30, Edquot = 122, EdquotMac = 69;
    private const int WinDiskFull = unchecked((int)0x80070070), WinHandleDiskFull = unchecked((int)0x80070027), WinWriteProtect = unchecked((int)0x80070013);

    /// <summary>The fault behind <paramref name="e"/> (or one of its inner exceptions), or null when it is no storage fault.</summary>
    public static StorageFault? Classify(Exception? e)
    {
        for (var depth = 0; e is not null && depth < 8; e = e.InnerException, depth++)
        {
            switch (e)
            {
                case SqliteException sqlite:
                    // The primary result code is the low byte of the extended one.
                    switch (sqlite.SqliteErrorCode & 0xFF)
                    {
                        case 13: return StorageFault.Full;       // SQLITE_FULL
                        case 8: return StorageFault.ReadOnly;    // SQLITE_READONLY
                        case 10: return StorageFault.IoError;    // SQLITE_IOERR
                    }
                    break;
                case PostgresException postgres:
                    switch (postgres.SqlState)
                    {
                        case "53100": return StorageFault.Full;         // disk_full
                        case "25006": return StorageFault.ReadOnly;     // read_only_sql_transaction
                        case "58030": return StorageFault.IoError;      // io_error
                        case "57P01" or "57P02" or "57P03": return StorageFault.Unavailable;   // admin_shutdown, crash_shutdown, cannot_connect_now
                    }
                    if (postgres.SqlState.StartsWith("08", StringComparison.Ordinal))
                        return StorageFault.Unavailable;   // connection_exception and its subclasses
                    break;
                case NpgsqlException npgsql when npgsql.IsTransient:
                    // Not a PostgresException: the server never answered (connection refused or reset, a timeout).
                    return StorageFault.Unavailable;
                case IOException io when io is not FileNotFoundException and not DirectoryNotFoundException and not EndOfStreamException:
                    switch (io.HResult)
                    {
                        case Enospc or Edquot or EdquotMac or WinDiskFull or WinHandleDiskFull: return StorageFault.Full;
                        case Erofs or WinWriteProtect: return StorageFault.ReadOnly;
                        case Eio: return StorageFault.IoError;
                    }
                    break;
            }
        }
        return null;
    }
}
