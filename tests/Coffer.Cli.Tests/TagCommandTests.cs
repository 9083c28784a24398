using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>coffer tag set|get|rm on objects and buckets against a real server, text and --json, and its refusals.</summary>
[Collection(ServerCollection.Name)]
public sealed class TagCommandTests(CliServerFixture f)
{
    [Fact]
    public async Task Tag_set_get_and_rm_an_objects_tags()
    {
        var bucket = await f.CreateBucketAsync("tag");
        var file = f.NewPath("tagged");
        await File.WriteAllTextAsync(file, "tagged");
        (await f.RunAsync("cp", file, $"cos://{bucket}/cat.jpg")).Ok();

        Assert.Equal($"tag: cos://{bucket}/cat.jpg has 2 tag(s) now",
            (await f.RunAsync("tag", "set", $"cos://{bucket}/cat.jpg", "project=blue", "owner=data team")).Ok().Stdout.Trim());
        var text = (await f.RunAsync("tag", "get", $"cos://{bucket}/cat.jpg")).Ok().Stdout.ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["KEY      VALUE", "project  blue", "owner    data team"], text);
        var json = (await f.RunAsync("tag", "get", $"cos://{bucket}/cat.jpg", "--json")).Ok().Json.GetProperty("tags").EnumerateArray()
            .Select(t => (t.GetProperty("key").GetString(), t.GetProperty("value").GetString())).ToList();
        Assert.Equal([("project", "blue"), ("owner", "data team")], json);

        (await f.RunAsync("tag", "rm", $"cos://{bucket}/cat.jpg")).Ok();
        Assert.Empty((await f.RunAsync("tag", "get", $"cos://{bucket}/cat.jpg", "--json")).Ok().Json.GetProperty("tags").EnumerateArray());
    }

    [Fact]
    public async Task Tag_works_on_a_bucket_and_a_bucket_without_tags_exits_3()
    {
        var bucket = await f.CreateBucketAsync("tagb");
        Assert.Contains("NoSuchTagSet", (await f.RunAsync("tag", "get", $"cos://{bucket}")).Fails(3));
        (await f.RunAsync("tag", "set", $"cos://{bucket}", "cost-center=42", "flag")).Ok();
        var tags = (await f.RunAsync("tag", "get", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("tags").EnumerateArray()
            .Select(t => (t.GetProperty("key").GetString(), t.GetProperty("value").GetString())).ToList();
        Assert.Equal([("cost-center", "42"), ("flag", "")], tags);
        Assert.Contains("has no tags now", (await f.RunAsync("tag", "rm", $"cos://{bucket}")).Ok().Stdout);
        (await f.RunAsync("tag", "get", $"cos://{bucket}")).Fails(3);
    }

    [Fact]
    public async Task Tag_refuses_what_the_server_or_the_command_line_does_not_allow()
    {
        var bucket = await f.CreateBucketAsync("tagx");
        Assert.Contains("NoSuchKey", (await f.RunAsync("tag", "set", $"cos://{bucket}/missing", "a=b")).Fails(3));
        var file = f.NewPath("x");
        await File.WriteAllTextAsync(file, "x");
        (await f.RunAsync("cp", file, $"cos://{bucket}/k")).Ok();
        Assert.Contains("InvalidTag", (await f.RunAsync("tag", "set", $"cos://{bucket}/k", "aws:x=y")).Fails(1));
        Assert.Contains("BadRequest", (await f.RunAsync(["tag", "set", $"cos://{bucket}/k", .. Enumerable.Range(0, 11).Select(i => $"k{i}=v")])).Fails(1));
        Assert.Contains("given twice", (await f.RunAsync("tag", "set", $"cos://{bucket}/k", "a=1", "a=2")).Fails(2));
        Assert.Contains("no tag key", (await f.RunAsync("tag", "set", $"cos://{bucket}/k", "=v")).Fails(2));
        Assert.Contains("folder", (await f.RunAsync("tag", "get", $"cos://{bucket}/dir/")).Fails(2));
        (await f.RunAsync("tag", "set", $"cos://{bucket}/k")).Fails(2);
        Assert.Empty((await f.RunAsync("tag", "get", $"cos://{bucket}/k", "--json")).Ok().Json.GetProperty("tags").EnumerateArray());
    }
}
