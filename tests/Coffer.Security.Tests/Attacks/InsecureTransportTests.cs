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
        var body = await response.Content.ReadAsStringAsync();
        if (Wire.IsV2(auth) && Wire.V2CannotSign(row.Build(scene)))
        {
            // SigV2 cannot sign ?attributes: refused before transport is looked at.
            await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
            Assert.Contains("Signature Version 2 does not sign", body);
        }
        else
        {
            await Expect.RefusedAsync(response, HttpStatusCode.BadRequest, "InvalidRequest", "InvalidArgument");
            // SSE-KMS under SigV2 is refused for its signature (S3's answer) before its transport.
            Assert.Contains(Wire.IsV2(auth) && row.Name.Contains("SSE-KMS", StringComparison.Ordinal) ? "require AWS Signature Version 4" : "HTTPS", body);
        }
        await scene.AssertIntactAsync(t);
    }
}
