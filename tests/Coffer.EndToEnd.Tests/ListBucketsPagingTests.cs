using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>ListBuckets with S3's paging parameters (max-buckets, continuation-token, prefix) through AWSSDK.S3.</summary>
[Collection(CofferCollection.Name)]
public sealed class ListBucketsPagingTests(CofferFixture f)
{
    [Fact]
    public async Task Buckets_page_by_max_buckets_in_name_order_under_a_prefix_with_tokens_until_the_last_page()
    {
        using var s3 = Clients.S3(f);
        var prefix = $"lbp{Guid.NewGuid().ToString("N")[..10]}-";
        var names = new[] { "c", "a", "e", "b", "d" }.Select(n => prefix + n).ToList();
        foreach (var name in names)
            await s3.PutBucketAsync(name);

        var seen = new List<string>();
        var pages = 0;
        string? token = null;
        do
        {
            var page = await s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = 2, Prefix = prefix, ContinuationToken = token });
            Assert.Equal(prefix, page.Prefix);
            Assert.All(page.Buckets, b => Assert.Equal(CofferFixture.Region, b.BucketRegion));
            seen.AddRange(page.Buckets.Select(b => b.BucketName));
            token = page.ContinuationToken;
            pages++;
            Assert.Equal(pages < 3 ? 2 : 1, page.Buckets.Count);
        }
        while (token is not null);
        Assert.Equal(3, pages);
        Assert.Equal(names.Order(StringComparer.Ordinal), seen);

        // A page size beyond the count gives every bucket and no token; the prefix alone pages by 10,000.
        var all = await s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = 10_000, Prefix = prefix });
        Assert.Equal(5, all.Buckets.Count);
        Assert.Null(all.ContinuationToken);
        Assert.Equal(5, (await s3.ListBucketsAsync(new ListBucketsRequest { Prefix = prefix })).Buckets.Count);
        Assert.Empty((await s3.ListBucketsAsync(new ListBucketsRequest { Prefix = prefix + "z" })).Buckets ?? []);

        // Without parameters: the classic answer, every bucket and no paging elements.
        var classic = await s3.ListBucketsAsync();
        Assert.True(names.All(n => classic.Buckets.Any(b => b.BucketName == n)));
        Assert.Null(classic.ContinuationToken);
        Assert.Null(classic.Prefix);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public async Task Max_buckets_outside_1_to_10000_is_invalid_argument(int maxBuckets)
    {
        using var s3 = Clients.S3(f);
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = maxBuckets }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (e.StatusCode, e.ErrorCode));
    }

    [Fact]
    public async Task A_token_this_server_did_not_issue_is_invalid_argument()
    {
        using var s3 = Clients.S3(f);
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.ListBucketsAsync(new ListBucketsRequest { MaxBuckets = 1, ContinuationToken = "!!not base64!!" }));
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (e.StatusCode, e.ErrorCode));
    }
}
