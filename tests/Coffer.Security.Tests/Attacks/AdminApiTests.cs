using System.Net;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests.Attacks;

/// <summary>
/// The admin API beyond the attack tables (which send every admin row as bob, anonymously, forged, presigned and with
/// unsigned additions): the root user itself over plain HTTP, root's own temporary credentials, and the admin path on
/// a virtual-hosted bucket, where it is an object key like any other.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class AdminApiTests(TenantsFixture t)
{
    public static TheoryData<string, Auth> HeaderSigned()
    {
        var data = new TheoryData<string, Auth>();
        foreach (var row in Operations.AdminCalls)
            foreach (var auth in new[] { Auth.S3Header, Auth.CosHeader })
                data.Add(row.Name, auth);
        return data;
    }

    [Theory]
    [MemberData(nameof(HeaderSigned))]
    public async Task The_root_user_is_refused_every_admin_call_over_plain_http(string operation, Auth auth)
    {
        var row = Operations.Row(operation);
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        using var response = await wire.SendAsync(row.Build(scene), t.Root, auth, https: false);
        await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("HTTPS", body);
        Assert.DoesNotContain("sessionToken", body);
        await scene.AssertIntactAsync(t);
    }

    [Theory]
    [MemberData(nameof(HeaderSigned))]
    public async Task Root_temporary_credentials_are_refused_every_admin_call(string operation, Auth auth)
    {
        var row = Operations.Row(operation);
        var scene = await AttackScene.GetAsync(t);
        var services = t.Server.Server.Services;
        var issued = Coffer.Server.Hosting.TemporaryCredentials.Issue(services.RootKey, t.Root.AccessKey, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow);
        var tokenHeader = Wire.IsCos(auth) ? "x-cos-security-token" : "x-amz-security-token";
        using var wire = new Wire(t.Server);
        using var response = await wire.SendAsync(row.Build(scene).WithHeaders((tokenHeader, issued.Token)),
            new Tenant("root-temporary", issued.AccessKeyId, issued.SecretKey), auth);
        await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
        await scene.AssertIntactAsync(t);
    }

    [Fact]
    public async Task On_a_virtual_hosted_bucket_the_admin_path_is_an_object_key()
    {
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        var key = "_coffer/admin/users";
        using (var put = await wire.SendAsync(new Req("PUT", scene.BobBucket, key) { Body = "just an object"u8.ToArray() }, t.Bob, Auth.CosHeader))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var get = await wire.SendAsync(new Req("GET", scene.BobBucket, key), t.Bob, Auth.CosHeader);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("just an object", await get.Content.ReadAsStringAsync());
        using var delete = await wire.SendAsync(new Req("DELETE", scene.BobBucket, key), t.Bob, Auth.CosHeader);
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
    }
}
