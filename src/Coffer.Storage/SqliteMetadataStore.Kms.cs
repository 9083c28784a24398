using Coffer.Crypto.Kms;
using Microsoft.Data.Sqlite;

namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore
{
    private const string KmsKeyColumns = "key_id, owner, created, description, state, manager, deletion_date, rotation_enabled, rotation_period_days, next_rotation";
    private const string KmsVersionColumns = "key_id, version, sealed_material, created, rotation_type";

    /// <summary>How long the checkpoint after a shred waits for readers before leaving the rest to <see cref="TruncateWalAsync"/>.</summary>
    private static readonly TimeSpan ShredCheckpointWait = TimeSpan.FromSeconds(2);

    private volatile bool _walMayHoldDestroyedMaterial;

    /// <summary>
    /// True when key material was destroyed but the WAL could not be truncated yet (a reader held an old
    /// snapshot), or when the database had a non-empty WAL before this store opened it (left by a process that
    /// stopped without closing it, which may have destroyed material there, or still in use by another
    /// process): the -wal file may still hold page images with destroyed sealed material until
    /// <see cref="TruncateWalAsync"/> succeeds. The server's KMS job retries while this is set.
    /// </summary>
    public bool WalMayHoldDestroyedMaterial => _walMayHoldDestroyedMaterial;

    /// <inheritdoc />
    /// <remarks>SQLite: <see cref="WalMayHoldDestroyedMaterial"/>.</remarks>
    Task<bool> IKeyMaterialScrubber.MayHoldDestroyedKeyMaterialAsync(CancellationToken ct) => Task.FromResult(_walMayHoldDestroyedMaterial);

    /// <inheritdoc />
    /// <remarks>
    /// SQLite: the destroying write already zeroed the pages in the database file (secure_delete and the
    /// table rewrite); what may remain are old page images in the -wal file, so the scrub is
    /// <see cref="TruncateWalAsync"/>.
    /// </remarks>
    Task<bool> IKeyMaterialScrubber.ScrubDestroyedKeyMaterialAsync(TimeSpan? wait, CancellationToken ct) => TruncateWalAsync(wait, ct);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A key with that id exists.</exception>
    public Task CreateKeyAsync(KmsKeyRecord key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WriteKmsAsync(async (s, ct) =>
        {
            using var cmd = s.Command($"""
                INSERT INTO kms_keys ({KmsKeyColumns})
                VALUES ($key_id, $owner, $created, $description, $state, $manager, $deletion_date, $rotation_enabled, $rotation_period_days, $next_rotation)
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
        return ReadSnapshotAsync((s, ct) => SelectKeyAsync(s, keyId, ct), ct);
    }

    /// <inheritdoc />
    /// <remarks>Ordered by creation time, then key id; every owner's keys when <paramref name="owner"/> is null.</remarks>
    public Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default)
    {
        return ReadSnapshotAsync<IReadOnlyList<KmsKeyRecord>>(
            async (s, ct) => owner is null
                ? await SelectKeysAsync(s, "", null, null, ct).ConfigureAwait(false)
                : await SelectKeysAsync(s, "WHERE owner = $owner", "$owner", owner, ct).ConfigureAwait(false),
            ct);
    }

    /// <inheritdoc />
    /// <remarks>
    /// When versions are missing from <paramref name="key"/> (destroyed), the whole version table is
    /// cleared and rewritten with secure_delete on, so every page it used is zeroed, then the WAL is
    /// checkpointed and truncated: no copy of the destroyed sealed material is left in the database
    /// file, its free pages or the -wal file (see <see cref="WalMayHoldDestroyedMaterial"/>).
    /// </remarks>
    /// <exception cref="KeyNotFoundException">No key has that id.</exception>
    public async Task UpdateKeyAsync(KmsKeyRecord key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        bool destroyed = await WriteKmsAsync((s, ct) => UpdateKeyCoreAsync(s, key, ct), ct).ConfigureAwait(false);
        if (destroyed)
        {
            await AfterShredAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>Destroyed versions are scrubbed as in <see cref="UpdateKeyAsync"/>.</remarks>
    public async Task<bool> TryUpdateKeyAsync(KmsKeyRecord expected, KmsKeyRecord replacement, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(replacement);
        if (!string.Equals(expected.KeyId, replacement.KeyId, StringComparison.Ordinal))
        {
            throw new ArgumentException("The replacement must have the expected record's key id.", nameof(replacement));
        }

        var (updated, destroyed) = await WriteKmsAsync(async (s, ct) =>
        {
            var current = await SelectKeyAsync(s, expected.KeyId, ct).ConfigureAwait(false);
            if (current is null || !current.ContentEquals(expected))
            {
                return (false, false);
            }
            return (true, await UpdateKeyCoreAsync(s, replacement, ct).ConfigureAwait(false));
        }, ct).ConfigureAwait(false);
        if (destroyed)
        {
            await AfterShredAsync().ConfigureAwait(false);
        }
        return updated;
    }

    /// <summary>
    /// Checkpoints the WAL into the database file and truncates it to zero bytes
    /// (<c>PRAGMA wal_checkpoint(TRUNCATE)</c>), so no old page image survives in the -wal file. A reader
    /// of an older snapshot (in this or another process) pins the WAL; the checkpoint waits up to
    /// <paramref name="wait"/> for it.
    /// </summary>
    /// <returns>true when the WAL was emptied; false when a reader kept it busy (try again later).</returns>
    public async Task<bool> TruncateWalAsync(TimeSpan? wait = null, CancellationToken ct = default)
    {
        var timeout = (int)Math.Clamp((wait ?? BusyTimeout).TotalMilliseconds, 0, int.MaxValue);
        // The write gate keeps this process's writers from appending to the WAL meanwhile.
        await _writeGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenConnectionAsync(ct).ConfigureAwait(false);
            using (var busy = connection.CreateCommand())
            {
                busy.CommandText = $"PRAGMA busy_timeout = {timeout};";
                await busy.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            bool done;
            try
            {
                using var checkpoint = connection.CreateCommand();
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
                using var reader = await checkpoint.ExecuteReaderAsync(ct).ConfigureAwait(false);
                // Columns: busy (1 when a reader or writer blocked it), WAL frames, frames checkpointed.
                done = reader.Read() && reader.GetInt64(0) == 0;
            }
            catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6) // SQLITE_BUSY, SQLITE_LOCKED
            {
                done = false;
            }
            _walMayHoldDestroyedMaterial = _walMayHoldDestroyedMaterial && !done;
            return done;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    /// <exception cref="KeyNotFoundException">The target key does not exist.</exception>
    public Task<bool> CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(alias);
        ArgumentNullException.ThrowIfNull(keyId);
        ArgumentNullException.ThrowIfNull(owner);
        return WriteAsync(async (s, ct) =>
        {
            using (var exists = s.Command("SELECT EXISTS (SELECT 1 FROM kms_keys WHERE key_id = $key_id);"))
            {
                exists.Parameters.AddWithValue("$key_id", keyId);
                if ((long)(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false))! == 0)
                {
                    throw new KeyNotFoundException($"No KMS key has id '{keyId}'.");
                }
            }
            using var insert = s.Command("INSERT INTO kms_aliases (alias, key_id, owner) VALUES ($alias, $key_id, $owner) ON CONFLICT DO NOTHING;");
            insert.Parameters.AddWithValue("$alias", alias);
            insert.Parameters.AddWithValue("$key_id", keyId);
            insert.Parameters.AddWithValue("$owner", owner);
            return await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <inheritdoc />
    public Task<string?> ResolveAliasAsync(string owner, string alias, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(alias);
        return ReadAsync(async (s, ct) =>
        {
            using var cmd = s.Command("SELECT key_id FROM kms_aliases WHERE owner = $owner AND alias = $alias;");
            cmd.Parameters.AddWithValue("$owner", owner);
            cmd.Parameters.AddWithValue("$alias", alias);
            return (string?)await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
        }, ct);
    }

    /// <inheritdoc />
    /// <remarks>Ordered by alias; every owner's aliases when <paramref name="owner"/> is null.</remarks>
    public Task<IReadOnlyList<(string Alias, string KeyId)>> ListAliasesAsync(string? owner, CancellationToken ct = default)
    {
        return ReadAsync<IReadOnlyList<(string Alias, string KeyId)>>(async (s, ct) =>
        {
            using var cmd = s.Command(owner is null
                ? "SELECT alias, key_id FROM kms_aliases ORDER BY alias;"
                : "SELECT alias, key_id FROM kms_aliases WHERE owner = $owner ORDER BY alias;");
            if (owner is not null)
            {
                cmd.Parameters.AddWithValue("$owner", owner);
            }
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var aliases = new List<(string Alias, string KeyId)>();
            while (reader.Read())
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
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command("DELETE FROM kms_aliases WHERE owner = $owner AND alias = $alias;");
            cmd.Parameters.AddWithValue("$owner", owner);
            cmd.Parameters.AddWithValue("$alias", alias);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
    }

    /// <summary>
    /// A write transaction on the KMS tables with secure_delete on, so every deleted cell and freed page
    /// is zeroed and no stale copy of sealed material is left in free space by any KMS write; and with
    /// foreign keys off, so clearing kms_key_versions takes SQLite's truncate path, which zeroes every
    /// page of the table (row-by-row deletes may leave old bytes in the gaps of surviving pages). The
    /// callers keep the references consistent themselves (versions only for a key they just wrote).
    /// </summary>
    private Task<T> WriteKmsAsync<T>(Func<Session, CancellationToken, Task<T>> work, CancellationToken ct) =>
        WriteWithPragmasAsync("PRAGMA secure_delete = ON; PRAGMA foreign_keys = OFF;", "PRAGMA secure_delete = OFF; PRAGMA foreign_keys = ON;", work, ct);

    /// <summary>Writes the key row and its versions; true when versions were destroyed (and the table scrubbed).</summary>
    private static async Task<bool> UpdateKeyCoreAsync(Session s, KmsKeyRecord key, CancellationToken ct)
    {
        using (var update = s.Command("""
            UPDATE kms_keys SET owner = $owner, created = $created, description = $description, state = $state,
                manager = $manager, deletion_date = $deletion_date, rotation_enabled = $rotation_enabled,
                rotation_period_days = $rotation_period_days, next_rotation = $next_rotation
            WHERE key_id = $key_id;
            """))
        {
            BindKey(update, key);
            if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
            {
                throw new KeyNotFoundException($"No KMS key has id '{key.KeyId}'.");
            }
        }

        var stored = new List<int>();
        using (var versions = s.Command("SELECT version FROM kms_key_versions WHERE key_id = $key_id;"))
        {
            versions.Parameters.AddWithValue("$key_id", key.KeyId);
            using var reader = await versions.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (reader.Read())
            {
                stored.Add(reader.GetInt32(0));
            }
        }

        var kept = key.Versions.Select(v => v.Version).ToHashSet();
        bool destroyed = stored.Any(v => !kept.Contains(v));
        if (!destroyed)
        {
            using var delete = s.Command("DELETE FROM kms_key_versions WHERE key_id = $key_id;");
            delete.Parameters.AddWithValue("$key_id", key.KeyId);
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            await InsertVersionsAsync(s, key.KeyId, key.Versions, ct).ConfigureAwait(false);
            return false;
        }

        // Crypto-shredding: rewrite the whole (small) table. The unqualified DELETE is SQLite's truncate
        // path (foreign keys are off here): with secure_delete it zeroes every page the table owns,
        // including stale cell copies that b-tree rebalancing left in the free gaps of pages.
        var survivors = new List<(string KeyId, KmsKeyVersion Version)>();
        using (var others = s.Command($"SELECT {KmsVersionColumns} FROM kms_key_versions WHERE key_id <> $key_id;"))
        {
            others.Parameters.AddWithValue("$key_id", key.KeyId);
            using var reader = await others.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (reader.Read())
            {
                survivors.Add((reader.GetString(0), ReadVersion(reader)));
            }
        }
        using (var clear = s.Command("DELETE FROM kms_key_versions;"))
        {
            await clear.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        foreach (var group in survivors.GroupBy(v => v.KeyId, StringComparer.Ordinal))
        {
            await InsertVersionsAsync(s, group.Key, group.Select(g => g.Version).ToList(), ct).ConfigureAwait(false);
        }
        await InsertVersionsAsync(s, key.KeyId, key.Versions, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>After a shred: move the zeroed pages into the database file and empty the WAL, or leave a note to retry.</summary>
    /// <remarks>Takes no token: the shred is committed, and its scrub must not be skipped because a request went away.</remarks>
    private async Task AfterShredAsync()
    {
        _walMayHoldDestroyedMaterial = true;
        await TruncateWalAsync(ShredCheckpointWait, CancellationToken.None).ConfigureAwait(false);
    }

    private static void BindKey(SqliteCommand cmd, KmsKeyRecord key)
    {
        var p = cmd.Parameters;
        p.AddWithValue("$key_id", key.KeyId);
        p.AddWithValue("$owner", key.Owner);
        p.AddWithValue("$created", key.Created.UtcTicks);
        p.AddWithValue("$description", key.Description);
        p.AddWithValue("$state", key.State.ToString());
        p.AddWithValue("$manager", key.Manager.ToString());
        p.AddWithValue("$deletion_date", key.DeletionDate is { } d ? d.UtcTicks : DBNull.Value);
        p.AddWithValue("$rotation_enabled", key.RotationEnabled);
        p.AddWithValue("$rotation_period_days", key.RotationPeriodDays is { } days ? days : DBNull.Value);
        p.AddWithValue("$next_rotation", key.NextRotationDate is { } next ? next.UtcTicks : DBNull.Value);
    }

    private static async Task InsertVersionsAsync(Session s, string keyId, IReadOnlyList<KmsKeyVersion> versions, CancellationToken ct)
    {
        using var cmd = s.Command($"INSERT INTO kms_key_versions ({KmsVersionColumns}) VALUES ($key_id, $version, $material, $created, $rotation_type);");
        cmd.Parameters.AddWithValue("$key_id", keyId);
        var version = cmd.Parameters.Add("$version", SqliteType.Integer);
        var material = cmd.Parameters.Add("$material", SqliteType.Blob);
        var created = cmd.Parameters.Add("$created", SqliteType.Integer);
        var rotationType = cmd.Parameters.Add("$rotation_type", SqliteType.Text);
        foreach (var v in versions)
        {
            version.Value = v.Version;
            material.Value = v.SealedMaterial;
            created.Value = v.Created.UtcTicks;
            rotationType.Value = v.RotationType is { } type ? type.ToString() : DBNull.Value;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    private static KmsKeyVersion ReadVersion(SqliteDataReader reader) => new(
        reader.GetInt32(1),
        ReadBytes(reader, 2),
        ObjectJson.Instant(reader.GetInt64(3)),
        reader.IsDBNull(4) ? null : Enum.Parse<KmsRotationType>(reader.GetString(4)));

    private static async Task<KmsKeyRecord?> SelectKeyAsync(Session s, string keyId, CancellationToken ct)
    {
        var keys = await SelectKeysAsync(s, "WHERE key_id = $key_id", "$key_id", keyId, ct).ConfigureAwait(false);
        return keys.Count == 0 ? null : keys[0];
    }

    /// <summary>Keys matching <paramref name="where"/> with their versions (two queries in the caller's snapshot).</summary>
    private static async Task<List<KmsKeyRecord>> SelectKeysAsync(Session s, string where, string? parameter, string? value, CancellationToken ct)
    {
        var rows = new List<KmsKeyRecord>();
        using (var cmd = s.Command($"SELECT {KmsKeyColumns} FROM kms_keys {where} ORDER BY created, key_id;"))
        {
            if (parameter is not null)
            {
                cmd.Parameters.AddWithValue(parameter, value);
            }
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (reader.Read())
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
                    RotationEnabled = reader.GetInt64(7) != 0,
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
        using (var cmd = s.Command(rows.Count == 1
            ? $"SELECT {KmsVersionColumns} FROM kms_key_versions WHERE key_id = $key_id ORDER BY version;"
            : $"SELECT {KmsVersionColumns} FROM kms_key_versions WHERE key_id IN (SELECT key_id FROM kms_keys {where}) ORDER BY key_id, version;"))
        {
            if (rows.Count == 1)
            {
                cmd.Parameters.AddWithValue("$key_id", rows[0].KeyId);
            }
            else if (parameter is not null)
            {
                cmd.Parameters.AddWithValue(parameter, value);
            }
            using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (reader.Read())
            {
                var keyId = reader.GetString(0);
                if (!versions.TryGetValue(keyId, out var list))
                {
                    versions[keyId] = list = [];
                }
                list.Add(ReadVersion(reader));
            }
        }
        return rows.ConvertAll(k => k with { Versions = versions.TryGetValue(k.KeyId, out var v) ? v : [] });
    }
}
