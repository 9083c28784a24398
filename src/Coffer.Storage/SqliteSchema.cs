using Microsoft.Data.Sqlite;

namespace Coffer.Storage;

/// <summary>
/// The SQLite schema as an ordered list of migration scripts. Script <c>i</c> takes the
/// database from version <c>i</c> to <c>i + 1</c>; each applied version is recorded as a row of
/// <c>schema_version</c>. Never edit a shipped script: append a new one (multipart uploads,
/// restore jobs, audit…).
/// </summary>
/// <remarks>
/// Conventions: every table is STRICT; text compares with the default BINARY collation, so
/// keys order by their UTF-8 bytes; instants are INTEGER UTC ticks (100 ns since 0001-01-01,
/// exact for <see cref="DateTimeOffset"/>); list- and map-valued fields of an object are JSON
/// text in the object's row, so reading an object is one primary-key lookup.
/// </remarks>
internal static class SqliteSchema
{
    /// <summary>The migration scripts, oldest first. The schema version is the number applied.</summary>
    internal static readonly IReadOnlyList<string> Migrations =
    [
        // 1: users, buckets, objects (+ their blob references), KMS keys and aliases.
        """
        CREATE TABLE users (
            access_key_id TEXT    NOT NULL PRIMARY KEY,
            name          TEXT    NOT NULL UNIQUE,
            sealed_secret BLOB    NOT NULL,
            is_root       INTEGER NOT NULL,
            created       INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE buckets (
            name           TEXT    NOT NULL PRIMARY KEY,
            owner          TEXT    NOT NULL,
            region         TEXT    NOT NULL,
            created        INTEGER NOT NULL,
            sse_algorithm  TEXT,
            sse_kms_key_id TEXT
        ) STRICT;
        CREATE INDEX buckets_by_owner ON buckets (owner, name);

        -- streams: JSON array of {blob, plain, identity, size, checksum};
        -- user_metadata, checksums: JSON objects (NULL when empty); restore: JSON object or NULL.
        CREATE TABLE objects (
            bucket              TEXT    NOT NULL REFERENCES buckets (name),
            object_key          TEXT    NOT NULL,
            size                INTEGER NOT NULL,
            etag                TEXT    NOT NULL,
            crc64               INTEGER NOT NULL,
            last_modified       INTEGER NOT NULL,
            storage_class       TEXT    NOT NULL,
            content_type        TEXT,
            cache_control       TEXT,
            content_disposition TEXT,
            content_encoding    TEXT,
            expires             TEXT,
            sse_mode            INTEGER NOT NULL,
            sse_sealed_key      BLOB,
            sse_kms_key_id      TEXT,
            sse_kms_context     TEXT,
            streams             TEXT    NOT NULL,
            user_metadata       TEXT,
            checksums           TEXT,
            restore             TEXT,
            PRIMARY KEY (bucket, object_key)
        ) STRICT, WITHOUT ROWID;

        -- Which object refers to which blob: the orphan sweep's source and the reference
        -- check that keeps a blob shared by two objects (a copy that re-seals only the key).
        CREATE TABLE object_blobs (
            blob_id    TEXT NOT NULL,
            bucket     TEXT NOT NULL,
            object_key TEXT NOT NULL,
            PRIMARY KEY (blob_id, bucket, object_key)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE kms_keys (
            key_id           TEXT    NOT NULL PRIMARY KEY,
            owner            TEXT    NOT NULL,
            created          INTEGER NOT NULL,
            description      TEXT    NOT NULL,
            state            TEXT    NOT NULL,
            manager          TEXT    NOT NULL,
            deletion_date    INTEGER,
            rotation_enabled INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX kms_keys_by_owner ON kms_keys (owner);

        CREATE TABLE kms_key_versions (
            key_id          TEXT    NOT NULL REFERENCES kms_keys (key_id) ON DELETE CASCADE,
            version         INTEGER NOT NULL,
            sealed_material BLOB    NOT NULL,
            created         INTEGER NOT NULL,
            PRIMARY KEY (key_id, version)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE kms_aliases (
            alias  TEXT NOT NULL PRIMARY KEY,
            key_id TEXT NOT NULL REFERENCES kms_keys (key_id),
            owner  TEXT NOT NULL
        ) STRICT;
        CREATE INDEX kms_aliases_by_owner ON kms_aliases (owner, alias);
        CREATE INDEX kms_aliases_by_key ON kms_aliases (key_id);
        """,

        // 2: multipart uploads in progress and their parts. An upload's encryption (mode and
        // sealed object key) is fixed at initiation; every part is its own sealed stream in its
        // own blob. Deleting a bucket drops its uploads (S3 allows that); their part blobs are
        // then orphans for the next orphan sweep.
        """
        CREATE TABLE multipart_uploads (
            upload_id           TEXT    NOT NULL PRIMARY KEY,
            bucket              TEXT    NOT NULL REFERENCES buckets (name) ON DELETE CASCADE,
            object_key          TEXT    NOT NULL,
            initiated           INTEGER NOT NULL,
            owner               TEXT    NOT NULL,
            storage_class       TEXT    NOT NULL,
            content_type        TEXT,
            cache_control       TEXT,
            content_disposition TEXT,
            content_encoding    TEXT,
            expires             TEXT,
            user_metadata       TEXT,
            sse_mode            INTEGER NOT NULL,
            sse_sealed_key      BLOB,
            sse_kms_key_id      TEXT,
            sse_kms_context     TEXT
        ) STRICT;
        -- Listing order: key (UTF-8 bytes), then upload id (ids sort in initiation order).
        CREATE UNIQUE INDEX multipart_uploads_by_key ON multipart_uploads (bucket, object_key, upload_id);

        -- md5: hex MD5 of the part's plaintext; etag: what UploadPart answered (unquoted).
        CREATE TABLE multipart_parts (
            upload_id       TEXT    NOT NULL REFERENCES multipart_uploads (upload_id) ON DELETE CASCADE,
            part_number     INTEGER NOT NULL,
            blob_id         TEXT    NOT NULL,
            plain_size      INTEGER NOT NULL,
            md5             TEXT    NOT NULL,
            etag            TEXT    NOT NULL,
            crc64           INTEGER NOT NULL,
            blob_size       INTEGER NOT NULL,
            blob_checksum   TEXT    NOT NULL,
            stream_identity TEXT    NOT NULL,
            last_modified   INTEGER NOT NULL,
            PRIMARY KEY (upload_id, part_number)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX multipart_parts_by_blob ON multipart_parts (blob_id);
        """,

        // 3: KMS key life. Rotation schedule and on-demand/automatic versions (ListKeyRotations);
        // progress of `coffer admin rekey`, so an interrupted run continues where it stopped.
        """
        ALTER TABLE kms_keys ADD COLUMN rotation_period_days INTEGER;
        ALTER TABLE kms_keys ADD COLUMN next_rotation INTEGER;
        ALTER TABLE kms_key_versions ADD COLUMN rotation_type TEXT;

        -- One row per rekey job, named by its parameters (bucket, prefix, from key, to key).
        -- last_key: the last object key handled; a new run resumes after it. failed: objects whose key
        -- could not be opened (their KMS key unusable, say), left as they were. completed: ticks, or
        -- NULL while a run is in progress or was interrupted.
        CREATE TABLE rekey_jobs (
            job_id      TEXT    NOT NULL PRIMARY KEY,
            bucket      TEXT    NOT NULL,
            prefix      TEXT    NOT NULL,
            from_key_id TEXT,
            to_key_id   TEXT    NOT NULL,
            last_key    TEXT,
            rekeyed     INTEGER NOT NULL,
            skipped     INTEGER NOT NULL,
            conflicts   INTEGER NOT NULL,
            failed      INTEGER NOT NULL,
            started     INTEGER NOT NULL,
            updated     INTEGER NOT NULL,
            completed   INTEGER
        ) STRICT;
        """,

        // 4: no plaintext MD5 of a part. multipart_parts.md5 held the hex MD5 of every part's
        // plaintext until Complete, SSE-C and SSE-KMS parts included: it tells whether two
        // encrypted parts are equal and confirms a guess of their content. Nothing needs it: a
        // part's ETag (etag) is what Complete checks and combines, and it already is the MD5 for
        // plain and SSE-COS parts and the keyed value (HMAC under the object key) for SSE-C and
        // SSE-KMS parts. Dropping the column rewrites every row without it; the migration runs
        // with secure_delete on and truncates the WAL afterwards (MigrateAsync), so the old
        // values are not left in freed pages or old page images either.
        """
        ALTER TABLE multipart_parts DROP COLUMN md5;
        """,

        // 5: owners are stable user ids, not names. Every user gets a random id (64 hex digits); the owner of
        // every bucket, KMS key, alias and multipart upload becomes its user's id, so a name removed and given
        // again does not inherit anything. A row whose owner no longer exists gets "gone-" + 32 random hex
        // digits (one per such name), which no user ever has. The SSE-COS key stays "coffer:service".
        // Aliases become per owner, as AWS aliases are per account: the key is (owner, alias).
        """
        ALTER TABLE users ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
        UPDATE users SET user_id = lower(hex(randomblob(32)));
        CREATE UNIQUE INDEX users_by_user_id ON users (user_id);

        CREATE TABLE owner_ids_v5 (name TEXT NOT NULL PRIMARY KEY, id TEXT NOT NULL) STRICT;
        INSERT INTO owner_ids_v5 (name, id) SELECT name, user_id FROM users;
        INSERT OR IGNORE INTO owner_ids_v5 (name, id)
            SELECT owner, 'gone-' || lower(hex(randomblob(16)))
            FROM (SELECT owner FROM buckets UNION SELECT owner FROM kms_keys
                  UNION SELECT owner FROM kms_aliases UNION SELECT owner FROM multipart_uploads)
            WHERE owner <> 'coffer:service';

        UPDATE buckets SET owner = (SELECT id FROM owner_ids_v5 WHERE name = buckets.owner);
        UPDATE multipart_uploads SET owner = (SELECT id FROM owner_ids_v5 WHERE name = multipart_uploads.owner);
        UPDATE kms_keys SET owner = (SELECT id FROM owner_ids_v5 WHERE name = kms_keys.owner) WHERE owner <> 'coffer:service';

        CREATE TABLE kms_aliases_v5 (
            owner  TEXT NOT NULL,
            alias  TEXT NOT NULL,
            key_id TEXT NOT NULL REFERENCES kms_keys (key_id),
            PRIMARY KEY (owner, alias)
        ) STRICT, WITHOUT ROWID;
        INSERT INTO kms_aliases_v5 (owner, alias, key_id)
            SELECT CASE WHEN a.owner = 'coffer:service' THEN a.owner ELSE (SELECT id FROM owner_ids_v5 WHERE name = a.owner) END,
                   a.alias, a.key_id
            FROM kms_aliases a;
        DROP TABLE kms_aliases;
        ALTER TABLE kms_aliases_v5 RENAME TO kms_aliases;
        CREATE INDEX kms_aliases_by_key ON kms_aliases (key_id);

        DROP TABLE owner_ids_v5;
        """,

        // 6: the blob ledger (IBlobLedger), so that garbage collection holds across processes and nodes.
        // blob_pending: blobs committed to the blob store that no object or part names yet; the transaction
        // that first names one deletes its row. expires: ticks after which its writer is presumed gone.
        // blob_reclaims: blobs of replaced and deleted objects (and of failed writes) waiting for their grace
        // period; not_before: ticks. The reclaimer deletes a due blob that nothing names, then its row.
        """
        CREATE TABLE blob_pending (
            blob_id TEXT    NOT NULL PRIMARY KEY,
            expires INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX blob_pending_by_expiry ON blob_pending (expires);

        CREATE TABLE blob_reclaims (
            blob_id    TEXT    NOT NULL PRIMARY KEY,
            not_before INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX blob_reclaims_by_time ON blob_reclaims (not_before);
        """,

        // 7: leases on background jobs (IJobLeases): one row per job; generation fences an older holder;
        // expires_at: ticks after which another node may take the job.
        """
        CREATE TABLE job_leases (
            name       TEXT    NOT NULL PRIMARY KEY,
            holder     TEXT    NOT NULL,
            generation INTEGER NOT NULL,
            expires_at INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        """,

        // 8: nothing. PostgreSQL's migration 8 adds the shared KMS audit log table; an embedded node keeps
        // its audit log in files in its data folder. The number keeps both schemas' versions equal.
        """
        SELECT 1;
        """,

        // 9: tags. objects.tags: the object's tag set as a JSON array of {k, v} in the order given (NULL when
        // none), part of the row, so an overwrite replaces it and a delete removes it; multipart_uploads.tags:
        // the tags given at initiation, which the object gets at completion; buckets.tags: the bucket's tag set
        // (NULL when none: GET ?tagging answers NoSuchTagSet).
        """
        ALTER TABLE objects ADD COLUMN tags TEXT;
        ALTER TABLE multipart_uploads ADD COLUMN tags TEXT;
        ALTER TABLE buckets ADD COLUMN tags TEXT;
        """,

        // 10: small objects inline. A single-stream object whose sealed stream is small keeps it in
        // inline_data (its streams entry then names the blob ""), so its PUT is one metadata commit.
        """
        ALTER TABLE objects ADD COLUMN inline_data BLOB;
        """,

        // 11: the saved state of resumable jobs (IJobLeases.SaveJobStateAsync): a scrub's cursor, counters and
        // findings, as JSON, so a scrub stopped or handed to another node continues where it was.
        """
        CREATE TABLE job_state (
            name    TEXT    NOT NULL PRIMARY KEY,
            state   TEXT    NOT NULL,
            updated INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        """,

        // 12: lifecycle. buckets.lifecycle: the bucket's lifecycle configuration as JSON (LifecycleJson; NULL when none:
        // GET ?lifecycle answers NoSuchLifecycleConfiguration). The partial index lets the lifecycle job page through
        // the buckets that have one without reading the others.
        """
        ALTER TABLE buckets ADD COLUMN lifecycle TEXT;
        CREATE INDEX buckets_with_lifecycle ON buckets (name) WHERE lifecycle IS NOT NULL;
        """,

        // 13: S3 multipart checksums (below), and completed multipart uploads, so a Complete repeated after it succeeded (a client retrying after a lost
        // answer) answers the same result instead of NoSuchUpload. One row per key: the last upload completed into it,
        // with the ETag and Last-Modified (ticks) of the object it made; it is replayed only while that object is
        // still the key's current one. Deleting the bucket drops its rows.
        """
        CREATE TABLE completed_uploads (
            upload_id     TEXT    NOT NULL PRIMARY KEY,
            bucket        TEXT    NOT NULL REFERENCES buckets (name) ON DELETE CASCADE,
            object_key    TEXT    NOT NULL,
            etag          TEXT    NOT NULL,
            last_modified INTEGER NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX completed_uploads_by_key ON completed_uploads (bucket, object_key);

        -- S3 multipart checksums: the algorithm and type given at initiation (NULL: none), and each part's
        -- checksum as verified when it was stored (its algorithm's S3 name and the base64 value).
        ALTER TABLE multipart_uploads ADD COLUMN checksum_algorithm TEXT;
        ALTER TABLE multipart_uploads ADD COLUMN checksum_type TEXT;
        ALTER TABLE multipart_parts ADD COLUMN checksum_algorithm TEXT;
        ALTER TABLE multipart_parts ADD COLUMN checksum TEXT;
        """,

        // 14: bucket policies. buckets.policy: the bucket policy's JSON exactly as the owner sent it (AWS or COS dialect;
        // NULL when none: GET ?policy answers NoSuchBucketPolicy). Read with the bucket row on every request.
        """
        ALTER TABLE buckets ADD COLUMN policy TEXT;
        """,

        // 15: ACLs,
        // Object Ownership and Block Public Access (docs/protocol/acl.md). buckets.acl, objects.acl, multipart_uploads.acl:
        // the ACL as JSON (AclJson; NULL: the default, owner FULL_CONTROL only; an object's also names its owner when that
        // is not the bucket owner); buckets.object_ownership: BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter
        // (NULL: none set); buckets.public_access_block: the four Block Public Access flags as bits (NULL: none set).
        // Existing buckets get none of them, so they keep answering their owner alone, as before.
        """
        ALTER TABLE buckets ADD COLUMN acl TEXT;
        ALTER TABLE buckets ADD COLUMN object_ownership TEXT;
        ALTER TABLE buckets ADD COLUMN public_access_block INTEGER;
        ALTER TABLE objects ADD COLUMN acl TEXT;
        ALTER TABLE multipart_uploads ADD COLUMN acl TEXT;
        """,

        // 16: CORS. buckets.cors: the bucket's CORS configuration as
        // JSON (CorsJson; NULL when none: GET ?cors answers NoSuchCORSConfiguration, a preflight is refused).
        """
        ALTER TABLE buckets ADD COLUMN cors TEXT;
        """,

        // 17: versioning (docs/protocol/versioning.md). buckets.versioning: 'Enabled' or 'Suspended' (NULL: never set).
        // objects stays each key's current version, so its reads and writes are the same one-row operations as before;
        // objects.version_id is its version id (NULL: the null version). object_versions holds the noncurrent versions
        // and delete markers with the full row, newest first by seq within a key (a delete marker that is a key's newest
        // version sits here while the key has no row in objects). object_blobs keeps naming every blob of every version.
        """
        ALTER TABLE buckets ADD COLUMN versioning TEXT;
        ALTER TABLE objects ADD COLUMN version_id TEXT;
        CREATE TABLE object_versions (
            bucket              TEXT    NOT NULL REFERENCES buckets (name),
            object_key          TEXT    NOT NULL,
            seq                 INTEGER NOT NULL,
            is_delete_marker    INTEGER NOT NULL,
            size                INTEGER NOT NULL,
            etag                TEXT    NOT NULL,
            crc64               INTEGER NOT NULL,
            last_modified       INTEGER NOT NULL,
            storage_class       TEXT    NOT NULL,
            content_type        TEXT,
            cache_control       TEXT,
            content_disposition TEXT,
            content_encoding    TEXT,
            expires             TEXT,
            sse_mode            INTEGER NOT NULL,
            sse_sealed_key      BLOB,
            sse_kms_key_id      TEXT,
            sse_kms_context     TEXT,
            streams             TEXT    NOT NULL,
            user_metadata       TEXT,
            checksums           TEXT,
            restore             TEXT,
            tags                TEXT,
            acl                 TEXT,
            version_id          TEXT,
            inline_data         BLOB,
            PRIMARY KEY (bucket, object_key, seq)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX object_versions_by_id ON object_versions (bucket, object_key, version_id);
        """,
    ];

    /// <summary>
    /// Every (table, column) that holds blob ids. The orphan sweep keeps a blob that any of
    /// them names, and the reclaimer does not delete one that is still named. A migration that
    /// adds such a table (multipart parts) appends it here; the column must lead an index.
    /// </summary>
    internal static readonly IReadOnlyList<(string Table, string Column)> BlobReferences =
    [
        ("object_blobs", "blob_id"),
        ("multipart_parts", "blob_id"),
    ];

    /// <summary>The version a fully migrated database has.</summary>
    internal static int LatestVersion => Migrations.Count;

    /// <summary>Creates <c>schema_version</c> if needed and applies the missing migrations in one transaction.</summary>
    internal static async Task MigrateAsync(SqliteConnection connection, CancellationToken ct)
    {
        // BEGIN IMMEDIATE: two processes opening a fresh database at once migrate one after the other.
        using var tx = connection.BeginTransaction(deferred: false);
        using (var create = connection.CreateCommand())
        {
            create.Transaction = tx;
            create.CommandText = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, applied INTEGER NOT NULL) STRICT;";
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        int current;
        using (var read = connection.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT coalesce(max(version), 0) FROM schema_version;";
            current = Convert.ToInt32(await read.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }

        if (current > LatestVersion)
        {
            throw new NotSupportedException(
                $"The metadata database has schema version {current}, newer than this program supports ({LatestVersion}). Run a newer Coffer.");
        }

        // What a migration removes (a scrubbed column, say) is zeroed, not merely unlinked.
        await PragmaAsync(connection, "PRAGMA secure_delete = ON;", ct).ConfigureAwait(false);
        for (var version = current + 1; version <= LatestVersion; version++)
        {
            using var migrate = connection.CreateCommand();
            migrate.Transaction = tx;
            migrate.CommandText = Migrations[version - 1];
            await migrate.ExecuteNonQueryAsync(ct).ConfigureAwait(false);

            using var record = connection.CreateCommand();
            record.Transaction = tx;
            record.CommandText = "INSERT INTO schema_version (version, applied) VALUES ($version, $applied);";
            record.Parameters.AddWithValue("$version", version);
            record.Parameters.AddWithValue("$applied", DateTimeOffset.UtcNow.UtcTicks);
            await record.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        tx.Commit();
        await PragmaAsync(connection, "PRAGMA secure_delete = OFF;", ct).ConfigureAwait(false);
        if (current < LatestVersion && current > 0)
        {
            // The WAL still holds page images from before the migration (with what it scrubbed):
            // copy the new pages into the database and cut the WAL to nothing. A reader in
            // another process can keep it from being truncated; the next checkpoint then reuses it.
            await PragmaAsync(connection, "PRAGMA wal_checkpoint(TRUNCATE);", ct).ConfigureAwait(false);
        }
    }

    private static async Task PragmaAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
