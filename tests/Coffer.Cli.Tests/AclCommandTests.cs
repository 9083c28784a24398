using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>coffer acl get|set, coffer ownership and coffer public-access-block against a real server, and their refusals.</summary>
[Collection(ServerCollection.Name)]
public sealed class AclCommandTests(CliServerFixture f)
{
    [Fact]
    public async Task A_new_bucket_shows_acls_off_and_every_flag_on_and_refuses_a_public_acl_until_ownership_and_flags_change()
    {
        var bucket = await f.CreateBucketAsync("acl");
        Assert.Equal("BucketOwnerEnforced", (await f.RunAsync("ownership", "get", $"cos://{bucket}")).Ok().Stdout.Trim());
        var flags = (await f.RunAsync("public-access-block", "get", $"cos://{bucket}", "--json")).Ok().Json;
        Assert.True(flags.GetProperty("BlockPublicAcls").GetBoolean() && flags.GetProperty("RestrictPublicBuckets").GetBoolean());
        Assert.Contains("AccessControlListNotSupported", (await f.RunAsync("acl", "set", $"cos://{bucket}", "--canned", "public-read")).Fails(1));

        (await f.RunAsync("ownership", "set", $"cos://{bucket}", "ObjectWriter")).Ok();
        Assert.Contains("AccessDenied", (await f.RunAsync("acl", "set", $"cos://{bucket}", "--canned", "public-read")).Fails(4));
        (await f.RunAsync("public-access-block", "set", $"cos://{bucket}", "BlockPublicPolicy")).Ok();
        (await f.RunAsync("acl", "set", $"cos://{bucket}", "--grant-read", "all-users", "--grant-read-acp", "authenticated-users")).Ok();
        var acl = (await f.RunAsync("acl", "get", $"cos://{bucket}", "--json")).Ok().Json;
        var grants = acl.GetProperty("grants").EnumerateArray().Select(g => (g.GetProperty("uri").GetString(), g.GetProperty("permission").GetString())).ToList();
        Assert.Equal([("http://cam.qcloud.com/groups/global/AllUsers", "READ"), ("http://cam.qcloud.com/groups/global/AuthenticatedUsers", "READ_ACP")], grants);
        Assert.Matches("^[0-9a-f]{64}$", acl.GetProperty("owner").GetProperty("id").GetString()!);

        var text = (await f.RunAsync("acl", "get", $"cos://{bucket}")).Ok().Stdout;
        Assert.Contains("all-users", text);
        Assert.Contains("authenticated-users", text);

        (await f.RunAsync("public-access-block", "rm", $"cos://{bucket}")).Ok();
        Assert.Contains("NoSuchPublicAccessBlockConfiguration", (await f.RunAsync("public-access-block", "get", $"cos://{bucket}")).Fails(3));
        (await f.RunAsync("ownership", "rm", $"cos://{bucket}")).Ok();
        Assert.Contains("OwnershipControlsNotFoundError", (await f.RunAsync("ownership", "get", $"cos://{bucket}")).Fails(3));
    }

    [Fact]
    public async Task Acl_set_on_an_object_and_its_usage_errors()
    {
        var bucket = await f.CreateBucketAsync("aclo");
        var file = f.NewPath("o");
        await File.WriteAllTextAsync(file, "o");
        (await f.RunAsync("cp", file, $"cos://{bucket}/k")).Ok();
        (await f.RunAsync("acl", "set", $"cos://{bucket}/k", "--canned", "private")).Ok();
        Assert.Single((await f.RunAsync("acl", "get", $"cos://{bucket}/k", "--json")).Ok().Json.GetProperty("grants").EnumerateArray());

        Assert.Contains("not both", (await f.RunAsync("acl", "set", $"cos://{bucket}/k", "--canned", "private", "--grant-read", "all-users")).Fails(2));
        Assert.Contains("not both", (await f.RunAsync("acl", "set", $"cos://{bucket}/k")).Fails(2));
        Assert.Contains("no grantee", (await f.RunAsync("acl", "set", $"cos://{bucket}/k", "--grant-read", "bob")).Fails(2));
        Assert.Contains("buckets only", (await f.RunAsync("acl", "set", $"cos://{bucket}/k", "--grant-write", "all-users")).Fails(2));
        Assert.Contains("no Block Public Access flag", (await f.RunAsync("public-access-block", "set", $"cos://{bucket}", "Everything")).Fails(2));
        Assert.Contains("names an object", (await f.RunAsync("ownership", "get", $"cos://{bucket}/k")).Fails(2));
        Assert.Contains("NoSuchKey", (await f.RunAsync("acl", "get", $"cos://{bucket}/missing")).Fails(3));
    }
}
