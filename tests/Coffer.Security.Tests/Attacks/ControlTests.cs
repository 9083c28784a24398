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
        if (row.AdminOnly && auth is Auth.S3Presigned or Auth.CosPresigned)
        {
            await Expect.RefusedAsync(response, System.Net.HttpStatusCode.Forbidden, "AccessDenied");
            return;
        }
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(row.OwnerStatus == 200 ? response.IsSuccessStatusCode : (int)response.StatusCode == row.OwnerStatus, $"expected {row.OwnerStatus}, got {(int)response.StatusCode}: {body}");
        Assert.DoesNotContain(await response.ErrorCodeAsync(), Expect.AuthFailures);
    }
}
