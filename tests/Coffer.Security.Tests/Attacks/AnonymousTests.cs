using System.Net;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests.Attacks;

/// <summary>Every operation without any signature: path style, and COS host with the empty Authorization header the COS Python SDK sends.</summary>
[Collection(TenantsCollection.Name)]
public sealed class AnonymousTests(TenantsFixture t)
{
    public static TheoryData<string, Auth> Rows()
    {
        var data = new TheoryData<string, Auth>();
        foreach (var row in Operations.OnAlice)
            foreach (var auth in new[] { Auth.None, Auth.NoneCos })
                data.Add(row.Name, auth);
        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task An_anonymous_caller_is_refused_every_operation(string operation, Auth auth)
    {
        var row = Operations.Row(operation);
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        using var response = await wire.SendAsync(row.Build(scene), signer: null, auth);
        await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
        if (row.Writes)
            await scene.AssertIntactAsync(t);
    }

    [Theory]
    [InlineData(Auth.None)]
    [InlineData(Auth.NoneCos)]
    public async Task An_anonymous_caller_cannot_list_buckets(Auth auth)
    {
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        using var response = await wire.SendAsync(new Req("GET", null), signer: null, auth);
        await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
        Assert.DoesNotContain(scene.Bucket, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(Auth.None, "GET")]
    [InlineData(Auth.None, "PUT")]
    [InlineData(Auth.NoneCos, "HEAD")]
    public async Task An_anonymous_caller_learns_nothing_of_which_buckets_exist(Auth auth, string method)
    {
        // A missing bucket and another user's bucket answer alike: the same refusal, never NoSuchBucket.
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        foreach (var bucket in new[] { scene.Bucket, "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8] })
        {
            using var response = await wire.SendAsync(new Req(method, bucket, "k"), signer: null, auth);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            if (method != "HEAD")
                await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
        }
    }
}
