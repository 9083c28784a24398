using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coffer.Cli;

/// <summary>One profile of the config file: where the server is and how to sign in. Unset fields are null.</summary>
internal sealed class ProfileSettings
{
    [JsonPropertyName("endpoint")] public string? Endpoint { get; set; }

    [JsonPropertyName("accessKey")] public string? AccessKey { get; set; }

    [JsonPropertyName("secretKey")] public string? SecretKey { get; set; }

    [JsonPropertyName("sessionToken")] public string? SessionToken { get; set; }

    [JsonPropertyName("region")] public string? Region { get; set; }

    /// <summary>"cos" (COS v5) or "v4" (AWS SigV4).</summary>
    [JsonPropertyName("signature")] public string? Signature { get; set; }

    [JsonPropertyName("caFile")] public string? CaFile { get; set; }

    [JsonPropertyName("insecure")] public bool? Insecure { get; set; }

    /// <summary>Path-style addressing; null: automatic (on for an address or localhost, off for a host name).</summary>
    [JsonPropertyName("pathStyle")] public bool? PathStyle { get; set; }
}

/// <summary>The config file: named profiles.</summary>
internal sealed class ConfigFileModel
{
    [JsonPropertyName("profiles")]
    public SortedDictionary<string, ProfileSettings> Profiles { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One effective setting and where it came from ("env COFFER_ENDPOINT", "profile default", "default").</summary>
internal sealed record Setting(string? Value, string Source)
{
    public static readonly Setting None = new(null, "not set");
}

/// <summary>The settings a command uses: environment over profile over defaults.</summary>
internal sealed record EffectiveSettings
{
    public required string Profile { get; init; }
    public required Setting Endpoint { get; init; }
    public required Setting AccessKey { get; init; }
    public required Setting SecretKey { get; init; }
    public required Setting SessionToken { get; init; }
    public required Setting Region { get; init; }
    public required Setting Signature { get; init; }
    public required Setting CaFile { get; init; }
    public required Setting Insecure { get; init; }
    public required Setting PathStyle { get; init; }

    /// <summary>Every setting with its name as <c>coffer config set</c> spells it.</summary>
    public IEnumerable<(string Name, Setting Value, bool Secret)> All() =>
    [
        ("endpoint", Endpoint, false), ("access-key", AccessKey, false), ("secret-key", SecretKey, true),
        ("session-token", SessionToken, true), ("region", Region, false), ("signature", Signature, false),
        ("ca-file", CaFile, false), ("insecure", Insecure, false), ("path-style", PathStyle, false),
    ];
}

/// <summary>
/// The config file (<c>~/.coffer/config.json</c>, or <c>COFFER_CONFIG</c>), mode 0600 because it holds secret keys,
/// and the environment variables that override it.
/// </summary>
internal static class CliConfig
{
    public const string DefaultProfile = "default";
    public const string DefaultRegion = "us-east-1";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The config file's path: COFFER_CONFIG, else ~/.coffer/config.json.</summary>
    public static string FilePath => Env("COFFER_CONFIG") is { } path
        ? Path.GetFullPath(path)
        : Path.Combine(Home(), ".coffer", "config.json");

    private static string Home() =>
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify) is { Length: > 0 } home
            ? home
            : throw new UsageException("no home folder is known (HOME is not set); name the config file with COFFER_CONFIG.");

    /// <summary>Where resumable transfers keep their checkpoints: a "checkpoints" folder beside the config file.</summary>
    public static string CheckpointDirectory => Path.Combine(Path.GetDirectoryName(FilePath)!, "checkpoints");

    /// <summary>The profile asked for: --profile, else COFFER_PROFILE, else "default".</summary>
    public static string ProfileName(string? option) => option ?? Env("COFFER_PROFILE") ?? DefaultProfile;

    public static ConfigFileModel Load()
    {
        var path = FilePath;
        if (!File.Exists(path))
            return new ConfigFileModel();
        try
        {
            var model = JsonSerializer.Deserialize<ConfigFileModel>(File.ReadAllBytes(path), JsonOptions) ?? new ConfigFileModel();
            model.Profiles = new SortedDictionary<string, ProfileSettings>(model.Profiles ?? [], StringComparer.Ordinal);
            return model;
        }
        catch (JsonException e)
        {
            throw new UsageException($"the config file {path} is not valid JSON ({e.Message}); fix it or delete it and run coffer config set again.");
        }
    }

    /// <summary>Writes the file atomically, readable by its owner only (0600; its folder 0700).</summary>
    public static void Save(ConfigFileModel model)
    {
        var path = FilePath;
        var directory = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
                Directory.CreateDirectory(directory);
            else
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var temp = path + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        try
        {
            using (var stream = new FileStream(temp, options))
            {
                JsonSerializer.Serialize(stream, model, JsonOptions);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>
    /// The effective settings of a profile: each from its environment variable when set, else from the profile, else a default.
    /// A profile named explicitly (--profile, COFFER_PROFILE) must exist in the file.
    /// </summary>
    public static EffectiveSettings Resolve(string? profileOption)
    {
        var name = ProfileName(profileOption);
        var model = Load();
        model.Profiles.TryGetValue(name, out var profile);
        if (profile is null && name != DefaultProfile)
            throw new UsageException($"there is no profile '{name}' in {FilePath}; create it with: coffer config set --profile {name} --endpoint URL --access-key ID --secret-key SECRET");
        profile ??= new ProfileSettings();
        var from = $"profile {name}";

        Setting Pick(string env, string? value, string? fallback = null) =>
            Env(env) is { } e ? new Setting(e, "env " + env)
            : value is not null ? new Setting(value, from)
            : fallback is not null ? new Setting(fallback, "default")
            : Setting.None;

        static string? Flag(bool? value) => value is null ? null : value.Value ? "true" : "false";

        return new EffectiveSettings
        {
            Profile = name,
            Endpoint = Pick("COFFER_ENDPOINT", profile.Endpoint),
            AccessKey = Pick("COFFER_ACCESS_KEY", profile.AccessKey),
            SecretKey = Pick("COFFER_SECRET_KEY", profile.SecretKey),
            SessionToken = Pick("COFFER_SESSION_TOKEN", profile.SessionToken),
            Region = Pick("COFFER_REGION", profile.Region, DefaultRegion),
            Signature = Pick("COFFER_SIGNATURE", profile.Signature, "cos"),
            CaFile = Pick("COFFER_CA_FILE", profile.CaFile),
            Insecure = Env("COFFER_INSECURE") is { } insecure
                ? new Setting(IsTrue(insecure) ? "true" : "false", "env COFFER_INSECURE")
                : Flag(profile.Insecure) is { } i ? new Setting(i, from) : new Setting("false", "default"),
            PathStyle = Env("COFFER_PATH_STYLE") is { } pathStyle
                ? new Setting(IsTrue(pathStyle) ? "true" : "false", "env COFFER_PATH_STYLE")
                : Flag(profile.PathStyle) is { } p ? new Setting(p, from) : new Setting("auto", "default"),
        };
    }

    /// <summary>"1", "true", "yes", "on" (any case).</summary>
    public static bool IsTrue(string value) => value.Trim().ToLowerInvariant() is "1" or "true" or "yes" or "on";

    /// <summary>A secret for display: "****" plus its last 4 characters when it is long enough to keep them hidden.</summary>
    public static string Mask(string secret) => secret.Length >= 16 ? new string('*', 8) + secret[^4..] : new string('*', 8);

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
