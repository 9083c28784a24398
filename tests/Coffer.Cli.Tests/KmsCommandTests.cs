using System.Text.Json;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>coffer kms … over the server's KMS API: a key's whole life, aliases, JSON, and the audit log beside them.</summary>
[Collection(ServerCollection.Name)]
public sealed class KmsCommandTests(CliServerFixture f)
{
    private async Task<JsonElement> DescribeAsync(string key) => (await f.RunAsync("kms", "describe-key", key, "--json")).Ok().Json;

    [Fact]
    public async Task A_key_lives_from_create_to_rotate_disable_enable_and_deletion_from_the_command_line()
    {
        var alias = "alias/life-" + Guid.NewGuid().ToString("N")[..8];
        var created = (await f.RunAsync("kms", "create-key", "--description", "life", "--alias", alias)).Ok().Stdout;
        var keyId = System.Text.RegularExpressions.Regex.Match(created, @"(?m)^Key id\s+(\S+)$").Groups[1].Value;
        Assert.NotEmpty(keyId);
        Assert.Contains(alias, created);

        var described = await DescribeAsync(alias);
        Assert.Equal(keyId, described.GetProperty("keyId").GetString());
        Assert.Equal("Enabled", described.GetProperty("keyState").GetString());
        Assert.Equal("life", described.GetProperty("description").GetString());
        Assert.Equal([alias], described.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()!).ToArray());

        var listed = (await f.RunAsync("kms", "list-keys", "--json")).Ok().Json.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("keyId").GetString() == keyId);
        Assert.Equal(alias, listed.GetProperty("aliases")[0].GetString());
        Assert.Matches($@"(?m)^{keyId}\s+Enabled\s+{alias}\s+life$", (await f.RunAsync("kms", "list-keys")).Ok().Stdout);

        // An object under the key; disabling the key makes it unreadable until enabled again.
        var bucket = await f.CreateBucketAsync("kmslife");
        var file = f.NewPath("kms");
        await File.WriteAllTextAsync(file, "under a key");
        (await f.RunAsync("cp", file, $"cos://{bucket}/o", "--sse", "cos/kms", "--sse-kms-key-id", alias)).Ok();
        Assert.Equal($"disabled: {keyId} is Disabled", (await f.RunAsync("kms", "disable", alias)).Ok().Stdout.Trim());
        Assert.Contains($"coffer kms enable", (await f.RunAsync("cat", $"cos://{bucket}/o")).Fails(1));
        Assert.Equal("Enabled", (await f.RunAsync("kms", "enable", keyId, "--json")).Ok().Json.GetProperty("keyState").GetString());
        Assert.Equal("under a key", (await f.RunAsync("cat", $"cos://{bucket}/o")).Ok().Stdout);

        // Rotation keeps old objects readable.
        Assert.True((await f.RunAsync("kms", "rotate", alias, "--json")).Ok().Json.GetProperty("rotated").GetBoolean());
        Assert.Equal("under a key", (await f.RunAsync("cat", $"cos://{bucket}/o")).Ok().Stdout);

        // A second alias.
        var second = alias + "-2";
        (await f.RunAsync("kms", "create-alias", second, keyId)).Ok();
        var aliases = (await f.RunAsync("kms", "list-aliases", "--key", keyId, "--json")).Ok().Json.GetProperty("aliases").EnumerateArray()
            .Select(a => a.GetProperty("aliasName").GetString()!).ToArray();
        Assert.Equal([alias, second], aliases);
        Assert.Contains(second, (await f.RunAsync("kms", "list-aliases")).Ok().Stdout);

        // Deletion: pending (the key stops working), then cancelled (Disabled, as AWS leaves it), then enabled.
        var scheduled = (await f.RunAsync("kms", "schedule-deletion", alias, "--days", "7", "--json")).Ok().Json;
        Assert.Equal("PendingDeletion", scheduled.GetProperty("keyState").GetString());
        Assert.Equal(7, scheduled.GetProperty("pendingWindowInDays").GetInt32());
        Assert.True(scheduled.GetProperty("deletionDate").GetDateTimeOffset() > DateTimeOffset.UtcNow);
        Assert.Equal("PendingDeletion", (await DescribeAsync(keyId)).GetProperty("keyState").GetString());
        Assert.Contains("coffer kms cancel-deletion", (await f.RunAsync("cat", $"cos://{bucket}/o")).Fails(1));
        Assert.Contains("is no longer pending deletion", (await f.RunAsync("kms", "cancel-deletion", keyId)).Ok().Stdout);
        Assert.Equal("Disabled", (await DescribeAsync(keyId)).GetProperty("keyState").GetString());
        (await f.RunAsync("kms", "enable", keyId)).Ok();
        Assert.Equal("under a key", (await f.RunAsync("cat", $"cos://{bucket}/o")).Ok().Stdout);
    }

    [Fact]
    public async Task An_unknown_key_exits_3_and_points_to_list_keys()
    {
        var line = (await f.RunAsync("kms", "describe-key", "alias/does-not-exist")).Fails(3);
        Assert.Contains("NotFoundException", line);
        Assert.Contains("coffer kms list-keys", line);
        (await f.RunAsync("kms", "enable", "00000000-0000-0000-0000-000000000000")).Fails(3);
        (await f.RunAsync("kms", "rotate", "alias/does-not-exist")).Fails(3);
    }

    [Fact]
    public async Task Every_kms_command_prints_json_that_parses()
    {
        var created = (await f.RunAsync("kms", "create-key", "--json")).Ok().Json;
        var keyId = created.GetProperty("keyId").GetString()!;
        string[][] commands =
        [
            ["kms", "list-keys", "--json"],
            ["kms", "describe-key", keyId, "--json"],
            ["kms", "disable", keyId, "--json"],
            ["kms", "enable", keyId, "--json"],
            ["kms", "rotate", keyId, "--json"],
            ["kms", "create-alias", "alias/json-" + keyId[..8], keyId, "--json"],
            ["kms", "list-aliases", "--json"],
            ["kms", "schedule-deletion", keyId, "--days", "30", "--json"],
            ["kms", "cancel-deletion", keyId, "--json"],
        ];
        foreach (var command in commands)
            Assert.Equal(JsonValueKind.Object, (await f.RunAsync(command)).Ok().Json.ValueKind);
    }

    [Fact]
    public async Task Kms_audit_reads_the_servers_log_of_what_the_commands_did()
    {
        var keyId = (await f.RunAsync("kms", "create-key", "--json")).Ok().Json.GetProperty("keyId").GetString()!;
        (await f.RunAsync("kms", "rotate", keyId)).Ok();
        var lines = (await f.RunAsync("kms", "audit", "--data", f.DataDirectory, "--key", keyId, "--json")).Ok().Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("operation").GetString())
            .ToList();
        Assert.Contains("CreateKey", lines);
        Assert.Contains("RotateKeyOnDemand", lines);
    }
}
