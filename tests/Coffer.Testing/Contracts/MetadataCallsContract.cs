using System.Collections.Concurrent;
using Coffer.Storage;
using Xunit;

namespace Coffer.Testing.Contracts;

/// <summary>
/// <see cref="IMetadataBackend.CallObserver"/>: every store call that reads or writes reports its method's name and
/// outcome once — what the server's <c>coffer_metadata_*</c> metrics count — and a cancelled call is no backend error.
/// </summary>
public abstract class MetadataCallsContract<TStore>(IStoreEngine<TStore> engine) : StoreContract<TStore>(engine)
    where TStore : class, IMetadataBackend
{
    private sealed class Recorder : IMetadataCallObserver
    {
        public ConcurrentQueue<(string Call, bool Ok)> Calls { get; } = new();
        public void Completed(string call, bool ok, long startTimestamp)
        {
            Assert.True(startTimestamp > 0 && startTimestamp <= System.Diagnostics.Stopwatch.GetTimestamp());
            Calls.Enqueue((call, ok));
        }
    }

    [ContractFact]
    public async Task Reads_and_writes_report_their_method_and_success_once_each()
    {
        var recorder = new Recorder();
        Store.CallObserver = recorder;
        Assert.True(await CreateBucketAsync("b"));
        await Store.PutObjectAsync(Sample.Object("b", "k"));
        Assert.NotNull(await Store.GetObjectAsync("b", "k"));
        Assert.Null(await Store.GetBucketAsync("no-such-bucket"));

        var calls = recorder.Calls.ToArray();
        Assert.Equal(1, calls.Count(c => c.Call == nameof(IMetadataStore.CreateBucketAsync)));
        Assert.Equal(1, calls.Count(c => c.Call == nameof(IMetadataStore.PutObjectAsync)));
        Assert.Equal(1, calls.Count(c => c.Call == nameof(IMetadataStore.GetObjectAsync)));
        Assert.Equal(1, calls.Count(c => c.Call == nameof(IMetadataStore.GetBucketAsync)));
        Assert.All(calls, c => Assert.True(c.Ok, c.Call));
    }

    [ContractFact]
    public async Task A_cancelled_call_is_reported_but_not_as_a_backend_error()
    {
        await CreateBucketAsync("b");
        var recorder = new Recorder();
        Store.CallObserver = recorder;
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.GetObjectAsync("b", "k", cancelled.Token));
        Assert.Contains((nameof(IMetadataStore.GetObjectAsync), true), recorder.Calls);
    }

    [ContractFact]
    public async Task Nothing_is_reported_once_the_observer_is_removed()
    {
        var recorder = new Recorder();
        Store.CallObserver = recorder;
        await CreateBucketAsync("b");
        Store.CallObserver = null;
        await Store.GetBucketAsync("b");
        Assert.Single(recorder.Calls);
    }

    [ContractFact]
    public async Task A_write_condition_that_does_not_hold_is_an_answer_not_a_backend_error()
    {
        Assert.True(await CreateBucketAsync("b"));
        await Store.PutObjectAsync(Sample.Object("b", "k"));
        var recorder = new Recorder();
        Store.CallObserver = recorder;
        await Assert.ThrowsAsync<WriteConditionFailedException>(() => Store.PutObjectAsync(Sample.Object("b", "k"), WriteCondition.IfAbsent));
        await Assert.ThrowsAsync<NoSuchBucketException>(() => Store.PutObjectAsync(Sample.Object("no-such-bucket", "k")));
        Assert.Equal([(nameof(IMetadataStore.PutObjectAsync), true), (nameof(IMetadataStore.PutObjectAsync), true)], recorder.Calls.ToArray());
    }

    [ContractFact]
    public async Task A_call_the_engine_fails_is_reported_as_an_error()
    {
        Assert.True(await CreateBucketAsync("b"));
        var recorder = new Recorder();
        Store.CallObserver = recorder;
        await using (await Engine.HideTableAsync("buckets"))
        {
            await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => Store.GetBucketAsync("b"));
        }
        Assert.NotNull(await Store.GetBucketAsync("b"));
        Assert.Equal([(nameof(IMetadataStore.GetBucketAsync), false), (nameof(IMetadataStore.GetBucketAsync), true)], recorder.Calls.ToArray());
    }
}
