using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server;
using Coffer.Testing;

namespace Coffer.EndToEnd.Tests.Remote;

/// <summary>
/// One Coffer server on the remote engines: metadata in a PostgreSQL database of its own, blobs in an RGW bucket of its
/// own (<see cref="RemoteBackend"/>). Nothing is made until <see cref="StartAsync"/>, so a test that is skipped for lack of
/// an engine needs none; disposing stops the server and removes the database and the bucket.
/// </summary>
public sealed class RemoteServer(string databasePrefix) : IAsyncDisposable
{
    private RemoteBackend? _backend;
    private CofferFixture? _server;

    /// <summary>The server's database (its tables can be read directly with <see cref="PostgresTestDatabase.ScalarAsync{T}"/>).</summary>
    public PostgresTestDatabase Database { get; } = new(databasePrefix);

    /// <summary>The server's blob bucket, once started.</summary>
    public RemoteBackend Backend => _backend ?? throw new InvalidOperationException("The remote server is not started.");

    /// <summary>Creates the database and the bucket and starts a server on them, with <paramref name="configure"/> applied last.</summary>
    public async Task<CofferFixture> StartAsync(Action<CofferServerOptions>? configure = null)
    {
        await Database.CreateAsync();
        var backend = _backend = new RemoteBackend();
        _server = new CofferFixture
        {
            Configure = o =>
            {
                backend.Configure(o);
                o.Metadata = Database.Uri;
                configure?.Invoke(o);
            },
        };
        await _server.InitializeAsync();
        return _server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        if (_backend is not null)
            await _backend.DisposeAsync();
        await Database.DisposeAsync();
    }
}
