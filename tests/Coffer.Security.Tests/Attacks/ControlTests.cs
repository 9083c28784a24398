using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests.Attacks;

/// <summary>
/// The attack tables are only worth something if each row, sent by its owner with a good
/// signature, gets through authentication: then a refusal in an attack class is caused by the
/// attack. Writes run on a scene of their own. The owner of an admin API row is the root user, and a presigned
/// URL is never let through to the admin API, not even the root user's: those rows prove the refusal instead.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class ControlTests(TenantsFixture t)
{
    public static TheoryData<string, Auth> Rows => Operations.EveryOperationEveryScheme(Operations.OnAlice);

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task The_owner_with_a_good_signature_gets_through(string operation, Auth auth)
    {
        var row = Operations.Row(operation);
        var scene = row.Writes ? await AttackScene.CreateFreshAsync(t) : await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        using var response = await wire.SendAsync(row.Build(scene), t.OwnerOf(row), auth);
        if (row.AdminOnly)
            await t.RestoreUsersAsync();
        if (row.AdminOnly && auth is Auth.S3Presigned or Auth.CosPresigned or Auth.S3V2Presigned)
        {
            await Expect.RefusedAsync(response, System.Net.HttpStatusCode.Forbidden, "AccessDenied");
            return;
        }
        if (Wire.IsV2(auth) && Wire.V2CannotSign(row.Build(scene)))
        {
            // Sub-resources S3 added after SigV2 (?attributes, ?policyStatus, ?publicAccessBlock, ?ownershipControls)
            // and the admin API's arguments are outside what SigV2 signs: refused for everyone, the owner included.
            await Expect.RefusedAsync(response, System.Net.HttpStatusCode.Forbidden, "AccessDenied");
            Assert.Contains("Signature Version 2 does not sign", await response.Content.ReadAsStringAsync());
            return;
        }
        if (Wire.IsV2(auth) && row.Name.Contains("SSE-KMS", StringComparison.Ordinal))
        {
            await Expect.RefusedAsync(response, System.Net.HttpStatusCode.BadRequest, "InvalidArgument");
            Assert.Contains("require AWS Signature Version 4", await response.Content.ReadAsStringAsync());
            return;
        }
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(row.OwnerStatus == 200 ? response.IsSuccessStatusCode : (int)response.StatusCode == row.OwnerStatus, $"expected {row.OwnerStatus}, got {(int)response.StatusCode}: {body}");
        Assert.DoesNotContain(await response.ErrorCodeAsync(), Expect.AuthFailures);
    }
}
