using Coffer.Server;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Coffer.Testing;

/// <summary>
/// A real Coffer server in-process on free loopback ports (HTTP, and HTTPS with the certificate it generates), in a
/// temporary data folder, with fixed root credentials and every log line captured. The one server fixture of the
/// test projects: each project's fixture derives from it and sets its own credentials, region and time scale.
/// </summary>
public class TestServer : IAsyncLifetime
{
    /// <summary>Root access key id; each project sets its own.</summary>
    public string AccessKey { get; init; } = "AKIDCOFFERTESTROOT000000000000000000";

    /// <summary>Root secret key; each project sets its own.</summary>
    public string SecretKey { get; init; } = "CofferTestRootSecretKey0123456789abcdefgh";

    /// <summary>Base domain for virtual-hosted addressing (bucket.DOMAIN), or null for none.</summary>
    public string? Domain { get; init; } = "coffer.test";

    public string Region { get; init; } = "us-east-1";

    /// <summary>The data folder: a fresh temporary one unless a test gives its own (deleted on dispose either way).</summary>
    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "coffer-test-" + Guid.NewGuid().ToString("N"));

    /// <summary>The server's time scale (restores, KMS deletion windows and rotation periods, the reclaim grace).</summary>
    public double TimeScale { get; init; } = 1.0;

    /// <summary>Least level of the lines the server writes to <see cref="Log"/>.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Debug;

    /// <summary>Changes to the options before every start, for a server of a test's own.</summary>
    public Action<CofferServerOptions>? Configure { get; init; }

    /// <summary>Folders deleted with the data folder when the fixture is disposed.</summary>
    protected List<string> OwnedDirectories { get; } = [];

    public CofferServer Server { get; private set; } = null!;

    public CapturingLoggerProvider Log { get; } = new();

    public Uri HttpUrl => Server.HttpUrl!;

    public Uri HttpsUrl => Server.HttpsUrl!;

    public virtual async Task InitializeAsync()
    {
        foreach (var directory in OwnedDirectories)
            Directory.CreateDirectory(directory);
        Server = await StartAsync();
    }

    /// <summary>Stops the server and starts a new one on the same data folder (new ports; same root key, certificate and credentials).</summary>
    public async Task RestartAsync()
    {
        await Server.DisposeAsync();
        Server = await StartAsync();
    }

    public virtual async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
        foreach (var directory in OwnedDirectories.Prepend(DataDirectory))
        {
            try { Directory.Delete(directory, recursive: true); }
            catch (DirectoryNotFoundException) { }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The root user's stable id: the owner its buckets and KMS keys record.</summary>
    public async Task<string> RootIdAsync() => (await Server.Services.Store.ListUsersAsync()).Single(u => u.IsRoot).Id;

    private Task<CofferServer> StartAsync()
    {
        var options = new CofferServerOptions
        {
            DataDirectory = DataDirectory,
            HttpEndpoint = "127.0.0.1:0",
            HttpsEndpoint = "127.0.0.1:0",
            Domain = Domain,
            Region = Region,
            RootAccessKey = AccessKey,
            RootSecretKey = SecretKey,
            ConsoleLog = false,
            LogLevel = LogLevel,
            LoggerProvider = Log,
            TimeScale = TimeScale,
        };
        Configure?.Invoke(options);
        return CofferServer.StartAsync(options);
    }
}
