using System.Data;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Coffer.Crypto.Kms;
using Npgsql;
using NpgsqlTypes;

namespace Coffer.Storage.Postgres;

/// <summary>
/// The metadata store for several nodes: one PostgreSQL database, shared by every node, reached
/// through a pooled <see cref="NpgsqlDataSource"/>. Same contract, same tables and the same
/// migration numbers as <see cref="SqliteMetadataStore"/>.
/// </summary>
/// <remarks>
/// <para>
/// Transactions: every method is one transaction at READ COMMITTED. A compare-and-set is either one
/// conditional <c>UPDATE … WHERE &lt;expected state&gt;</c> (PostgreSQL re-checks the condition on the
/// newest row version after waiting for a concurrent writer, so of two racing writers exactly one
/// matches: <see cref="UpdateRestoreAsync"/>, <see cref="TryReplaceObjectEncryptionAsync"/>), or
/// reads the rows it decides on with <c>SELECT … FOR UPDATE</c> / <c>FOR SHARE</c> first, so a
/// concurrent writer of those rows waits for the decision to commit
/// (<see cref="TryUpdateKeyAsync"/> locks the key row; <see cref="CompleteUploadAsync"/>, part uploads
/// and aborts lock the upload row; puts lock the object row and the bucket row; the blob reference
/// checks lock the reference rows they find, see <see cref="PutObjectSharingBlobsAsync"/>).
/// </para>
/// <para>
/// Two transactions that lock rows in opposite orders deadlock; PostgreSQL aborts one with 40P01.
/// A serialization failure (40001) or deadlock (40P01) reruns the whole transaction, up to
/// <see cref="MaxAttempts"/> times: every method's body only reads and writes the database, so a
/// rerun is safe.
/// </para>
/// </remarks>
public sealed partial class PostgresMetadataStore : IMetadataBackend
{
    /// <summary>How many times a transaction runs before a deadlock or serialization failure is given up on.</summary>
    public const int MaxAttempts = 8;

    private readonly NpgsqlDataSource _dataSource;
    private volatile bool _disposed;

    private PostgresMetadataStore(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>The database this store works in.</summary>
    public string Database => new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString).Database ?? "";

    /// <summary>
    /// Connects to the database named by <paramref name="uriOrConnectionString"/> (a
    /// <c>postgresql://user:password@host:5432/db?sslmode=require</c> URI or an Npgsql connection
    /// string) and applies any missing schema migrations.
    /// </summary>
    /// <exception cref="ArgumentException">The URI or connection string is malformed.</exception>
    /// <exception cref="NotSupportedException">The database was migrated by a newer Coffer, or is not UTF8.</exception>
    public static async Task<PostgresMetadataStore> OpenAsync(string uriOrConnectionString, CancellationToken ct = default)
    {
        var builder = PostgresConnectionStrings.Parse(uriOrConnectionString);
        var store = new PostgresMetadataStore(new NpgsqlDataSourceBuilder(builder.ConnectionString).Build());
        try
        {
            await using var connection = await store._dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await PostgresSchema.MigrateAsync(connection, ct).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the pooled connections. The store cannot be used afterwards.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    // ---------------------------------------------------------------- users

    private const string UserColumns = "access_key_id, name, sealed_secret, is_root, created, user_id";

    /// <inheritdoc />
    public Task<bool> AddUserAsync(UserRecord user, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentException.ThrowIfNullOrEmpty(user.Id);
        return WriteAsync(async (s, ct) =>
        {
            // ON CONFLICT DO NOTHING without a target covers all three unique keys (access key, name, id).
            await using var cmd = s.Command($"""
                INSERT INTO users ({UserColumns}) VALUES (@access_key_id, @name, @sealed_secret, @is_root, @created, @user_id)
                ON CONFLICT DO NOTHING;
                """);
            Text(cmd, "user_id", user.Id);
            Text(cmd, "access_key_id", user.AccessKeyId);
            Text(cmd, "name", user.Name);
            Bytes(cmd, "sealed_secret", user.SealedSecret);
            cmd.Parameters.Add(new NpgsqlParameter<bool>("is_root", user.IsRoot));
            Long(cmd, "created", user.Created.UtcTicks);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<UserRecord?> GetUserAsync(string accessKeyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(accessKeyId);
        if (!IsStorable(accessKeyId))
        {
            return Task.FromResult<UserRecord?>(null);
        }
        return ReadAsync(async (s, ct) =>
        {
            await using var cmd = s.Command($"SELECT {UserColumns} FROM users WHERE access_key_id = @id;");
            Text(cmd, "id", accessKeyId);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadUser(reader) : null;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct = default)
    {
        return ReadAsync<IReadOnlyList<UserRecord>>(async (s, ct) =>
        {
            await using var cmd = s.Command($"SELECT {UserColumns} FROM users ORDER BY name;");
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var users = new List<UserRecord>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
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
        if (!IsStorable(nameOrAccessKeyId))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using var byId = s.Command("DELETE FROM users WHERE access_key_id = @x;");
            Text(byId, "x", nameOrAccessKeyId);
            if (await byId.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0)
            {
                return true;
            }
            await using var byName = s.Command("DELETE FROM users WHERE name = @x;");
            Text(byName, "x", nameOrAccessKeyId);
            return await byName.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, ct);
    }

    private static UserRecord ReadUser(NpgsqlDataReader r) => new(
        Name: r.GetString(1),
        AccessKeyId: r.GetString(0),
        SealedSecret: ReadBytes(r, 2),
        IsRoot: r.GetBoolean(3),
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
            await using var cmd = s.Command($"""
                INSERT INTO buckets ({BucketColumns}) VALUES (@name, @owner, @region, @created, @sse_algorithm, @sse_kms_key_id, @tags, @lifecycle, @policy,
                    @acl, @object_ownership, @public_access_block, @cors, @versioning)
                ON CONFLICT DO NOTHING;
                """);
            Text(cmd, "name", bucket.Name);
            Text(cmd, "owner", bucket.Owner);
            Text(cmd, "region", bucket.Region);
            Long(cmd, "created", bucket.Created.UtcTicks);
            Text(cmd, "sse_algorithm", bucket.Encryption?.Algorithm);
            Text(cmd, "sse_kms_key_id", bucket.Encryption?.KmsKeyId);
            Text(cmd, "tags", ObjectJson.WriteTags(bucket.Tags));
            Text(cmd, "lifecycle", LifecycleJson.Write(bucket.Lifecycle));
            Text(cmd, "policy", bucket.Policy);
            Text(cmd, "acl", AclJson.Write(bucket.Acl));
            Text(cmd, "object_ownership", AclJson.WriteOwnership(bucket.Ownership));
            Int(cmd, "public_access_block", bucket.PublicAccessBlock?.Stored);
            Text(cmd, "cors", CorsJson.Write(bucket.Cors));
            Text(cmd, "versioning", bucket.Versioning == BucketVersioning.Unversioned ? null : VersionIds.WireString(bucket.Versioning));
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<BucketRecord?> GetBucketAsync(string name, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsStorable(name))
        {
            return Task.FromResult<BucketRecord?>(null);
        }
        return ReadAsync(async (s, ct) =>
        {
            await using var cmd = s.Command($"SELECT {BucketColumns} FROM buckets WHERE name = @name;");
            Text(cmd, "name", name);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await reader.ReadAsync(ct).ConfigureAwait(false) ? ReadBucket(reader) : null;
        }, ct);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> ListBucketNamesAsync(string? after, int limit, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return ReadAsync<IReadOnlyList<string>>(async (s, ct) =>
        {
            await using var cmd = s.Command("SELECT name FROM buckets WHERE name > @after ORDER BY name LIMIT @limit;");
            Text(cmd, "after", after ?? "");
            Long(cmd, "limit", limit);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var names = new List<string>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
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
        if (!IsStorable(owner))
        {
            return Task.FromResult<IReadOnlyList<BucketRecord>>([]);
        }
        return ReadAsync<IReadOnlyList<BucketRecord>>(async (s, ct) =>
        {
            await using var cmd = s.Command($"SELECT {BucketColumns} FROM buckets WHERE owner = @owner ORDER BY name;");
            Text(cmd, "owner", owner);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            return await ReadBucketsAsync(reader, ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Locks the bucket row first: a put into the bucket (which key-share-locks it) either committed
    /// before, and its object is seen, or waits and then finds the bucket gone.
    /// </remarks>
    public Task<DeleteBucketResult> DeleteBucketAsync(string name, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsStorable(name))
        {
            return Task.FromResult(DeleteBucketResult.NotFound);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using (var lockBucket = s.Command("SELECT 1 FROM buckets WHERE name = @name FOR UPDATE;"))
            {
                Text(lockBucket, "name", name);
                if (await lockBucket.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
                {
                    return DeleteBucketResult.NotFound;
                }
            }
            await using (var hasObjects = s.Command("SELECT EXISTS (SELECT 1 FROM objects WHERE bucket = @name) OR EXISTS (SELECT 1 FROM object_versions WHERE bucket = @name);"))
            {
                Text(hasObjects, "name", name);
                if ((bool)(await hasObjects.ExecuteScalarAsync(ct).ConfigureAwait(false))!)
                {
                    return DeleteBucketResult.NotEmpty;
                }
            }
            await using var delete = s.Command("DELETE FROM buckets WHERE name = @name;");
            Text(delete, "name", name);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return DeleteBucketResult.Deleted;
        }, ct);
    }

    /// <inheritdoc />
    public Task<bool> SetBucketEncryptionAsync(string name, BucketEncryption? encryption, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsStorable(name))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("UPDATE buckets SET sse_algorithm = @alg, sse_kms_key_id = @kms WHERE name = @name;");
            Text(cmd, "name", name);
            Text(cmd, "alg", encryption?.Algorithm);
            Text(cmd, "kms", encryption?.KmsKeyId);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <summary>Every bucket row the reader holds, in its order.</summary>
    private static async Task<List<BucketRecord>> ReadBucketsAsync(NpgsqlDataReader reader, CancellationToken ct)
    {
        var buckets = new List<BucketRecord>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            buckets.Add(ReadBucket(reader));
        }
        return buckets;
    }

    private static BucketRecord ReadBucket(NpgsqlDataReader r) => new(
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
        PublicAccessBlock: r.IsDBNull(11) ? null : PublicAccessBlock.FromStored(r.GetInt32(11)),
        Cors: r.IsDBNull(12) ? null : CorsJson.Read(r.GetString(12)),
        Versioning: VersionIds.FromStored(ReadNullableString(r, 13)));

    /// <summary>Key-share-locks the bucket row (so it cannot be deleted before this transaction ends) or throws.</summary>
    private static async Task LockBucketForWriteAsync(Session s, string bucket, CancellationToken ct)
    {
        await using var cmd = s.Command("SELECT 1 FROM buckets WHERE name = @bucket FOR KEY SHARE;");
        Text(cmd, "bucket", bucket);
        if (await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
        {
            throw new NoSuchBucketException(bucket);
        }
    }

    // ---------------------------------------------------------------- plumbing

    /// <summary>
    /// Runs <paramref name="work"/> as one READ COMMITTED transaction, rerun from the start on a
    /// deadlock or serialization failure.
    /// </summary>
    private Task<T> WriteAsync<T>(Func<Session, CancellationToken, Task<T>> work, CancellationToken ct, [CallerMemberName] string call = "") =>
        RunAsync(IsolationLevel.ReadCommitted, work, ct, call);

    /// <inheritdoc />
    public IMetadataCallObserver? CallObserver { get; set; }

    /// <summary>Runs <paramref name="work"/> on a pooled connection without an explicit transaction (one statement is one snapshot).</summary>
    private async Task<T> ReadAsync<T>(Func<Session, CancellationToken, Task<T>> work, CancellationToken ct, [CallerMemberName] string call = "")
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var start = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
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

    /// <summary>Runs <paramref name="work"/> in a REPEATABLE READ transaction, so several statements see one snapshot.</summary>
    private Task<T> ReadSnapshotAsync<T>(Func<Session, CancellationToken, Task<T>> work, CancellationToken ct, [CallerMemberName] string call = "") =>
        RunAsync(IsolationLevel.RepeatableRead, work, ct, call);

    private async Task<T> RunAsync<T>(IsolationLevel isolation, Func<Session, CancellationToken, Task<T>> work, CancellationToken ct, string call)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            var result = await RunWithRetriesAsync(isolation, work, ct).ConfigureAwait(false);
            MetadataCalls.Report(CallObserver, call, start);
            return result;
        }
        catch (Exception e)
        {
            MetadataCalls.Report(CallObserver, call, start, e);
            throw;
        }
    }

    private async Task<T> RunWithRetriesAsync<T>(IsolationLevel isolation, Func<Session, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync(isolation, ct).ConfigureAwait(false);
            try
            {
                var result = await work(new Session(connection, tx), ct).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return result;
            }
            catch (PostgresException e) when (IsRetryable(e) && attempt < MaxAttempts)
            {
                // Disposing the transaction rolls it back; wait a little, more each time, then rerun.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 << Math.Min(attempt, 6))), ct).ConfigureAwait(false);
            }
        }
    }

    private static bool IsRetryable(PostgresException e) =>
        e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected;

    /// <summary>A connection and its transaction, if any; makes commands bound to both.</summary>
    private readonly record struct Session(NpgsqlConnection Connection, NpgsqlTransaction? Transaction)
    {
        public NpgsqlCommand Command(string sql) => new(sql, Connection, Transaction);
    }

    private static void Text(NpgsqlCommand cmd, string name, string? value) =>
        cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Text) { Value = (object?)value ?? DBNull.Value });

    private static void Bytes(NpgsqlCommand cmd, string name, byte[]? value) =>
        cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Bytea) { Value = (object?)value ?? DBNull.Value });

    private static void Long(NpgsqlCommand cmd, string name, long? value) =>
        cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Bigint) { Value = value is { } v ? v : DBNull.Value });

    private static void Int(NpgsqlCommand cmd, string name, int? value) =>
        cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Integer) { Value = value is { } v ? v : DBNull.Value });

    private static string? ReadNullableString(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    private static byte[] ReadBytes(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? [] : r.GetFieldValue<byte[]>(ordinal);

    /// <summary>For tests: runs a scalar query on a pooled connection.</summary>
    internal Task<object?> ScalarAsync(string sql, CancellationToken ct = default) =>
        ReadAsync(async (s, ct) =>
        {
            await using var cmd = s.Command(sql);
            return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        }, ct);
}
