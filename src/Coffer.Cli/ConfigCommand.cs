using System.CommandLine;

namespace Coffer.Cli;

/// <summary><c>coffer config set|show</c>: profiles in the config file, and what the environment overrides.</summary>
internal static class ConfigCommand
{
    public static Command Create() => new("config", """
        Profiles: where the server is and which keys to sign with.

        Kept in ~/.coffer/config.json (mode 0600; COFFER_CONFIG names another file). Environment variables override the file: COFFER_ENDPOINT,
        COFFER_ACCESS_KEY, COFFER_SECRET_KEY, COFFER_SESSION_TOKEN, COFFER_REGION, COFFER_SIGNATURE,
        COFFER_CA_FILE, COFFER_INSECURE=1, COFFER_PATH_STYLE, COFFER_PROFILE.

        Example:
          coffer config set --endpoint https://127.0.0.1:9443 --access-key AKID... --secret-key ... --ca-file coffer-data/tls/cert.pem
        """)
    {
        Set(), Show(),
    };

    private static Command Set()
    {
        var endpoint = new Option<string?>("--endpoint") { Description = "The server: https://HOST:PORT (or http://…; SSE-C and SSE-KMS need HTTPS).", HelpName = "URL" };
        var accessKey = new Option<string?>("--access-key") { Description = "The access key id (SecretId).", HelpName = "ID" };
        var secretKey = new Option<string?>("--secret-key") { Description = "The secret key (SecretKey); '-' reads it from standard input, keeping it out of the shell history.", HelpName = "SECRET" };
        var token = new Option<string?>("--session-token") { Description = "The session token of temporary credentials (coffer admin user token).", HelpName = "TOKEN" };
        var region = new Option<string?>("--region") { Description = "The region (COS host names, SigV4 scope); default us-east-1.", HelpName = "REGION" };
        var signature = new Option<string?>("--signature") { Description = "cos (COS v5, x-cos-* headers; the default) or v4 (AWS SigV4, x-amz-* headers).", HelpName = "cos|v4" }
            .AcceptOnlyFromAmong("cos", "v4");
        var caFile = new Option<string?>("--ca-file") { Description = "PEM certificate(s) to trust, e.g. the server's coffer-data/tls/cert.pem.", HelpName = "PATH" };
        var insecure = new Option<bool?>("--insecure") { Description = "Trust any TLS certificate (tests only): --insecure or --insecure false." };
        var pathStyle = new Option<bool?>("--path-style") { Description = "Address buckets as https://HOST/BUCKET/KEY (default: on for an IP address or localhost)." };
        var json = Output.JsonOption();
        var unset = new Option<string[]>("--unset") { Description = "Remove settings from the profile, e.g. --unset ca-file.", HelpName = "NAME", AllowMultipleArgumentsPerToken = true };
        var command = new Command("set", """
            Create or change a profile: only the settings given change.

            Without --profile, the "default" profile. The file is written readable by you only (0600).

            Examples:
              coffer config set --endpoint https://127.0.0.1:9443 --access-key AKID... --secret-key - --ca-file coffer-data/tls/cert.pem
              coffer config set --profile s3 --endpoint https://s3.example.test --signature v4 --region eu-west-1
              coffer config set --unset ca-file --insecure
            """)
        {
            endpoint, accessKey, secretKey, token, region, signature, caFile, insecure, pathStyle, unset, json,
        };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, (run, ct) =>
        {
            var name = CliConfig.ProfileName(parse.GetValue(GlobalOptions.Profile));
            var model = CliConfig.Load();
            if (!model.Profiles.TryGetValue(name, out var profile))
                model.Profiles[name] = profile = new ProfileSettings();
            var changed = 0;

            void Change(Action apply)
            {
                apply();
                changed++;
            }

            if (parse.GetValue(endpoint) is { } e)
                Change(() => profile.Endpoint = ValidEndpoint(e));
            if (parse.GetValue(accessKey) is { } a)
                Change(() => profile.AccessKey = a);
            if (parse.GetValue(secretKey) is { } s)
                Change(() => profile.SecretKey = s == "-" ? ReadSecret() : s);
            if (parse.GetValue(token) is { } t)
                Change(() => profile.SessionToken = t);
            if (parse.GetValue(region) is { } r)
                Change(() => profile.Region = r);
            if (parse.GetValue(signature) is { } g)
                Change(() => profile.Signature = g);
            if (parse.GetValue(caFile) is { } c)
            {
                if (!File.Exists(c))
                    throw new LocalNotFoundException($"--ca-file {c}: no such file.");
                Change(() => profile.CaFile = Path.GetFullPath(c));
            }
            if (parse.GetValue(insecure) is { } i)
                Change(() => profile.Insecure = i);
            if (parse.GetValue(pathStyle) is { } p)
                Change(() => profile.PathStyle = p);
            foreach (var field in parse.GetValue(unset) ?? [])
                Change(() => Unset(profile, field));
            if (changed == 0)
                throw new UsageException("nothing to set; give at least one of --endpoint, --access-key, --secret-key, --session-token, --region, --signature, --ca-file, --insecure, --path-style, --unset (see coffer config set --help).");
            CliConfig.Save(model);
            if (run.Json)
                Output.WriteJson(new { profile = name, file = CliConfig.FilePath, changed });
            else
                Console.WriteLine($"Saved profile '{name}' to {CliConfig.FilePath}.");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static Command Show()
    {
        var json = Output.JsonOption();
        var command = new Command("show", """
            Show the settings a command would use, with secrets masked.

            Each with where it comes from: the profile, an environment variable, or a default.

            Examples:
              coffer config show
              coffer config show --profile s3 --json
            """) { json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, (run, ct) =>
        {
            var settings = CliConfig.Resolve(parse.GetValue(GlobalOptions.Profile));
            var all = settings.All().Select(x => (x.Name, Value: x.Value.Value is { } v && x.Secret ? CliConfig.Mask(v) : x.Value.Value, x.Value.Source)).ToList();
            if (run.Json)
            {
                Output.WriteJson(new
                {
                    profile = settings.Profile,
                    file = CliConfig.FilePath,
                    profiles = CliConfig.Load().Profiles.Keys,
                    settings = all.ToDictionary(x => x.Name, x => new { value = x.Value, source = x.Source }),
                });
                return Task.FromResult(ExitCodes.Ok);
            }
            Console.WriteLine($"Profile {settings.Profile} (config file {CliConfig.FilePath})");
            var width = all.Max(x => x.Name.Length) + 2;
            var valueWidth = Math.Max(12, all.Max(x => (x.Value ?? "-").Length) + 2);
            foreach (var (name, value, source) in all)
                Console.WriteLine($"  {name.PadRight(width)}{(value ?? "-").PadRight(valueWidth)}{source}");
            return Task.FromResult(ExitCodes.Ok);
        }, ct));
        return command;
    }

    private static string ValidEndpoint(string endpoint)
    {
        var text = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : "https://" + endpoint;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery is not ("/" or ""))
            throw new UsageException($"--endpoint '{endpoint}' is not a server address; write https://HOST:PORT.");
        return uri.GetLeftPart(UriPartial.Authority);
    }

    private static string ReadSecret()
    {
        var line = Console.In.ReadLine()?.Trim();
        if (string.IsNullOrEmpty(line))
            throw new UsageException("--secret-key -: nothing was read from standard input.");
        return line;
    }

    private static void Unset(ProfileSettings profile, string field)
    {
        switch (field)
        {
            case "endpoint": profile.Endpoint = null; break;
            case "access-key": profile.AccessKey = null; break;
            case "secret-key": profile.SecretKey = null; break;
            case "session-token": profile.SessionToken = null; break;
            case "region": profile.Region = null; break;
            case "signature": profile.Signature = null; break;
            case "ca-file": profile.CaFile = null; break;
            case "insecure": profile.Insecure = null; break;
            case "path-style": profile.PathStyle = null; break;
            default:
                throw new UsageException($"--unset {field}: no such setting; use endpoint, access-key, secret-key, session-token, region, signature, ca-file, insecure or path-style.");
        }
    }
}
