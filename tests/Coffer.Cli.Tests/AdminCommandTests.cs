using System.Text.Json;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>
/// coffer admin … and coffer kms audit over the server's admin API (the endpoint of the environment's profile, or
/// --endpoint), and the data-folder form (--data), which wins over a configured endpoint.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class AdminCommandTests(CliServerFixture f)
{
    private static string NewName(string hint) => hint + Guid.NewGuid().ToString("N")[..8];

    private string Endpoint => f.HttpsUrl.GetLeftPart(UriPartial.Authority);

    [Fact]
    public async Task Users_are_added_listed_given_tokens_and_removed_over_the_admin_api()
    {
        var name = NewName("cli");
        var added = (await f.RunAsync("admin", "user", "add", name, "--json")).Ok().Json;
        Assert.Equal(name, added.GetProperty("name").GetString());
        var accessKey = added.GetProperty("accessKeyId").GetString()!;
        var secret = added.GetProperty("secretKey").GetString()!;
        Assert.Equal(40, secret.Length);

        // The new pair works for the client commands.
        var asUser = new Dictionary<string, string?> { ["COFFER_ACCESS_KEY"] = accessKey, ["COFFER_SECRET_KEY"] = secret };
        (await f.RunWithAsync(asUser, "mb", $"cos://{CliServerFixture.NewBucket("adm")}")).Ok();

        var users = (await f.RunAsync("admin", "user", "list", "--json")).Ok().Json.EnumerateArray().ToList();
        Assert.Contains(users, u => u.GetProperty("name").GetString() == name && u.GetProperty("accessKeyId").GetString() == accessKey);
        Assert.Contains(users, u => u.GetProperty("root").GetBoolean() && u.GetProperty("accessKeyId").GetString() == CliServerFixture.AccessKey);
        var text = (await f.RunAsync("admin", "user", "list")).Ok().Stdout;
        Assert.Contains($"{name}", text);
        Assert.DoesNotContain(secret, text);

        var token = (await f.RunAsync("admin", "user", "token", name, "--duration", "600", "--json")).Ok().Json;
        Assert.StartsWith("AKTMP", token.GetProperty("tmpSecretId").GetString());
        var asToken = new Dictionary<string, string?>
        {
            ["COFFER_ACCESS_KEY"] = token.GetProperty("tmpSecretId").GetString(),
            ["COFFER_SECRET_KEY"] = token.GetProperty("tmpSecretKey").GetString(),
            ["COFFER_SESSION_TOKEN"] = token.GetProperty("sessionToken").GetString(),
        };
        (await f.RunWithAsync(asToken, "ls")).Ok();

        Assert.Contains("exists already", (await f.RunAsync("admin", "user", "add", name)).Fails(1));

        // A user is no administrator.
        Assert.Contains("AccessDenied", (await f.RunWithAsync(asUser, "admin", "user", "list")).Fails(4));

        Assert.Contains($"Removed {name}.", (await f.RunAsync("admin", "user", "remove", name)).Ok().Stdout);
        Assert.Contains("NoSuchUser", (await f.RunAsync("admin", "user", "remove", name)).Fails(3));
        Assert.DoesNotContain(name, (await f.RunAsync("admin", "user", "list")).Ok().Stdout);
        Assert.Contains("CannotRemoveRootUser", (await f.RunAsync("admin", "user", "remove", "root")).Fails(1));
    }

    [Fact]
    public async Task The_endpoint_option_replaces_the_profiles_and_data_and_endpoint_together_are_refused()
    {
        var noEndpoint = new Dictionary<string, string?> { ["COFFER_ENDPOINT"] = null };
        var users = (await f.RunWithAsync(noEndpoint, "admin", "user", "list", "--endpoint", Endpoint, "--json")).Ok().Json;
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("root").GetBoolean());

        var both = await f.RunAsync("admin", "user", "list", "--endpoint", Endpoint, "--data", f.DataDirectory);
        Assert.Contains("not both", both.Fails(2));

        var http = await f.RunAsync("admin", "user", "list", "--endpoint", f.HttpUrl.GetLeftPart(UriPartial.Authority));
        Assert.Contains("HTTPS", http.Fails(4));
    }

    [Fact]
    public async Task An_explicit_data_folder_is_opened_directly_even_with_an_endpoint_configured()
    {
        // A folder no server runs on (a stopped embedded server): --data opens it although COFFER_ENDPOINT is set.
        var folder = Path.Combine(f.WorkDirectory, "offline-" + Guid.NewGuid().ToString("N")[..8]);
        var name = NewName("off");
        var added = (await f.RunAsync("admin", "user", "add", name, "--data", folder, "--json")).Ok().Json;
        Assert.Equal(name, added.GetProperty("name").GetString());
        Assert.True(File.Exists(Path.Combine(folder, "meta.db")));
        var offline = (await f.RunAsync("admin", "user", "list", "--data", folder, "--json")).Ok().Json.EnumerateArray().ToList();
        Assert.Equal([name], offline.Select(u => u.GetProperty("name").GetString()));
        // The running server knows nothing of that folder's user.
        Assert.DoesNotContain(name, (await f.RunAsync("admin", "user", "list")).Ok().Stdout);
    }

    [Fact]
    public async Task Kms_audit_reads_the_log_over_the_admin_api_with_since_key_and_limit()
    {
        var keyId = (await f.RunAsync("kms", "create-key", "--json")).Ok().Json.GetProperty("keyId").GetString()!;
        (await f.RunAsync("kms", "rotate", keyId)).Ok();
        var lines = (await f.RunAsync("kms", "audit", "--key", keyId, "--since", "1h", "--json")).Ok().Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToList();
        Assert.Equal(["CreateKey", "RotateKeyOnDemand"], lines.Select(l => l.GetProperty("operation").GetString()).Where(o => o is "CreateKey" or "RotateKeyOnDemand"));
        Assert.All(lines, l => Assert.Equal(keyId, l.GetProperty("keyId").GetString()));

        // The same entries as the data-folder form prints.
        var offline = (await f.RunAsync("kms", "audit", "--data", f.DataDirectory, "--key", keyId, "--json")).Ok().Stdout;
        Assert.Equal(offline.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length, lines.Count);

        var limited = await f.RunAsync("kms", "audit", "--key", keyId, "--limit", "1");
        Assert.Single(limited.Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("more entries match", limited.Stderr);
        Assert.Empty((await f.RunAsync("kms", "audit", "--since", DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"))).Ok().Stdout.Trim());
        Assert.Contains("--limit", (await f.RunAsync("kms", "audit", "--limit", "0")).Stderr);
    }

    [Fact]
    public async Task Admin_rekey_runs_the_job_on_the_server_and_reports_it()
    {
        var from = (await f.RunAsync("kms", "create-key", "--json")).Ok().Json.GetProperty("keyId").GetString()!;
        var to = (await f.RunAsync("kms", "create-key", "--json")).Ok().Json.GetProperty("keyId").GetString()!;
        var bucket = await f.CreateBucketAsync("rekey");
        foreach (var name in new[] { "one", "two" })
        {
            var file = f.RandomFile(1000, name);
            (await f.RunAsync("cp", file, $"cos://{bucket}/{name}", "--sse", "cos/kms", "--sse-kms-key-id", from)).Ok();
        }

        var result = (await f.RunAsync("admin", "rekey", "--bucket", bucket, "--to-key", to, "--json")).Ok().Json;
        Assert.True(result.GetProperty("finished").GetBoolean());
        Assert.Equal(2, result.GetProperty("rekeyed").GetInt64());
        Assert.Equal(to, result.GetProperty("toKeyId").GetString());

        var audit = (await f.RunAsync("kms", "audit", "--key", to, "--json")).Ok().Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("operation").GetString() == "Rekey")
            .Select(e => e.GetProperty("object").GetString())
            .Order(StringComparer.Ordinal);
        Assert.Equal(["one", "two"], audit);

        var missing = await f.RunAsync("admin", "rekey", "--bucket", "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8], "--to-key", to);
        Assert.Contains("NoSuchBucket", missing.Fails(3));
    }
}
