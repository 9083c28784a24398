using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary>`coffer serve`'s observability flags: --metrics, --log-format, --access-log in --help, and a JSON log from a real process.</summary>
public sealed partial class ServeLogFlagsTests
{
    private static readonly Dictionary<string, string?> NoServer = new() { ["COFFER_CONFIG"] = "/nonexistent/coffer/config.json" };

    [Fact]
    public async Task Serve_help_shows_the_observability_flags_with_their_defaults()
    {
        var help = (await CofferProcess.RunAsync(NoServer, ["serve", "--help"])).Ok().Stdout;
        Assert.Matches(@"--metrics <admin\|anonymous\|off>[^\n]*(\n[^-\n][^\n]*)*\[default: admin\]", help);
        Assert.Matches(@"--log-format <json\|text>[^\n]*(\n[^-\n][^\n]*)*\[default: text\]", help);
        Assert.Matches(@"--access-log <off\|on>[^\n]*(\n[^-\n][^\n]*)*\[default: on\]", help);
        Assert.Contains("--otlp-endpoint <URL>", help);
    }

    [Fact]
    public async Task A_bad_metrics_value_is_a_usage_error()
    {
        var result = await CofferProcess.RunAsync(NoServer, ["serve", "--metrics", "everyone", "--http", "127.0.0.1:0", "--https", "none"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("everyone", result.Stderr);
    }

    [Theory]
    [InlineData("localhost:4317")]
    [InlineData("collector")]
    public async Task An_otlp_endpoint_that_is_no_http_url_is_a_usage_error(string endpoint)
    {
        var data = Path.Combine(Path.GetTempPath(), "coffer-serve-otlp-" + Guid.NewGuid().ToString("N"));
        var result = await CofferProcess.RunAsync(NoServer, ["serve", "--data", data, "--http", "127.0.0.1:0", "--https", "none", "--otlp-endpoint", endpoint]);
        Assert.True(result.ExitCode == 2, result.Describe());
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("coffer serve: --otlp-endpoint takes an http:// or https:// URL", line);
        Assert.False(Directory.Exists(data), "a refused start created the data folder");
    }

    [Fact]
    public async Task With_log_format_json_every_log_line_is_a_json_object_and_a_request_carries_its_id()
    {
        var data = Path.Combine(Path.GetTempPath(), "coffer-serve-json-" + Guid.NewGuid().ToString("N"));
        var env = new Dictionary<string, string?>(NoServer) { ["COFFER_ACCESS_KEY"] = "AKIDJSONLOGTEST0000000000000000000000", ["COFFER_SECRET_KEY"] = "JsonLogTestSecretKey0123456789abcdefghijk" };
        using var process = Process.Start(CofferProcess.StartInfo(env, ["serve", "--data", data, "--http", "127.0.0.1:0", "--https", "none", "--log-format", "json"]))!;
        var lines = new List<string>();
        try
        {
            // The banner names the listener; then a health check and an unsigned request make two access lines.
            string? url = null;
            while (url is null && await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Add(line);
                if (HttpLine().Match(line) is { Success: true } m)
                    url = m.Groups[1].Value;
            }
            Assert.NotNull(url);
            using var http = new HttpClient();
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url + "_coffer/health")).StatusCode);
            using var refused = await http.GetAsync(url + "some-bucket/some-key");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var requestId = refused.Headers.GetValues("x-amz-request-id").Single();

            JsonElement? access = null;
            while (access is null && await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lines.Add(line);
                if (!line.StartsWith('{'))
                    continue;
                var entry = JsonDocument.Parse(line).RootElement;
                if (entry.GetProperty("Category").GetString() == "Coffer.Access" && line.Contains(requestId, StringComparison.Ordinal))
                    access = entry;
            }
            Assert.NotNull(access);
            var e = access.Value;
            Assert.Equal("Information", e.GetProperty("LogLevel").GetString());
            Assert.Equal(403, e.GetProperty("State").GetProperty("Status").GetInt32());
            Assert.Equal("some-bucket", e.GetProperty("State").GetProperty("Bucket").GetString());
            Assert.Equal("some-key", e.GetProperty("State").GetProperty("Key").GetString());
            Assert.Contains(e.GetProperty("Scopes").EnumerateArray(), s => s.TryGetProperty("RequestId", out var id) && id.GetString() == requestId);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
        // Every log line (not the banner, which is plain text on stdout before the log starts) is one JSON object.
        Assert.All(lines.Where(l => l.StartsWith('{')), l => JsonDocument.Parse(l).Dispose());
    }

    [GeneratedRegex(@"^\s*HTTP\s+(http://\S+)$")]
    private static partial Regex HttpLine();
}
