using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>coffer lifecycle set|get|rm against a real server: JSON and XML files, text and --json, and its refusals.</summary>
[Collection(ServerCollection.Name)]
public sealed class LifecycleCommandTests(CliServerFixture f)
{
    [Fact]
    public async Task Lifecycle_set_from_json_get_as_xml_set_that_back_and_rm()
    {
        var bucket = await f.CreateBucketAsync("lc");
        Assert.Contains("NoSuchLifecycleConfiguration", (await f.RunAsync("lifecycle", "get", $"cos://{bucket}")).Fails(3));

        var json = f.NewPath("rules.json");
        await File.WriteAllTextAsync(json, """
            {"Rules": [{"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 7}},
                       {"ID": "cold", "Filter": {"Prefix": "cold/"}, "Status": "Enabled", "Transitions": [{"Days": 10, "StorageClass": "ARCHIVE"}]}]}
            """);
        Assert.Equal($"lifecycle: cos://{bucket} has 2 rule(s) now", (await f.RunAsync("lifecycle", "set", $"cos://{bucket}", json)).Ok().Stdout.Trim());

        var xml = (await f.RunAsync("lifecycle", "get", $"cos://{bucket}")).Ok().Stdout;
        Assert.Contains("<ID>tmp</ID>", xml);
        Assert.Contains("<StorageClass>ARCHIVE</StorageClass>", xml);
        var rules = (await f.RunAsync("lifecycle", "get", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("rules").EnumerateArray().ToList();
        Assert.Equal(["tmp", "cold"], rules.Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(7, rules[0].GetProperty("expirationDays").GetInt32());

        (await f.RunAsync("lifecycle", "rm", $"cos://{bucket}")).Ok();
        (await f.RunAsync("lifecycle", "get", $"cos://{bucket}")).Fails(3);

        var xmlFile = f.NewPath("rules.xml");
        await File.WriteAllTextAsync(xmlFile, xml);
        (await f.RunAsync("lifecycle", "set", $"cos://{bucket}", xmlFile)).Ok();
        Assert.Equal(2, (await f.RunAsync("lifecycle", "get", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("rules").GetArrayLength());
    }

    [Fact]
    public async Task Lifecycle_refuses_bad_files_objects_and_what_the_server_refuses()
    {
        var bucket = await f.CreateBucketAsync("lcx");
        var bad = f.NewPath("bad.txt");
        await File.WriteAllTextAsync(bad, "neither xml nor json");
        (await f.RunAsync("lifecycle", "set", $"cos://{bucket}", bad)).Fails(2);
        (await f.RunAsync("lifecycle", "set", $"cos://{bucket}", f.NewPath("missing.json"))).Fails(2);
        (await f.RunAsync("lifecycle", "get", $"cos://{bucket}/key")).Fails(2);

        var zero = f.NewPath("zero.json");
        await File.WriteAllTextAsync(zero, """{"Rules": [{"ID": "z", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 0}}]}""");
        Assert.Contains("positive integer", (await f.RunAsync("lifecycle", "set", $"cos://{bucket}", zero)).Fails(1));
    }
}
