using System.Net;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests.Attacks;

/// <summary>
/// The holder of a signed request or a presigned URL adds what the signer did not sign:
/// x-amz-* / x-cos-* headers that would turn a PUT into a copy, lock the owner out with an SSE-C
/// key or change the storage class, and query parameters that select another operation or
/// change the response. Every row, every scheme; the owner's things stay as they were.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class UnsignedAdditionTests(TenantsFixture t)
{
    public static TheoryData<string, Auth> Rows => Operations.EveryOperationEveryScheme(Operations.OnAlice);

    public static TheoryData<string, Auth> HeaderAdditions()
    {
        var data = new TheoryData<string, Auth>();
        foreach (var addition in Additions.Keys)
            foreach (var auth in Operations.Signed)
                data.Add(addition, auth);
        return data;
    }

    private static readonly Dictionary<string, Func<AttackScene, KeyValuePair<string, string>[]>> Additions = new()
    {
        ["copy-source"] = s => [new("x-{fam}-copy-source", $"/{s.Bucket}/{AttackScene.Object}")],
        ["storage-class"] = _ => [new("x-{fam}-storage-class", "ARCHIVE")],
        ["sse-c key"] = _ =>
        [
            new("x-{fam}-server-side-encryption-customer-algorithm", "AES256"),
            new("x-{fam}-server-side-encryption-customer-key", SseKeys.KeyB),
            new("x-{fam}-server-side-encryption-customer-key-MD5", SseKeys.KeyBMd5),
        ],
        ["metadata"] = _ => [new("x-{fam}-meta-planted", "yes")],
        ["acl"] = _ => [new("x-{fam}-acl", "public-read")],
        ["tagging"] = _ => [new("x-{fam}-tagging", "planted=yes")],
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task An_unsigned_copy_source_added_to_any_signed_request_is_refused(string operation, Auth auth)
    {
        var row = Operations.Row(operation);
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        using var response = await wire.SendAsync(row.Build(scene), t.OwnerOf(row), auth,
            tamper: new Tampering { UnsignedHeaders = Additions["copy-source"](scene) });
        // A row that signed a copy source of its own gets the added one joined to it: the
        // signature no longer matches. SigV2 signs every x-amz-* header, so an added one always
        // breaks its signature. Either way nothing is copied.
        var signedOne = row.Build(scene).Headers.Any(h => h.Key.EndsWith("copy-source", StringComparison.Ordinal));
        await Expect.RefusedAsync(response, HttpStatusCode.Forbidden,
            Wire.IsV2(auth) ? ["SignatureDoesNotMatch"] : signedOne ? ["AccessDenied", "SignatureDoesNotMatch"] : ["AccessDenied"]);
        if (row.Writes)
            await scene.AssertIntactAsync(t);
    }

    [Theory]
    [MemberData(nameof(HeaderAdditions))]
    public async Task A_presigned_put_with_unsigned_headers_added_is_refused(string addition, Auth auth)
    {
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        var upload = new Req("PUT", scene.Bucket, AttackScene.Object) { Body = "replaced"u8.ToArray() };
        using (var response = await wire.SendAsync(upload, t.Alice, auth, tamper: new Tampering { UnsignedHeaders = Additions[addition](scene) }))
        {
            if (Wire.IsV2(auth))
            {
                // SigV2 signs every x-amz-* header: an added one is a different string to sign.
                await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "SignatureDoesNotMatch");
            }
            else
            {
                await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
                Assert.Contains("not signed", await response.Content.ReadAsStringAsync());
            }
        }
        await scene.AssertIntactAsync(t);
        if (!Wire.IsV2(auth))
            return;
        // The COS spelling of the same header, which SigV2 cannot sign at all, is refused by name.
        var cosSpelled = Additions[addition](scene).Select(h => KeyValuePair.Create(h.Key.Replace("x-{fam}-", "x-cos-"), h.Value)).ToList();
        using (var response = await wire.SendAsync(upload, t.Alice, auth, tamper: new Tampering { UnsignedHeaders = cosSpelled }))
        {
            await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
            Assert.Contains("<HeadersNotSigned>x-cos-", await response.Content.ReadAsStringAsync());
        }
        await scene.AssertIntactAsync(t);
    }

    public static TheoryData<string, Auth, string> QueryAdditions()
    {
        var data = new TheoryData<string, Auth, string>();
        foreach (var row in Operations.OnAlice)
            foreach (var auth in Operations.Signed)
                data.Add(row.Name, auth, row.Name.StartsWith("GetObject", StringComparison.Ordinal) ? "response-content-type" : "uploads");
        return data;
    }

    [Theory]
    [MemberData(nameof(QueryAdditions))]
    public async Task An_unsigned_query_parameter_added_to_any_signed_request_is_refused(string operation, Auth auth, string parameter)
    {
        var row = Operations.Row(operation);
        var scene = await AttackScene.GetAsync(t);
        using var wire = new Wire(t.Server);
        var value = parameter == "uploads" ? "" : "text/html";
        using var response = await wire.SendAsync(row.Build(scene), t.OwnerOf(row), auth,
            tamper: new Tampering { UnsignedQuery = [new(parameter, value)] });
        // SigV4 signs the whole query, so an added parameter breaks the signature; the COS
        // signature lists what it signs, so an unlisted parameter is refused by name.
        if (Wire.IsCos(auth))
            await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "AccessDenied");
        else
            await Expect.RefusedAsync(response, HttpStatusCode.Forbidden, "SignatureDoesNotMatch");
        Assert.NotEqual("text/html", response.Content.Headers.ContentType?.MediaType);
        if (row.Writes)
            await scene.AssertIntactAsync(t);
    }
}
