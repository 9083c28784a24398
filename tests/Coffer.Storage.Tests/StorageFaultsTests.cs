using Coffer.Storage;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Coffer.Storage.Tests;

/// <summary>Which failures are the storage's (answered 503, no stack trace) and which are not (a bug: 500).</summary>
public sealed class StorageFaultsTests
{
    public static TheoryData<Exception, StorageFault?> Cases => new()
    {
        { new IOException("No space left on device", 28), StorageFault.Full },
        { new IOException("Disk quota exceeded", 122), StorageFault.Full },
        { new IOException("Read-only file system", 30), StorageFault.ReadOnly },
        { new IOException("Input/output error", 5), StorageFault.IoError },
        { new SqliteException("database or disk is full", 13), StorageFault.Full },
        { new SqliteException("attempt to write a readonly database", 8), StorageFault.ReadOnly },
        { new SqliteException("disk I/O error (fsync)", 10 | (4 << 8)), StorageFault.IoError },   // SQLITE_IOERR_FSYNC
        { new PostgresException("could not extend file", "ERROR", "ERROR", "53100"), StorageFault.Full },
        { new PostgresException("cannot execute INSERT in a read-only transaction", "ERROR", "ERROR", "25006"), StorageFault.ReadOnly },
        { new InvalidOperationException("wrapped", new IOException("No space left on device", 28)), StorageFault.Full },
        // The metadata database unreachable: refused, reset, timed out, shutting down, not yet accepting connections.
        { new NpgsqlException("Failed to connect to 127.0.0.1:55450", new System.Net.Sockets.SocketException(111)), StorageFault.Unavailable },
        { new NpgsqlException("Exception while reading from stream", new EndOfStreamException()), StorageFault.Unavailable },
        { new NpgsqlException("The operation has timed out", new TimeoutException()), StorageFault.Unavailable },
        { new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"), StorageFault.Unavailable },
        { new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03"), StorageFault.Unavailable },
        { new PostgresException("connection failure", "FATAL", "FATAL", "08006"), StorageFault.Unavailable },
        // Not storage faults: a missing file, another I/O error, a constraint, a bug.
        { new FileNotFoundException("gone"), null },
        { new IOException("Connection reset by peer", 104), null },
        { new SqliteException("UNIQUE constraint failed", 19), null },
        { new PostgresException("duplicate key", "ERROR", "ERROR", "23505"), null },
        { new NpgsqlException("a protocol bug"), null },
        { new NullReferenceException(), null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classifies_what_the_storage_did(Exception e, StorageFault? expected) => Assert.Equal(expected, StorageFaults.Classify(e));

    [Fact]
    public void A_real_write_to_a_full_device_is_recognised()
    {
        if (!File.Exists("/dev/full"))
            return;   // Linux only: /dev/full answers every write with ENOSPC
        var e = Assert.ThrowsAny<IOException>(() =>
        {
            using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write);
            full.Write(new byte[16]);
            full.Flush(flushToDisk: true);
        });
        Assert.Equal(StorageFault.Full, StorageFaults.Classify(e));
    }
}
