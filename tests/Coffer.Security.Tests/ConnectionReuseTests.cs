using Coffer.Protocol.Auth;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>
/// A request refused before its body was read must not leave that body on the connection to be
/// parsed as the next request (request smuggling): the server says <c>Connection: close</c> and
/// closes, with or without <c>Expect: 100-continue</c>, over HTTP and HTTPS.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class ConnectionReuseTests(TenantsFixture t)
{
    /// <summary>A body that is, byte for byte, a complete request the server would answer 200 without a signature.</summary>
    private const string SmuggledRequest = "GET /_coffer/health HTTP/1.1\r\nHost: smuggled\r\n\r\n";

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    public static TheoryData<bool, bool, string> Cases()
    {
        var data = new TheoryData<bool, bool, string>();
        foreach (var https in new[] { false, true })
            foreach (var expect in new[] { true, false })
                foreach (var refusal in new[] { "anonymous", "no-such-bucket", "bad-signature" })
                    data.Add(https, expect, refusal);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_refused_body_is_never_parsed_as_the_next_request(bool https, bool expect, string refusal)
    {
        await using var connection = await RawConnection.OpenAsync(t.Server, https);
        var url = https ? t.Server.HttpsUrl : t.Server.HttpUrl;
        var path = $"/nosuch-{Guid.NewGuid():N}"[..30] + "/smuggle";
        var head = $"PUT {path} HTTP/1.1\r\nHost: {url.Authority}\r\nContent-Length: {SmuggledRequest.Length}\r\n"
            + (expect ? "Expect: 100-continue\r\n" : "")
            + refusal switch
            {
                "anonymous" => "",
                "no-such-bucket" => $"Authorization: {Sign(t.Alice, path, url.Authority)}\r\n",
                _ => $"Authorization: {Sign(t.Alice with { SecretKey = "not-alices-secret" }, path, url.Authority)}\r\n",
            }
            + "\r\n";

        RawResponse? refused;
        if (expect)
        {
            // As a client that waits for 100 Continue: the final answer comes first, then (wrongly
            // or after its own timeout) the client sends the body anyway.
            await connection.WriteAsync(head);
            refused = await connection.ReadResponseAsync(Bound);
            try { await connection.WriteAsync(SmuggledRequest); }
            catch (IOException) { /* already closed: nothing can be smuggled */ }
        }
        else
        {
            await connection.WriteAsync(head + SmuggledRequest);
            refused = await connection.ReadResponseAsync(Bound);
        }

        Assert.NotNull(refused);
        Assert.InRange(refused.Status, 400, 499);
        Assert.Equal("close", refused.Header("Connection"), ignoreCase: true);
        var rest = await connection.ReadToCloseAsync(Bound);
        Assert.DoesNotContain("HTTP/1.1", rest);
    }

    private static string Sign(Tenant who, string path, string host)
    {
        var now = DateTimeOffset.UtcNow.AddSeconds(-60);
        return CosV5Signer.Sign(who.AccessKey, who.SecretKey, "PUT", path, [], [new("host", host)], now, now.AddHours(1));
    }
}
