using Coffer.Sdk.Tests.Infrastructure;
using Coffer.Sdk.Transfer;

namespace Coffer.Sdk.Tests;

/// <summary>Presigned URLs against the server, and the transfer manager's part-size arithmetic.</summary>
[Collection(ServerCollection.Name)]
public sealed class PresignAndPartSizeTests(ServerFixture fixture)
{
    [Theory]
    [InlineData(SignatureVersion.CosV5)]
    [InlineData(SignatureVersion.SigV4)]
    public async Task A_presigned_url_reads_and_writes_without_credentials(SignatureVersion signature)
    {
        using var client = fixture.Client(signature, Addressing.Path);
        string bucket = await fixture.CreateBucketAsync(client);
        using var http = new HttpClient(CosClient.CreateDefaultHandler(fixture.Config()));

        string putUrl = client.GetPresignedUrl("PUT", bucket, "shared 腾讯.txt", TimeSpan.FromMinutes(5));
        using (var put = await http.PutAsync(putUrl, new StringContent("presigned")))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        string getUrl = client.GetPresignedUrl("GET", bucket, "shared 腾讯.txt", TimeSpan.FromMinutes(5),
            new Dictionary<string, string> { ["response-content-type"] = "text/x-shared" });
        using var get = await http.GetAsync(getUrl);
        Assert.Equal("presigned", await get.Content.ReadAsStringAsync());
        Assert.Equal("text/x-shared", get.Content.Headers.ContentType!.ToString());
    }

    [Theory]
    [InlineData(5L * 1024 * 1024, 8L * 1024 * 1024, 8L * 1024 * 1024)]
    [InlineData(100L * 1024 * 1024 * 1024, 8L * 1024 * 1024, 11L * 1024 * 1024)]
    [InlineData(10_000L * 1024 * 1024, 1024 * 1024, 1024 * 1024)]
    [InlineData(10_001L * 1024 * 1024, 1024 * 1024, 2L * 1024 * 1024)]
    public void Upload_part_size_keeps_at_most_ten_thousand_parts(long size, long wanted, long expected)
    {
        long partSize = FileUploader.ChoosePartSize(size, wanted);
        Assert.Equal(expected, partSize);
        Assert.True((size + partSize - 1) / partSize <= 10_000);
    }
}
