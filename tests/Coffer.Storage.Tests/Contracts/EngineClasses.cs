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

public sealed class SqliteConditionalWriteTests() : ConditionalWriteContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresConditionalWriteTests(PostgresEngine engine) : ConditionalWriteContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteRekeyStoreTests() : RekeyStoreContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresRekeyStoreTests(PostgresEngine engine) : RekeyStoreContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteInlineObjectTests() : InlineObjectContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresInlineObjectTests(PostgresEngine engine) : InlineObjectContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteTaggingTests() : TaggingContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresTaggingTests(PostgresEngine engine) : TaggingContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteLifecycleTests() : LifecycleContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresLifecycleTests(PostgresEngine engine) : LifecycleContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqlitePolicyTests() : PolicyContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresPolicyTests(PostgresEngine engine) : PolicyContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteMetadataCallsTests() : MetadataCallsContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresMetadataCallsTests(PostgresEngine engine) : MetadataCallsContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;
public sealed class SqliteCorsTests() : CorsContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresCorsTests(PostgresEngine engine) : CorsContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

/// <summary><see cref="BlobLedgerContract"/> on PostgreSQL: two <see cref="PostgresMetadataStore"/> instances on one database are two nodes.</summary>
[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresBlobLedgerTests(PostgresEngine engine) : BlobLedgerContract, IClassFixture<PostgresEngine>
{
    protected override async Task<IMetadataBackend> OpenAsync() => await engine.OpenAsync();

    public override async Task InitializeAsync()
    {
        await engine.ResetAsync();
        await base.InitializeAsync();
    }
}

/// <summary><see cref="JobLeaseContract"/> on PostgreSQL: two <see cref="PostgresMetadataStore"/> instances on one database are two nodes.</summary>
[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresJobLeaseTests(PostgresEngine engine) : JobLeaseContract, IClassFixture<PostgresEngine>
{
    protected override async Task<IMetadataBackend> OpenAsync() => await engine.OpenAsync();

    public override async Task InitializeAsync()
    {
        await engine.ResetAsync();
        await base.InitializeAsync();
    }
}

/// <summary><see cref="KmsAuditStoreContract"/> on PostgreSQL (SQLite has no shared audit log: an embedded node keeps files).</summary>
[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresKmsAuditStoreTests(PostgresEngine engine) : KmsAuditStoreContract, IClassFixture<PostgresEngine>
{
    protected override async Task<IMetadataBackend> OpenAsync() => await engine.OpenAsync();

    public override async Task InitializeAsync()
    {
        await engine.ResetAsync();
        await base.InitializeAsync();
    }
}

public sealed class SqliteAccessControlTests() : AccessControlContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresAccessControlTests(PostgresEngine engine) : AccessControlContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;

public sealed class SqliteVersioningTests() : VersioningContract<SqliteMetadataStore>(new SqliteEngine());

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresVersioningTests(PostgresEngine engine) : VersioningContract<PostgresMetadataStore>(engine), IClassFixture<PostgresEngine>;
