using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// What <see cref="IKmsAuditStore"/> promises: entries appended by any node sharing the database are read back by
/// every node, oldest first (time, then append order), filtered by time and key, cut at the limit. Each test opens
/// the backend twice on one database (<see cref="OpenAsync"/>), as two Coffer nodes would.
/// </summary>
public abstract class KmsAuditStoreContract : IAsyncLifetime
{
    private readonly List<IMetadataBackend> _opened = [];
    private readonly DateTimeOffset _t0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private protected IKmsAuditStore A { get; private set; } = null!;
    private protected IKmsAuditStore B { get; private set; } = null!;

    /// <summary>Opens the backend under test on this test's (empty) database: each call is another node.</summary>
    protected abstract Task<IMetadataBackend> OpenAsync();

    public virtual async Task InitializeAsync()
    {
        var a = await OpenAsync();
        _opened.Add(a);
        var b = await OpenAsync();
        _opened.Add(b);
        A = Assert.IsAssignableFrom<IKmsAuditStore>(a);
        B = Assert.IsAssignableFrom<IKmsAuditStore>(b);
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var backend in _opened)
        {
            await backend.DisposeAsync();
        }
    }

    private KmsAuditRecord Entry(int seconds, string? key, string json, string? sourceKey = null) =>
        new(0, _t0.AddSeconds(seconds), key, sourceKey, json);

    [ContractFact]
    public async Task Entries_of_both_nodes_read_back_in_time_order_with_their_json()
    {
        await A.AppendKmsAuditAsync([Entry(2, "k1", """{"n":"a2"}"""), Entry(5, "k2", """{"n":"a5"}""")]);
        await B.AppendKmsAuditAsync([Entry(1, "k1", """{"n":"b1"}"""), Entry(3, null, """{"n":"b3"}""")]);

        foreach (var reader in new[] { A, B })
        {
            var all = await reader.ReadKmsAuditAsync(null, 100);
            Assert.Equal(["""{"n":"b1"}""", """{"n":"a2"}""", """{"n":"b3"}""", """{"n":"a5"}"""], all.Select(e => e.Json));
            Assert.Equal([_t0.AddSeconds(1), _t0.AddSeconds(2), _t0.AddSeconds(3), _t0.AddSeconds(5)], all.Select(e => e.Time));
            Assert.Equal(["k1", "k1", null, "k2"], all.Select(e => e.KeyId));
            Assert.All(all, e => Assert.True(e.Id > 0));
        }
    }

    [ContractFact]
    public async Task Entries_of_one_time_keep_their_append_order()
    {
        await A.AppendKmsAuditAsync([Entry(1, "k", "1"), Entry(1, "k", "2"), Entry(1, "k", "3")]);
        await B.AppendKmsAuditAsync([Entry(1, "k", "4")]);

        var all = await A.ReadKmsAuditAsync(null, 100);
        Assert.Equal(["1", "2", "3", "4"], all.Select(e => e.Json));
        Assert.True(all[0].Id < all[1].Id && all[1].Id < all[2].Id && all[2].Id < all[3].Id);
    }

    [ContractFact]
    public async Task Since_key_and_limit_filter_the_read()
    {
        await A.AppendKmsAuditAsync([
            Entry(1, "k1", "1"),
            Entry(2, "k2", "2"),
            Entry(3, "k2", "3", sourceKey: "k1"),
            Entry(4, "k1", "4"),
            Entry(5, "k3", "5"),
        ]);

        Assert.Equal(["3", "4", "5"], (await B.ReadKmsAuditAsync(_t0.AddSeconds(3), 100)).Select(e => e.Json));
        // The key filter matches the key used and the key the input was under (ReEncrypt, Rekey).
        Assert.Equal(["1", "3", "4"], (await B.ReadKmsAuditAsync(null, 100, "k1")).Select(e => e.Json));
        Assert.Equal(["3", "4"], (await B.ReadKmsAuditAsync(_t0.AddSeconds(2), 100, "k1")).Select(e => e.Json));
        Assert.Equal(["1", "2"], (await B.ReadKmsAuditAsync(null, 2)).Select(e => e.Json));
        Assert.Empty(await B.ReadKmsAuditAsync(null, 100, "nobody"));
        Assert.Empty(await B.ReadKmsAuditAsync(_t0.AddSeconds(6), 100));
    }

    [ContractFact]
    public async Task An_empty_batch_appends_nothing_and_a_limit_below_one_is_refused()
    {
        await A.AppendKmsAuditAsync([]);
        Assert.Empty(await A.ReadKmsAuditAsync(null, 100));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => A.ReadKmsAuditAsync(null, 0));
    }
}
