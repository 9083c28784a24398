using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// What <see cref="IJobLeases"/> promises when several nodes share a backend: every test opens the backend
/// twice on one database (<see cref="OpenAsync"/>), as two Coffer nodes would. Each test uses its own job
/// name, so a backend's subclass may share one database between tests.
/// </summary>
public abstract class JobLeaseContract : IAsyncLifetime
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);
    private readonly List<IMetadataBackend> _opened = [];
    private readonly string _job = "job-" + Guid.NewGuid().ToString("N")[..12];
    private readonly DateTimeOffset _t0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Node A's and node B's view of the one database.</summary>
    private protected IMetadataBackend A { get; private set; } = null!;
    private protected IMetadataBackend B { get; private set; } = null!;

    /// <summary>Opens the backend under test on this test's database: each call is another node on the same data.</summary>
    protected abstract Task<IMetadataBackend> OpenAsync();

    public virtual async Task InitializeAsync()
    {
        A = await OpenAsync();
        _opened.Add(A);
        B = await OpenAsync();
        _opened.Add(B);
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var backend in _opened)
        {
            await backend.DisposeAsync();
        }
    }

    [ContractFact]
    public async Task Only_one_node_holds_a_current_lease()
    {
        var a = await A.TryAcquireAsync(_job, "node-a", Duration, _t0);
        Assert.NotNull(a);
        Assert.Equal("node-a", a.Holder);
        Assert.Equal(_t0 + Duration, a.ExpiresAt);

        Assert.Null(await B.TryAcquireAsync(_job, "node-b", Duration, _t0 + TimeSpan.FromSeconds(29)));
        Assert.NotNull(await A.RenewAsync(a, _t0 + TimeSpan.FromSeconds(10)));
        // The renewal moved the expiry: B still cannot take it where the first lease would have lapsed.
        Assert.Null(await B.TryAcquireAsync(_job, "node-b", Duration, _t0 + TimeSpan.FromSeconds(35)));
    }

    [ContractFact]
    public async Task Concurrent_acquisitions_give_the_lease_to_exactly_one_node()
    {
        var attempts = Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? A : B).TryAcquireAsync(_job, $"node-{i}", Duration, _t0));
        var leases = await Task.WhenAll(attempts);
        Assert.Single(leases, l => l is not null);
    }

    [ContractFact]
    public async Task An_expired_lease_passes_to_another_node_with_a_greater_generation()
    {
        var a = await A.TryAcquireAsync(_job, "node-a", Duration, _t0);
        Assert.NotNull(a);

        var b = await B.TryAcquireAsync(_job, "node-b", Duration, _t0 + Duration);
        Assert.NotNull(b);
        Assert.Equal("node-b", b.Holder);
        Assert.True(b.Generation > a.Generation);

        // A, back from a pause, has lost it: its renewal and release change nothing.
        Assert.Null(await A.RenewAsync(a, _t0 + Duration + TimeSpan.FromSeconds(1)));
        await A.ReleaseAsync(a);
        Assert.Null(await A.TryAcquireAsync(_job, "node-a", Duration, _t0 + Duration + TimeSpan.FromSeconds(2)));
        Assert.NotNull(await B.RenewAsync(b, _t0 + Duration + TimeSpan.FromSeconds(3)));
    }

    [ContractFact]
    public async Task A_released_lease_is_free_at_once_and_cannot_be_renewed()
    {
        var a = await A.TryAcquireAsync(_job, "node-a", Duration, _t0);
        Assert.NotNull(a);
        await A.ReleaseAsync(a);
        Assert.Null(await A.RenewAsync(a, _t0 + TimeSpan.FromSeconds(1)));

        var b = await B.TryAcquireAsync(_job, "node-b", Duration, _t0 + TimeSpan.FromSeconds(1));
        Assert.NotNull(b);
        Assert.True(b.Generation > a.Generation);
        Assert.Null(await A.RenewAsync(a, _t0 + TimeSpan.FromSeconds(2)));
    }

    [ContractFact]
    public async Task Leases_on_different_jobs_are_independent()
    {
        Assert.NotNull(await A.TryAcquireAsync(_job, "node-a", Duration, _t0));
        Assert.NotNull(await B.TryAcquireAsync(_job + "-other", "node-b", Duration, _t0));
    }

    [ContractFact]
    public async Task Job_state_saved_on_one_node_is_read_on_the_other_and_replaced_whole()
    {
        var name = "state-" + _job;
        Assert.Null(await B.GetJobStateAsync(name));

        await A.SaveJobStateAsync(name, """{"cursor":"a/b","objects":3}""", _t0);
        var read = await B.GetJobStateAsync(name);
        Assert.NotNull(read);
        Assert.Equal("""{"cursor":"a/b","objects":3}""", read.State);
        Assert.Equal(_t0, read.Updated);

        await B.SaveJobStateAsync(name, """{"cursor":"z","objects":9}""", _t0 + TimeSpan.FromMinutes(1));
        read = await A.GetJobStateAsync(name);
        Assert.Equal("""{"cursor":"z","objects":9}""", read!.State);
        Assert.Equal(_t0 + TimeSpan.FromMinutes(1), read.Updated);
        // Another name is another row.
        Assert.Null(await A.GetJobStateAsync(name + "-other"));
    }
}
