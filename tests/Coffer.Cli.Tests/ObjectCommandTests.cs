using System.Net.Security;
using System.Text.Json;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>mb, rb, ls, rm, stat, cat, presign and encryption against a real server, text and --json.</summary>
[Collection(ServerCollection.Name)]
public sealed class ObjectCommandTests(CliServerFixture f)
{
    private async Task PutAsync(string bucket, string key, string content)
    {
        var file = f.NewPath("put");
        await File.WriteAllTextAsync(file, content);
        (await f.RunAsync("cp", file, $"cos://{bucket}/{key}")).Ok();
    }

    [Fact]
    public async Task Mb_makes_a_bucket_that_ls_lists_and_rb_removes()
    {
        var bucket = CliServerFixture.NewBucket("mb");
        Assert.Equal($"make_bucket: {bucket}", (await f.RunAsync("mb", $"cos://{bucket}")).Ok().Stdout.Trim());
        Assert.Contains(bucket, (await f.RunAsync("ls")).Ok().Stdout);
        var listed = (await f.RunAsync("ls", "--json")).Ok().Json.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("name").GetString()).ToList();
        Assert.Contains(bucket, listed);

        Assert.Contains("BucketAlreadyOwnedByYou", (await f.RunAsync("mb", $"cos://{bucket}")).Fails(1));

        Assert.Equal($"remove_bucket: {bucket}", (await f.RunAsync("rb", $"cos://{bucket}")).Ok().Stdout.Trim());
        Assert.DoesNotContain(bucket, (await f.RunAsync("ls")).Ok().Stdout);
    }

    [Fact]
    public async Task Rb_refuses_a_bucket_with_objects_unless_force_empties_it_first()
    {
        var bucket = await f.CreateBucketAsync("rb");
        await PutAsync(bucket, "a.txt", "a");
        await PutAsync(bucket, "dir/b.txt", "b");
        var refused = (await f.RunAsync("rb", $"cos://{bucket}")).Fails(1);
        Assert.Contains("BucketNotEmpty", refused);
        Assert.Contains($"coffer rb --force cos://{bucket}", refused);

        var forced = (await f.RunAsync("rb", "--force", $"cos://{bucket}", "--json")).Ok().Json;
        Assert.Equal(2, forced.GetProperty("objectsDeleted").GetInt32());
        Assert.Contains("NoSuchBucket", (await f.RunAsync("ls", $"cos://{bucket}")).Fails(3));
    }

    [Fact]
    public async Task Ls_shows_one_level_with_PRE_lines_and_everything_with_recursive()
    {
        var bucket = await f.CreateBucketAsync("ls");
        await PutAsync(bucket, "top.txt", "12345");
        await PutAsync(bucket, "photos/2026/a.jpg", "a");
        await PutAsync(bucket, "photos/b.jpg", "bb");

        var root = (await f.RunAsync("ls", $"cos://{bucket}")).Ok().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, root.Length);
        Assert.Equal(new string(' ', 27) + "PRE photos/", root[0]);
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +5 top\.txt$", root[1]);

        var photos = (await f.RunAsync("ls", $"cos://{bucket}/photos/")).Ok().Stdout;
        Assert.Contains("PRE 2026/", photos);
        Assert.Matches(@"(?m)^\S+ \S+ +2 b\.jpg$", photos);
        Assert.DoesNotContain("photos/b.jpg", photos);

        var all = (await f.RunAsync("ls", "--recursive", "--summarize", $"cos://{bucket}")).Ok().Stdout;
        Assert.Contains("photos/2026/a.jpg", all);
        Assert.DoesNotContain("PRE", all);
        Assert.Contains("Total Objects: 3", all);
        Assert.Contains("Total Size: 8", all);

        var json = (await f.RunAsync("ls", $"cos://{bucket}/photos/", "--json")).Ok().Json;
        Assert.Equal(["photos/2026/"], json.GetProperty("prefixes").EnumerateArray().Select(p => p.GetString()!).ToArray());
        var only = Assert.Single(json.GetProperty("objects").EnumerateArray());
        Assert.Equal("photos/b.jpg", only.GetProperty("key").GetString());
        Assert.Equal(2, only.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task Rm_deletes_one_object_or_every_object_under_a_prefix()
    {
        var bucket = await f.CreateBucketAsync("rm");
        await PutAsync(bucket, "keep.txt", "k");
        await PutAsync(bucket, "tmp/a", "a");
        await PutAsync(bucket, "tmp/sub/b", "b");

        Assert.Equal($"delete: cos://{bucket}/keep.txt", (await f.RunAsync("rm", $"cos://{bucket}/keep.txt")).Ok().Stdout.Trim());
        var deleted = (await f.RunAsync("rm", "--recursive", $"cos://{bucket}/tmp/", "--json")).Ok().Json.GetProperty("deleted");
        Assert.Equal(["tmp/a", "tmp/sub/b"], deleted.EnumerateArray().Select(d => d.GetString()!).ToArray());
        Assert.Empty((await f.RunAsync("ls", "-r", $"cos://{bucket}")).Ok().Stdout.Trim());
    }

    [Fact]
    public async Task Stat_and_cat_show_an_object_and_its_content()
    {
        var bucket = await f.CreateBucketAsync("stat");
        var file = f.RandomFile(100_000);
        (await f.RunAsync("cp", file, $"cos://{bucket}/data.bin")).Ok();

        var text = (await f.RunAsync("stat", $"cos://{bucket}/data.bin")).Ok().Stdout;
        Assert.Contains("100000 (97.7 KiB)", text);
        Assert.Matches(@"(?m)^Encryption\s+none$", text);
        var json = (await f.RunAsync("stat", $"cos://{bucket}/data.bin", "--json")).Ok().Json;
        Assert.Equal(100_000, json.GetProperty("size").GetInt64());
        Assert.Equal("STANDARD", json.GetProperty("storageClass").GetString());
        Assert.Equal("none", json.GetProperty("encryption").GetProperty("mode").GetString());

        var cat = (await f.RunAsync("cat", $"cos://{bucket}/data.bin")).Ok();
        Assert.Equal(await File.ReadAllBytesAsync(file), cat.StdoutBytes);

        var bucketStat = (await f.RunAsync("stat", $"cos://{bucket}", "--json")).Ok().Json;
        Assert.Equal(bucket, bucketStat.GetProperty("bucket").GetString());
    }

    [Fact]
    public async Task Presign_prints_a_url_that_works_without_credentials()
    {
        var bucket = await f.CreateBucketAsync("presign");
        await PutAsync(bucket, "shared.txt", "shared content");
        var url = (await f.RunAsync("presign", $"cos://{bucket}/shared.txt", "--expires", "5m")).Ok().Stdout.Trim();
        Assert.StartsWith(f.HttpsUrl.GetLeftPart(UriPartial.Authority), url);

        var json = (await f.RunAsync("presign", $"cos://{bucket}/shared.txt", "--json")).Ok().Json;
        Assert.Equal("GET", json.GetProperty("method").GetString());

        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
                errors == SslPolicyErrors.None || certificate?.Thumbprint == f.Server.Certificate!.Thumbprint,
        };
        using var http = new HttpClient(handler);
        Assert.Equal("shared content", await http.GetStringAsync(url));
        Assert.Equal("shared content", await http.GetStringAsync(json.GetProperty("url").GetString()));
    }

    [Fact]
    public async Task Encryption_set_get_delete_manage_the_bucket_default()
    {
        var bucket = await f.CreateBucketAsync("enc");
        var none = (await f.RunAsync("encryption", "get", $"cos://{bucket}")).Fails(3);
        Assert.Contains($"coffer encryption set cos://{bucket}", none);

        Assert.Contains("AES256", (await f.RunAsync("encryption", "set", $"cos://{bucket}", "--sse", "AES256")).Ok().Stdout);
        var rules = (await f.RunAsync("encryption", "get", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("rules");
        Assert.Equal("AES256", Assert.Single(rules.EnumerateArray()).GetProperty("sseAlgorithm").GetString());
        Assert.Matches(@"(?m)^SSE algorithm\s+AES256$", (await f.RunAsync("encryption", "get", $"cos://{bucket}")).Ok().Stdout);

        // An object written without flags takes the default.
        await PutAsync(bucket, "default.txt", "d");
        Assert.Equal("SSE-COS", (await f.RunAsync("stat", $"cos://{bucket}/default.txt", "--json")).Ok().Json.GetProperty("encryption").GetProperty("mode").GetString());

        var key = (await f.RunAsync("kms", "create-key", "--json")).Ok().Json.GetProperty("keyId").GetString()!;
        (await f.RunAsync("encryption", "set", $"cos://{bucket}", "--sse", "cos/kms", "--sse-kms-key-id", key)).Ok();
        var kms = Assert.Single((await f.RunAsync("encryption", "get", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("rules").EnumerateArray());
        Assert.Equal(key, kms.GetProperty("kmsMasterKeyId").GetString());

        Assert.True((await f.RunAsync("encryption", "delete", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("deleted").GetBoolean());
        (await f.RunAsync("encryption", "get", $"cos://{bucket}")).Fails(3);
    }

    [Fact]
    public async Task Sm4_is_offered_by_cp_and_by_the_bucket_default_and_shown_by_stat()
    {
        var bucket = await f.CreateBucketAsync("sm4");
        var file = f.NewPath("sm4");
        await File.WriteAllTextAsync(file, "sm4 data");
        (await f.RunAsync("cp", file, $"cos://{bucket}/put.txt", "--sse", "SM4")).Ok();
        var stat = (await f.RunAsync("stat", $"cos://{bucket}/put.txt", "--json")).Ok().Json.GetProperty("encryption");
        Assert.Equal(("SSE-COS", "SM4"), (stat.GetProperty("mode").GetString(), stat.GetProperty("serverSideEncryption").GetString()));
        Assert.Equal("sm4 data", (await f.RunAsync("cat", $"cos://{bucket}/put.txt")).Ok().Stdout);
        Assert.Contains("--sse-kms-key-id and --sse-context go with --sse cos/kms, not SM4",
            (await f.RunAsync("cp", file, $"cos://{bucket}/bad.txt", "--sse", "SM4", "--sse-kms-key-id", "k")).Fails(2));

        (await f.RunAsync("encryption", "set", $"cos://{bucket}", "--sse", "cos/kms", "--sse-kms-algorithm", "SM4")).Ok();
        var rule = Assert.Single((await f.RunAsync("encryption", "get", $"cos://{bucket}", "--json")).Ok().Json.GetProperty("rules").EnumerateArray());
        Assert.Equal(("KMS", "SM4"), (rule.GetProperty("sseAlgorithm").GetString(), rule.GetProperty("kmsAlgorithm").GetString()));
        (await f.RunAsync("encryption", "set", $"cos://{bucket}", "--sse", "SM4")).Ok();
        Assert.Matches(@"(?m)^SSE algorithm\s+SM4$", (await f.RunAsync("encryption", "get", $"cos://{bucket}")).Ok().Stdout);
        Assert.Contains("--sse-kms-algorithm go with --sse cos/kms, not SM4",
            (await f.RunAsync("encryption", "set", $"cos://{bucket}", "--sse", "SM4", "--sse-kms-algorithm", "SM4")).Fails(2));
    }

    [Fact]
    public async Task The_commands_work_over_plain_http_and_with_signature_v4()
    {
        var http = new Dictionary<string, string?> { ["COFFER_ENDPOINT"] = f.HttpUrl.GetLeftPart(UriPartial.Authority), ["COFFER_CA_FILE"] = null };
        var v4 = new Dictionary<string, string?> { ["COFFER_SIGNATURE"] = "v4" };
        foreach (var env in new[] { http, v4 })
        {
            var bucket = CliServerFixture.NewBucket("proto");
            (await f.RunWithAsync(env, "mb", $"cos://{bucket}")).Ok();
            var file = f.NewPath("proto");
            await File.WriteAllTextAsync(file, "over the wire");
            (await f.RunWithAsync(env, "cp", file, $"cos://{bucket}/dir/x.txt", "--sse", "AES256")).Ok();
            Assert.Contains("x.txt", (await f.RunWithAsync(env, "ls", $"cos://{bucket}/dir/")).Ok().Stdout);
            Assert.Contains(bucket, (await f.RunWithAsync(env, "ls")).Ok().Stdout);
            Assert.Equal("over the wire", (await f.RunWithAsync(env, "cat", $"cos://{bucket}/dir/x.txt")).Ok().Stdout);
            (await f.RunWithAsync(env, "rb", "--force", $"cos://{bucket}")).Ok();
        }
    }

    [Fact]
    public async Task Sse_c_over_plain_http_is_refused_with_a_pointer_to_https()
    {
        var bucket = await f.CreateBucketAsync("http");
        var file = f.NewPath("http");
        await File.WriteAllTextAsync(file, "secret");
        var http = new Dictionary<string, string?> { ["COFFER_ENDPOINT"] = f.HttpUrl.GetLeftPart(UriPartial.Authority), ["COFFER_CA_FILE"] = null };
        var line = (await f.RunWithAsync(http, "cp", file, $"cos://{bucket}/s.txt", "--sse-c-key", SseKeys.Key1)).Fails(1);
        Assert.Contains("https://", line);
    }

    [Theory]
    [InlineData("cos")]
    [InlineData("v4")]
    public async Task Temporary_credentials_work_with_their_session_token(string signature)
    {
        var issued = (await f.RunAsync("admin", "user", "token", "root", "--duration", "600", "--data", f.DataDirectory, "--json")).Ok().Json;
        var env = new Dictionary<string, string?>
        {
            ["COFFER_ACCESS_KEY"] = issued.GetProperty("tmpSecretId").GetString(),
            ["COFFER_SECRET_KEY"] = issued.GetProperty("tmpSecretKey").GetString(),
            ["COFFER_SESSION_TOKEN"] = issued.GetProperty("sessionToken").GetString(),
            ["COFFER_SIGNATURE"] = signature,
        };
        var bucket = CliServerFixture.NewBucket("sts");
        (await f.RunWithAsync(env, "mb", $"cos://{bucket}")).Ok();
        Assert.Contains(bucket, (await f.RunWithAsync(env, "ls")).Ok().Stdout);
        (await f.RunWithAsync(env, "kms", "list-keys")).Ok();
        env["COFFER_SESSION_TOKEN"] = null;
        (await f.RunWithAsync(env, "ls")).Fails(4);
    }

    [Fact]
    public async Task Json_output_of_every_data_command_parses()
    {
        var bucket = CliServerFixture.NewBucket("json");
        var file = f.NewPath("json");
        await File.WriteAllTextAsync(file, "j");
        string[][] commands =
        [
            ["mb", $"cos://{bucket}", "--json"],
            ["cp", file, $"cos://{bucket}/j.txt", "--json"],
            ["ls", "--json"],
            ["ls", $"cos://{bucket}", "--json"],
            ["stat", $"cos://{bucket}/j.txt", "--json"],
            ["cp", $"cos://{bucket}/j.txt", $"cos://{bucket}/k.txt", "--json"],
            ["mv", $"cos://{bucket}/k.txt", $"cos://{bucket}/l.txt", "--json"],
            ["presign", $"cos://{bucket}/j.txt", "--json"],
            ["encryption", "set", $"cos://{bucket}", "--sse", "AES256", "--json"],
            ["encryption", "get", $"cos://{bucket}", "--json"],
            ["encryption", "delete", $"cos://{bucket}", "--json"],
            ["rm", $"cos://{bucket}/l.txt", "--json"],
            ["config", "show", "--json"],
            ["rb", "--force", $"cos://{bucket}", "--json"],
        ];
        foreach (var command in commands)
        {
            var result = (await f.RunAsync(command)).Ok();
            Assert.Equal(JsonValueKind.Object, result.Json.ValueKind);
        }
    }
}
