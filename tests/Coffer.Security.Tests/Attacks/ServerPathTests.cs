using System.Net;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests.Attacks;

/// <summary>
/// The server's own paths under /_coffer/: only the health check answers without a signature,
/// and no user (signed or not) gets anything from a path that names the server's internals. The
/// admin API (/_coffer/admin/…) answers the root user only: its calls are rows of the attack tables
/// (<see cref="Operations.AdminCalls"/>) and of <see cref="AdminApiTests"/>.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class ServerPathTests(TenantsFixture t)
{
    public static TheoryData<string, string> Paths()
    {
        var data = new TheoryData<string, string>();
        foreach (var path in new[] { "/_coffer/admin/users", "/_coffer/admin/keys", "/_coffer/metrics", "/_coffer/health/../admin", "/_coffer/" })
            foreach (var who in new[] { "anonymous", "bob" })
                data.Add(path, who);
        return data;
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task Internal_paths_answer_nobody(string path, string who)
    {
        using var wire = new Wire(t.Server);
        var parts = path.TrimStart('/').Split('/', 2);
        var req = new Req("GET", parts[0], parts.Length > 1 && parts[1].Length > 0 ? parts[1] : null);
        using var response = await wire.SendAsync(req, who == "bob" ? t.Bob : null, who == "bob" ? Auth.S3Header : Auth.None);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is >= 400 and < 500, $"{path} as {who}: {(int)response.StatusCode} {body}");
        Assert.DoesNotContain(t.Alice.AccessKey, body);
        Assert.DoesNotContain("alice", body);
    }

    [Fact]
    public async Task The_health_check_answers_anyone_and_says_nothing_else()
    {
        using var http = t.Http();
        using var response = await http.GetAsync("/_coffer/health".Insert(0, t.Server.HttpsUrl.ToString().TrimEnd('/')));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
    }
}
