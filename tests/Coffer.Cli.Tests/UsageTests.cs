using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>Mistakes on the command line: exit code 2 and one line on stderr, before anything reaches a server.</summary>
public sealed class UsageTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "coffer-cli-usage-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly string _file;

    public UsageTests()
    {
        Directory.CreateDirectory(_root);
        _file = Path.Combine(_root, "a.txt");
        File.WriteAllText(_file, "a");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>An endpoint where nothing listens: a command that got as far as the network would fail with 1, not 2.</summary>
    private Task<CliResult> RunAsync(params string[] args) => CofferProcess.RunAsync(new Dictionary<string, string?>
    {
        ["HOME"] = _root,
        ["COFFER_CONFIG"] = Path.Combine(_root, "config.json"),
        ["COFFER_ENDPOINT"] = "https://127.0.0.1:1",
        ["COFFER_ACCESS_KEY"] = "AKIDUSAGE",
        ["COFFER_SECRET_KEY"] = "UsageSecret0123456789",
    }, args, workingDirectory: _root);

    [Theory]
    [InlineData("cp a.txt cos://b/k --bogus")]
    [InlineData("cp a.txt")]
    [InlineData("frobnicate")]
    [InlineData("kms")]
    [InlineData("cp a.txt cos://b/k --sse DES")]
    [InlineData("restore cos://b/k --tier Fast")]
    [InlineData("ls --recursive cos://b extra")]
    public async Task The_parser_refuses_with_exit_code_2_and_points_to_help(string commandLine)
    {
        var line = (await RunAsync(commandLine.Split(' '))).Fails(2);
        Assert.Contains("--help", line);
    }

    [Theory]
    [InlineData("cp a.txt cos://b/k --sse-c-key c2hvcnQ=", "32 bytes")]
    [InlineData("cp a.txt cos://b/k --sse-c-key not*base64", "base64")]
    [InlineData("cp a.txt cos://b/k --sse-c-key @a.txt", "neither a 32-byte key nor its base64")]
    [InlineData("cp a.txt cos://b/k --sse AES256 --sse-c-key MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDE=", "cannot be combined")]
    [InlineData("cp a.txt cos://b/k --sse AES256 --sse-kms-key-id k", "cos/kms")]
    [InlineData("cp a.txt cos://b/k --sse-context not-json", "JSON object")]
    [InlineData("cp a.txt b.txt", "both paths are local")]
    [InlineData("cp cos://b/ ./", "--recursive")]
    [InlineData("cp . cos://b/", "--recursive")]
    [InlineData("cp a.txt cos://", "names no bucket")]
    [InlineData("cp cos://b/k ./x --sse AES256", "a download only needs --sse-c-key")]
    [InlineData("cp a.txt cos://b/k --part-size 1KiB", "--part-size")]
    [InlineData("cp a.txt cos://b/k --threads 0", "--threads")]
    [InlineData("rm cos://b", "--recursive")]
    [InlineData("mb cos://b/key", "bucket alone")]
    [InlineData("stat b/k", "cos://BUCKET/KEY")]
    [InlineData("presign cos://b/k --expires 8d", "7 days")]
    [InlineData("presign cos://b/k --expires soon", "duration")]
    [InlineData("restore cos://b/k --days 0", "--days")]
    [InlineData("kms schedule-deletion k --days 3", "7 to 30")]
    [InlineData("kms create-alias photos k", "alias/NAME")]
    [InlineData("encryption set cos://b --sse AES256 --sse-kms-key-id k", "cos/kms")]
    public async Task Wrong_values_are_usage_errors_that_say_what_to_write(string commandLine, string expected)
    {
        var line = (await RunAsync(commandLine.Split(' '))).Fails(2);
        Assert.Contains(expected, line);
    }

    [Fact]
    public async Task A_missing_local_file_exits_3()
    {
        Assert.Contains("no such file", (await RunAsync("cp", "missing.txt", "cos://b/k")).Fails(3));
        Assert.Contains("no such file", (await RunAsync("cp", "a.txt", "cos://b/k", "--sse-c-key", "@missing.bin")).Fails(3));
    }

    [Fact]
    public async Task An_unreachable_endpoint_exits_1_and_names_it()
    {
        var line = (await RunAsync("ls")).Fails(1);
        Assert.Contains("https://127.0.0.1:1", line);
        Assert.Contains("coffer config show", line);
    }
}
