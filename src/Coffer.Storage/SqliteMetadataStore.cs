using System.Diagnostics;
using System.Runtime.CompilerServices;
using Coffer.Crypto.Kms;
using Microsoft.Data.Sqlite;

namespace Coffer.Storage;

/// <summary>
/// The embedded metadata store: one SQLite database file in WAL mode with
/// <c>synchronous=FULL</c>, so a write that has returned survives a crash or power loss.
/// </summary>
/// <remarks>
/// Concurrency: every operation takes a connection from Microsoft.Data.Sqlite's pool and
/// returns it. Reads run in parallel (WAL readers never block). Writes in this process queue
/// on an async gate and then take SQLite's write lock with <c>BEGIN IMMEDIATE</c>; a writer in
/// another process (e.g. <c>coffer admin user add</c> while the server runs) is waited for by
/// SQLite's busy handler for up to <see cref="BusyTimeout"/>, so writes do not fail with
/// SQLITE_BUSY under contention.
/// </remarks>
public sealed partial class SqliteMetadataStore : IMetadataBackend
{
    /// <summary>How long an operation waits for another process's lock before it fails.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    // Per-connection settings, applied on every open: pooled connections keep them, but a
    // pragma costs microseconds and this way no connection can ever miss them.
    private static readonly string ConnectionPragmas =
        $"PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds};";

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private volatile bool _disposed;

    private SqliteMetadataStore(string databasePath, string connectionString)
    {
        DatabasePath = databasePath;
        _connectionString = connectionString;
    }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <summary>
    /// Opens (creating if needed) the database at <paramref name="databasePath"/>, switches it
    /// to WAL and applies any missing schema migrations.
    /// </summary>
    /// <exception cref="NotSupportedException">The database was written by a newer Coffer.</exception>
    public static async Task<SqliteMetadataStore> OpenAsync(string databasePath, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        var fullPath = Path.GetFullPath(databasePath);
        OwnerOnly.CreateDirectory(Path.GetDirectoryName(fullPath)!);
        CreateOwnerOnly(fullPath);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();

        var store = new SqliteMetadataStore(fullPath, connectionString);
        try
        {
            await store.InitializeAsync(ct).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Creates the database file empty (SQLite takes an empty file for an empty database) and
    /// 0600 before SQLite opens it: SQLite would create it 0644, and it gives its -wal and -shm
    /// files the database file's mode, so all three stay owner-only.
    /// </summary>
    private static void CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows() || File.Exists(path))
        {
            return;
        }
        try
        {
            using var _ = new FileStream(path, OwnerOnly.Apply(new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write }));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created it first (its own opener made it 0600 too).
        }
    }

    private async Task InitializeAsync(CancellationToken ct)
    {
        // A clean close checkpoints and deletes the WAL (or leaves it truncated to zero): one with frames in it was
        // left by a process that was killed, or is still open elsewhere, and may hold page images of KMS material
        // destroyed there. The KMS job's scrub truncates it (IKeyMaterialScrubber).
        var leftWal = new FileInfo(DatabasePath + "-wal");
        _walMayHoldDestroyedMaterial = leftWal.Exists && leftWal.Length > 0;
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
            using (var wal = connection.CreateCommand())
            {
                // Persistent in the file; a no-op when already in WAL.
                wal.CommandText = "PRAGMA journal_mode = WAL;";
                var mode = (string?)await wal.ExecuteScalarAsync(ct).ConfigureAwait(false);
                if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(
                        $"Could not switch '{DatabasePath}' to WAL journaling (got '{mode}'); put the data folder on a local filesystem.");
                }
            }
            await SqliteSchema.MigrateAsync(connection, ct).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Returns the pooled connections' file handles. The store cannot be used afterwards.</summary>
    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            using var connection = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(connection);
        }
        return ValueTask.CompletedTask;
    }

    // ---------------------------------------------------------------- users

    /// <inheritdoc />
    public Task<bool> AddUserAsync(UserRecord user, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentException.ThrowIfNullOrEmpty(user.Id);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command("""
                INSERT INTO users (access_key_id, name, sealed_secret, is_root, created, user_id)
                VALUES ($access_key_id, $name, $sealed_secret, $is_root, $created, $user_id)
                ON CONFLICT DO NOTHING;
                """);
            cmd.Parameters.AddWithValue("$user_id", user.Id);
            cmd.Parameters.AddWithValue("$access_key_id", user.AccessKeyId);
            cmd.Parameters.AddWithValue("$name", user.Name);
            cmd.Parameters.AddWithValue("$sealed_secret", user.SealedSecret);
            cmd.Parameters.AddWithValue("$is_root", user.IsRoot);
            cmd.Parameters.AddWithValue("$created", user.Created.UtcTicks);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    private const string UserColumns = "access_key_id, name, sealed_secret, is_root, created, user_id";

    /// <inheritdoc />
    public Task<UserRecord?> GetUserAsync(string accessKeyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accessKeyId);
        return ReadAsync(async (s, ct) =>
        {
            using var cmd = s.Command($"SELECT {UserColumns} FROM users WHERE access_key_id = $id;");
            cmd.Parameters.AddWithValue("$id", accessKeyId);
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return reader.Read() ? ReadUser(reader) : null;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct = default)
    {
        return ReadAsync<IReadOnlyList<UserRecord>>(async (s, ct) =>
        {
            using var cmd = s.Command($"SELECT {UserColumns} FROM users ORDER BY name;");
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var users = new List<UserRecord>();
            while (reader.Read())
            {
                users.Add(ReadUser(reader));
            }
            return users;
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>An access key id match wins over a name match.</remarks>
    public Task<bool> RemoveUserAsync(string nameOrAccessKeyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(nameOrAccessKeyId);
        return WriteAsync(async (s, ct) =>
        {
            using var byId = s.Command("DELETE FROM users WHERE access_key_id = $x;");
            byId.Parameters.AddWithValue("$x", nameOrAccessKeyId);
            if (await byId.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0)
            {
                return true;
            }
            using var byName = s.Command("DELETE FROM users WHERE name = $x;");
            byName.Parameters.AddWithValue("$x", nameOrAccessKeyId);
            return await byName.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, ct);
    }

    private static UserRecord ReadUser(SqliteDataReader r) => new(
        Name: r.GetString(1),
        AccessKeyId: r.GetString(0),
        SealedSecret: ReadBytes(r, 2),
        IsRoot: r.GetInt64(3) != 0,
        Created: ObjectJson.Instant(r.GetInt64(4)),
        Id: r.GetString(5));

    // ---------------------------------------------------------------- buckets

    private const string BucketColumns = "name, owner, region, created, sse_algorithm, sse_kms_key_id, tags, lifecycle, policy, acl, object_ownership, public_access_block, cors, versioning";

    /// <inheritdoc />
    public Task<bool> CreateBucketAsync(BucketRecord bucket, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command($"""
                INSERT INTO buckets ({BucketColumns})
                VALUES ($name, $owner, $region, $created, $sse_algorithm, $sse_kms_key_id, $tags, $lifecycle, $policy, $acl, $object_ownership, $public_access_block, $cors, $versioning)
                ON CONFLICT DO NOTHING;
                """);
            cmd.Parameters.AddWithValue("$name", bucket.Name);
            cmd.Parameters.AddWithValue("$owner", bucket.Owner);
            cmd.Parameters.AddWithValue("$region", bucket.Region);
            cmd.Parameters.AddWithValue("$created", bucket.Created.UtcTicks);
            cmd.Parameters.AddWithValue("$sse_algorithm", Db(bucket.Encryption?.Algorithm));
            cmd.Parameters.AddWithValue("$sse_kms_key_id", Db(bucket.Encryption?.KmsKeyId));
            cmd.Parameters.AddWithValue("$tags", Db(ObjectJson.WriteTags(bucket.Tags)));
            cmd.Parameters.AddWithValue("$lifecycle", Db(LifecycleJson.Write(bucket.Lifecycle)));
            cmd.Parameters.AddWithValue("$policy", Db(bucket.Policy));
            cmd.Parameters.AddWithValue("$acl", Db(AclJson.Write(bucket.Acl)));
            cmd.Parameters.AddWithValue("$object_ownership", Db(AclJson.WriteOwnership(bucket.Ownership)));
            cmd.Parameters.AddWithValue("$public_access_block", bucket.PublicAccessBlock is { } block ? block.Stored : DBNull.Value);
            cmd.Parameters.AddWithValue("$cors", Db(CorsJson.Write(bucket.Cors)));
            cmd.Parameters.AddWithValue("$versioning", Db(bucket.Versioning == BucketVersioning.Unversioned ? null : VersionIds.WireString(bucket.Versioning)));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<BucketRecord?> GetBucketAsync(string name, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ReadAsync(async (s, ct) =>
        {
            using var cmd = s.Command($"SELECT {BucketColumns} FROM buckets WHERE name = $name;");
            cmd.Parameters.AddWithValue("$name", name);
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return reader.Read() ? ReadBucket(reader) : null;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListBucketNamesAsync(string? after, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<string>>(async (s, ct) =>
        {
            using var cmd = s.Command("SELECT name FROM buckets WHERE $after IS NULL OR name > $after ORDER BY name LIMIT $limit;");
            cmd.Parameters.AddWithValue("$after", (object?)after ?? DBNull.Value);
            cmd.Parameters.AddWithValue("$limit", limit);
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var names = new List<string>();
            while (reader.Read())
            {
                names.Add(reader.GetString(0));
            }
            return names;
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks><paramref name="owner"/> is a user id.</remarks>
    public Task<IReadOnlyList<BucketRecord>> ListBucketsAsync(string owner, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return ReadAsync<IReadOnlyList<BucketRecord>>(async (s, ct) =>
        {
            using var cmd = s.Command($"SELECT {BucketColumns} FROM buckets WHERE owner = $owner ORDER BY name;");
            cmd.Parameters.AddWithValue("$owner", owner);
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return ReadBuckets(reader);
        }, ct);
    }

    /// <inheritdoc />
    public Task<DeleteBucketResult> DeleteBucketAsync(string name, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return WriteAsync(async (s, ct) =>
        {
            using var probe = s.Command("""
                SELECT EXISTS (SELECT 1 FROM buckets WHERE name = $name),
                       EXISTS (SELECT 1 FROM objects WHERE bucket = $name)
                       OR EXISTS (SELECT 1 FROM object_versions WHERE bucket = $name);
                """);
            probe.Parameters.AddWithValue("$name", name);
            bool exists, hasObjects;
            using (var reader = await probe.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                reader.Read();
                exists = reader.GetInt64(0) != 0;
                hasObjects = reader.GetInt64(1) != 0;
            }
            if (!exists)
            {
                return DeleteBucketResult.NotFound;
            }
            if (hasObjects)
            {
                return DeleteBucketResult.NotEmpty;
            }
            using var delete = s.Command("DELETE FROM buckets WHERE name = $name;");
            delete.Parameters.AddWithValue("$name", name);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return DeleteBucketResult.Deleted;
        }, ct);
    }

    /// <inheritdoc />
    public Task<bool> SetBucketEncryptionAsync(string name, BucketEncryption? encryption, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command("UPDATE buckets SET sse_algorithm = $alg, sse_kms_key_id = $kms WHERE name = $name;");
            cmd.Parameters.AddWithValue("$name", name);
            cmd.Parameters.AddWithValue("$alg", Db(encryption?.Algorithm));
            cmd.Parameters.AddWithValue("$kms", Db(encryption?.KmsKeyId));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <summary>Every bucket row the reader holds, in its order.</summary>
    private static List<BucketRecord> ReadBuckets(SqliteDataReader reader)
    {
        var buckets = new List<BucketRecord>();
        while (reader.Read())
        {
            buckets.Add(ReadBucket(reader));
        }
        return buckets;
    }

    private static BucketRecord ReadBucket(SqliteDataReader r) => new(
        Name: r.GetString(0),
        Owner: r.GetString(1),
        Region: r.GetString(2),
        Created: ObjectJson.Instant(r.GetInt64(3)),
        Encryption: r.IsDBNull(4) ? null : new BucketEncryption(r.GetString(4), ReadNullableString(r, 5)),
        Tags: r.IsDBNull(6) ? null : ObjectJson.ReadTags(r.GetString(6)),
        Lifecycle: r.IsDBNull(7) ? null : LifecycleJson.Read(r.GetString(7)),
        Policy: ReadNullableString(r, 8),
        Acl: AclJson.Read(ReadNullableString(r, 9)),
        Ownership: AclJson.ReadOwnership(ReadNullableString(r, 10)),
        PublicAccessBlock: r.IsDBNull(11) ? null : PublicAccessBlock.FromStored(r.GetInt64(11)),
        Cors: r.IsDBNull(12) ? null : CorsJson.Read(r.GetString(12)),
        Versioning: VersionIds.FromStored(ReadNullableString(r, 13)));

    // ---------------------------------------------------------------- plumbing

    /// <summary>
    /// The physical connections whose per-connection pragmas are set. The settings last as long as
    /// the connection, and the pool hands the same few out again and again: setting them on every
    /// open parsed and ran four PRAGMA statements per store call, more than a point read costs.
    /// </summary>
    private static readonly ConditionalWeakTable<object, object> Configured = new();

    /// <summary>One pooled connection with the per-connection pragmas applied.</summary>
    private async Task<SqliteConnection> OpenConnectionAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            // A physical connection is used by one caller at a time, so check-then-add cannot race.
            var handle = connection.Handle!;
            if (!Configured.TryGetValue(handle, out _))
            {
                using var pragmas = connection.CreateCommand();
                pragmas.CommandText = ConnectionPragmas;
                await pragmas.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                Configured.AddOrUpdate(handle, handle);
            }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public IMetadataCallObserver? CallObserver { get; set; }

    /// <summary>Runs <paramref name="work"/> as one write transaction (BEGIN IMMEDIATE … COMMIT), reported as <paramref name="call"/>.</summary>
    private async Task<T> WriteAsync<T>(Func<Session, CancellationToken, Task<T>> work, CancellationToken ct, [CallerMemberName] string call = "")
    {
        var start = Stopwatch.GetTimestamp();
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
            using var tx = connection.BeginTransaction(deferred: false);
            var result = await work(new Session(connection, tx), ct).ConfigureAwait(false);
            tx.Commit();
            MetadataCalls.Report(CallObserver, call, start);
            return result;
        }
        catch (Exception e)
        {
            MetadataCalls.Report(CallObserver, call, start, e);
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// As <see cref="WriteAsync{T}"/>, but with <c>synchronous=NORMAL</c>: the commit survives a crash of
    /// the process, not necessarily a power loss, and costs no fsync. Only for the blob ledger's rows,
    /// whose loss in a power cut leaves an orphan blob of an unacknowledged write for the sweep: the next
    /// ordinary (FULL) commit fsyncs the WAL, and these rows with it.
    /// </summary>
    private Task<T> WriteRelaxedAsync<T>(Func<Session, CancellationToken, Task<T>> work, CancellationToken ct, [CallerMemberName] string call = "") =>
        WriteWithPragmasAsync("PRAGMA synchronous = NORMAL;", "PRAGMA synchronous = FULL;", work, ct, call);

    /// <summary>
    /// A write transaction on a connection whose pragmas are changed for it alone: <paramref name="set"/> before the
    /// transaction (pragmas such as these must be set outside one), <paramref name="reset"/> after it, so the pooled
    /// connection goes back as every other. A connection whose reset fails has its pragmas applied again on its next open.
    /// </summary>
    private async Task<T> WriteWithPragmasAsync<T>(string set, string reset, Func<Session, CancellationToken, Task<T>> work, CancellationToken ct, [CallerMemberName] string call = "")
    {
        var start = Stopwatch.GetTimestamp();
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
            using (var pragmas = connection.CreateCommand())
            {
                pragmas.CommandText = set;
                await pragmas.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            try
            {
                using var tx = connection.BeginTransaction(deferred: false);
                var result = await work(new Session(connection, tx), ct).ConfigureAwait(false);
                tx.Commit();
                MetadataCalls.Report(CallObserver, call, start);
                return result;
            }
            finally
            {
                try
                {
                    // Not the cancellable token: always reset.
                    using var restore = connection.CreateCommand();
                    restore.CommandText = reset;
                    restore.ExecuteNonQuery();
                }
                catch (SqliteException)
                {
                    Configured.Remove(connection.Handle!);
                }
            }
        }
        catch (Exception e)
        {
            MetadataCalls.Report(CallObserver, call, start, e);
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Runs <paramref name="work"/> on its own connection, without a transaction (a single statement reads a consistent snapshot).</summary>
    private async Task<T> ReadAsync<T>(Func<Session, CancellationToken, Task<T>> work, CancellationToken ct, [CallerMemberName] string call = "")
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
            var result = await work(new Session(connection, null), ct).ConfigureAwait(false);
            MetadataCalls.Report(CallObserver, call, start);
            return result;
        }
        catch (Exception e)
        {
            MetadataCalls.Report(CallObserver, call, start, e);
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> in a read transaction, so several statements see one snapshot.</summary>
    private async Task<T> ReadSnapshotAsync<T>(Func<Session, CancellationToken, Task<T>> work, CancellationToken ct, [CallerMemberName] string call = "")
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
            using var tx = connection.BeginTransaction(deferred: true);
            var result = await work(new Session(connection, tx), ct).ConfigureAwait(false);
            tx.Commit();
            MetadataCalls.Report(CallObserver, call, start);
            return result;
        }
        catch (Exception e)
        {
            MetadataCalls.Report(CallObserver, call, start, e);
            throw;
        }
    }

    /// <summary>A connection and its transaction, if any; makes commands bound to both.</summary>
    private readonly record struct Session(SqliteConnection Connection, SqliteTransaction? Transaction)
    {
        public SqliteCommand Command(string sql)
        {
            var cmd = Connection.CreateCommand();
            cmd.Transaction = Transaction;
            cmd.CommandText = sql;
            return cmd;
        }
    }

    private static object Db(string? value) => value is null ? DBNull.Value : value;

    private static string? ReadNullableString(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    private static byte[] ReadBytes(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? [] : r.GetFieldValue<byte[]>(ordinal);

    /// <summary>For tests: the plan SQLite picks for <paramref name="sql"/> (EXPLAIN QUERY PLAN details, one per line).</summary>
    internal Task<string> ExplainAsync(string sql, CancellationToken ct = default)
    {
        return ReadAsync(async (s, ct) =>
        {
            using var cmd = s.Command("EXPLAIN QUERY PLAN " + sql);
            foreach (var name in ParameterNames(sql))
            {
                cmd.Parameters.AddWithValue(name, DBNull.Value);
            }
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var lines = new List<string>();
            while (reader.Read())
            {
                lines.Add(reader.GetString(3));
            }
            return string.Join('\n', lines);
        }, ct);

        static IEnumerable<string> ParameterNames(string sql) =>
            System.Text.RegularExpressions.Regex.Matches(sql, @"\$[a-z_]+").Select(m => m.Value).Distinct(StringComparer.Ordinal);
    }

    /// <summary>For tests: runs a scalar query on a fresh pooled connection (e.g. a PRAGMA).</summary>
    internal Task<object?> ScalarAsync(string sql, CancellationToken ct = default)
    {
        return ReadAsync(async (s, ct) =>
        {
            using var cmd = s.Command(sql);
            return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        }, ct);
    }
}
