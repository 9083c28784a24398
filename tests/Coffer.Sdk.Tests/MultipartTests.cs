using Coffer.Protocol.Checksums;
using Coffer.Sdk.Tests.Infrastructure;
using static Coffer.Sdk.Tests.Infrastructure.TestData;

namespace Coffer.Sdk.Tests;

/// <summary>The multipart primitives, one call at a time.</summary>
[Collection(ServerCollection.Name)]
public sealed class MultipartTests(ServerFixture fixture)
{
    [Theory]
    [InlineData(SignatureVersion.CosV5)]
    [InlineData(SignatureVersion.SigV4)]
    public async Task Initiate_upload_list_complete_round_trip_with_sse_c(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var init = await client.CreateMultipartUploadAsync(new CreateMultipartUploadRequest { Bucket = bucket, Key = "mp", CustomerKey = KeyA, ContentType = "application/x-mp" });
        Assert.False(string.IsNullOrEmpty(init.UploadId));
        Assert.Equal("AES256", init.SseCustomerAlgorithm);

        var uploads = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { Bucket = bucket, Prefix = "mp" });
        Assert.Equal(init.UploadId, Assert.Single(uploads.Uploads).UploadId);

        byte[] one = Bytes(MiB, 1), two = Bytes(1000, 2);
        var p1 = await client.UploadPartAsync(new UploadPartRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, Body = one, CustomerKey = KeyA, EnableMD5 = true });
        var p2 = await client.UploadPartAsync(new UploadPartRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 2, Body = two, CustomerKey = KeyA });
        Assert.Equal(Crc64Xz.Compute(one), p1.Crc64);
        var noKey = await Assert.ThrowsAsync<CofferException>(() => client.UploadPartAsync(new UploadPartRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 3, Body = two }));
        Assert.Equal(400, noKey.StatusCode);

        var parts = await client.ListPartsAsync(new ListPartsRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId, MaxParts = 1 });
        Assert.True(parts.IsTruncated);
        Assert.Equal(1, Assert.Single(parts.Parts).PartNumber);
        var all = await client.ListAllPartsAsync(bucket, "mp", init.UploadId);
        Assert.Equal([1, 2], all.Select(p => p.PartNumber));
        Assert.Equal(p1.ETag, all[0].ETag);

        var complete = new CompleteMultipartUploadRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId };
        complete.Parts.Add(new CompletedPart(2, p2.ETag!));
        complete.Parts.Add(new CompletedPart(1, p1.ETag!));
        var done = await client.CompleteMultipartUploadAsync(complete);
        Assert.NotNull(done.ETag);
        Assert.Equal("AES256", done["x-cos-server-side-encryption-customer-algorithm"]);
        byte[] whole = [.. one, .. two];
        Assert.Equal(Crc64Xz.Compute(whole), done.Crc64);
        Assert.Equal(whole, await ReadAsync(client, bucket, "mp", KeyA));
    }

    [Fact]
    public async Task Plain_part_etags_are_the_md5_and_abort_forgets_the_upload()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        var init = await client.CreateMultipartUploadAsync(new CreateMultipartUploadRequest { Bucket = bucket, Key = "a" });
        var part = await client.UploadPartAsync(new UploadPartRequest { Bucket = bucket, Key = "a", UploadId = init.UploadId, PartNumber = 1, Body = "[Object Part]" });
        Assert.Equal("\"108f528eb63b65e734f27ae331f5ffaa\"", part.ETag);
        Assert.Equal(4510578591875220731UL, part.Crc64);
        await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { Bucket = bucket, Key = "a", UploadId = init.UploadId });
        var e = await Assert.ThrowsAsync<CofferException>(() => client.ListPartsAsync(new ListPartsRequest { Bucket = bucket, Key = "a", UploadId = init.UploadId }));
        Assert.Equal(ErrorCodes.NoSuchUpload, e.Code);
    }

    [Fact]
    public async Task Upload_part_copy_reads_a_range_of_an_sse_c_source_into_a_kms_upload()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        var data = Bytes(2 * MiB + 10);
        await client.PutObjectAsync(bucket, "src", data, KeyA);
        var init = await client.CreateMultipartUploadAsync(new CreateMultipartUploadRequest { Bucket = bucket, Key = "dst", Sse = Sse.Kms() });
        var p1 = await client.UploadPartCopyAsync(new UploadPartCopyRequest
        {
            Bucket = bucket,
            Key = "dst",
            UploadId = init.UploadId,
            PartNumber = 1,
            CopySource = new CopySource(bucket, "src"),
            CopySourceRange = $"bytes=0-{MiB - 1}",
            CopySourceCustomerKey = KeyA,
        });
        var p2 = await client.UploadPartCopyAsync(new UploadPartCopyRequest
        {
            Bucket = bucket,
            Key = "dst",
            UploadId = init.UploadId,
            PartNumber = 2,
            CopySource = new CopySource(bucket, "src"),
            CopySourceRange = $"bytes={MiB}-{data.Length - 1}",
            CopySourceCustomerKey = KeyA,
        });
        var complete = new CompleteMultipartUploadRequest { Bucket = bucket, Key = "dst", UploadId = init.UploadId };
        complete.Parts.Add(new CompletedPart(1, p1.ETag!));
        complete.Parts.Add(new CompletedPart(2, p2.ETag!));
        await client.CompleteMultipartUploadAsync(complete);
        Assert.Equal(data, await ReadAsync(client, bucket, "dst"));
    }
}
