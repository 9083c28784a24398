using Coffer.Crypto.Kms;
using Microsoft.Data.Sqlite;

namespace Coffer.Storage;

public sealed partial class SqliteMetadataStore
{
    private const string KmsKeyColumns = "key_id, owner, created, description, state, manager, deletion_date, rotation_enabled";

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">A key with that id exists.</exception>
    public Task CreateKeyAsync(KmsKeyRecord key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command($"""
                INSERT INTO kms_keys ({KmsKeyColumns})
                VALUES ($key_id, $owner, $created, $description, $state, $manager, $deletion_date, $rotation_enabled)
                ON CONFLICT DO NOTHING;
                """);
            BindKey(cmd, key);
            if (await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
            {
                throw new InvalidOperationException($"A KMS key with id '{key.KeyId}' already exists.");
            }
            await InsertVersionsAsync(s, key, ct).ConfigureAwait(false);
            return true;
        }, ct);
    }

    /// <inheritdoc />
    public Task<KmsKeyRecord?> GetKeyAsync(string keyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        return ReadSnapshotAsync(async (s, ct) =>
        {
            var keys = await SelectKeysAsync(s, "WHERE key_id = $key_id", "$key_id", keyId, ct).ConfigureAwait(false);
            return keys.Count == 0 ? null : keys[0];
        }, ct);
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
    /// Versions missing from <paramref name="key"/> are deleted with SQLite's secure_delete on,
    /// so destroyed key material is overwritten in the database file rather than left in free pages.
    /// </remarks>
    /// <exception cref="KeyNotFoundException">No key has that id.</exception>
    public Task UpdateKeyAsync(KmsKeyRecord key, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WriteAsync(async (s, ct) =>
        {
            using (var secure = s.Command("PRAGMA secure_delete = ON;"))
            {
                await secure.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            try
            {
                using (var update = s.Command("""
                    UPDATE kms_keys SET owner = $owner, created = $created, description = $description, state = $state,
                        manager = $manager, deletion_date = $deletion_date, rotation_enabled = $rotation_enabled
                    WHERE key_id = $key_id;
                    """))
                {
                    BindKey(update, key);
                    if (await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                    {
                        throw new KeyNotFoundException($"No KMS key has id '{key.KeyId}'.");
                    }
                }
                using (var delete = s.Command("DELETE FROM kms_key_versions WHERE key_id = $key_id;"))
                {
                    delete.Parameters.AddWithValue("$key_id", key.KeyId);
                    await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                await InsertVersionsAsync(s, key, ct).ConfigureAwait(false);
                return true;
            }
            finally
            {
                // The pooled connection goes back without it. (Not the cancellable token: always reset.)
                using var normal = s.Command("PRAGMA secure_delete = OFF;");
                normal.ExecuteNonQuery();
            }
        }, ct);
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
    public Task<string?> ResolveAliasAsync(string alias, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(alias);
        return ReadAsync(async (s, ct) =>
        {
            using var cmd = s.Command("SELECT key_id FROM kms_aliases WHERE alias = $alias;");
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
    public Task<bool> DeleteAliasAsync(string alias, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(alias);
        return WriteAsync(async (s, ct) =>
        {
            using var cmd = s.Command("DELETE FROM kms_aliases WHERE alias = $alias;");
            cmd.Parameters.AddWithValue("$alias", alias);
            return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
        }, ct);
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
    }

    private static async Task InsertVersionsAsync(Session s, KmsKeyRecord key, CancellationToken ct)
    {
        using var cmd = s.Command("INSERT INTO kms_key_versions (key_id, version, sealed_material, created) VALUES ($key_id, $version, $material, $created);");
        cmd.Parameters.AddWithValue("$key_id", key.KeyId);
        var version = cmd.Parameters.Add("$version", SqliteType.Integer);
        var material = cmd.Parameters.Add("$material", SqliteType.Blob);
        var created = cmd.Parameters.Add("$created", SqliteType.Integer);
        foreach (var v in key.Versions)
        {
            version.Value = v.Version;
            material.Value = v.SealedMaterial;
            created.Value = v.Created.UtcTicks;
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
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
            ? "SELECT key_id, version, sealed_material, created FROM kms_key_versions WHERE key_id = $key_id ORDER BY version;"
            : $"SELECT key_id, version, sealed_material, created FROM kms_key_versions WHERE key_id IN (SELECT key_id FROM kms_keys {where}) ORDER BY key_id, version;"))
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
                list.Add(new KmsKeyVersion(reader.GetInt32(1), ReadBytes(reader, 2), ObjectJson.Instant(reader.GetInt64(3))));
            }
        }
        return rows.ConvertAll(k => k with { Versions = versions.TryGetValue(k.KeyId, out var v) ? v : [] });
    }
}
