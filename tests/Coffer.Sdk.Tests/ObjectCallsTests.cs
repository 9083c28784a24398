using Coffer.Sdk.Tests.Infrastructure;
using static Coffer.Sdk.Tests.Infrastructure.TestData;

namespace Coffer.Sdk.Tests;

/// <summary>GetObjectAttributesAsync, paged ListBucketsAsync and parts that repeat an SSE-KMS upload's headers, with both signatures.</summary>
[Collection(ServerCollection.Name)]
public sealed class ObjectCallsTests(ServerFixture fixture)
{
    public static TheoryData<SignatureVersion> Signatures => new() { SignatureVersion.CosV5, SignatureVersion.SigV4 };

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Get_object_attributes_answers_what_was_asked_for_plain_and_multipart_objects(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var put = await client.PutObjectAsync(bucket, "k", "hello world");

        var request = new GetObjectAttributesRequest { Bucket = bucket, Key = "k" };
        foreach (var name in new[] { "ETag", "ObjectSize", "StorageClass", "ObjectParts" })
            request.ObjectAttributes.Add(name);
        var attributes = await client.GetObjectAttributesAsync(request);
        Assert.Equal(put.ETag!.Trim('"'), attributes.ETag);
        Assert.Equal(11, attributes.ObjectSize);
        Assert.Equal("STANDARD", attributes.StorageClass);
        Assert.Null(attributes.ObjectParts);
        Assert.NotNull(attributes.LastModified);

        var init = await client.CreateMultipartUploadAsync(new CreateMultipartUploadRequest { Bucket = bucket, Key = "mp" });
        var complete = new CompleteMultipartUploadRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId };
        foreach (var (number, size) in new[] { (1, MiB), (2, 5) })
        {
            var part = await client.UploadPartAsync(new UploadPartRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = number, Body = Bytes(size, number) });
            complete.Parts.Add(new CompletedPart(number, part.ETag!));
        }
        await client.CompleteMultipartUploadAsync(complete);
        var partsRequest = new GetObjectAttributesRequest { Bucket = bucket, Key = "mp", MaxParts = 1 };
        partsRequest.ObjectAttributes.Add("ObjectParts");
        var page = (await client.GetObjectAttributesAsync(partsRequest)).ObjectParts;
        Assert.NotNull(page);
        Assert.Equal((2, true, 1), (page.PartsCount, page.IsTruncated, page.NextPartNumberMarker));
        Assert.Equal([new ObjectPartInfo(1, MiB)], page.Parts);
        partsRequest.PartNumberMarker = 1;
        Assert.Equal([new ObjectPartInfo(2, 5)], (await client.GetObjectAttributesAsync(partsRequest)).ObjectParts!.Parts);

        var missing = await Assert.ThrowsAsync<CofferException>(() => client.GetObjectAttributesAsync(new GetObjectAttributesRequest { Bucket = bucket, Key = "missing", ObjectAttributes = { "ETag" } }));
        Assert.Equal((ErrorCodes.NoSuchKey, 404), (missing.Code, missing.StatusCode));
        var unknown = await Assert.ThrowsAsync<CofferException>(() => client.GetObjectAttributesAsync(new GetObjectAttributesRequest { Bucket = bucket, Key = "k", ObjectAttributes = { "Owner" } }));
        Assert.Equal((ErrorCodes.InvalidArgument, 400), (unknown.Code, unknown.StatusCode));
    }

    [Fact]
    public async Task Get_object_attributes_of_an_sse_c_object_needs_its_key()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        await client.PutObjectAsync(bucket, "c", "secret", KeyA);
        var request = new GetObjectAttributesRequest { Bucket = bucket, Key = "c", CustomerKey = KeyA, ObjectAttributes = { "ObjectSize" } };
        Assert.Equal(6, (await client.GetObjectAttributesAsync(request)).ObjectSize);
        request.CustomerKey = KeyB;
        Assert.Equal(403, (await Assert.ThrowsAsync<CofferException>(() => client.GetObjectAttributesAsync(request))).StatusCode);
        request.CustomerKey = null;
        Assert.Equal(400, (await Assert.ThrowsAsync<CofferException>(() => client.GetObjectAttributesAsync(request))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task List_buckets_pages_with_max_buckets_and_a_prefix(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        var prefix = "pg" + Guid.NewGuid().ToString("N")[..8];
        var names = Enumerable.Range(0, 3).Select(i => $"{prefix}{i}-1250000000").ToList();
        foreach (var name in names)
            await client.CreateBucketAsync(name);

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await client.ListBucketsAsync(maxBuckets: 2, continuationToken: token, prefix: prefix);
            Assert.Equal(prefix, page.Prefix);
            Assert.True(page.Buckets.Count <= 2);
            seen.AddRange(page.Buckets.Select(b => b.Name));
            token = page.ContinuationToken;
        }
        while (token is not null);
        Assert.Equal(names, seen);

        var bad = await Assert.ThrowsAsync<CofferException>(() => client.ListBucketsAsync(maxBuckets: 0));
        Assert.Equal((ErrorCodes.InvalidArgument, 400), (bad.Code, bad.StatusCode));
        Assert.Contains(names[0], (await client.ListBucketsAsync()).Buckets.Select(b => b.Name));
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Parts_may_repeat_the_uploads_own_sse_kms_headers_but_not_other_ones(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        using var kms = new KmsClient(fixture.Config());
        var key = (await kms.CreateKeyAsync("parts")).KeyId;
        var other = (await kms.CreateKeyAsync("another")).KeyId;
        var init = await client.CreateMultipartUploadAsync(new CreateMultipartUploadRequest { Bucket = bucket, Key = "mp", Sse = Sse.Kms(key) });
        var family = signature == SignatureVersion.SigV4 ? "x-amz-" : "x-cos-";
        var keyIdHeader = signature == SignatureVersion.SigV4 ? "x-amz-server-side-encryption-aws-kms-key-id" : "x-cos-server-side-encryption-cos-kms-key-id";
        var mode = signature == SignatureVersion.SigV4 ? "aws:kms" : "cos/kms";

        UploadPartRequest Part(int number, string keyId) => new()
        {
            Bucket = bucket,
            Key = "mp",
            UploadId = init.UploadId,
            PartNumber = number,
            Body = Bytes(10, number),
            Headers = { [family + "server-side-encryption"] = mode, [keyIdHeader] = keyId },
        };
        var same = await client.UploadPartAsync(Part(1, key));
        Assert.False(string.IsNullOrEmpty(same.ETag));
        var arn = await client.UploadPartAsync(Part(2, $"arn:aws:kms:{ServerFixture.Region}:000000000000:key/{key}"));
        Assert.False(string.IsNullOrEmpty(arn.ETag));

        var refused = await Assert.ThrowsAsync<CofferException>(() => client.UploadPartAsync(Part(3, other)));
        Assert.Equal((ErrorCodes.InvalidArgument, 400), (refused.Code, refused.StatusCode));
        var parts = await client.ListPartsAsync(new ListPartsRequest { Bucket = bucket, Key = "mp", UploadId = init.UploadId });
        Assert.Equal([1, 2], parts.Parts.Select(p => p.PartNumber));
    }
}
