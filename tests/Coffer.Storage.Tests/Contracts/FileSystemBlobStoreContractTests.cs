namespace Coffer.Storage.Tests.Contracts;

/// <summary>The blob store contract on the local filesystem.</summary>
public sealed class FileSystemBlobStoreContractTests : BlobStoreContract
{
    private readonly TempDirectory _root = new();

    protected override int MultipartThreshold => FileSystemBlobStore.WriteBufferSize;

    protected override Task<IBlobStore> OpenStoreAsync() => Task.FromResult<IBlobStore>(new FileSystemBlobStore(_root.Path));

    protected override Task CloseStoreAsync(IBlobStore store)
    {
        _root.Dispose();
        return Task.CompletedTask;
    }
}
