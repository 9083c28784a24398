using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>
/// The exit codes: 0 ok, 1 other failures, 2 usage, 3 not found, 4 access denied; each failure is one line on stderr
/// with the server's code and message and what to do.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ExitCodeTests(CliServerFixture f)
{
    [Fact]
    public async Task Success_exits_0_with_nothing_on_stderr()
    {
        var result = (await f.RunAsync("ls")).Ok();
        Assert.Empty(result.Stderr);
    }

    [Fact]
    public async Task A_missing_bucket_exits_3_with_the_code_the_message_and_how_to_create_it()
    {
        var bucket = CliServerFixture.NewBucket("missing");
        Assert.Equal($"coffer: NoSuchBucket: The bucket '{bucket}' does not exist; create it with: coffer mb cos://{bucket}",
            (await f.RunAsync("ls", $"cos://{bucket}")).Fails(3));
        Assert.StartsWith("coffer: NoSuchBucket:", (await f.RunAsync("cp", f.RandomFile(10), $"cos://{bucket}/k")).Fails(3));
        Assert.StartsWith("coffer: NoSuchBucket:", (await f.RunAsync("stat", $"cos://{bucket}/k")).Fails(3));
    }

    [Fact]
    public async Task A_missing_key_exits_3_and_points_to_ls()
    {
        var bucket = await f.CreateBucketAsync("nokey");
        var line = (await f.RunAsync("cat", $"cos://{bucket}/dir/missing.txt")).Fails(3);
        Assert.Equal($"coffer: NoSuchKey: The key 'dir/missing.txt' does not exist in bucket '{bucket}'; see what is there with: coffer ls cos://{bucket}/dir/", line);
        Assert.StartsWith("coffer: NoSuchKey:", (await f.RunAsync("stat", $"cos://{bucket}/missing")).Fails(3));
        Assert.StartsWith("coffer: NoSuchKey:", (await f.RunAsync("cp", $"cos://{bucket}/missing", f.NewPath())).Fails(3));
        Assert.StartsWith("coffer: NoSuchKey:", (await f.RunAsync("restore", $"cos://{bucket}/missing")).Fails(3));
    }

    [Theory]
    [InlineData("cos")]
    [InlineData("v4")]
    public async Task An_unknown_access_key_exits_4_with_InvalidAccessKeyId(string signature)
    {
        var line = (await f.RunWithAsync(new Dictionary<string, string?> { ["COFFER_ACCESS_KEY"] = "AKIDNOBODY0000000000", ["COFFER_SIGNATURE"] = signature }, "ls")).Fails(4);
        Assert.StartsWith("coffer: InvalidAccessKeyId:", line);
        Assert.Contains("coffer config", line);
    }

    [Theory]
    [InlineData("cos")]
    [InlineData("v4")]
    public async Task A_wrong_secret_key_exits_4_with_SignatureDoesNotMatch(string signature)
    {
        var bucket = await f.CreateBucketAsync("sig");
        var line = (await f.RunWithAsync(new Dictionary<string, string?> { ["COFFER_SECRET_KEY"] = "WrongSecret0123456789abcdefghijklmno", ["COFFER_SIGNATURE"] = signature }, "ls", $"cos://{bucket}")).Fails(4);
        Assert.StartsWith("coffer: SignatureDoesNotMatch:", line);
        Assert.Contains("coffer config set --secret-key", line);
    }

    [Fact]
    public async Task A_wrong_secret_key_for_kms_exits_4()
    {
        var line = (await f.RunWithAsync(new Dictionary<string, string?> { ["COFFER_SECRET_KEY"] = "WrongSecret0123456789abcdefghijklmno" }, "kms", "list-keys")).Fails(4);
        Assert.StartsWith("coffer: ", line);
    }

    [Fact]
    public async Task A_wrong_sse_c_key_exits_4_with_AccessDenied()
    {
        var bucket = await f.CreateBucketAsync("ssecdeny");
        (await f.RunAsync("cp", f.RandomFile(100), $"cos://{bucket}/o", "--sse-c-key", SseKeys.Key1)).Ok();
        Assert.StartsWith("coffer: AccessDenied:", (await f.RunAsync("cat", $"cos://{bucket}/o", "--sse-c-key", SseKeys.Key2)).Fails(4));
    }

    [Fact]
    public async Task Other_server_errors_exit_1()
    {
        var bucket = await f.CreateBucketAsync("busy");
        (await f.RunAsync("cp", f.RandomFile(10), $"cos://{bucket}/o")).Ok();
        Assert.StartsWith("coffer: BucketNotEmpty:", (await f.RunAsync("rb", $"cos://{bucket}")).Fails(1));
        Assert.StartsWith("coffer: RestoreNonArchiveObject:", (await f.RunAsync("restore", $"cos://{bucket}/o")).Fails(1));
    }

    [Fact]
    public async Task An_untrusted_certificate_exits_1_and_says_to_trust_it_with_ca_file()
    {
        var line = (await f.RunWithAsync(new Dictionary<string, string?> { ["COFFER_CA_FILE"] = null }, "ls")).Fails(1);
        Assert.Contains("--ca-file", line);
        // COFFER_INSECURE=1 trusts any certificate.
        (await f.RunWithAsync(new Dictionary<string, string?> { ["COFFER_CA_FILE"] = null, ["COFFER_INSECURE"] = "1" }, "ls")).Ok();
    }

    [Fact]
    public async Task The_environment_overrides_a_wrong_config_file()
    {
        // The file names a wrong secret; the environment's right one wins, then the file alone is refused.
        var env = new Dictionary<string, string?> { ["COFFER_CONFIG"] = Path.Combine(f.Root, "override", "config.json") };
        (await f.RunWithAsync(env, "config", "set", "--endpoint", f.HttpsUrl.GetLeftPart(UriPartial.Authority), "--access-key", CliServerFixture.AccessKey,
            "--secret-key", "WrongSecret0123456789abcdefghijklmno", "--ca-file", f.Server.CertificatePath!)).Ok();
        (await f.RunWithAsync(env, "ls")).Ok();

        var fileOnly = new Dictionary<string, string?>(env) { ["COFFER_ENDPOINT"] = null, ["COFFER_ACCESS_KEY"] = null, ["COFFER_SECRET_KEY"] = null, ["COFFER_CA_FILE"] = null };
        Assert.StartsWith("coffer: SignatureDoesNotMatch:", (await f.RunWithAsync(fileOnly, "ls")).Fails(4));
        (await f.RunWithAsync(fileOnly, "config", "set", "--secret-key", CliServerFixture.SecretKey)).Ok();
        (await f.RunWithAsync(fileOnly, "ls")).Ok();
    }
}
