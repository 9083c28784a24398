namespace Coffer.Storage.Tests;

/// <summary>Base of tests that use one SQLite metadata store in a temp directory.</summary>
public abstract class MetadataStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();

    internal SqliteMetadataStore Store { get; private set; } = null!;

    internal string DatabasePath => _directory.File("metadata.db");

    public virtual async Task InitializeAsync() => Store = await SqliteMetadataStore.OpenAsync(DatabasePath);

    public virtual async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        _directory.Dispose();
    }

    internal Task<bool> CreateBucketAsync(string name, string owner = "alice") =>
        Store.CreateBucketAsync(new BucketRecord(name, owner, "ap-guangzhou", Sample.Instant));
}
