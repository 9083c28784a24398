using Coffer.Storage.Postgres;
using Coffer.Storage.Tests.Contracts;

namespace Coffer.Storage.Tests;

public sealed class SqliteGarbageCollectionTests : GarbageCollectionContract
{
    private readonly TempDirectory _directory = new();

    protected override async Task<IMetadataBackend> OpenAsync() => await SqliteMetadataStore.OpenAsync(_directory.File("metadata.db"));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _directory.Dispose();
    }
}

[RequiresEngine(Engines.PostgresVariable)]
public sealed class PostgresGarbageCollectionTests(PostgresEngine engine) : GarbageCollectionContract, IClassFixture<PostgresEngine>
{
    protected override async Task<IMetadataBackend> OpenAsync()
    {
        await engine.ResetAsync();
        return await engine.OpenAsync();
    }
}
