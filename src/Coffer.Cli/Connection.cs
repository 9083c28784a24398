using System.CommandLine;
using System.Net;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary>Options every command understands.</summary>
internal static class GlobalOptions
{
    /// <summary>--profile NAME (recursive: it may be given before or after the command).</summary>
    public static readonly Option<string?> Profile = new("--profile")
    {
        Description = "The config-file profile to use (default: COFFER_PROFILE, else \"default\").",
        Recursive = true,
    };
}

/// <summary>The clients of one command, made from its effective settings (<see cref="CliConfig.Resolve"/>).</summary>
internal sealed class Connection : IDisposable
{
    private CosClient? _client;
    private KmsClient? _kms;
    private CofferAdminClient? _admin;

    private Connection(EffectiveSettings settings, CosConfig config)
    {
        Settings = settings;
        Config = config;
    }

    public EffectiveSettings Settings { get; }

    public CosConfig Config { get; }

    /// <summary>The endpoint as configured, for messages.</summary>
    public string Endpoint => Settings.Endpoint.Value ?? "(none)";

    public CosClient Client => _client ??= new CosClient(Config);

    public KmsClient Kms => _kms ??= new KmsClient(Config);

    /// <summary>The admin API, ListBuckets, and KMS operations <see cref="KmsClient"/> lacks.</summary>
    public CofferAdminClient Admin => _admin ??= new CofferAdminClient(Config);

    /// <summary>Resolves the settings of a profile and checks that they are enough to connect (usage error otherwise).</summary>
    /// <param name="profile">The --profile option, or null.</param>
    /// <param name="endpointOverride">An endpoint from the command line (admin commands' --endpoint), which wins over the profile's.</param>
    public static Connection Open(string? profile, string? endpointOverride = null)
    {
        var s = CliConfig.Resolve(profile);
        if (endpointOverride is not null)
            s = s with { Endpoint = new Setting(endpointOverride, "--endpoint") };
        var profileFlag = s.Profile == CliConfig.DefaultProfile ? "" : $" --profile {s.Profile}";
        if (s.Endpoint.Value is not { } endpoint)
            throw new UsageException($"no endpoint is configured; set one with: coffer config set{profileFlag} --endpoint https://HOST:PORT (or set COFFER_ENDPOINT).");
        if (s.AccessKey.Value is null || s.SecretKey.Value is null)
            throw new UsageException($"no access key pair is configured; set it with: coffer config set{profileFlag} --access-key ID --secret-key SECRET (or set COFFER_ACCESS_KEY and COFFER_SECRET_KEY).");
        var signature = s.Signature.Value?.ToLowerInvariant() switch
        {
            "cos" or "cosv5" or "v5" => SignatureVersion.CosV5,
            "v4" or "sigv4" or "s3" => SignatureVersion.SigV4,
            var other => throw new UsageException($"signature '{other}' ({s.Signature.Source}) is neither cos nor v4."),
        };
        var endpointUri = ParseEndpoint(endpoint, s.Endpoint.Source);
        if (s.CaFile.Value is { } ca && !File.Exists(ca))
            throw new LocalNotFoundException($"the CA file {ca} ({s.CaFile.Source}) does not exist; set the right one with: coffer config set{profileFlag} --ca-file PATH");
        var config = new CosConfig
        {
            Region = s.Region.Value ?? CliConfig.DefaultRegion,
            SecretId = s.AccessKey.Value,
            SecretKey = s.SecretKey.Value,
            Token = s.SessionToken.Value,
            Endpoint = endpointUri.GetLeftPart(UriPartial.Authority),
            SignatureVersion = signature,
            CaFile = s.CaFile.Value,
            VerifySsl = s.Insecure.Value != "true",
            PathStyle = s.PathStyle.Value switch
            {
                "true" => true,
                "false" => false,
                _ => IsAddress(endpointUri.Host),
            },
            UserAgent = "coffer-cli/" + typeof(Connection).Assembly.GetName().Version?.ToString(3),
        };
        return new Connection(s, config);
    }

    public void Dispose()
    {
        _client?.Dispose();
        _kms?.Dispose();
        _admin?.Dispose();
    }

    /// <summary>"https://host:port", "http://host:port" or "host:port" (HTTPS).</summary>
    private static Uri ParseEndpoint(string endpoint, string source)
    {
        var text = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : "https://" + endpoint;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"the endpoint '{endpoint}' ({source}) is not an http:// or https:// address.");
        return uri;
    }

    /// <summary>An IP address or localhost: bucket host names cannot resolve, so requests go path-style.</summary>
    private static bool IsAddress(string host) =>
        IPAddress.TryParse(host.Trim('[', ']'), out _) || host.Equals("localhost", StringComparison.OrdinalIgnoreCase);
}
