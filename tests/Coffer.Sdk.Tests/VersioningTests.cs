using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>Bucket versioning through the SDK against a real server, with both signatures (docs/protocol/versioning.md).</summary>
[Collection(ServerCollection.Name)]
public sealed class VersioningTests(ServerFixture fixture)
{
    public static TheoryData<SignatureVersion> Signatures => new() { SignatureVersion.CosV5, SignatureVersion.SigV4 };

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task Versions_are_written_read_listed_copied_and_deleted_by_id(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        Assert.Null((await client.GetBucketVersioningAsync(bucket)).Status);
        await client.PutBucketVersioningAsync(bucket, "Enabled");
        Assert.Equal("Enabled", (await client.GetBucketVersioningAsync(bucket)).Status);
        var bad = await Assert.ThrowsAsync<CofferException>(() => client.PutBucketVersioningAsync(bucket, "Off"));
        Assert.Equal(("IllegalVersioningConfigurationException", 400), (bad.Code, bad.StatusCode));

        var v1 = (await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "k", Body = "one" })).VersionId;
        var v2 = (await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "k", Body = "two" })).VersionId;
        Assert.NotNull(v1);
        Assert.NotEqual(v1, v2);
        await using (var get = await client.GetObjectAsync(new GetObjectRequest { Bucket = bucket, Key = "k", VersionId = v1 }))
            Assert.Equal("one", await get.ReadAsStringAsync());
        Assert.Equal(v1, (await client.HeadObjectAsync(new HeadObjectRequest { Bucket = bucket, Key = "k", VersionId = v1 })).VersionId);

        await client.CopyObjectAsync(new CopyObjectRequest { Bucket = bucket, Key = "copy", CopySource = new CopySource(bucket, "k", VersionId: v1) });
        await using (var get = await client.GetObjectAsync(bucket, "copy"))
            Assert.Equal("one", await get.ReadAsStringAsync());

        var deleted = await client.DeleteObjectAsync(bucket, "k");
        Assert.True(deleted.DeleteMarker);
        var page = await client.ListObjectVersionsAsync(new ListObjectVersionsRequest { Bucket = bucket, Prefix = "k", MaxKeys = 2 });
        Assert.True(page.IsTruncated);
        Assert.Equal([(deleted.VersionId!, true, true), (v2!, false, false)], page.Versions.Select(v => (v.VersionId, v.IsDeleteMarker, v.IsLatest)));
        var rest = await client.ListObjectVersionsAsync(new ListObjectVersionsRequest { Bucket = bucket, Prefix = "k", KeyMarker = page.NextKeyMarker, VersionIdMarker = page.NextVersionIdMarker });
        Assert.Equal([v1!], rest.Versions.Select(v => v.VersionId));
        Assert.False(rest.IsTruncated);

        await client.DeleteObjectAsync(new DeleteObjectRequest { Bucket = bucket, Key = "k", VersionId = deleted.VersionId });
        await using (var get = await client.GetObjectAsync(bucket, "k"))
            Assert.Equal("two", await get.ReadAsStringAsync());
        await client.DeleteObjectAsync(new DeleteObjectRequest { Bucket = bucket, Key = "k", VersionId = v2 });
        await using (var get = await client.GetObjectAsync(bucket, "k"))
            Assert.Equal("one", await get.ReadAsStringAsync());
        var gone = await Assert.ThrowsAsync<CofferException>(() => client.HeadObjectAsync(new HeadObjectRequest { Bucket = bucket, Key = "k", VersionId = v2 }));
        Assert.Equal(404, gone.StatusCode);
    }
}
