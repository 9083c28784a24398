using System.Text.Json.Nodes;
using Amazon.KeyManagementService.Model;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests.Attacks;

/// <summary>
/// The KMS API as an attacker uses it: every call aimed at another user's key (by id, ARN and
/// alias; her own key and her default SSE-KMS key), at the SSE-COS service key, anonymously,
/// with a tampered or expired signature, and over plain HTTP.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class KmsAttackTests(TenantsFixture t)
{
    public static TheoryData<string, string> CrossTenantRows()
    {
        var data = new TheoryData<string, string>();
        foreach (var (operation, _, _) in KmsScene.Calls)
            foreach (var reference in new[] { "key id", "key arn", "alias", "default key id", "default alias" })
                data.Add(operation, reference);
        return data;
    }

    private static string Reference(KmsScene s, string reference) => reference switch
    {
        "key id" => s.KeyId,
        "key arn" => s.KeyArn,
        "alias" => s.Alias,
        "default key id" => s.DefaultKeyId,
        "default alias" => s.DefaultAlias,
        _ => throw new ArgumentOutOfRangeException(nameof(reference)),
    };

    private static string CiphertextFor(KmsScene s, string reference) => reference.StartsWith("default", StringComparison.Ordinal) ? s.DefaultCiphertext : s.Ciphertext;

    [Theory]
    [MemberData(nameof(CrossTenantRows))]
    public async Task Another_user_cannot_use_or_manage_her_keys(string operation, string reference)
    {
        var scene = await KmsScene.GetAsync(t);
        var (_, input, writes) = KmsScene.Calls.Single(c => c.Operation == operation);
        using var wire = new KmsWire(t.Server);
        var (status, type, body) = await wire.CallAsync(operation.Split('(')[0], input(Reference(scene, reference), CiphertextFor(scene, reference)), t.Bob);
        if (operation.StartsWith("ListAliases", StringComparison.Ordinal) && status == 200)
            Assert.Empty(body!["Aliases"]!.AsArray());
        else
        {
            Assert.True(status == 400, $"{operation} on her {reference}: {status} {body}");
            Assert.Contains(type, new[] { "NotFoundException", "AccessDeniedException" });
        }
        Assert.DoesNotContain("Plaintext", body?.ToJsonString() ?? "");
        if (writes)
            await scene.AssertIntactAsync(t);
    }

    [Fact]
    public async Task Another_user_sees_none_of_her_keys_or_aliases()
    {
        var scene = await KmsScene.GetAsync(t);
        using var kms = t.Kms(t.Bob);
        var keys = (await kms.ListKeysAsync(new ListKeysRequest())).Keys.Select(k => k.KeyId).ToList();
        Assert.DoesNotContain(scene.KeyId, keys);
        Assert.DoesNotContain(scene.DefaultKeyId, keys);
        var aliases = (await kms.ListAliasesAsync(new ListAliasesRequest())).Aliases;
        Assert.DoesNotContain(aliases, a => a.AliasName == scene.Alias || a.AliasName == scene.DefaultAlias);
        Assert.DoesNotContain(aliases, a => a.TargetKeyId == scene.KeyId || a.TargetKeyId == scene.DefaultKeyId);
    }

    public static TheoryData<string, string> ServiceKeyRows()
    {
        var data = new TheoryData<string, string>();
        foreach (var (operation, _, _) in KmsScene.Calls)
            foreach (var who in new[] { "alice", "root" })
                data.Add(operation, who);
        return data;
    }

    [Theory]
    [MemberData(nameof(ServiceKeyRows))]
    public async Task Nobody_can_use_the_sse_cos_service_key_through_the_kms_api(string operation, string who)
    {
        var scene = await KmsScene.GetAsync(t);
        var signer = who == "root" ? new Tenant("root", EndToEnd.Tests.Infrastructure.CofferFixture.AccessKey, EndToEnd.Tests.Infrastructure.CofferFixture.SecretKey) : t.Alice;
        var (_, input, _) = KmsScene.Calls.Single(c => c.Operation == operation);
        using var wire = new KmsWire(t.Server);
        var (status, type, body) = await wire.CallAsync(operation.Split('(')[0], input(Crypto.Kms.KeyManager.ServiceKeyAlias, scene.Ciphertext), signer);
        if (operation.StartsWith("ListAliases", StringComparison.Ordinal) && status == 200)
            Assert.Empty(body!["Aliases"]!.AsArray());
        else if (operation.StartsWith("Decrypt", StringComparison.Ordinal) && operation == "Decrypt" && who == "alice")
            Assert.Equal(200, status); // her own ciphertext, her own key: the control for the row below
        else
        {
            Assert.True(status == 400, $"{operation} on the service key as {who}: {status} {body}");
            Assert.Contains(type, new[] { "NotFoundException", "AccessDeniedException", "InvalidCiphertextException" });
        }
    }

    public static TheoryData<string> Operations() => [.. KmsScene.Calls.Select(c => c.Operation).Append("ListKeys").Append("CreateKey")];

    private static JsonObject InputOf(string operation, KmsScene s) =>
        KmsScene.Calls.FirstOrDefault(c => c.Operation == operation).Input?.Invoke(s.KeyId, s.Ciphertext) ?? new JsonObject();

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Anonymous_kms_calls_are_refused(string operation)
    {
        var scene = await KmsScene.GetAsync(t);
        using var wire = new KmsWire(t.Server);
        var (status, type, _) = await wire.CallAsync(operation.Split('(')[0], InputOf(operation, scene), signer: null);
        Assert.Equal(400, status);
        Assert.Equal("AccessDeniedException", type);
        await scene.AssertIntactAsync(t);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Tampered_and_expired_kms_signatures_are_refused(string operation)
    {
        var scene = await KmsScene.GetAsync(t);
        using var wire = new KmsWire(t.Server);
        var tampered = await wire.CallAsync(operation.Split('(')[0], InputOf(operation, scene), t.Alice, tamper: new Tampering { Signature = Signatures.FlipLast });
        Assert.Equal(400, tampered.Status);
        Assert.Equal("InvalidSignatureException", tampered.Type);
        var expired = await wire.CallAsync(operation.Split('(')[0], InputOf(operation, scene), t.Alice, tamper: new Tampering { SignedAt = DateTimeOffset.UtcNow.AddMinutes(-20) });
        Assert.Equal(400, expired.Status);
        Assert.Equal("InvalidSignatureException", expired.Type);
        var unknown = await wire.CallAsync(operation.Split('(')[0], InputOf(operation, scene), new Tenant("nobody", "AKIDNOBODY0000000000000000000000000", t.Alice.SecretKey));
        Assert.Equal(400, unknown.Status);
        Assert.Equal("UnrecognizedClientException", unknown.Type);
        await scene.AssertIntactAsync(t);
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Kms_calls_over_plain_http_are_refused(string operation)
    {
        var scene = await KmsScene.GetAsync(t);
        using var wire = new KmsWire(t.Server);
        var (status, _, body) = await wire.CallAsync(operation.Split('(')[0], InputOf(operation, scene), t.Alice, https: false);
        Assert.Equal(400, status);
        Assert.Contains("HTTPS", body?.ToJsonString() ?? "");
        Assert.DoesNotContain("Plaintext", body?.ToJsonString() ?? "");
        await scene.AssertIntactAsync(t);
    }
}
