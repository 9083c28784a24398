using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>`coffer serve`'s limits on uploads and connections: documented in --help with their defaults, and checked.</summary>
public sealed class ServeLimitFlagsTests
{
    private static readonly Dictionary<string, string?> NoServer = new() { ["COFFER_CONFIG"] = "/nonexistent/coffer/config.json" };

    [Fact]
    public async Task Serve_help_shows_the_upload_and_connection_limits_with_their_defaults()
    {
        var help = (await CofferProcess.RunAsync(NoServer, ["serve", "--help"])).Ok().Stdout;
        Assert.Matches(@"--max-concurrent-uploads[^\n]*(\n[^-\n][^\n]*)*\[default: 128\]", help);
        Assert.Matches(@"--max-connections[^\n]*(\n[^-\n][^\n]*)*\[default: 4096\]", help);
        Assert.Contains("SlowDown", help);
        Assert.Contains("1024 bytes/s", help);
        Assert.Matches(@"--inline-max[^\n]*(\n[^-\n][^\n]*)*\[default: 65536\]", help);
        Assert.Matches(@"--header-timeout[^\n]*(\n[^-\n][^\n]*)*\[default: 15\]", help);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1048577")]
    public async Task An_inline_limit_outside_0_to_1_MiB_is_a_usage_error(string value)
    {
        var data = Path.Combine(Path.GetTempPath(), "coffer-serve-flags-" + Guid.NewGuid().ToString("N"));
        var result = await CofferProcess.RunAsync(NoServer, ["serve", "--data", data, "--http", "127.0.0.1:0", "--https", "none", "--inline-max", value]);
        Assert.True(result.ExitCode == 2, result.Describe());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("coffer serve: --inline-max must be between 0 and 1048576 bytes.", line);
        Assert.False(Directory.Exists(data), "a refused start created the data folder");
    }

    [Theory]
    [InlineData("--max-concurrent-uploads")]
    [InlineData("--max-connections")]
    [InlineData("--header-timeout")]
    public async Task A_limit_below_1_is_a_usage_error(string flag)
    {
        var data = Path.Combine(Path.GetTempPath(), "coffer-serve-flags-" + Guid.NewGuid().ToString("N"));
        var result = await CofferProcess.RunAsync(NoServer, ["serve", "--data", data, "--http", "127.0.0.1:0", "--https", "none", flag, "0"]);
        Assert.True(result.ExitCode == 2, result.Describe());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("coffer serve: ", line);
        Assert.Contains(flag, line);
        Assert.False(Directory.Exists(data), "a refused start created the data folder");
    }
}
