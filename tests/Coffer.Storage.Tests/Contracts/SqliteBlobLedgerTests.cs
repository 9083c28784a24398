namespace Coffer.Storage.Tests.Contracts;

/// <summary><see cref="BlobLedgerContract"/> on SQLite: two <see cref="SqliteMetadataStore"/> instances on one database file are two nodes.</summary>
public sealed class SqliteBlobLedgerTests : BlobLedgerContract
{
    private readonly TempDirectory _directory = new();

    protected override async Task<IMetadataBackend> OpenAsync() => await SqliteMetadataStore.OpenAsync(_directory.File("meta.db"));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}

/// <summary><see cref="JobLeaseContract"/> on SQLite: two <see cref="SqliteMetadataStore"/> instances on one database file are two nodes.</summary>
public sealed class SqliteJobLeaseTests : JobLeaseContract
{
    private readonly TempDirectory _directory = new();

    protected override async Task<IMetadataBackend> OpenAsync() => await SqliteMetadataStore.OpenAsync(_directory.File("meta.db"));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}
