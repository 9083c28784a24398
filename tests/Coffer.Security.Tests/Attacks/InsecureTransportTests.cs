using System.Net;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests.Attacks;

/// <summary>
/// Requests that carry or return key material — SSE-C keys, SSE-KMS — are refused on the plain
/// HTTP listener, signed by the owner, before anything is read or written.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class InsecureTransportTests(TenantsFixture t)
{
    public static TheoryData<string, Auth> Rows => Operations.EveryOperationEveryScheme(Operations.OnAlice.Where(r => r.SecureOnly));

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Key_carrying_requests_over_plain_http_are_refused(string operation, Auth auth)
    {
        var row = Operations.Row(operation);
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        using var response = await wire.SendAsync(row.Build(scene), t.Alice, auth, https: false);
        await Expect.RefusedAsync(response, HttpStatusCode.BadRequest, "InvalidRequest", "InvalidArgument");
        Assert.Contains("HTTPS", await response.Content.ReadAsStringAsync());
        await scene.AssertIntactAsync(t);
    }
}
