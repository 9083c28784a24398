using Coffer.Crypto.Kms;
using Npgsql;

namespace Coffer.Storage.Postgres;

public sealed partial class PostgresMetadataStore : IKeyMaterialScrubber
{
    private const string KmsKeyColumns = "key_id, owner, created, description, state, manager, deletion_date, rotation_enabled, rotation_period_days, next_rotation";
    private const string KmsVersionColumns = "key_id, version, sealed_material, created, rotation_type";

    /// <summary>How long the scrub after a shred waits for the key table's lock before leaving the rest to <see cref="ScrubDestroyedKeyMaterialAsync"/>.</summary>
    private static readonly TimeSpan ShredScrubWait = TimeSpan.FromSeconds(2);

    /// <summary>The default wait of <see cref="ScrubDestroyedKeyMaterialAsync"/> for the key table's lock.</summary>
    private static readonly TimeSpan DefaultScrubWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// True when key material was destroyed (by any node) and the key table has not been rewritten since: until
    /// then the destroyed row versions (dead tuples) may still be in the table's files. Read from the database,
    /// not from this node's memory: a destroyed version leaves a <em>tombstone</em> in <c>kms_key_versions</c>
    /// (its version number negated, its material empty, written by the destroying transaction itself) that only a
    /// finished scrub removes, so a scrub owed by a node that stopped, or was killed, before it could run is found
    /// by whichever node runs the KMS job next (<see cref="IKeyMaterialScrubber"/>).
    /// </summary>
    public Task<bool> MayHoldDestroyedKeyMaterialAsync(CancellationToken ct = default) =>
        ReadAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("SELECT EXISTS (SELECT 1 FROM kms_key_versions WHERE version < 0);");
            return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
        }, ct);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A key with that id exists.</exception>
    public Task CreateKeyAsync(KmsKeyRecord key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command($"""
                INSERT INTO kms_keys ({KmsKeyColumns})
                VALUES (@key_id, @owner, @created, @description, @state, @manager, @deletion_date, @rotation_enabled, @rotation_period_days, @next_rotation)
                ON CONFLICT DO NOTHING;
                """);
            BindKey(cmd, key);
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
            {
                throw new InvalidOperationException($"A KMS key with id '{key.KeyId}' already exists.");
            }
            await InsertVersionsAsync(s, key.KeyId, key.Versions, ct).ConfigureAwait(false);
            return false;
        }, ct);
    }

    /// <inheritdoc />
    public Task<KmsKeyRecord?> GetKeyAsync(string keyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        if (!IsStorable(keyId))
        {
            return Task.FromResult<KmsKeyRecord?>(null);   // e.g. a KMS request naming "\0": no such key
        }
        return ReadSnapshotAsync((s, ct) => SelectKeyAsync(s, keyId, ct), ct);
    }

    /// <inheritdoc />
    /// <remarks>Ordered by creation time, then key id; every owner's keys when <paramref name="owner"/> is null.</remarks>
    public Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default)
    {
        if (owner is not null && !IsStorable(owner))
        {
            return Task.FromResult<IReadOnlyList<KmsKeyRecord>>([]);
        }
        return ReadSnapshotAsync<IReadOnlyList<KmsKeyRecord>>(
            async (s, ct) => await SelectKeysAsync(s, owner is null ? "" : "WHERE owner = @owner", owner, ct).ConfigureAwait(false),
            ct);
    }

    /// <inheritdoc />
    /// <remarks>Destroyed versions are shredded as <see cref="TryUpdateKeyAsync"/> describes.</remarks>
    /// <exception cref="KeyNotFoundException">No key has that id.</exception>
    public async Task UpdateKeyAsync(KmsKeyRecord key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var shredded = await WriteAsync((s, ct) => UpdateKeyCoreAsync(s, key, ct), ct).ConfigureAwait(false);
        if (shredded)
        {
            await AfterShredAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <para>The key row is read with <c>SELECT … FOR UPDATE</c>: a concurrent update of the same key (on any
    /// node) waits, then compares against what this one committed, so exactly one of two racing updates from
    /// the same read applies.</para>
    /// <para>Destroyed versions (missing from <paramref name="replacement"/>) become tombstones in the transaction
    /// (material emptied, version negated: <see cref="MayHoldDestroyedKeyMaterialAsync"/>); after it commits the
    /// version table is rewritten with <c>VACUUM FULL</c> (<see cref="ScrubDestroyedKeyMaterialAsync"/>), which
    /// leaves no dead row version, and no stale bytes in the free space of a page, in the table's files, and then
    /// the tombstones go. docs/kms.md says what PostgreSQL keeps elsewhere.</para>
    /// </remarks>
    public async Task<bool> TryUpdateKeyAsync(KmsKeyRecord expected, KmsKeyRecord replacement, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(replacement);
        if (!string.Equals(expected.KeyId, replacement.KeyId, StringComparison.Ordinal))
        {
            throw new ArgumentException("The replacement must have the expected record's key id.", nameof(replacement));
        }

        var (updated, shredded) = await WriteAsync(async (s, ct) =>
        {
            await using (var lockKey = s.Command("SELECT 1 FROM kms_keys WHERE key_id = @key_id FOR UPDATE;"))
            {
                Text(lockKey, "key_id", expected.KeyId);
                if (await lockKey.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
                {
                    return (false, false);
                }
            }
            var current = await SelectKeyAsync(s, expected.KeyId, ct).ConfigureAwait(false);
            if (current is null || !current.ContentEquals(expected))
            {
                return (false, false);
            }
            return (true, await UpdateKeyCoreAsync(s, replacement, ct).ConfigureAwait(false));
        }, ct).ConfigureAwait(false);
        if (shredded)
        {
            await AfterShredAsync().ConfigureAwait(false);
        }
        return updated;
    }

    /// <summary>
    /// Rewrites the KMS version table (<c>VACUUM FULL kms_key_versions</c>), so that no dead row version of
    /// destroyed material is left in its files, then removes the tombstones of the destructions it covered:
    /// PostgreSQL's counterpart of <see cref="SqliteMetadataStore.TruncateWalAsync"/>
    /// (<see cref="IKeyMaterialScrubber"/>). Any node may run it for destructions made by any node. Waits up to
    /// <paramref name="wait"/> for the table's lock. Returns false, leaving the tombstones (so
    /// <see cref="MayHoldDestroyedKeyMaterialAsync"/> stays true on every node), when a transaction that began
    /// before the newest destruction is still open on the server (a snapshot that may see the destroyed rows,
    /// which the rewrite would have to copy), a prepared transaction or replication slot holds such a snapshot,
    /// or the lock was not had in time: try again later. Returns true at once when nothing was destroyed.
    /// </summary>
    /// <returns>true when the table was rewritten after every destruction whose tombstone it found (or there was none).</returns>
    public async Task<bool> ScrubDestroyedKeyMaterialAsync(TimeSpan? wait = null, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await using var connection = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        // The newest destruction: the tombstone written by the youngest transaction (32-bit xid; ages are wrap-safe).
        long newest;
        await using (var find = new NpgsqlCommand("SELECT xmin::text::bigint FROM kms_key_versions WHERE version < 0 ORDER BY age(xmin) LIMIT 1;", connection))
        {
            if (await find.ExecuteScalarAsync(ct).ConfigureAwait(false) is not long xid)
            {
                return true;
            }
            newest = xid;
        }
        if (!await ScrubKeyTableAsync(connection, newest, wait ?? DefaultScrubWait, ct).ConfigureAwait(false))
        {
            return false;
        }

        // The rewrite dropped the dead rows of every destruction made by that transaction or an older one (none of
        // them can still be running: the wait saw no snapshot that old). A tombstone of a younger destruction,
        // made meanwhile, stays for the next scrub. The tombstones' own dead rows hold no material.
        await using var forget = new NpgsqlCommand("DELETE FROM kms_key_versions WHERE version < 0 AND age(xmin) >= age(@xid::text::xid);", connection);
        forget.Parameters.Add(new NpgsqlParameter<long>("xid", newest));
        await forget.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        return true;
    }

    /// <summary>What kept the last scrub from running (for logs and tests); never key material.</summary>
    internal string? LastScrubBlocker { get; private set; }

    private async Task<bool> ScrubKeyTableAsync(NpgsqlConnection connection, long shredXid, TimeSpan wait, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + wait;
        while (true)
        {
            // Who could still see the destroyed rows: a transaction still running that began before the shred
            // committed, or a snapshot (of a session, a prepared transaction, or a standby through its replication
            // slot) whose xmin is not after the shredding transaction. Most
            // are short (another request, an autovacuum ANALYZE): wait for them up to the deadline.
            var blocker = await ShredHolderAsync(connection, shredXid, ct).ConfigureAwait(false);
            if (blocker is null)
            {
                break;
            }
            if (DateTimeOffset.UtcNow >= deadline)
            {
                LastScrubBlocker = blocker;
                return false;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(50), ct).ConfigureAwait(false);
        }

        // At least 1.5 s: an autovacuum of the table gives way to a waiting lock only after deadlock_timeout (1 s).
        var timeout = (long)Math.Clamp((deadline - DateTimeOffset.UtcNow).TotalMilliseconds, 1500, int.MaxValue);
        await using (var setTimeout = new NpgsqlCommand($"SET lock_timeout = {timeout};", connection))
        {
            await setTimeout.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        try
        {
            // Outside any transaction, as VACUUM must be. FULL writes the live rows into a new file and
            // truncates the old one: plain VACUUM frees dead rows but leaves their bytes in the page.
            await using var vacuum = new NpgsqlCommand("VACUUM (FULL) kms_key_versions;", connection);
            await vacuum.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return true;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.LockNotAvailable)
        {
            LastScrubBlocker = "lock timeout";
            return false;
        }
        finally
        {
            await using var reset = new NpgsqlCommand("RESET lock_timeout;", connection);
            await reset.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>What may still see rows deleted by transaction <paramref name="shredXid"/> (its 32-bit xid; a description, never data), or null.</summary>
    private static async Task<string?> ShredHolderAsync(NpgsqlConnection connection, long shredXid, CancellationToken ct)
    {
        await using var holders = new NpgsqlCommand("""
            WITH shred AS (SELECT age(@xid::text::xid) AS age)
            SELECT coalesce(
                -- A transaction anywhere on the server that was running when the shred committed keeps every new
                -- snapshot's xmin (VACUUM's own included) at or before the shred, so the rewrite would copy the
                -- deleted rows as "recently dead".
                (SELECT 'a transaction that began before the shred (in any database of the server)' FROM shred
                 WHERE age((pg_snapshot_xmin(pg_current_snapshot())::text::bigint % 4294967296)::text::xid) >= shred.age),
                (SELECT string_agg(backend_type || ' (' || coalesce(state, '') || ', since ' || coalesce(xact_start::text, '?') || ')', '; ')
                 FROM pg_stat_activity, shred
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                   AND backend_xmin IS NOT NULL AND age(backend_xmin) >= shred.age),
                (SELECT 'prepared transaction ' || string_agg(gid, ', ') FROM pg_prepared_xacts, shred
                 WHERE database = current_database() AND age(transaction) >= shred.age),
                (SELECT 'replication slot ' || string_agg(slot_name::text, ', ') FROM pg_replication_slots, shred
                 WHERE (xmin IS NOT NULL AND age(xmin) >= shred.age) OR (catalog_xmin IS NOT NULL AND age(catalog_xmin) >= shred.age)));
            """, connection);
        holders.Parameters.Add(new NpgsqlParameter<long>("xid", shredXid));
        return await holders.ExecuteScalarAsync(ct).ConfigureAwait(false) as string;
    }

    /// <inheritdoc />
    /// <exception cref="KeyNotFoundException">The target key does not exist.</exception>
    public Task<bool> CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(alias);
        ArgumentNullException.ThrowIfNull(keyId);
        ArgumentNullException.ThrowIfNull(owner);
        if (!IsStorable(keyId))
        {
            throw new KeyNotFoundException("No KMS key has that id.");
        }
        RequireStorable(alias);
        return WriteAsync(async (s, ct) =>
        {
            await using (var exists = s.Command("SELECT 1 FROM kms_keys WHERE key_id = @key_id FOR KEY SHARE;"))
            {
                Text(exists, "key_id", keyId);
                if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
                {
                    throw new KeyNotFoundException($"No KMS key has id '{keyId}'.");
                }
            }
            await using var insert = s.Command("INSERT INTO kms_aliases (alias, key_id, owner) VALUES (@alias, @key_id, @owner) ON CONFLICT DO NOTHING;");
            Text(insert, "alias", alias);
            Text(insert, "key_id", keyId);
            Text(insert, "owner", owner);
            return await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<string?> ResolveAliasAsync(string owner, string alias, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(alias);
        if (!IsStorable(owner) || !IsStorable(alias))
        {
            return Task.FromResult<string?>(null);
        }
        return ReadAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("SELECT key_id FROM kms_aliases WHERE owner = @owner AND alias = @alias;");
            Text(cmd, "owner", owner);
            Text(cmd, "alias", alias);
            return (string?)await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>Ordered by alias (UTF-8 bytes); every owner's aliases when <paramref name="owner"/> is null.</remarks>
    public Task<IReadOnlyList<(string Alias, string KeyId)>> ListAliasesAsync(string? owner, CancellationToken ct = default)
    {
        if (owner is not null && !IsStorable(owner))
        {
            return Task.FromResult<IReadOnlyList<(string Alias, string KeyId)>>([]);
        }
        return ReadAsync<IReadOnlyList<(string Alias, string KeyId)>>(async (s, ct) =>
        {
            await using var cmd = s.Command(owner is null
                ? "SELECT alias, key_id FROM kms_aliases ORDER BY alias, owner;"
                : "SELECT alias, key_id FROM kms_aliases WHERE owner = @owner ORDER BY alias;");
            Text(cmd, "owner", owner);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var aliases = new List<(string Alias, string KeyId)>();
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                aliases.Add((reader.GetString(0), reader.GetString(1)));
            }
            return aliases;
        }, ct);
    }

    /// <inheritdoc />
    public Task<bool> DeleteAliasAsync(string owner, string alias, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(alias);
        if (!IsStorable(owner) || !IsStorable(alias))
        {
            return Task.FromResult(false);
        }
        return WriteAsync(async (s, ct) =>
        {
            await using var cmd = s.Command("DELETE FROM kms_aliases WHERE owner = @owner AND alias = @alias;");
            Text(cmd, "owner", owner);
            Text(cmd, "alias", alias);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <summary>
    /// Writes the key row and its versions. Versions that are gone from <paramref name="key"/> (or whose
    /// material changed) are destroyed: each row becomes its tombstone (version negated, material emptied).
    /// Returns true when something was destroyed (the scrub must follow the commit).
    /// </summary>
    private static async Task<bool> UpdateKeyCoreAsync(Session s, KmsKeyRecord key, CancellationToken ct)
    {
        await using (var update = s.Command("""
            UPDATE kms_keys SET owner = @owner, created = @created, description = @description, state = @state,
                manager = @manager, deletion_date = @deletion_date, rotation_enabled = @rotation_enabled,
                rotation_period_days = @rotation_period_days, next_rotation = @next_rotation
            WHERE key_id = @key_id;
            """))
        {
            BindKey(update, key);
            if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
            {
                throw new KeyNotFoundException($"No KMS key has id '{key.KeyId}'.");
            }
        }

        var stored = new Dictionary<int, byte[]>();
        await using (var versions = s.Command("SELECT version, sealed_material FROM kms_key_versions WHERE key_id = @key_id AND version > 0;"))
        {
            Text(versions, "key_id", key.KeyId);
            await using var reader = await versions.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                stored[reader.GetInt32(0)] = reader.GetFieldValue<byte[]>(1);
            }
        }

        var kept = key.Versions.ToDictionary(v => v.Version);
        var destroyed = stored
            .Where(v => !kept.TryGetValue(v.Key, out var k) || !k.SealedMaterial.AsSpan().SequenceEqual(v.Value))
            .Select(v => v.Key)
            .ToArray();
        foreach (var material in stored.Values)
        {
            Array.Clear(material);
        }

        if (destroyed.Length > 0)
        {
            // Each destroyed row becomes its tombstone: the newest row version holds no material, and the one that
            // did is a dead row until the rewrite. The tombstone, committed with the destruction, is the durable
            // note that the rewrite is owed (a node that dies before it leaves the note to the next KMS job); its
            // xmin is the destroying transaction, whose older snapshots the rewrite waits out. A tombstone of an
            // earlier destruction of the same version number is replaced, so the newest destruction is the one
            // waited for.
            foreach (var sql in (string[])[
                "DELETE FROM kms_key_versions WHERE key_id = @key_id AND version = ANY (@tombstones);",
                "UPDATE kms_key_versions SET version = -version, sealed_material = ''::bytea WHERE key_id = @key_id AND version = ANY (@versions);"])
            {
                await using var shred = s.Command(sql);
                Text(shred, "key_id", key.KeyId);
                shred.Parameters.Add(new NpgsqlParameter<int[]>("versions", destroyed));
                shred.Parameters.Add(new NpgsqlParameter<int[]>("tombstones", destroyed.Select(v => -v).ToArray()));
                await shred.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
        await InsertVersionsAsync(s, key.KeyId, key.Versions, ct).ConfigureAwait(false);
        return destroyed.Length > 0;
    }

    /// <summary>After a committed shred: rewrite the version table now; if that cannot finish, the tombstones stay for the KMS job (of any node) to retry.</summary>
    /// <remarks>Takes no token: the shred is committed, and its scrub must not be skipped because a request went away.</remarks>
    private async Task AfterShredAsync() =>
        await ScrubDestroyedKeyMaterialAsync(ShredScrubWait, CancellationToken.None).ConfigureAwait(false);

    private static void BindKey(NpgsqlCommand cmd, KmsKeyRecord key)
    {
        Text(cmd, "key_id", key.KeyId);
        Text(cmd, "owner", key.Owner);
        Long(cmd, "created", key.Created.UtcTicks);
        Text(cmd, "description", key.Description);
        Text(cmd, "state", key.State.ToString());
        Text(cmd, "manager", key.Manager.ToString());
        Long(cmd, "deletion_date", key.DeletionDate?.UtcTicks);
        cmd.Parameters.Add(new NpgsqlParameter<bool>("rotation_enabled", key.RotationEnabled));
        Int(cmd, "rotation_period_days", key.RotationPeriodDays);
        Long(cmd, "next_rotation", key.NextRotationDate?.UtcTicks);
    }

    /// <summary>Inserts the versions the key does not have yet (a version's material never changes in place).</summary>
    private static async Task InsertVersionsAsync(Session s, string keyId, IReadOnlyList<KmsKeyVersion> versions, CancellationToken ct)
    {
        foreach (var v in versions)
        {
            // Numbers below 1 are the tombstones of destroyed versions (UpdateKeyCoreAsync).
            ArgumentOutOfRangeException.ThrowIfLessThan(v.Version, 1, nameof(versions));
            await using var cmd = s.Command($"""
                INSERT INTO kms_key_versions ({KmsVersionColumns}) VALUES (@key_id, @version, @material, @created, @rotation_type)
                ON CONFLICT (key_id, version) DO UPDATE SET created = EXCLUDED.created, rotation_type = EXCLUDED.rotation_type
                WHERE (kms_key_versions.created, kms_key_versions.rotation_type) IS DISTINCT FROM (EXCLUDED.created, EXCLUDED.rotation_type);
                """);
            Text(cmd, "key_id", keyId);
            Int(cmd, "version", v.Version);
            Bytes(cmd, "material", v.SealedMaterial);
            Long(cmd, "created", v.Created.UtcTicks);
            Text(cmd, "rotation_type", v.RotationType?.ToString());
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    private static async Task<KmsKeyRecord?> SelectKeyAsync(Session s, string keyId, CancellationToken ct)
    {
        var keys = await SelectKeysAsync(s, "WHERE key_id = @value", keyId, ct).ConfigureAwait(false);
        return keys.Count == 0 ? null : keys[0];
    }

    /// <summary>Keys matching <paramref name="where"/> (whose one parameter is @value or @owner) with their versions, in the caller's snapshot.</summary>
    private static async Task<List<KmsKeyRecord>> SelectKeysAsync(Session s, string where, string? value, CancellationToken ct)
    {
        var rows = new List<KmsKeyRecord>();
        await using (var cmd = s.Command($"SELECT {KmsKeyColumns} FROM kms_keys {where} ORDER BY created, key_id;"))
        {
            Text(cmd, "value", value);
            Text(cmd, "owner", value);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                rows.Add(new KmsKeyRecord
                {
                    KeyId = reader.GetString(0),
                    Owner = reader.GetString(1),
                    Created = ObjectJson.Instant(reader.GetInt64(2)),
                    Description = reader.GetString(3),
                    State = Enum.Parse<KmsKeyState>(reader.GetString(4)),
                    Manager = Enum.Parse<KmsKeyManager>(reader.GetString(5)),
                    DeletionDate = reader.IsDBNull(6) ? null : ObjectJson.Instant(reader.GetInt64(6)),
                    RotationEnabled = reader.GetBoolean(7),
                    RotationPeriodDays = reader.IsDBNull(8) ? null : reader.GetInt32(8),
                    NextRotationDate = reader.IsDBNull(9) ? null : ObjectJson.Instant(reader.GetInt64(9)),
                    Versions = [],
                });
            }
        }
        if (rows.Count == 0)
        {
            return rows;
        }

        var versions = new Dictionary<string, List<KmsKeyVersion>>(StringComparer.Ordinal);
        await using (var cmd = s.Command($"SELECT {KmsVersionColumns} FROM kms_key_versions WHERE key_id = ANY (@keys) AND version > 0 ORDER BY key_id, version;"))
        {
            cmd.Parameters.Add(new NpgsqlParameter<string[]>("keys", rows.Select(r => r.KeyId).ToArray()));
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var keyId = reader.GetString(0);
                if (!versions.TryGetValue(keyId, out var list))
                {
                    versions[keyId] = list = [];
                }
                list.Add(new KmsKeyVersion(
                    reader.GetInt32(1),
                    reader.GetFieldValue<byte[]>(2),
                    ObjectJson.Instant(reader.GetInt64(3)),
                    reader.IsDBNull(4) ? null : Enum.Parse<KmsRotationType>(reader.GetString(4))));
            }
        }
        return rows.ConvertAll(k => k with { Versions = versions.TryGetValue(k.KeyId, out var v) ? v : [] });
    }
}
