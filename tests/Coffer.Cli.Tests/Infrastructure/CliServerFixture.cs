using System.Security.Cryptography;
using Coffer.Testing;
using Microsoft.Extensions.Logging;

namespace Coffer.Cli.Tests.Infrastructure;

/// <summary>
/// The CLI tests' server (<see cref="TestServer"/>) with time running 3600 times faster (an Expedited restore takes
/// a tenth of a second, a restored copy lasts 24 seconds a day, a 7-day KMS deletion window is 168 seconds).
/// Commands run against it with COFFER_* variables; each fixture has its own config file and home folder.
/// </summary>
public sealed class CliServerFixture : TestServer
{
    public new const string AccessKey = "AKIDCLITESTROOT00000000000000000000";
    public new const string SecretKey = "CliTestRootSecretKey0123456789abcdefghij";
    public new const string Region = "us-east-1";

    public CliServerFixture()
    {
        base.AccessKey = AccessKey;
        base.SecretKey = SecretKey;
        base.Region = Region;
        Domain = null;
        TimeScale = 3600;
        LogLevel = LogLevel.Warning;
        DataDirectory = Path.Combine(Root, "data");
        OwnedDirectories.AddRange([Root, WorkDirectory, Home]);
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "coffer-cli-tests-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>A folder for the test's local files.</summary>
    public string WorkDirectory => Path.Combine(Root, "work");

    /// <summary>HOME of the coffer processes, so that nothing touches the real ~/.coffer.</summary>
    public string Home => Path.Combine(Root, "home");

    /// <summary>COFFER_CONFIG of the coffer processes (the checkpoints go beside it).</summary>
    public string ConfigPath => Path.Combine(Root, "config", "config.json");

    public string CheckpointDirectory => Path.Combine(Root, "config", "checkpoints");

    /// <summary>The environment that points coffer at this server over HTTPS, trusting its certificate.</summary>
    public Dictionary<string, string?> Env() => new()
    {
        ["HOME"] = Home,
        ["COFFER_CONFIG"] = ConfigPath,
        ["COFFER_ENDPOINT"] = HttpsUrl.GetLeftPart(UriPartial.Authority),
        ["COFFER_ACCESS_KEY"] = AccessKey,
        ["COFFER_SECRET_KEY"] = SecretKey,
        ["COFFER_CA_FILE"] = Server.CertificatePath,
        ["COFFER_REGION"] = Region,
    };

    /// <summary>Runs <c>coffer ARGS</c> against this server over HTTPS.</summary>
    public Task<CliResult> RunAsync(params string[] args) => CofferProcess.RunAsync(Env(), args, workingDirectory: WorkDirectory);

    /// <summary>Runs <c>coffer ARGS</c> with changes to the environment (a null value removes a variable).</summary>
    public Task<CliResult> RunWithAsync(IReadOnlyDictionary<string, string?> changes, params string[] args)
    {
        var env = Env();
        foreach (var (name, value) in changes)
            env[name] = value;
        return CofferProcess.RunAsync(env, args, workingDirectory: WorkDirectory);
    }

    /// <summary>A bucket name unique to the calling test.</summary>
    public static string NewBucket(string hint = "cli") => $"{hint}-{Guid.NewGuid():N}"[..Math.Min(40, hint.Length + 17)];

    /// <summary>A new bucket made with coffer mb.</summary>
    public async Task<string> CreateBucketAsync(string hint = "cli")
    {
        var bucket = NewBucket(hint);
        (await RunAsync("mb", $"cos://{bucket}")).Ok();
        return bucket;
    }

    /// <summary>A file of random bytes in the work folder.</summary>
    public string RandomFile(long size, string name = "file")
    {
        var path = Path.Combine(WorkDirectory, $"{name}-{Guid.NewGuid().ToString("N")[..8]}.bin");
        using var file = File.Create(path);
        var buffer = new byte[1 << 20];
        for (long left = size; left > 0; left -= buffer.Length)
        {
            RandomNumberGenerator.Fill(buffer);
            file.Write(buffer, 0, (int)Math.Min(left, buffer.Length));
        }
        return path;
    }

    /// <summary>A path in the work folder that does not exist yet.</summary>
    public string NewPath(string name = "out") => Path.Combine(WorkDirectory, $"{name}-{Guid.NewGuid().ToString("N")[..8]}");

    public static string Sha256(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(file));
    }
}

/// <summary>Tests of the commands' behaviour (small objects) on one server.</summary>
[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<CliServerFixture>
{
    public const string Name = "coffer server";
}

/// <summary>Tests that move large files (the guide's flows, resume, terminal) on a second server, beside the first.</summary>
[CollectionDefinition(Name)]
public sealed class TransferServerCollection : ICollectionFixture<CliServerFixture>
{
    public const string Name = "coffer server for transfers";
}
