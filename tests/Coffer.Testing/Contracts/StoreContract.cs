using Coffer.Crypto.Kms;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// How a contract suite gets its store: an empty database per test, as many store instances on it as a test
/// wants (each one a node of its own), and a few engine-specific looks inside.
/// </summary>
public interface IStoreEngine<TStore>
{
    /// <summary>Makes the test's database empty (fresh, or with every table emptied).</summary>
    Task ResetAsync();

    /// <summary>A new store instance on the test's database: another node, with its own connections and gates.</summary>
    Task<TStore> OpenAsync();

    /// <summary>How many rows a table has.</summary>
    Task<long> CountRowsAsync(TStore store, string table);

    /// <summary>
    /// Opens a connection of its own to the test's database and holds a read snapshot taken now, as another node's
    /// long read would, until disposed.
    /// </summary>
    Task<IAsyncDisposable> HoldSnapshotAsync();

    /// <summary>
    /// Renames <paramref name="table"/> away until disposed, so every statement that reads it fails in the engine
    /// itself, as a backend that lost a table or its connection would.
    /// </summary>
    Task<IAsyncDisposable> HideTableAsync(string table);

    /// <summary>Whether the engine's files of the test's database (its write-ahead log included, after a checkpoint) hold <paramref name="bytes"/>.</summary>
    Task<bool> FilesContainAsync(byte[] bytes);

    /// <summary>Drops what <see cref="ResetAsync"/> made for the test.</summary>
    Task CleanupAsync();
}

/// <summary>
/// Base of the contract suites: the same tests for every engine, each engine's class saying only how to
/// make its store (<see cref="IStoreEngine{TStore}"/>). Tests are <see cref="ContractFactAttribute"/> /
/// <see cref="ContractTheoryAttribute"/>, so an engine that is not there is skipped (outside CI) by its class.
/// </summary>
public abstract class StoreContract<TStore>(IStoreEngine<TStore> engine) : IAsyncLifetime
    where TStore : class, IMetadataStore, IMultipartStore, IKmsKeyStore
{
    protected IStoreEngine<TStore> Engine { get; } = engine;

    internal TStore Store { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        await Engine.ResetAsync();
        Store = await Engine.OpenAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }
        await Engine.CleanupAsync();
    }

    /// <summary>Another node on the same database.</summary>
    internal Task<TStore> OpenSecondStoreAsync() => Engine.OpenAsync();

    internal Task<long> CountRowsAsync(string table) => Engine.CountRowsAsync(Store, table);

    internal Task<bool> CreateBucketAsync(string name, string owner = "alice") =>
        Store.CreateBucketAsync(new BucketRecord(name, owner, "ap-guangzhou", Sample.Instant));
}
