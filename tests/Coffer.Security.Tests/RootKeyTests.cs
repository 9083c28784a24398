using System.Diagnostics;
using System.Security.Cryptography;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server;
using Coffer.Server.Hosting;
using Microsoft.Extensions.Logging;

namespace Coffer.Security.Tests;

/// <summary>
/// A data folder whose root key is missing or wrong is refused at start with what to do; a new
/// key is never generated for a folder that already holds data.
/// </summary>
public sealed class RootKeyTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "coffer-rootkey-" + Guid.NewGuid().ToString("N"));
    private string RootKeyPath => Path.Combine(_data, "root.key");

    private CofferServerOptions Options() => new()
    {
        DataDirectory = _data,
        HttpEndpoint = "127.0.0.1:0",
        HttpsEndpoint = null,
        RootAccessKey = CofferFixture.AccessKey,
        RootSecretKey = CofferFixture.SecretKey,
        ConsoleLog = false,
        LogLevel = LogLevel.Warning,
    };

    /// <summary>A data folder a server has run on once: meta.db with the root user sealed under root.key.</summary>
    private async Task CreateDataFolderAsync()
    {
        await using var server = await CofferServer.StartAsync(Options());
        Assert.True(File.Exists(RootKeyPath));
    }

    [Fact]
    public async Task A_missing_root_key_with_an_existing_database_is_refused_and_not_regenerated()
    {
        await CreateDataFolderAsync();
        File.Delete(RootKeyPath);

        var refused = await Assert.ThrowsAsync<RootKeyException>(() => CofferServer.StartAsync(Options()));
        Assert.Contains(RootKeyPath, refused.Message);
        Assert.Contains("backup", refused.Message);
        Assert.Contains("COFFER_ROOT_KEY", refused.Message);
        Assert.False(File.Exists(RootKeyPath), "a new root key was generated for a folder that holds data");
    }

    [Fact]
    public async Task A_missing_root_key_with_only_blobs_is_refused()
    {
        var blob = Path.Combine(_data, "blobs", "ab", "cd", "abcd0123");
        Directory.CreateDirectory(Path.GetDirectoryName(blob)!);
        await File.WriteAllBytesAsync(blob, [1, 2, 3]);

        var refused = await Assert.ThrowsAsync<RootKeyException>(() => CofferServer.StartAsync(Options()));
        Assert.Contains(RootKeyPath, refused.Message);
        Assert.False(File.Exists(RootKeyPath));
        Assert.False(File.Exists(Path.Combine(_data, "meta.db")), "the refused start created a database");
    }

    [Fact]
    public async Task A_wrong_root_key_is_refused_at_start_and_left_as_it_was()
    {
        await CreateDataFolderAsync();
        var wrong = RandomNumberGenerator.GetBytes(32);
        await File.WriteAllBytesAsync(RootKeyPath, wrong);

        var refused = await Assert.ThrowsAsync<RootKeyException>(() => CofferServer.StartAsync(Options()));
        Assert.Contains(RootKeyPath, refused.Message);
        Assert.Contains("not the key", refused.Message);
        Assert.Contains("COFFER_ROOT_KEY", refused.Message);
        Assert.Equal(wrong, await File.ReadAllBytesAsync(RootKeyPath));
    }

    [Fact]
    public async Task A_wrong_root_key_is_refused_even_without_configured_root_credentials()
    {
        await CreateDataFolderAsync();
        await File.WriteAllBytesAsync(RootKeyPath, RandomNumberGenerator.GetBytes(32));
        var options = Options();
        options.RootAccessKey = null;
        options.RootSecretKey = null;

        await Assert.ThrowsAsync<RootKeyException>(() => CofferServer.StartAsync(options));
    }

    [Fact]
    public async Task Coffer_serve_without_the_root_key_exits_1_with_one_line_naming_the_file()
    {
        await CreateDataFolderAsync();
        File.Delete(RootKeyPath);

        var (exit, stdout, stderr) = await ServeAsync(new Dictionary<string, string?>());
        Assert.Equal(1, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("coffer serve: ", lines[0]);
        Assert.Contains(RootKeyPath, lines[0]);
        Assert.Contains("COFFER_ROOT_KEY", lines[0]);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.False(File.Exists(RootKeyPath));
    }

    [Fact]
    public async Task Coffer_serve_with_a_wrong_COFFER_ROOT_KEY_exits_1_with_one_line()
    {
        await CreateDataFolderAsync();
        var (exit, stdout, stderr) = await ServeAsync(new Dictionary<string, string?>
        {
            ["COFFER_ROOT_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        });
        Assert.Equal(1, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("coffer serve: The root key from COFFER_ROOT_KEY is not the key", lines[0]);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    [Fact]
    public async Task Coffer_serve_with_a_COFFER_ROOT_KEY_that_is_not_base64_exits_1_with_one_line()
    {
        var (exit, stdout, stderr) = await ServeAsync(new Dictionary<string, string?> { ["COFFER_ROOT_KEY"] = "not base64!" });
        Assert.Equal(1, exit);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("coffer serve: COFFER_ROOT_KEY is not base64", lines[0]);
        Assert.DoesNotContain("   at ", stderr + stdout);
    }

    public static TheoryData<string> AdminCommands() => ["admin user add mallory", "admin user list", "admin user remove root", "admin rekey --bucket b --to-key k"];

    [Theory]
    [MemberData(nameof(AdminCommands))]
    public async Task Admin_commands_refuse_a_data_folder_without_its_root_key_in_one_line(string command)
    {
        await CreateDataFolderAsync();
        File.Delete(RootKeyPath);
        var (exit, stdout, stderr) = await RunAsync([], [.. command.Split(' '), "--data", _data]);
        Assert.Equal(1, exit);
        Assert.Contains("root.key", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.False(File.Exists(RootKeyPath), "a root key was generated for a folder that holds data");
    }

    [Theory]
    [MemberData(nameof(AdminCommands))]
    public async Task Admin_commands_refuse_a_wrong_root_key_and_add_no_user(string command)
    {
        await CreateDataFolderAsync();
        var (exit, stdout, stderr) = await RunAsync(new() { ["COFFER_ROOT_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) },
            [.. command.Split(' '), "--data", _data]);
        Assert.Equal(1, exit);
        Assert.Contains("is not the key", stderr);
        Assert.DoesNotContain("   at ", stderr + stdout);
        Assert.DoesNotContain("mallory", stdout);
        await using var store = await Coffer.Storage.SqliteMetadataStore.OpenAsync(Path.Combine(_data, "meta.db"));
        Assert.DoesNotContain(await store.ListUsersAsync(), u => u.Name == "mallory");
    }

    /// <summary>Runs `coffer serve` on the data folder; a server that starts instead of refusing is killed after a bound and fails the test.</summary>
    private Task<(int Exit, string Stdout, string Stderr)> ServeAsync(Dictionary<string, string?> env) =>
        RunAsync(env, ["serve", "--data", _data, "--http", "127.0.0.1:0", "--https", "none"]);

    /// <summary>Runs `coffer ARGS` with the test's environment; a process still running after a bound is killed and fails the test.</summary>
    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(Dictionary<string, string?> env, string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "coffer.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("COFFER_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(name);
        start.Environment["COFFER_ACCESS_KEY"] = CofferFixture.AccessKey;
        start.Environment["COFFER_SECRET_KEY"] = CofferFixture.SecretKey;
        foreach (var (name, value) in env)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(bound.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new Xunit.Sdk.XunitException($"coffer {string.Join(' ', args)} ran on instead of refusing the data folder:\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
