using Amazon.S3.Model;
using Coffer.Storage.S3;

namespace Coffer.Storage.Tests;

/// <summary>Buckets of the test S3 store (<see cref="Engines"/>): a fresh one per test, emptied and removed afterwards.</summary>
internal static class S3TestBuckets
{
    /// <summary>Options for a new bucket with a random name on the configured endpoint.</summary>
    public static S3BlobStoreOptions Options(string prefix = "") => S3BlobStoreOptions.Parse(
        $"s3://coffer-test-{BlobIds.New()[..20]}?endpoint={Uri.EscapeDataString(Engines.S3Endpoint)}&prefix={Uri.EscapeDataString(prefix)}",
        Engines.S3AccessKey, Engines.S3SecretKey);

    /// <summary>Aborts the bucket's unfinished uploads, deletes its objects and the bucket, and disposes the store.</summary>
    public static async Task DropAsync(S3BlobStore store)
    {
        var client = store.Client;
        var bucket = store.Options.Bucket;
        try
        {
            var uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket });
            foreach (var upload in uploads.MultipartUploads ?? [])
                await client.AbortMultipartUploadAsync(bucket, upload.Key, upload.UploadId);
            var request = new ListObjectsV2Request { BucketName = bucket };
            ListObjectsV2Response page;
            do
            {
                page = await client.ListObjectsV2Async(request);
                foreach (var o in page.S3Objects ?? [])
                    await client.DeleteObjectAsync(bucket, o.Key);
                request.ContinuationToken = page.NextContinuationToken;
            }
            while (page.IsTruncated == true);
            await client.DeleteBucketAsync(bucket);
        }
        finally
        {
            store.Dispose();
        }
    }
}
