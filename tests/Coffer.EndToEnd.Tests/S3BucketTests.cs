using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

[Collection(CofferCollection.Name)]
public sealed class S3BucketTests(CofferFixture f)
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task Bucket_lifecycle_works_over_every_addressing_and_scheme(bool https, bool virtualHosted)
    {
        using var s3 = Clients.S3(f, https, virtualHosted);
        var bucket = CofferFixture.NewBucket();
        await s3.PutBucketAsync(bucket);

        var list = await s3.ListBucketsAsync();
        Assert.Contains(list.Buckets, b => b.BucketName == bucket);
        var location = await s3.GetBucketLocationAsync(bucket);
        Assert.True(string.IsNullOrEmpty(location.Location.Value) || location.Location.Value == "us-east-1");

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "v" });
        var notEmpty = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.DeleteBucketAsync(bucket));
        Assert.Equal("BucketNotEmpty", notEmpty.ErrorCode);
        Assert.Equal(HttpStatusCode.Conflict, notEmpty.StatusCode);

        await s3.DeleteObjectAsync(bucket, "k");
        await s3.DeleteBucketAsync(bucket);
        var missing = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "k"));
        Assert.Equal("NoSuchBucket", missing.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Creating_an_existing_bucket_says_who_owns_it()
    {
        using var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket();
        await s3.PutBucketAsync(bucket);
        var again = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync(bucket));
        Assert.Equal("BucketAlreadyOwnedByYou", again.ErrorCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Upper-Case")]
    [InlineData("under_score")]
    [InlineData("-starts-with-dash")]
    [InlineData("ends-with-dash-")]
    [InlineData("two..dots")]
    [InlineData("192.168.1.1")]
    public async Task Bad_bucket_names_are_refused_and_nothing_is_created(string name)
    {
        using var http = Clients.Http(f, f.HttpUrl.Port);
        using var s3 = Clients.S3(f);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.PutBucketAsync(new PutBucketRequest { BucketName = name }));
        Assert.Equal("InvalidBucketName", e.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        var list = await s3.ListBucketsAsync();
        Assert.DoesNotContain(list.Buckets ?? [], b => b.BucketName == name);
    }

    [Fact]
    public async Task Another_users_bucket_is_refused_and_not_listed()
    {
        var (ak, sk) = (await Coffer.Server.Hosting.Credentials.AddUserAsync(f.Server.Services.Store, f.Server.Services.RootKey, "other-" + Guid.NewGuid().ToString("N")[..8]))!.Value;
        using var root = Clients.S3(f);
        using var other = Clients.S3(f, accessKey: ak, secretKey: sk);
        var bucket = CofferFixture.NewBucket();
        await root.PutBucketAsync(bucket);

        var denied = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => other.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "x", ContentBody = "y" }));
        Assert.Equal("AccessDenied", denied.ErrorCode);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        var listed = await other.ListBucketsAsync();
        Assert.DoesNotContain(listed.Buckets ?? [], b => b.BucketName == bucket);
        var taken = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => other.PutBucketAsync(bucket));
        Assert.Equal("BucketAlreadyExists", taken.ErrorCode);
    }

    [Fact]
    public async Task Head_of_a_missing_bucket_is_404()
    {
        using var http = Clients.Http(f, f.HttpUrl.Port);
        using var s3 = Clients.S3(f);
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetBucketLocationAsync("no-such-bucket-" + Guid.NewGuid().ToString("N")[..8]));
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Equal("NoSuchBucket", e.ErrorCode);
    }

    [Fact]
    public async Task Health_answers_without_credentials()
    {
        using var http = Clients.Http(f, f.HttpUrl.Port);
        var response = await http.GetAsync(new Uri(f.HttpUrl, "/_coffer/health"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
