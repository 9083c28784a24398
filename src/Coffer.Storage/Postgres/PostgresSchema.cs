using System.Globalization;
using Npgsql;

namespace Coffer.Storage.Postgres;

/// <summary>
/// The PostgreSQL schema as an ordered list of migration scripts, numbered as
/// <see cref="SqliteSchema.Migrations"/> are: script <c>i</c> takes the database from version
/// <c>i</c> to <c>i + 1</c>, and version <c>n</c> has the same tables and columns in both dialects.
/// A change to the schema appends one script to each list, so that both stay at the same version.
/// Never edit a shipped script.
/// </summary>
/// <remarks>
/// Conventions, mirroring SQLite's: keys and names are <c>text COLLATE "C"</c>, so they compare and
/// order by their UTF-8 bytes (the database encoding must be UTF8, checked at start); blobs are
/// <c>bytea</c>; instants are <c>bigint</c> UTC ticks (exact for <see cref="DateTimeOffset"/>, and
/// equal to SQLite's values); list- and map-valued fields of an object are JSON text, compared as
/// text where a compare-and-set needs it (they are written deterministically). Columns that hold
/// sealed secrets have their statistics target set to 0, so ANALYZE never copies sample values of
/// them into <c>pg_statistic</c>, where deleting the row would not reach them.
/// </remarks>
internal static class PostgresSchema
{
    /// <summary>
    /// The key of the transaction-level advisory lock every migration runs under, so that nodes
    /// starting at once migrate one after the other (the second finds nothing left to do).
    /// </summary>
    internal const long MigrationLockKey = 0x436F_6666_6572_0001; // "Coffer" 1

    /// <summary>The migration scripts, oldest first. The schema version is the number applied.</summary>
    internal static readonly IReadOnlyList<string> Migrations =
    [
        // 1: users, buckets, objects (+ their blob references), KMS keys and aliases.
        """
        CREATE TABLE users (
            access_key_id text COLLATE "C" NOT NULL PRIMARY KEY,
            name          text COLLATE "C" NOT NULL UNIQUE,
            sealed_secret bytea   NOT NULL,
            is_root       boolean NOT NULL,
            created       bigint  NOT NULL
        );
        ALTER TABLE users ALTER COLUMN sealed_secret SET STATISTICS 0;

        CREATE TABLE buckets (
            name           text COLLATE "C" NOT NULL PRIMARY KEY,
            owner          text COLLATE "C" NOT NULL,
            region         text   NOT NULL,
            created        bigint NOT NULL,
            sse_algorithm  text,
            sse_kms_key_id text
        );
        CREATE INDEX buckets_by_owner ON buckets (owner, name);

        -- streams: JSON array of {blob, plain, identity, size, checksum};
        -- user_metadata, checksums: JSON objects (NULL when empty); restore: JSON object or NULL.
        CREATE TABLE objects (
            bucket              text COLLATE "C" NOT NULL REFERENCES buckets (name),
            object_key          text COLLATE "C" NOT NULL,
            size                bigint  NOT NULL,
            etag                text    NOT NULL,
            crc64               bigint  NOT NULL,
            last_modified       bigint  NOT NULL,
            storage_class       text    NOT NULL,
            content_type        text,
            cache_control       text,
            content_disposition text,
            content_encoding    text,
            expires             text,
            sse_mode            integer NOT NULL,
            sse_sealed_key      bytea,
            sse_kms_key_id      text,
            sse_kms_context     text,
            streams             text    NOT NULL,
            user_metadata       text,
            checksums           text,
            restore             text,
            PRIMARY KEY (bucket, object_key)
        );

        -- Which object refers to which blob: the orphan sweep's source and the reference
        -- check that keeps a blob shared by two objects (a copy that re-seals only the key).
        CREATE TABLE object_blobs (
            blob_id    text COLLATE "C" NOT NULL,
            bucket     text COLLATE "C" NOT NULL,
            object_key text COLLATE "C" NOT NULL,
            PRIMARY KEY (blob_id, bucket, object_key)
        );

        CREATE TABLE kms_keys (
            key_id           text COLLATE "C" NOT NULL PRIMARY KEY,
            owner            text COLLATE "C" NOT NULL,
            created          bigint  NOT NULL,
            description      text    NOT NULL,
            state            text    NOT NULL,
            manager          text    NOT NULL,
            deletion_date    bigint,
            rotation_enabled boolean NOT NULL
        );
        CREATE INDEX kms_keys_by_owner ON kms_keys (owner);

        CREATE TABLE kms_key_versions (
            key_id          text COLLATE "C" NOT NULL REFERENCES kms_keys (key_id) ON DELETE CASCADE,
            version         integer NOT NULL,
            sealed_material bytea   NOT NULL,
            created         bigint  NOT NULL,
            PRIMARY KEY (key_id, version)
        );
        ALTER TABLE kms_key_versions ALTER COLUMN sealed_material SET STATISTICS 0;

        CREATE TABLE kms_aliases (
            alias  text COLLATE "C" NOT NULL PRIMARY KEY,
            key_id text COLLATE "C" NOT NULL REFERENCES kms_keys (key_id),
            owner  text COLLATE "C" NOT NULL
        );
        CREATE INDEX kms_aliases_by_owner ON kms_aliases (owner, alias);
        CREATE INDEX kms_aliases_by_key ON kms_aliases (key_id);
        """,

        // 2: multipart uploads in progress and their parts (see SqliteSchema).
        """
        CREATE TABLE multipart_uploads (
            upload_id           text COLLATE "C" NOT NULL PRIMARY KEY,
            bucket              text COLLATE "C" NOT NULL REFERENCES buckets (name) ON DELETE CASCADE,
            object_key          text COLLATE "C" NOT NULL,
            initiated           bigint  NOT NULL,
            owner               text COLLATE "C" NOT NULL,
            storage_class       text    NOT NULL,
            content_type        text,
            cache_control       text,
            content_disposition text,
            content_encoding    text,
            expires             text,
            user_metadata       text,
            sse_mode            integer NOT NULL,
            sse_sealed_key      bytea,
            sse_kms_key_id      text,
            sse_kms_context     text
        );
        -- Listing order: key (UTF-8 bytes), then upload id (ids sort in initiation order).
        CREATE UNIQUE INDEX multipart_uploads_by_key ON multipart_uploads (bucket, object_key, upload_id);

        CREATE TABLE multipart_parts (
            upload_id       text COLLATE "C" NOT NULL REFERENCES multipart_uploads (upload_id) ON DELETE CASCADE,
            part_number     integer NOT NULL,
            blob_id         text COLLATE "C" NOT NULL,
            plain_size      bigint  NOT NULL,
            md5             text    NOT NULL,
            etag            text    NOT NULL,
            crc64           bigint  NOT NULL,
            blob_size       bigint  NOT NULL,
            blob_checksum   text    NOT NULL,
            stream_identity text    NOT NULL,
            last_modified   bigint  NOT NULL,
            PRIMARY KEY (upload_id, part_number)
        );
        CREATE INDEX multipart_parts_by_blob ON multipart_parts (blob_id);
        """,

        // 3: KMS key life (rotation schedule, rotation types) and rekey job progress.
        """
        ALTER TABLE kms_keys ADD COLUMN rotation_period_days integer;
        ALTER TABLE kms_keys ADD COLUMN next_rotation bigint;
        ALTER TABLE kms_key_versions ADD COLUMN rotation_type text;

        CREATE TABLE rekey_jobs (
            job_id      text COLLATE "C" NOT NULL PRIMARY KEY,
            bucket      text COLLATE "C" NOT NULL,
            prefix      text COLLATE "C" NOT NULL,
            from_key_id text COLLATE "C",
            to_key_id   text COLLATE "C" NOT NULL,
            last_key    text COLLATE "C",
            rekeyed     bigint NOT NULL,
            skipped     bigint NOT NULL,
            conflicts   bigint NOT NULL,
            failed      bigint NOT NULL,
            started     bigint NOT NULL,
            updated     bigint NOT NULL,
            completed   bigint
        );
        """,

        // 4: no plaintext MD5 of a part (see SqliteSchema). PostgreSQL drops the column from the
        // catalog only; the old values stay in the rows until they are rewritten, so the table is
        // rewritten here (an ALTER of a column's type rewrites every row).
        """
        ALTER TABLE multipart_parts DROP COLUMN md5;
        ALTER TABLE multipart_parts ALTER COLUMN etag TYPE text USING etag || '';
        """,

        // 5: owners are stable user ids; aliases are per owner (see SqliteSchema). A PostgreSQL
        // store has existed only since version 5, so this runs on empty tables in practice; it still
        // maps any rows it finds as SQLite's migration does.
        """
        ALTER TABLE users ADD COLUMN user_id text COLLATE "C" NOT NULL DEFAULT '';
        UPDATE users SET user_id = replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '');
        ALTER TABLE users ALTER COLUMN user_id DROP DEFAULT;
        CREATE UNIQUE INDEX users_by_user_id ON users (user_id);

        CREATE TEMPORARY TABLE owner_ids_v5 (name text COLLATE "C" NOT NULL PRIMARY KEY, id text NOT NULL) ON COMMIT DROP;
        INSERT INTO owner_ids_v5 (name, id) SELECT name, user_id FROM users;
        INSERT INTO owner_ids_v5 (name, id)
            SELECT owner, 'gone-' || replace(gen_random_uuid()::text, '-', '')
            FROM (SELECT owner FROM buckets UNION SELECT owner FROM kms_keys
                  UNION SELECT owner FROM kms_aliases UNION SELECT owner FROM multipart_uploads) o
            WHERE owner <> 'coffer:service'
            ON CONFLICT DO NOTHING;

        UPDATE buckets SET owner = (SELECT id FROM owner_ids_v5 WHERE name = buckets.owner);
        UPDATE multipart_uploads SET owner = (SELECT id FROM owner_ids_v5 WHERE name = multipart_uploads.owner);
        UPDATE kms_keys SET owner = (SELECT id FROM owner_ids_v5 WHERE name = kms_keys.owner) WHERE owner <> 'coffer:service';

        CREATE TABLE kms_aliases_v5 (
            owner  text COLLATE "C" NOT NULL,
            alias  text COLLATE "C" NOT NULL,
            key_id text COLLATE "C" NOT NULL REFERENCES kms_keys (key_id),
            PRIMARY KEY (owner, alias)
        );
        INSERT INTO kms_aliases_v5 (owner, alias, key_id)
            SELECT CASE WHEN a.owner = 'coffer:service' THEN a.owner ELSE (SELECT id FROM owner_ids_v5 WHERE name = a.owner) END,
                   a.alias, a.key_id
            FROM kms_aliases a;
        DROP TABLE kms_aliases;
        ALTER TABLE kms_aliases_v5 RENAME TO kms_aliases;
        ALTER TABLE kms_aliases RENAME CONSTRAINT kms_aliases_v5_pkey TO kms_aliases_pkey;
        ALTER TABLE kms_aliases RENAME CONSTRAINT kms_aliases_v5_key_id_fkey TO kms_aliases_key_id_fkey;
        CREATE INDEX kms_aliases_by_key ON kms_aliases (key_id);
        """,

        // 6: the blob ledger (IBlobLedger), as SQLite's migration 6. blob_pending: blobs committed to the blob
        // store that no object or part names yet (the transaction that first names one deletes its row);
        // expires: ticks after which its writer is presumed gone. blob_reclaims: blobs of replaced and deleted
        // objects (and of failed writes) waiting for their grace period; not_before: ticks.
        """
        CREATE TABLE blob_pending (
            blob_id text COLLATE "C" NOT NULL PRIMARY KEY,
            expires bigint NOT NULL
        );
        CREATE INDEX blob_pending_by_expiry ON blob_pending (expires);

        CREATE TABLE blob_reclaims (
            blob_id    text COLLATE "C" NOT NULL PRIMARY KEY,
            not_before bigint NOT NULL
        );
        CREATE INDEX blob_reclaims_by_time ON blob_reclaims (not_before);
        """,

        // 7: leases on background jobs (IJobLeases), as SQLite's migration 7: one row per job; generation
        // fences an older holder; expires_at: ticks after which another node may take the job.
        """
        CREATE TABLE job_leases (
            name       text COLLATE "C" NOT NULL PRIMARY KEY,
            holder     text COLLATE "C" NOT NULL,
            generation bigint NOT NULL,
            expires_at bigint NOT NULL
        );
        """,

        // 8: the KMS audit log (IKmsAuditStore), shared by every node: time in UTC ticks; key_id and
        // source_key_id for the key filter; entry: the whole entry as JSON (names and ids, never key material).
        // SQLite's migration 8 does nothing: an embedded node keeps its audit log in files.
        """
        CREATE TABLE kms_audit (
            id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            time          bigint NOT NULL,
            key_id        text COLLATE "C",
            source_key_id text COLLATE "C",
            entry         text NOT NULL
        );
        CREATE INDEX kms_audit_by_time ON kms_audit (time, id);
        """,

        // 9: tags, as SQLite's migration 9. objects.tags: the object's tag set as a JSON array of {k, v} in the
        // order given (NULL when none), part of the row; multipart_uploads.tags: the tags given at initiation,
        // which the object gets at completion; buckets.tags: the bucket's tag set (NULL when none).
        """
        ALTER TABLE objects ADD COLUMN tags text;
        ALTER TABLE multipart_uploads ADD COLUMN tags text;
        ALTER TABLE buckets ADD COLUMN tags text;
        """,

        // 10: small objects inline, as SQLite's migration 10. EXTERNAL: sealed data does not compress, so
        // PostgreSQL should not try (it still moves a large value out of the row, to TOAST).
        """
        ALTER TABLE objects ADD COLUMN inline_data bytea;
        ALTER TABLE objects ALTER COLUMN inline_data SET STORAGE EXTERNAL;
        """,

        // 11: the saved state of resumable jobs, as SQLite's migration 11.
        """
        CREATE TABLE job_state (
            name    text COLLATE "C" NOT NULL PRIMARY KEY,
            state   text NOT NULL,
            updated bigint NOT NULL
        );
        """,

        // 12: lifecycle, as SQLite's migration 12. buckets.lifecycle: the bucket's lifecycle configuration as JSON
        // (NULL when none); the partial index lets the lifecycle job page through the buckets that have one.
        """
        ALTER TABLE buckets ADD COLUMN lifecycle text;
        CREATE INDEX buckets_with_lifecycle ON buckets (name) WHERE lifecycle IS NOT NULL;
        """,

        // 13: S3 multipart checksums and completed multipart uploads, as SQLite's migration 13: the last upload completed into each key, with the
        // ETag and Last-Modified of the object it made, replayed to a repeated Complete while that object is current.
        """
        CREATE TABLE completed_uploads (
            upload_id     text COLLATE "C" NOT NULL PRIMARY KEY,
            bucket        text COLLATE "C" NOT NULL REFERENCES buckets (name) ON DELETE CASCADE,
            object_key    text COLLATE "C" NOT NULL,
            etag          text COLLATE "C" NOT NULL,
            last_modified bigint NOT NULL
        );
        CREATE UNIQUE INDEX completed_uploads_by_key ON completed_uploads (bucket, object_key);

        ALTER TABLE multipart_uploads ADD COLUMN checksum_algorithm text;
        ALTER TABLE multipart_uploads ADD COLUMN checksum_type text;
        ALTER TABLE multipart_parts ADD COLUMN checksum_algorithm text;
        ALTER TABLE multipart_parts ADD COLUMN checksum text;
        """,

        // 14: bucket policies, as SQLite's migration 14. buckets.policy: the policy's JSON as sent (NULL when none).
        """
        ALTER TABLE buckets ADD COLUMN policy text;
        """,

        // 15: ACLs, Object Ownership and Block Public Access, as SQLite's.
        """
        ALTER TABLE buckets ADD COLUMN acl text;
        ALTER TABLE buckets ADD COLUMN object_ownership text;
        ALTER TABLE buckets ADD COLUMN public_access_block integer;
        ALTER TABLE objects ADD COLUMN acl text;
        ALTER TABLE multipart_uploads ADD COLUMN acl text;
        """,

        // 16: CORS, as SQLite's migration 16. buckets.cors: the
        // bucket's CORS configuration as JSON (NULL when none).
        """
        ALTER TABLE buckets ADD COLUMN cors text;
        """,

        // 17: versioning, as SQLite's migration 17: buckets.versioning, objects.version_id, and object_versions for the
        // noncurrent versions and delete markers, newest first by seq (an identity: unique across all keys) within a key.
        """
        ALTER TABLE buckets ADD COLUMN versioning text;
        ALTER TABLE objects ADD COLUMN version_id text;
        CREATE TABLE object_versions (
            bucket              text COLLATE "C" NOT NULL REFERENCES buckets (name),
            object_key          text COLLATE "C" NOT NULL,
            seq                 bigint  GENERATED BY DEFAULT AS IDENTITY,
            is_delete_marker    boolean NOT NULL,
            size                bigint  NOT NULL,
            etag                text    NOT NULL,
            crc64               bigint  NOT NULL,
            last_modified       bigint  NOT NULL,
            storage_class       text    NOT NULL,
            content_type        text,
            cache_control       text,
            content_disposition text,
            content_encoding    text,
            expires             text,
            sse_mode            integer NOT NULL,
            sse_sealed_key      bytea,
            sse_kms_key_id      text,
            sse_kms_context     text,
            streams             text    NOT NULL,
            user_metadata       text,
            checksums           text,
            restore             text,
            tags                text,
            acl                 text,
            version_id          text,
            inline_data         bytea,
            PRIMARY KEY (bucket, object_key, seq)
        );
        ALTER TABLE object_versions ALTER COLUMN inline_data SET STORAGE EXTERNAL;
        CREATE INDEX object_versions_by_id ON object_versions (bucket, object_key, version_id);
        """,
    ];

    /// <summary>Every (table, column) that holds blob ids (as <see cref="SqliteSchema.BlobReferences"/>).</summary>
    internal static IReadOnlyList<(string Table, string Column)> BlobReferences => SqliteSchema.BlobReferences;

    /// <summary>The version a fully migrated database has; always SQLite's.</summary>
    internal static int LatestVersion => Migrations.Count;

    /// <summary>
    /// Creates <c>schema_version</c> if needed and applies the missing migrations, all in one
    /// transaction under <see cref="MigrationLockKey"/>. Refuses a database newer than this program.
    /// </summary>
    /// <exception cref="NotSupportedException">The database has a newer schema version, is not UTF8, or its tables belong to another role.</exception>
    internal static async Task MigrateAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        await using var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
        await ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock({MigrationLockKey});", ct).ConfigureAwait(false);

        var encoding = (string?)await ScalarAsync(connection, tx, "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database();", ct).ConfigureAwait(false);
        if (!string.Equals(encoding, "UTF8", StringComparison.Ordinal))
        {
            throw new NotSupportedException(
                $"The metadata database '{connection.Database}' has encoding {encoding}; Coffer needs UTF8 (CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0).");
        }

        // Crypto-shredding rewrites the key table (VACUUM FULL), which only its owner may do; PostgreSQL would
        // merely warn and skip it. So a node must run as the role that owns the tables (or a member of it).
        var owner = (string?)await ScalarAsync(connection, tx, """
            SELECT pg_get_userbyid(c.relowner) FROM pg_class c
            WHERE c.oid = to_regclass('kms_key_versions') AND NOT pg_has_role(current_user, c.relowner, 'USAGE');
            """, ct).ConfigureAwait(false);
        if (owner is not null)
        {
            throw new NotSupportedException(
                $"The metadata tables in '{connection.Database}' belong to the role '{owner}', and this node connects as '{connection.UserName}': " +
                "connect as the role that created them (or a member of it), which crypto-shredding needs to rewrite the KMS key table.");
        }

        await ExecuteAsync(connection, tx, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL PRIMARY KEY, applied bigint NOT NULL);", ct).ConfigureAwait(false);
        var current = Convert.ToInt32(await ScalarAsync(connection, tx, "SELECT coalesce(max(version), 0) FROM schema_version;", ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (current > LatestVersion)
        {
            throw new NotSupportedException(
                $"The metadata database '{connection.Database}' on {connection.Host} has schema version {current}, newer than this program supports ({LatestVersion}). " +
                "Another node was upgraded: run the same (newer) Coffer on this node.");
        }

        for (var version = current + 1; version <= LatestVersion; version++)
        {
            await ExecuteAsync(connection, tx, Migrations[version - 1], ct).ConfigureAwait(false);
            await using var record = new NpgsqlCommand("INSERT INTO schema_version (version, applied) VALUES (@version, @applied);", connection, tx);
            record.Parameters.AddWithValue("version", version);
            record.Parameters.AddWithValue("applied", DateTimeOffset.UtcNow.UtcTicks);
            await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }
}
