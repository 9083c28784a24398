using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>`coffer serve --metadata` / `--blobs` (and COFFER_METADATA / COFFER_BLOBS): documented, and a backend this build lacks or cannot reach is one clear line.</summary>
public sealed class ServeBackendFlagsTests
{
    private static readonly Dictionary<string, string?> NoServer = new() { ["COFFER_CONFIG"] = "/nonexistent/coffer/config.json" };

    [Fact]
    public async Task Serve_help_documents_the_backend_flags_and_their_variables()
    {
        var help = (await CofferProcess.RunAsync(NoServer, ["serve", "--help"])).Ok().Stdout;
        Assert.Matches(@"--metadata[^\n]*(\n[^-\n][^\n]*)*COFFER_METADATA", help);
        Assert.Matches(@"--blobs[^\n]*(\n[^-\n][^\n]*)*COFFER_BLOBS", help);
    }

    [Fact]
    public async Task An_unreachable_PostgreSQL_database_stops_the_start_with_one_line_without_credentials()
    {
        var data = Path.Combine(Path.GetTempPath(), "coffer-serve-backends-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = await CofferProcess.RunAsync(NoServer,
                ["serve", "--data", data, "--http", "127.0.0.1:0", "--https", "none", "--metadata", "postgresql://coffer:hunter2secret@127.0.0.1:1/coffer"]);
            Assert.True(result.ExitCode == 1, result.Describe());
            var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("coffer serve: The PostgreSQL metadata database (postgresql://127.0.0.1:1/coffer) cannot be used: ", line);
            Assert.DoesNotContain("hunter2", result.Stdout + result.Stderr);
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task An_s3_backend_that_cannot_be_reached_stops_the_start_with_one_line()
    {
        var data = Path.Combine(Path.GetTempPath(), "coffer-serve-backends-" + Guid.NewGuid().ToString("N"));
        try
        {
            var env = new Dictionary<string, string?>(NoServer) { ["COFFER_BLOBS_ACCESS_KEY"] = "coffer-test", ["COFFER_BLOBS_SECRET_KEY"] = "hunter2secret-0123456789" };
            var result = await CofferProcess.RunAsync(env, ["serve", "--data", data, "--http", "127.0.0.1:0", "--https", "none", "--blobs", "s3://coffer-blobs?endpoint=http://127.0.0.1:1"]);
            Assert.True(result.ExitCode == 1, result.Describe());
            var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("coffer serve: ", line);
            Assert.Contains("blob", line, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("hunter2", result.Stdout + result.Stderr);
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task The_environment_names_the_backend_when_the_flag_is_absent()
    {
        var data = Path.Combine(Path.GetTempPath(), "coffer-serve-backends-" + Guid.NewGuid().ToString("N"));
        try
        {
            var env = new Dictionary<string, string?>(NoServer) { ["COFFER_METADATA"] = "postgres://127.0.0.1:1/coffer" };
            var result = await CofferProcess.RunAsync(env, ["serve", "--data", data, "--http", "127.0.0.1:0", "--https", "none"]);
            Assert.True(result.ExitCode == 1, result.Describe());
            Assert.Contains("PostgreSQL metadata database (postgres://127.0.0.1:1/coffer)", result.Stderr);
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }
}
