using System.Diagnostics;
using System.Text.RegularExpressions;
using Coffer.Testing;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// The crash soak (<c>soak/</c>) in short runs: a real server SIGKILLed a few times under a mixed workload in every SSE
/// mode loses and corrupts nothing, on the embedded default and on PostgreSQL + RGW; and the soak itself notices
/// damage (so its zeros mean something). The long runs and their figures are in docs/reliability.md.
/// </summary>
public sealed partial class SoakTests
{
    private static Task<(int ExitCode, string Output)> SoakAsync(params string[] args) => SoakAsync(new Dictionary<string, string>(), args);

    private static async Task<(int ExitCode, string Output)> SoakAsync(Dictionary<string, string> env, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Coffer.Soak.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in env)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + "\n" + await stderr);
    }

    private static long Figure(string output, string name)
    {
        var match = Regex.Match(output, $@"^\s*{Regex.Escape(name)}\s+(\d+)", RegexOptions.Multiline);
        Assert.True(match.Success, $"no '{name}' figure in:\n{output}");
        return long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void AssertClean((int ExitCode, string Output) run, int kills)
    {
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(kills, Figure(run.Output, "kills survived"));
        Assert.Equal(0, Figure(run.Output, "lost"));
        Assert.Equal(0, Figure(run.Output, "corrupt"));
        Assert.True(Figure(run.Output, "writes acknowledged") > 20, run.Output);
        Assert.True(Figure(run.Output, "objects verified") >= kills * 24, run.Output);
        foreach (var operation in new[] { "put", "overwrite", "delete", "copy" })
            Assert.Matches($@"writes acknowledged\s+\d+ \(.*\b{operation} [1-9]", run.Output);
    }

    [Fact]
    public async Task Three_kills_under_a_mixed_workload_lose_and_corrupt_nothing()
    {
        AssertClean(await SoakAsync("--kills", "3", "--seconds", "150", "--clients", "6", "--keys", "8", "--seed", "11"), kills: 3);
    }

    [Fact]
    public async Task The_soak_reports_damage_made_while_the_server_was_down()
    {
        var run = await SoakAsync("--kills", "1", "--seconds", "120", "--clients", "4", "--keys", "8", "--uptime", "3-4", "--seed", "5", "--damage");
        Assert.True(run.ExitCode == 1, run.Output);
        Assert.True(Figure(run.Output, "corrupt") > 0, run.Output);
    }

    [Fact]
    public async Task Bad_options_are_usage_errors_that_say_what_to_write()
    {
        foreach (var (args, expected) in new[]
        {
            (new[] { "--kills", "0" }, "--kills must be a whole number of at least 1"),
            (new[] { "--uptime", "4-1" }, "--uptime must be MIN-MAX seconds"),
            (new[] { "--clients" }, "--clients needs a value"),
            (new[] { "--kill", "3" }, "unknown option --kill"),
        })
        {
            var run = await SoakAsync(args);
            Assert.True(run.ExitCode == 2, run.Output);
            Assert.Contains(expected, run.Output);
        }
    }

    [PostgresFact]
    public async Task Two_kills_of_a_node_on_postgresql_and_rgw_lose_and_corrupt_nothing()
    {
        await using var database = new PostgresTestDatabase("coffer_soak");
        await database.CreateAsync();
        var bucket = $"coffer-soak-{Guid.NewGuid():N}"[..30];
        var env = new Dictionary<string, string>
        {
            ["COFFER_BLOBS_ACCESS_KEY"] = Engines.S3AccessKey,
            ["COFFER_BLOBS_SECRET_KEY"] = Engines.S3SecretKey,
        };
        AssertClean(await SoakAsync(env, "--kills", "2", "--seconds", "150", "--clients", "4", "--keys", "8", "--seed", "13",
            "--metadata", database.Uri, "--blobs", $"s3://{bucket}?endpoint={Engines.S3Endpoint}&region=us-east-1&path-style=true"), kills: 2);
    }
}
