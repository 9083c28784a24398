using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>coffer policy set|get|rm|status against a real server: text and --json, and its refusals.</summary>
[Collection(ServerCollection.Name)]
public sealed class PolicyCommandTests(CliServerFixture f)
{
    [Fact]
    public async Task Policy_set_get_status_and_rm()
    {
        var bucket = await f.CreateBucketAsync("pol");
        // New buckets block public policies (S3's default): the public one below needs that off.
        (await f.RunAsync("public-access-block", "rm", $"cos://{bucket}")).Ok();
        Assert.Contains("NoSuchBucketPolicy", (await f.RunAsync("policy", "get", $"cos://{bucket}")).Fails(3));
        (await f.RunAsync("policy", "status", $"cos://{bucket}")).Fails(3);

        var file = f.NewPath("policy.json");
        var policy = $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{{bucket}}/*"}]}""";
        await File.WriteAllTextAsync(file, policy);
        Assert.Equal($"policy: cos://{bucket} has the policy of {file} now", (await f.RunAsync("policy", "set", $"cos://{bucket}", file)).Ok().Stdout.Trim());
        Assert.Equal(policy, (await f.RunAsync("policy", "get", $"cos://{bucket}")).Ok().Stdout.Trim());
        Assert.Equal(policy, (await f.RunAsync("policy", "get", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("policy").GetString());
        Assert.Equal($"policy: cos://{bucket} is public", (await f.RunAsync("policy", "status", $"cos://{bucket}")).Ok().Stdout.Trim());
        Assert.True((await f.RunAsync("policy", "status", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("isPublic").GetBoolean());

        (await f.RunAsync("policy", "rm", $"cos://{bucket}")).Ok();
        (await f.RunAsync("policy", "get", $"cos://{bucket}")).Fails(3);
    }

    [Fact]
    public async Task Policy_refuses_missing_files_objects_and_what_the_server_refuses()
    {
        var bucket = await f.CreateBucketAsync("polx");
        (await f.RunAsync("policy", "set", $"cos://{bucket}", f.NewPath("missing.json"))).Fails(2);
        (await f.RunAsync("policy", "get", $"cos://{bucket}/key")).Fails(2);
        var empty = f.NewPath("empty.json");
        await File.WriteAllTextAsync(empty, " ");
        (await f.RunAsync("policy", "set", $"cos://{bucket}", empty)).Fails(2);

        var bad = f.NewPath("bad.json");
        await File.WriteAllTextAsync(bad, $$"""{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}""");
        Assert.Contains("outside this bucket", (await f.RunAsync("policy", "set", $"cos://{bucket}", bad)).Fails(1));
        (await f.RunAsync("policy", "get", $"cos://{bucket}")).Fails(3);
    }
}
