using System.Net;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests.Attacks;

/// <summary>
/// The owner's own requests, forged or stale: a signature one bit off, a signature that has
/// expired, a signature moved to another request, an access key nobody has, the right key id
/// with a wrong secret. Every row, every scheme; each refusal leaves the scene as it was.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class ForgedSignatureTests(TenantsFixture t)
{
    public static TheoryData<string, Auth> Rows => Operations.EveryOperationEveryScheme(Operations.OnAlice);

    private async Task<HttpResponseMessageAndScene> SendAsync(string operation, Auth auth, Tenant? signer = null, Tampering? tamper = null)
    {
        var row = Operations.Row(operation);
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        return new(await wire.SendAsync(row.Build(scene), signer ?? t.OwnerOf(row), auth, tamper: tamper), scene, row);
    }

    private sealed record HttpResponseMessageAndScene(System.Net.Http.HttpResponseMessage Response, AttackScene Scene, OperationRow Row);

    private async Task CheckAsync(HttpResponseMessageAndScene sent, HttpStatusCode status, params string[] codes)
    {
        using var response = sent.Response;
        await Expect.RefusedAsync(response, status, codes);
        if (sent.Row.Writes)
            await sent.Scene.AssertIntactAsync(t);
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task A_tampered_signature_is_refused(string operation, Auth auth) =>
        await CheckAsync(await SendAsync(operation, auth, tamper: new Tampering { Signature = Signatures.FlipLast }),
            HttpStatusCode.Forbidden, "SignatureDoesNotMatch");

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task An_expired_signature_is_refused(string operation, Auth auth)
    {
        // Header SigV4 is bound to x-amz-date and header SigV2 to Date (15 minutes of skew); the others carry their own window.
        var dated = auth is Auth.S3Header or Auth.S3V2Header;
        var tamper = dated
            ? new Tampering { SignedAt = DateTimeOffset.UtcNow.AddMinutes(-20) }
            : new Tampering { SignedAt = DateTimeOffset.UtcNow.AddHours(-2), Validity = TimeSpan.FromHours(1) };
        var code = dated ? "RequestTimeTooSkewed" : "AccessDenied";
        await CheckAsync(await SendAsync(operation, auth, tamper: tamper), HttpStatusCode.Forbidden, code);
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task A_signature_moved_to_another_key_or_method_is_refused(string operation, Auth auth)
    {
        var toAnotherKey = new Tampering { Retarget = r => r with { Key = (r.Key ?? "") + "other" } };
        await CheckAsync(await SendAsync(operation, auth, tamper: toAnotherKey), HttpStatusCode.Forbidden, "SignatureDoesNotMatch");
        var toAnotherMethod = new Tampering { Retarget = r => r with { Method = r.Method == "DELETE" ? "PUT" : "DELETE" } };
        await CheckAsync(await SendAsync(operation, auth, tamper: toAnotherMethod), HttpStatusCode.Forbidden, "SignatureDoesNotMatch");
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task An_unknown_access_key_is_refused(string operation, Auth auth) =>
        await CheckAsync(await SendAsync(operation, auth, signer: new Tenant("nobody", "AKIDNOBODY0000000000000000000000000", t.OwnerOf(Operations.Row(operation)).SecretKey)),
            HttpStatusCode.Forbidden, "InvalidAccessKeyId");

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Her_access_key_with_his_secret_is_refused(string operation, Auth auth) =>
        await CheckAsync(await SendAsync(operation, auth, signer: t.OwnerOf(Operations.Row(operation)) with { SecretKey = t.Bob.SecretKey }),
            HttpStatusCode.Forbidden, "SignatureDoesNotMatch");
}
