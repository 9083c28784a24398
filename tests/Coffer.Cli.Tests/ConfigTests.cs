using System.Text.Json;
using Coffer.Cli.Tests.Infrastructure;

namespace Coffer.Cli.Tests;

/// <summary><c>coffer config set|show</c> without a server: the file, its mode, masking, profiles, the default location.</summary>
public sealed class ConfigTests : IDisposable
{
    private const string Secret = "VerySecretKey0123456789abcdefWXYZ";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "coffer-cli-config-" + Guid.NewGuid().ToString("N")[..12]);

    private string ConfigPath => Path.Combine(_root, "cfg", "config.json");

    private Dictionary<string, string?> Env() => new() { ["HOME"] = Path.Combine(_root, "home"), ["COFFER_CONFIG"] = ConfigPath };

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private Task<CliResult> RunAsync(params string[] args) => CofferProcess.RunAsync(Env(), args);

    [Fact]
    public async Task Config_set_writes_a_file_readable_by_its_owner_only()
    {
        var result = (await RunAsync("config", "set", "--endpoint", "https://127.0.0.1:9443", "--access-key", "AKIDTEST", "--secret-key", Secret, "--region", "ap-guangzhou", "--signature", "v4")).Ok();
        Assert.Contains(ConfigPath, result.Stdout);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(ConfigPath)!));
        var profile = JsonDocument.Parse(File.ReadAllText(ConfigPath)).RootElement.GetProperty("profiles").GetProperty("default");
        Assert.Equal("https://127.0.0.1:9443", profile.GetProperty("endpoint").GetString());
        Assert.Equal(Secret, profile.GetProperty("secretKey").GetString());
        Assert.Equal("v4", profile.GetProperty("signature").GetString());

        // A second set changes one field, keeps the rest, and the mode stays 0600.
        File.SetUnixFileMode(ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var json = (await RunAsync("config", "set", "--region", "ap-beijing", "--json")).Ok().Json;
        Assert.Equal(ConfigPath, json.GetProperty("file").GetString());
        Assert.Equal(1, json.GetProperty("changed").GetInt32());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigPath));
        profile = JsonDocument.Parse(File.ReadAllText(ConfigPath)).RootElement.GetProperty("profiles").GetProperty("default");
        Assert.Equal("ap-beijing", profile.GetProperty("region").GetString());
        Assert.Equal("AKIDTEST", profile.GetProperty("accessKey").GetString());
    }

    [Fact]
    public async Task Config_show_masks_secrets_and_says_where_each_setting_comes_from()
    {
        (await RunAsync("config", "set", "--endpoint", "https://127.0.0.1:9443", "--access-key", "AKIDTEST", "--secret-key", Secret, "--session-token", "TokenSecretValue0123456789")).Ok();
        var text = (await RunAsync("config", "show")).Ok();
        Assert.DoesNotContain(Secret, text.Stdout);
        Assert.DoesNotContain("TokenSecretValue0123456789", text.Stdout);
        Assert.Contains("********WXYZ", text.Stdout);
        Assert.Contains("profile default", text.Stdout);

        var json = (await RunAsync("config", "show", "--json")).Ok().Json;
        Assert.Equal("default", json.GetProperty("profile").GetString());
        var settings = json.GetProperty("settings");
        Assert.Equal("********WXYZ", settings.GetProperty("secret-key").GetProperty("value").GetString());
        Assert.Equal("https://127.0.0.1:9443", settings.GetProperty("endpoint").GetProperty("value").GetString());
        Assert.Equal("us-east-1", settings.GetProperty("region").GetProperty("value").GetString());
        Assert.Equal("default", settings.GetProperty("region").GetProperty("source").GetString());
    }

    [Fact]
    public async Task The_environment_overrides_the_config_file_in_config_show()
    {
        (await RunAsync("config", "set", "--endpoint", "https://file.example:9443", "--access-key", "AKIDFILE", "--secret-key", Secret)).Ok();
        var env = Env();
        env["COFFER_ENDPOINT"] = "https://env.example:9443";
        env["COFFER_INSECURE"] = "1";
        env["COFFER_CA_FILE"] = ConfigPath;
        var settings = (await CofferProcess.RunAsync(env, ["config", "show", "--json"])).Ok().Json.GetProperty("settings");
        Assert.Equal("https://env.example:9443", settings.GetProperty("endpoint").GetProperty("value").GetString());
        Assert.Equal("env COFFER_ENDPOINT", settings.GetProperty("endpoint").GetProperty("source").GetString());
        Assert.Equal("true", settings.GetProperty("insecure").GetProperty("value").GetString());
        Assert.Equal(ConfigPath, settings.GetProperty("ca-file").GetProperty("value").GetString());
        Assert.Equal("AKIDFILE", settings.GetProperty("access-key").GetProperty("value").GetString());
        Assert.Equal("profile default", settings.GetProperty("access-key").GetProperty("source").GetString());
    }

    [Fact]
    public async Task Profiles_are_separate_and_an_unknown_profile_is_a_usage_error()
    {
        (await RunAsync("config", "set", "--endpoint", "https://a.example", "--access-key", "A", "--secret-key", Secret)).Ok();
        (await RunAsync("config", "set", "--profile", "other", "--endpoint", "https://b.example", "--access-key", "B", "--secret-key", Secret)).Ok();
        Assert.Equal("https://a.example", (await RunAsync("config", "show", "--json")).Ok().Json.GetProperty("settings").GetProperty("endpoint").GetProperty("value").GetString());
        var other = (await RunAsync("--profile", "other", "config", "show", "--json")).Ok().Json;
        Assert.Equal("https://b.example", other.GetProperty("settings").GetProperty("endpoint").GetProperty("value").GetString());
        Assert.Equal(["default", "other"], other.GetProperty("profiles").EnumerateArray().Select(p => p.GetString()!).ToArray());

        var unknown = await RunAsync("config", "show", "--profile", "nope");
        Assert.Contains("coffer config set --profile nope", unknown.Fails(2));
    }

    [Fact]
    public async Task Without_COFFER_CONFIG_the_file_is_coffer_config_json_in_the_home_folder()
    {
        var env = Env();
        env["COFFER_CONFIG"] = null;
        (await CofferProcess.RunAsync(env, ["config", "set", "--endpoint", "https://127.0.0.1:9443"])).Ok();
        var path = Path.Combine(_root, "home", ".coffer", "config.json");
        Assert.True(File.Exists(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task The_secret_key_can_be_read_from_standard_input()
    {
        (await CofferProcess.RunAsync(Env(), ["config", "set", "--secret-key", "-"], stdin: Secret + "\n")).Ok();
        Assert.Equal(Secret, JsonDocument.Parse(File.ReadAllText(ConfigPath)).RootElement.GetProperty("profiles").GetProperty("default").GetProperty("secretKey").GetString());
    }

    [Fact]
    public async Task Config_set_with_nothing_to_set_or_a_bad_value_is_a_usage_error()
    {
        Assert.Contains("nothing to set", (await RunAsync("config", "set")).Fails(2));
        (await RunAsync("config", "set", "--signature", "v2")).Fails(2);
        (await RunAsync("config", "set", "--endpoint", "ftp://x")).Fails(2);
        Assert.Contains("no such file", (await RunAsync("config", "set", "--ca-file", "/nonexistent.pem")).Fails(3));
        Assert.False(File.Exists(ConfigPath));
    }

    [Fact]
    public async Task Commands_without_an_endpoint_say_how_to_configure_one()
    {
        var line = (await RunAsync("ls")).Fails(2);
        Assert.Contains("coffer config set", line);
        Assert.Contains("COFFER_ENDPOINT", line);
    }
}
