using Coffer.Server;
using Coffer.Server.Hosting;
using Coffer.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coffer.Server.Tests;

/// <summary>
/// Background jobs leased among nodes: <see cref="LeasedJob"/> over two SQLite stores on one database file (two
/// nodes), and two whole servers over one database and one blob directory running the KMS job with one holder.
/// </summary>
public sealed class LeasedJobTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "coffer-leases-" + Guid.NewGuid().ToString("N"));
    private readonly List<IAsyncDisposable> _owned = [];

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_root);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
            await _owned[i].DisposeAsync();
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private sealed class Clock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }

    private async Task<SqliteMetadataStore> OpenNodeAsync()
    {
        var store = await SqliteMetadataStore.OpenAsync(Path.Combine(_root, "meta.db"));
        _owned.Add(store);
        return store;
    }

    [Fact]
    public async Task One_node_runs_the_passes_and_another_takes_over_when_its_lease_expires()
    {
        var clock = new Clock();
        int passesA = 0, passesB = 0;
        var a = new LeasedJob("job", await OpenNodeAsync(), "node-a", TimeSpan.FromSeconds(1), _ => { passesA++; return Task.CompletedTask; },
            NullLogger.Instance, TimeSpan.FromSeconds(30), clock);
        var b = new LeasedJob("job", await OpenNodeAsync(), "node-b", TimeSpan.FromSeconds(1), _ => { passesB++; return Task.CompletedTask; },
            NullLogger.Instance, TimeSpan.FromSeconds(30), clock);

        for (var i = 0; i < 5; i++)
        {
            Assert.True(await a.RunOnceAsync());
            Assert.False(await b.RunOnceAsync());
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal((5, 0), (passesA, passesB));

        // A is killed (it stops renewing, and never releases): B waits out the lease (renewed by A's last pass at
        // 4 s, so lapsing at 34 s), then runs every pass.
        clock.Advance(TimeSpan.FromSeconds(28));
        Assert.False(await b.RunOnceAsync());
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await b.RunOnceAsync());
        Assert.True(b.HoldsLease);
        // A comes back: its renewal fails (fenced by the generation), so it skips.
        Assert.False(await a.RunOnceAsync());
        Assert.False(a.HoldsLease);
        Assert.Equal((5, 1), (passesA, passesB));
        await a.DisposeAsync();
        await b.DisposeAsync();
    }

    [Fact]
    public async Task A_node_alone_runs_its_first_pass_at_once_even_under_the_lease_its_killed_predecessor_still_holds()
    {
        var store = await OpenNodeAsync();
        Assert.NotNull(await store.TryAcquireAsync("job", "killed-node", TimeSpan.FromHours(1), DateTimeOffset.UtcNow));
        var alone = new LeasedJob("job", store, "node-alone", TimeSpan.FromHours(1), _ => Task.CompletedTask, NullLogger.Instance, firstPassAlone: true);
        var shared = new LeasedJob("job", store, "node-shared", TimeSpan.FromHours(1), _ => Task.CompletedTask, NullLogger.Instance);

        alone.Start();
        shared.Start();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (alone.PassesRun == 0 && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        Assert.Equal(1, alone.PassesRun);
        Assert.False(alone.HoldsLease);
        // Only the first pass goes without the lease; the one a shared node attempts waits for it, as every later one does.
        Assert.False(await alone.RunOnceAsync());
        Assert.False(await shared.RunOnceAsync());
        Assert.Equal((1, 0), (alone.PassesRun, shared.PassesRun));
        await alone.DisposeAsync();
        await shared.DisposeAsync();
    }

    [Fact]
    public async Task A_stopped_node_releases_its_lease_at_once()
    {
        var clock = new Clock();
        var a = new LeasedJob("job", await OpenNodeAsync(), "node-a", TimeSpan.FromSeconds(1), _ => Task.CompletedTask, NullLogger.Instance, TimeSpan.FromMinutes(5), clock);
        var b = new LeasedJob("job", await OpenNodeAsync(), "node-b", TimeSpan.FromSeconds(1), _ => Task.CompletedTask, NullLogger.Instance, TimeSpan.FromMinutes(5), clock);
        Assert.True(await a.RunOnceAsync());
        Assert.False(await b.RunOnceAsync());
        await a.DisposeAsync();
        Assert.True(await b.RunOnceAsync());
        await b.DisposeAsync();
    }

    private async Task<CofferServer> StartNodeAsync(string name)
    {
        var data = Path.Combine(_root, name);
        Directory.CreateDirectory(data);
        var first = Path.Combine(_root, "node-a", "root.key");
        if (name != "node-a")
            File.Copy(first, Path.Combine(data, "root.key"));
        var server = await CofferServer.StartAsync(new CofferServerOptions
        {
            DataDirectory = data,
            Metadata = "sqlite:" + Path.Combine(_root, "shared.db"),
            Blobs = "file:" + Path.Combine(_root, "shared-blobs"),
            HttpEndpoint = "127.0.0.1:0",
            HttpsEndpoint = null,
            RootAccessKey = "AKIDCOFFERLEASETEST00000000000000000",
            RootSecretKey = "CofferLeaseTestRootSecretKey0123456789ab",
            ConsoleLog = false,
            KmsMaintenanceInterval = TimeSpan.FromMilliseconds(50),
        });
        _owned.Add(server);
        return server;
    }

    [Fact]
    public async Task Two_servers_on_one_database_run_the_kms_job_on_exactly_one_node()
    {
        var a = await StartNodeAsync("node-a");
        var b = await StartNodeAsync("node-b");
        Assert.NotEqual(a.NodeId, b.NodeId);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (a.KmsMaintenance.Job.PassesRun + b.KmsMaintenance.Job.PassesRun < 10 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        var jobs = new[] { a.KmsMaintenance.Job, b.KmsMaintenance.Job };
        Assert.Single(jobs, j => j.HoldsLease);
        Assert.Single(jobs, j => j.PassesRun > 0);
        Assert.True(jobs.Sum(j => j.PassesRun) >= 10);

        // The holder stops: the other node takes the job at its next attempt.
        var (holder, other) = a.KmsMaintenance.Job.HoldsLease ? (a, b) : (b, a);
        await holder.DisposeAsync();
        _owned.Remove(holder);
        var before = other.KmsMaintenance.Job.PassesRun;
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (other.KmsMaintenance.Job.PassesRun < before + 3 && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(other.KmsMaintenance.Job.HoldsLease);
        Assert.True(other.KmsMaintenance.Job.PassesRun >= before + 3);
    }
}
