using System.Diagnostics;
using System.Text.Json;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>The newcomer's path: awscli (the machine's, unmodified) against the server, S3 and KMS, with SSE.</summary>
[Collection(CofferCollection.Name)]
public sealed class AwsCliTests(CofferFixture f)
{
    private async Task<(int Code, string Out, string Err)> AwsAsync(params string[] args)
    {
        var start = new ProcessStartInfo("aws") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["AWS_ACCESS_KEY_ID"] = CofferFixture.AccessKey;
        start.Environment["AWS_SECRET_ACCESS_KEY"] = CofferFixture.SecretKey;
        start.Environment["AWS_DEFAULT_REGION"] = CofferFixture.Region;
        start.Environment["AWS_CONFIG_FILE"] = "/dev/null";
        start.Environment["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null";
        start.Environment["AWS_CA_BUNDLE"] = f.Server.CertificatePath!;
        Process process;
        try { process = Process.Start(start)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("awscli is not installed: run .ci/install-deps (Debian package awscli).", e);
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Awscli_makes_a_bucket_copies_with_sse_and_lists_over_https()
    {
        var endpoint = $"https://localhost:{f.HttpsUrl.Port}";
        var bucket = CofferFixture.NewBucket("cli");
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "hello from awscli");
        try
        {
            var mb = await AwsAsync("--endpoint-url", endpoint, "s3", "mb", $"s3://{bucket}");
            Assert.True(mb.Code == 0, mb.Err);
            var cp = await AwsAsync("--endpoint-url", endpoint, "s3", "cp", file, $"s3://{bucket}/dir/hello.txt", "--sse", "AES256");
            Assert.True(cp.Code == 0, cp.Err);
            var ls = await AwsAsync("--endpoint-url", endpoint, "s3", "ls", $"s3://{bucket}/dir/");
            Assert.True(ls.Code == 0, ls.Err);
            Assert.Contains("hello.txt", ls.Out);
            var head = await AwsAsync("--endpoint-url", endpoint, "s3api", "head-object", "--bucket", bucket, "--key", "dir/hello.txt");
            Assert.True(head.Code == 0, head.Err);
            Assert.Equal("AES256", JsonDocument.Parse(head.Out).RootElement.GetProperty("ServerSideEncryption").GetString());
            var back = Path.GetTempFileName();
            var get = await AwsAsync("--endpoint-url", endpoint, "s3", "cp", $"s3://{bucket}/dir/hello.txt", back);
            Assert.True(get.Code == 0, get.Err);
            Assert.Equal("hello from awscli", await File.ReadAllTextAsync(back));
            File.Delete(back);
            var rb = await AwsAsync("--endpoint-url", endpoint, "s3", "rb", $"s3://{bucket}", "--force");
            Assert.True(rb.Code == 0, rb.Err);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Awscli_turns_acls_on_makes_an_object_public_and_reads_the_acl_back()
    {
        var endpoint = $"https://localhost:{f.HttpsUrl.Port}";
        var bucket = CofferFixture.NewBucket("cliacl");
        async Task<string> Ok(params string[] args)
        {
            var run = await AwsAsync(["--endpoint-url", endpoint, .. args]);
            Assert.True(run.Code == 0, run.Err);
            return run.Out;
        }
        await Ok("s3api", "create-bucket", "--bucket", bucket, "--object-ownership", "ObjectWriter");
        var blocked = await AwsAsync("--endpoint-url", endpoint, "s3api", "put-object", "--bucket", bucket, "--key", "k", "--acl", "public-read");
        Assert.NotEqual(0, blocked.Code);
        Assert.Contains("AccessDenied", blocked.Err);

        await Ok("s3api", "delete-public-access-block", "--bucket", bucket);
        await Ok("s3api", "put-object", "--bucket", bucket, "--key", "k", "--acl", "public-read");
        var acl = JsonDocument.Parse(await Ok("s3api", "get-object-acl", "--bucket", bucket, "--key", "k")).RootElement;
        Assert.Contains(acl.GetProperty("Grants").EnumerateArray(), g =>
            g.GetProperty("Grantee").TryGetProperty("URI", out var uri) && uri.GetString() == "http://acs.amazonaws.com/groups/global/AllUsers"
            && g.GetProperty("Permission").GetString() == "READ");
        var ownership = JsonDocument.Parse(await Ok("s3api", "get-bucket-ownership-controls", "--bucket", bucket)).RootElement;
        Assert.Equal("ObjectWriter", ownership.GetProperty("OwnershipControls").GetProperty("Rules")[0].GetProperty("ObjectOwnership").GetString());

        await Ok("s3api", "put-public-access-block", "--bucket", bucket, "--public-access-block-configuration", "IgnorePublicAcls=true");
        var flags = JsonDocument.Parse(await Ok("s3api", "get-public-access-block", "--bucket", bucket)).RootElement.GetProperty("PublicAccessBlockConfiguration");
        Assert.True(flags.GetProperty("IgnorePublicAcls").GetBoolean());
        Assert.False(flags.GetProperty("BlockPublicAcls").GetBoolean());
        acl = JsonDocument.Parse(await Ok("s3api", "get-object-acl", "--bucket", bucket, "--key", "k")).RootElement;
        Assert.Single(acl.GetProperty("Grants").EnumerateArray());
    }

    [Fact]
    public async Task Awscli_creates_and_describes_kms_keys()
    {
        var endpoint = $"https://localhost:{f.HttpsUrl.Port}";
        var created = await AwsAsync("--endpoint-url", endpoint, "kms", "create-key", "--description", "from awscli");
        Assert.True(created.Code == 0, created.Err);
        var keyId = JsonDocument.Parse(created.Out).RootElement.GetProperty("KeyMetadata").GetProperty("KeyId").GetString()!;
        var described = await AwsAsync("--endpoint-url", endpoint, "kms", "describe-key", "--key-id", keyId);
        Assert.True(described.Code == 0, described.Err);
        Assert.Equal("Enabled", JsonDocument.Parse(described.Out).RootElement.GetProperty("KeyMetadata").GetProperty("KeyState").GetString());
        var missing = await AwsAsync("--endpoint-url", endpoint, "kms", "describe-key", "--key-id", Guid.NewGuid().ToString());
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("NotFoundException", missing.Err);
    }

    private async Task<List<(string?, string?)>> TagsAsync(string endpoint, string bucket, string key)
    {
        var tags = await AwsAsync("--endpoint-url", endpoint, "s3api", "get-object-tagging", "--bucket", bucket, "--key", key);
        Assert.True(tags.Code == 0, tags.Err);
        return JsonDocument.Parse(tags.Out).RootElement.GetProperty("TagSet").EnumerateArray()
            .Select(t => (t.GetProperty("Key").GetString(), t.GetProperty("Value").GetString())).ToList();
    }

    /// <summary>
    /// `aws s3 cp` between two objects of Coffer copies a multipart-sized object (over awscli's 8 MiB threshold) as
    /// a multipart copy, reading the source's tags first (GetObjectTagging) and giving them to the copy.
    /// </summary>
    [Fact]
    public async Task Awscli_copies_a_multipart_sized_object_within_coffer_with_its_tags()
    {
        var endpoint = $"https://localhost:{f.HttpsUrl.Port}";
        var bucket = CofferFixture.NewBucket("clitag");
        var file = Path.GetTempFileName();
        var back = Path.GetTempFileName();
        var data = System.Security.Cryptography.RandomNumberGenerator.GetBytes(9 * 1024 * 1024 + 17);
        await File.WriteAllBytesAsync(file, data);
        try
        {
            Assert.Equal(0, (await AwsAsync("--endpoint-url", endpoint, "s3", "mb", $"s3://{bucket}")).Code);
            var put = await AwsAsync("--endpoint-url", endpoint, "s3api", "put-object", "--bucket", bucket, "--key", "big", "--body", file,
                "--tagging", "project=blue&owner=data%20team");
            Assert.True(put.Code == 0, put.Err);

            var cp = await AwsAsync("--endpoint-url", endpoint, "s3", "cp", $"s3://{bucket}/big", $"s3://{bucket}/copy");
            Assert.True(cp.Code == 0, cp.Err);

            // awscli 2 (Debian's) reads the source's tags and gives them to the copy; awscli 1 copies no tags.
            Assert.Equal([("project", "blue"), ("owner", "data team")], await TagsAsync(endpoint, bucket, "big"));
            var version = await AwsAsync("--version");
            if (!(version.Out + version.Err).StartsWith("aws-cli/1.", StringComparison.Ordinal))
                Assert.Equal([("project", "blue"), ("owner", "data team")], await TagsAsync(endpoint, bucket, "copy"));
            var head = await AwsAsync("--endpoint-url", endpoint, "s3api", "head-object", "--bucket", bucket, "--key", "copy");
            Assert.True(head.Code == 0, head.Err);
            Assert.EndsWith("-2\"", JsonDocument.Parse(head.Out).RootElement.GetProperty("ETag").GetString());   // it was a multipart copy

            var get = await AwsAsync("--endpoint-url", endpoint, "s3", "cp", $"s3://{bucket}/copy", back);
            Assert.True(get.Code == 0, get.Err);
            Assert.Equal(data, await File.ReadAllBytesAsync(back));

            var rb = await AwsAsync("--endpoint-url", endpoint, "s3", "rb", $"s3://{bucket}", "--force");
            Assert.True(rb.Code == 0, rb.Err);
        }
        finally
        {
            File.Delete(file);
            File.Delete(back);
        }
    }

    [Fact]
    public async Task Awscli_puts_reads_and_deletes_a_lifecycle_configuration_and_head_shows_the_expiration()
    {
        var endpoint = $"https://localhost:{f.HttpsUrl.Port}";
        var bucket = CofferFixture.NewBucket("cli-lc");
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, """
            {"Rules": [
              {"ID": "tmp", "Filter": {"Prefix": "tmp/"}, "Status": "Enabled", "Expiration": {"Days": 7}},
              {"ID": "cold", "Filter": {"And": {"Prefix": "cold/", "Tags": [{"Key": "tier", "Value": "cold"}]}}, "Status": "Enabled",
               "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]},
              {"ID": "uploads", "Filter": {}, "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}}
            ]}
            """);
        try
        {
            Assert.Equal(0, (await AwsAsync("--endpoint-url", endpoint, "s3", "mb", $"s3://{bucket}")).Code);
            var none = await AwsAsync("--endpoint-url", endpoint, "s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket);
            Assert.NotEqual(0, none.Code);
            Assert.Contains("NoSuchLifecycleConfiguration", none.Err);

            var put = await AwsAsync("--endpoint-url", endpoint, "s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket,
                "--lifecycle-configuration", "file://" + file);
            Assert.True(put.Code == 0, put.Err);
            var get = await AwsAsync("--endpoint-url", endpoint, "s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket);
            Assert.True(get.Code == 0, get.Err);
            var rules = JsonDocument.Parse(get.Out).RootElement.GetProperty("Rules").EnumerateArray().ToList();
            Assert.Equal(["tmp", "cold", "uploads"], rules.Select(r => r.GetProperty("ID").GetString()));
            Assert.Equal(7, rules[0].GetProperty("Expiration").GetProperty("Days").GetInt32());
            Assert.Equal("GLACIER", rules[1].GetProperty("Transitions")[0].GetProperty("StorageClass").GetString());
            Assert.Equal("cold", rules[1].GetProperty("Filter").GetProperty("And").GetProperty("Tags")[0].GetProperty("Value").GetString());
            Assert.Equal(3, rules[2].GetProperty("AbortIncompleteMultipartUpload").GetProperty("DaysAfterInitiation").GetInt32());

            var cp = await AwsAsync("--endpoint-url", endpoint, "s3", "cp", file, $"s3://{bucket}/tmp/a.json");
            Assert.True(cp.Code == 0, cp.Err);
            var head = await AwsAsync("--endpoint-url", endpoint, "s3api", "head-object", "--bucket", bucket, "--key", "tmp/a.json");
            Assert.True(head.Code == 0, head.Err);
            Assert.Contains("rule-id=\"tmp\"", JsonDocument.Parse(head.Out).RootElement.GetProperty("Expiration").GetString());

            await File.WriteAllTextAsync(file, """{"Rules": [{"ID": "bad", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 0}}]}""");
            var bad = await AwsAsync("--endpoint-url", endpoint, "s3api", "put-bucket-lifecycle-configuration", "--bucket", bucket,
                "--lifecycle-configuration", "file://" + file);
            Assert.NotEqual(0, bad.Code);
            Assert.Contains("InvalidArgument", bad.Err);

            var delete = await AwsAsync("--endpoint-url", endpoint, "s3api", "delete-bucket-lifecycle", "--bucket", bucket);
            Assert.True(delete.Code == 0, delete.Err);
            Assert.Contains("NoSuchLifecycleConfiguration", (await AwsAsync("--endpoint-url", endpoint, "s3api", "get-bucket-lifecycle-configuration", "--bucket", bucket)).Err);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
