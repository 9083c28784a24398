using System.Collections.Concurrent;
using Coffer.Server;
using Microsoft.Extensions.Logging;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A real Coffer server on free loopback ports (HTTP and HTTPS with its generated certificate),
/// in a temporary data folder, with known root credentials and every log line captured.
/// </summary>
public sealed class CofferFixture : IAsyncLifetime
{
    public const string AccessKey = "AKIDCOFFERTESTROOT000000000000000000";
    public const string SecretKey = "CofferTestRootSecretKey0123456789abcdefgh";
    public const string Domain = "coffer.test";
    public const string Region = "us-east-1";

    /// <summary>The data folder: a fresh temporary one unless a test gives its own (deleted on dispose either way).</summary>
    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "coffer-e2e-" + Guid.NewGuid().ToString("N"));
    public CofferServer Server { get; private set; } = null!;
    public CapturingLoggerProvider Log { get; } = new();

    /// <summary>The server's time scale (KMS deletion windows, rotation periods, restores); tests that start their own fixture set it.</summary>
    public double TimeScale { get; init; } = 1.0;

    public Uri HttpUrl => Server.HttpUrl!;
    public Uri HttpsUrl => Server.HttpsUrl!;

    /// <summary>Changes to the options before every start, for a server of a test's own (TimeScale, RestoreClock).</summary>
    public Action<CofferServerOptions>? Configure { get; init; }

    public async Task InitializeAsync() => Server = await StartAsync();

    /// <summary>Stops the server and starts a new one on the same data folder (new ports; same root key, certificate and credentials).</summary>
    public async Task RestartAsync()
    {
        await Server.DisposeAsync();
        Server = await StartAsync();
    }

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
            LogLevel = LogLevel.Debug,
            LoggerProvider = Log,
            TimeScale = TimeScale,
        };
        Configure?.Invoke(options);
        return CofferServer.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
    }

    /// <summary>The root user's stable id: the owner its buckets and KMS keys record.</summary>
    public async Task<string> RootIdAsync() => (await Server.Services.Store.ListUsersAsync()).Single(u => u.IsRoot).Id;

    /// <summary>A bucket name unique to the calling test.</summary>
    public static string NewBucket(string hint = "b") => $"{hint}-{Guid.NewGuid():N}"[..Math.Min(40, hint.Length + 33)].ToLowerInvariant();
}

/// <summary>Keeps every log line (message and exception) the server writes.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

[CollectionDefinition(Name)]
public sealed class CofferCollection : ICollectionFixture<CofferFixture>
{
    public const string Name = "coffer";
}
