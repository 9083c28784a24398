using System.Text;
using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Server.Audit;
using Coffer.Server.Hosting;

namespace Coffer.Server.Tests;

public sealed class KmsAuditLogTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "coffer-audit-tests", Guid.NewGuid().ToString("N"));
    private readonly FakeClock _clock = new();

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private static KmsAuditEntry Entry(string operation = "Decrypt", string keyId = "k1") =>
        new() { Source = "kms", Operation = operation, KeyId = keyId, Outcome = KmsAuditEntry.Ok };

    private async Task<List<KmsAuditEntry>> ReadAllAsync(DateTimeOffset? since = null)
    {
        var all = new List<KmsAuditEntry>();
        await foreach (var e in KmsAuditLog.ReadAsync(_directory, since))
            all.Add(e);
        return all;
    }

    [Fact]
    public async Task Entries_are_json_lines_in_a_file_per_utc_day_without_empty_fields()
    {
        using (var log = new KmsAuditLog(_directory, _clock))
        {
            log.Write(Entry() with { Bucket = "b", Object = "o", Cached = true, ContextKeys = ["a", "b"] });
            _clock.Advance(TimeSpan.FromDays(1));
            log.Write(Entry("Encrypt"));
        }

        var files = Directory.GetFiles(_directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["kms-20261128.jsonl", "kms-20261129.jsonl"], files);
        var first = await File.ReadAllTextAsync(Path.Combine(_directory, files[0]!));
        Assert.Equal(
            "{\"time\":\"2026-11-28T23:59:00+00:00\",\"source\":\"kms\",\"operation\":\"Decrypt\",\"keyId\":\"k1\",\"bucket\":\"b\",\"object\":\"o\",\"cached\":true,\"contextKeys\":[\"a\",\"b\"],\"outcome\":\"ok\"}\n",
            first);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_directory, files[0]!)));

        var read = await ReadAllAsync();
        Assert.Equal(["Decrypt", "Encrypt"], read.Select(e => e.Operation));
        Assert.Equal(_clock.GetUtcNow().AddDays(-1), read[0].Time);
        Assert.Equal(["Encrypt"], (await ReadAllAsync(since: _clock.GetUtcNow())).Select(e => e.Operation));
    }

    [Fact]
    public async Task Two_logs_on_one_folder_never_tear_or_lose_lines()
    {
        using var a = new KmsAuditLog(_directory, _clock);
        using var b = new KmsAuditLog(_directory, _clock);
        await Task.WhenAll(
            Task.Run(() => { for (var i = 0; i < 500; i++) a.Write(Entry(keyId: $"a{i}")); }),
            Task.Run(() => { for (var i = 0; i < 500; i++) b.Write(Entry(keyId: $"b{i}")); }));

        var read = await ReadAllAsync();
        Assert.Equal(1000, read.Count);
        Assert.Equal(1000, read.Select(e => e.KeyId).Distinct().Count());
    }

    [Fact]
    public async Task A_line_cut_short_by_a_crash_is_skipped_and_the_next_entry_starts_a_new_line()
    {
        using (var log = new KmsAuditLog(_directory, _clock))
            log.Write(Entry(keyId: "before"));
        var path = Directory.GetFiles(_directory).Single();
        await File.AppendAllTextAsync(path, "{\"time\":\"2026-11-28T23:59:00+00:00\",\"sou"); // no newline: torn
        using (var log = new KmsAuditLog(_directory, _clock))
            log.Write(Entry(keyId: "after"));

        Assert.Equal(["before", "after"], (await ReadAllAsync()).Select(e => e.KeyId));
    }

    [Fact]
    public void A_log_that_cannot_write_does_not_fail_the_key_use()
    {
        File.WriteAllText(_directory + ".file", "in the way");
        try
        {
            using var log = new KmsAuditLog(Path.Combine(_directory + ".file", "audit"), _clock);
            log.Write(Entry()); // the folder cannot be created: reported, not thrown
        }
        finally
        {
            File.Delete(_directory + ".file");
        }
        KmsAuditLog.Disabled.Write(Entry());
    }

    [Fact]
    public async Task Destroyed_keys_and_automatic_rotations_are_recorded_from_key_events_and_on_demand_ones_are_not()
    {
        using var root = RootKey.Generate(out _);
        var kms = new KeyManager(new MemoryKeyStore(), root, _clock);
        using var log = new KmsAuditLog(_directory, _clock);
        var key = await kms.CreateKeyAsync("o");
        using (log.RecordKeyEvents(kms, "server"))
        {
            await kms.RotateKeyOnDemandAsync(key.KeyId);
            await kms.EnableKeyRotationAsync(key.KeyId, 90);
            _clock.Advance(TimeSpan.FromDays(90));
            await kms.RotateDueKeysAsync();
            await kms.ScheduleKeyDeletionAsync(key.KeyId, 7);
            _clock.Advance(TimeSpan.FromDays(7));
            await kms.DeleteExpiredKeysAsync();
        }
        var other = await kms.CreateKeyAsync("o");
        await kms.RotateKeyOnDemandAsync(other.KeyId);
        await kms.EnableKeyRotationAsync(other.KeyId, 90);
        _clock.Advance(TimeSpan.FromDays(90));
        await kms.RotateDueKeysAsync(); // unsubscribed: not recorded

        var read = await ReadAllAsync();
        Assert.Equal(["RotateKey", "DestroyKey"], read.Select(e => e.Operation));
        Assert.Equal((3, "AUTOMATIC", "server"), (read[0].KeyVersion!.Value, read[0].RotationType, read[0].Source));
        Assert.All(read, e => Assert.Equal(key.KeyId, e.KeyId));
    }

    [Theory]
    [InlineData(1.0, 60_000)]
    [InlineData(3600.0, 1_000)]
    [InlineData(1e9, 100)]
    public void The_kms_job_runs_every_hour_of_scaled_time_within_bounds(double timeScale, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), KmsMaintenance.IntervalFor(timeScale));
    }

    [Fact]
    public void Context_keys_are_sorted_and_values_dropped()
    {
        Assert.Equal(["a", "b"], KmsAuditEntry.KeysOf(new Dictionary<string, string> { ["b"] = "secret", ["a"] = "x" }));
        Assert.Null(KmsAuditEntry.KeysOf(new Dictionary<string, string>()));
        Assert.DoesNotContain("secret", Encoding.UTF8.GetString(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            Entry() with { ContextKeys = KmsAuditEntry.KeysOf(new Dictionary<string, string> { ["b"] = "secret" }) })), StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_a_shared_store_entries_go_to_it_in_batches_and_no_file_is_written()
    {
        var store = new MemoryAuditStore();
        using (var log = new KmsAuditLog(store, _clock))
        {
            log.Write(Entry("Encrypt") with { SourceKeyId = "k0", ContextKeys = ["a"] });
            log.Write(Entry("Decrypt", "k2"));
            await log.FlushAsync();
            Assert.Equal(2, store.Records.Count);
            log.Write(Entry("ReEncrypt", "k3")); // written by Dispose
        }

        Assert.Equal([("k1", "k0"), ("k2", null), ("k3", null)], store.Records.Select(r => (r.KeyId, r.SourceKeyId)));
        Assert.All(store.Records, r => Assert.Equal(_clock.GetUtcNow(), r.Time));
        Assert.Equal(
            "{\"time\":\"2026-11-28T23:59:00+00:00\",\"source\":\"kms\",\"operation\":\"Encrypt\",\"keyId\":\"k1\",\"sourceKeyId\":\"k0\",\"contextKeys\":[\"a\"],\"outcome\":\"ok\"}",
            store.Records[0].Json);
        Assert.False(Directory.Exists(_directory));
    }

    [Fact]
    public async Task A_failing_store_drops_entries_reports_once_and_never_fails_the_key_use()
    {
        var store = new MemoryAuditStore { Failing = true };
        var logger = new CountingLogger();
        using var log = new KmsAuditLog(store, _clock, logger);
        log.Write(Entry());
        await log.FlushAsync();
        log.Write(Entry());
        await log.FlushAsync();
        Assert.Empty(store.Records);
        Assert.Equal(1, logger.Warnings);

        store.Failing = false;
        log.Write(Entry("Encrypt"));
        await log.FlushAsync();
        Assert.Contains("\"operation\":\"Encrypt\"", Assert.Single(store.Records).Json);
    }

    private sealed class MemoryAuditStore : Coffer.Storage.IKmsAuditStore
    {
        public List<Coffer.Storage.KmsAuditRecord> Records { get; } = [];

        public bool Failing { get; set; }

        public Task AppendKmsAuditAsync(IReadOnlyList<Coffer.Storage.KmsAuditRecord> entries, CancellationToken ct = default)
        {
            if (Failing)
                throw new InvalidOperationException("database away");
            lock (Records)
                Records.AddRange(entries);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<Coffer.Storage.KmsAuditRecord>> ReadKmsAuditAsync(DateTimeOffset? since, int limit, string? keyId = null, CancellationToken ct = default) =>
            Task.FromResult<IReadOnlyList<Coffer.Storage.KmsAuditRecord>>(Records.Take(limit).ToList());
    }

    private sealed class CountingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public int Warnings;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == Microsoft.Extensions.Logging.LogLevel.Warning)
                Interlocked.Increment(ref Warnings);
        }
    }

    private sealed class FakeClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 11, 28, 23, 59, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    /// <summary>A minimal key store (the real ones live in Coffer.Storage; this project tests the server's parts).</summary>
    private sealed class MemoryKeyStore : IKmsKeyStore
    {
        private readonly Dictionary<string, KmsKeyRecord> _keys = new(StringComparer.Ordinal);

        public Task CreateKeyAsync(KmsKeyRecord key, CancellationToken ct = default) { lock (_keys) _keys.Add(key.KeyId, key); return Task.CompletedTask; }

        public Task<KmsKeyRecord?> GetKeyAsync(string keyId, CancellationToken ct = default) { lock (_keys) return Task.FromResult(_keys.GetValueOrDefault(keyId)); }

        public Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default)
        {
            lock (_keys) return Task.FromResult<IReadOnlyList<KmsKeyRecord>>(_keys.Values.Where(k => owner is null || k.Owner == owner).ToList());
        }

        public Task UpdateKeyAsync(KmsKeyRecord key, CancellationToken ct = default) { lock (_keys) _keys[key.KeyId] = key; return Task.CompletedTask; }

        public Task<bool> TryUpdateKeyAsync(KmsKeyRecord expected, KmsKeyRecord replacement, CancellationToken ct = default)
        {
            lock (_keys)
            {
                if (!_keys.TryGetValue(expected.KeyId, out var current) || !current.ContentEquals(expected))
                    return Task.FromResult(false);
                _keys[expected.KeyId] = replacement;
                return Task.FromResult(true);
            }
        }

        public Task<bool> CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default) => Task.FromResult(false);

        public Task<string?> ResolveAliasAsync(string owner, string alias, CancellationToken ct = default) => Task.FromResult<string?>(null);

        public Task<IReadOnlyList<(string Alias, string KeyId)>> ListAliasesAsync(string? owner, CancellationToken ct = default) =>
            Task.FromResult<IReadOnlyList<(string, string)>>([]);

        public Task<bool> DeleteAliasAsync(string owner, string alias, CancellationToken ct = default) => Task.FromResult(false);
    }
}
