using System.Net;
using Amazon.S3;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests.Attacks;

/// <summary>
/// A second user, with a good signature of his own, against every operation on the first user's
/// bucket, and against his own bucket naming her things (copy sources, upload ids).
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class CrossTenantTests(TenantsFixture t)
{
    public static TheoryData<string, Auth> OnAlice => Operations.EveryOperationEveryScheme(Operations.OnAlice);
    public static TheoryData<string, Auth> ReachThrough => Operations.EveryOperationEveryScheme(Operations.ReachThrough.Select(r => r.Row));

    [Theory]
    [MemberData(nameof(OnAlice))]
    public async Task Another_user_is_refused_every_operation_on_a_bucket_not_his(string operation, Auth auth)
    {
        var row = Operations.Row(operation);
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        using var response = await wire.SendAsync(row.Build(scene), t.Bob, auth);
        await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
        if (row.Writes)
            await scene.AssertIntactAsync(t);
    }

    [Theory]
    [MemberData(nameof(ReachThrough))]
    public async Task Another_user_cannot_reach_into_her_bucket_from_his_own(string operation, Auth auth)
    {
        var (row, status, code) = Operations.ReachThrough.Single(r => r.Row.Name == operation);
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        using var response = await wire.SendAsync(row.Build(scene), t.Bob, auth);
        await Expect.RefusedAsync(response, (HttpStatusCode)status, code);
        await scene.AssertIntactAsync(t);
        using var bob = t.S3(t.Bob);
        var listing = await bob.ListObjectsV2Async(new() { BucketName = scene.BobBucket });
        Assert.Empty(listing.S3Objects ?? []);
    }

    [Fact]
    public async Task Another_user_does_not_see_her_buckets_in_list_buckets()
    {
        var scene = await AttackScene.GetAsync(t);
        using var bob = t.S3(t.Bob);
        var names = (await bob.ListBucketsAsync()).Buckets?.Select(b => b.BucketName).ToList() ?? [];
        Assert.Contains(scene.BobBucket, names);
        Assert.DoesNotContain(scene.Bucket, names);

        using var wire = new Wire(t.Server);
        using var cos = await wire.SendAsync(new Req("GET", null), t.Bob, Auth.CosHeader);
        var xml = await cos.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, cos.StatusCode);
        Assert.Contains(scene.BobBucket, xml);
        Assert.DoesNotContain(scene.Bucket, xml);
    }

    [Fact]
    public async Task Paging_list_buckets_by_her_prefix_or_past_her_names_shows_another_user_nothing_of_hers()
    {
        var scene = await AttackScene.GetAsync(t);
        using var bob = t.S3(t.Bob);
        // Her bucket's own name as prefix, and a page that starts just before it (a forged continuation token).
        var byPrefix = await bob.ListBucketsAsync(new Amazon.S3.Model.ListBucketsRequest { Prefix = scene.Bucket, MaxBuckets = 1000 });
        Assert.Empty(byPrefix.Buckets ?? []);
        var before = scene.Bucket[..^1];
        var token = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(before)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var names = new List<string>();
        string? next = token;
        do
        {
            var page = await bob.ListBucketsAsync(new Amazon.S3.Model.ListBucketsRequest { MaxBuckets = 1, ContinuationToken = next });
            names.AddRange(page.Buckets?.Select(b => b.BucketName) ?? []);
            next = page.ContinuationToken;
        }
        while (next is not null);
        Assert.DoesNotContain(scene.Bucket, names);

        using var wire = new Wire(t.Server);
        using var cos = await wire.SendAsync(new Req("GET", null).With(("max-buckets", "1"), ("prefix", scene.Bucket)), t.Bob, Auth.CosHeader);
        Assert.Equal(HttpStatusCode.OK, cos.StatusCode);
        // The prefix is echoed (<Prefix>); no bucket of hers is named.
        Assert.DoesNotContain($"<Name>{scene.Bucket}</Name>", await cos.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(Auth.S3Header)]
    [InlineData(Auth.CosHeader)]
    public async Task Creating_a_bucket_under_her_name_is_refused_and_changes_no_owner(Auth auth)
    {
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        using var response = await wire.SendAsync(new Req("PUT", scene.Bucket), t.Bob, auth);
        await Expect.RefusedAsync(response, HttpStatusCode.Conflict, "BucketAlreadyExists");
        await scene.AssertIntactAsync(t);
    }

    [Fact]
    public async Task Her_temporary_credentials_do_not_work_with_his_session_token_and_the_reverse()
    {
        var services = t.Server.Server.Services;
        var root = Coffer.Server.Hosting.TemporaryCredentials.Issue(services.RootKey, t.Alice.AccessKey, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow);
        var bobs = Coffer.Server.Hosting.TemporaryCredentials.Issue(services.RootKey, t.Bob.AccessKey, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow);
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        var mixed = new Tenant("mixed", root.AccessKeyId, root.SecretKey);
        using var response = await wire.SendAsync(new Req("GET", scene.Bucket, AttackScene.Object).WithHeaders(("x-amz-security-token", bobs.Token)), mixed, Auth.S3Header);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(AttackScene.Content, await response.Content.ReadAsStringAsync());
    }
}
