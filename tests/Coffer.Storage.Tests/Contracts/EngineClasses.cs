using Coffer.Storage.Postgres;

namespace Coffer.Storage.Tests.Contracts;

// Each contract suite once per engine: the classes only say which store to make. The PostgreSQL classes
// get one database per class (PostgresEngine, their class fixture) and are skipped outside CI without it.

public sealed class SqliteUserAndBucketTests() : UserAndBucketContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresUserAndBucketTests(PostgresEngine engine) : UserAndBucketContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteObjectTests() : ObjectContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresObjectTests(PostgresEngine engine) : ObjectContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteListingTests() : ListingContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresListingTests(PostgresEngine engine) : ListingContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteCopyAndRestoreTests() : CopyAndRestoreContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresCopyAndRestoreTests(PostgresEngine engine) : CopyAndRestoreContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteMultipartStoreTests() : MultipartStoreContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresMultipartStoreTests(PostgresEngine engine) : MultipartStoreContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteKmsKeyStoreTests() : KmsKeyStoreContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresKmsKeyStoreTests(PostgresEngine engine) : KmsKeyStoreContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteConcurrencyContractTests() : ConcurrencyContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresConcurrencyTests(PostgresEngine engine) : ConcurrencyContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteRekeyStoreTests() : RekeyStoreContract<SqliteMetadataStore>(new SqliteEngine())
{
    protected override Task<bool> TryReplaceObjectEncryptionAsync(SqliteMetadataStore store, string bucket, string key, byte[] expectedSealedKey,
        ObjectEncryption replacement, RekeyJobRecord? progress = null) =>
        store.TryReplaceObjectEncryptionAsync(bucket, key, expectedSealedKey, replacement, progress);

    protected override Task<RekeyJobRecord?> GetRekeyJobAsync(SqliteMetadataStore store, string jobId) => store.GetRekeyJobAsync(jobId);

    protected override Task SaveRekeyJobAsync(SqliteMetadataStore store, RekeyJobRecord job) => store.SaveRekeyJobAsync(job);
}

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresRekeyStoreTests(PostgresEngine engine) : RekeyStoreContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>
{
    protected override Task<bool> TryReplaceObjectEncryptionAsync(PostgresMetadataStore store, string bucket, string key, byte[] expectedSealedKey,
        ObjectEncryption replacement, RekeyJobRecord? progress = null) =>
        store.TryReplaceObjectEncryptionAsync(bucket, key, expectedSealedKey, replacement, progress);

    protected override Task<RekeyJobRecord?> GetRekeyJobAsync(PostgresMetadataStore store, string jobId) => store.GetRekeyJobAsync(jobId);

    protected override Task SaveRekeyJobAsync(PostgresMetadataStore store, RekeyJobRecord job) => store.SaveRekeyJobAsync(job);
}
