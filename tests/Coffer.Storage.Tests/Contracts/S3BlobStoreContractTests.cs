using Coffer.Storage.S3;

namespace Coffer.Storage.Tests.Contracts;

/// <summary>The blob store contract on an S3-compatible store (Ceph RGW in CI), each test in a bucket of its own.</summary>
[RequiresEngine(Engines.S3EndpointVariable, Engines.S3AccessKeyVariable, Engines.S3SecretKeyVariable)]
public sealed class S3BlobStoreContractTests : BlobStoreContract
{
    /// <summary>The smallest part S3 allows, so the large-blob test stays quick.</summary>
    protected override int MultipartThreshold => S3BlobStoreOptions.MinPartSize;

    protected override async Task<IBlobStore> OpenStoreAsync()
    {
        var store = new S3BlobStore(S3TestBuckets.Options() with { PartSize = S3BlobStoreOptions.MinPartSize });
        await store.CreateBucketIfMissingAsync();
        return store;
    }

    protected override Task CloseStoreAsync(IBlobStore store) => S3TestBuckets.DropAsync((S3BlobStore)store);
}
