using System.Collections.Concurrent;
using Coffer.Server.Sse;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Admin;

/// <summary>
/// The rekey jobs this node runs for the admin API (<c>POST /_coffer/admin/rekey-jobs</c>), each in the background
/// until it finishes, reaches its limit, is stopped, or the server stops. The progress itself lives in the metadata
/// database (<see cref="Rekeyer"/>), so any node can report it and a stopped job continues where it was when started
/// again; only "running" and the last run's error are known here, on the node that ran it.
/// </summary>
public sealed class RekeyJobs : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _errors = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>What a running job was asked to do (for a status before its first progress is saved).</summary>
    public sealed record JobInfo(string JobId, string Bucket, string Prefix, string? FromKeyId, string ToKeyId, DateTimeOffset Started);

    private sealed record Running(JobInfo Info, CancellationTokenSource Stop, Task Task);

    /// <summary>Starts <paramref name="rekeyer"/> on <paramref name="request"/> in the background; false when this job already runs here.</summary>
    public bool TryStart(JobInfo info, Rekeyer rekeyer, RekeyRequest request, ILogger log)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_running.ContainsKey(info.JobId))
                return false;
            _errors.TryRemove(info.JobId, out _);
            var stop = new CancellationTokenSource();
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var task = Task.Run(async () =>
            {
                await started.Task;
                try
                {
                    await rekeyer.RunAsync(request, null, stop.Token);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    // Stopped: the progress is saved; starting the job again continues it.
                }
                catch (RekeyException e)
                {
                    _errors[info.JobId] = e.Message;
                }
                catch (Exception e)
                {
                    _errors[info.JobId] = "The run failed unexpectedly; see the server log. Its progress is saved: start the job again to continue.";
                    log.LogError(e, "Rekey job {JobId} on bucket {Bucket} failed.", info.JobId, info.Bucket);
                }
                finally
                {
                    lock (_gate)
                        _running.Remove(info.JobId);
                    stop.Dispose();
                }
            });
            _running[info.JobId] = new Running(info, stop, task);
            started.SetResult();
            return true;
        }
    }

    /// <summary>The running job's parameters, or null when it does not run on this node.</summary>
    public JobInfo? RunningJob(string jobId)
    {
        lock (_gate)
            return _running.TryGetValue(jobId, out var r) ? r.Info : null;
    }

    /// <summary>Why the job's last run on this node ended early, if it did.</summary>
    public string? LastError(string jobId) => _errors.TryGetValue(jobId, out var e) ? e : null;

    /// <summary>Stops the job if it runs here and waits for it to save its progress; false when it was not running.</summary>
    public async Task<bool> StopAsync(string jobId)
    {
        Running? running;
        lock (_gate)
        {
            if (!_running.TryGetValue(jobId, out running))
                return false;
            running.Stop.Cancel();
        }
        await running.Task.ConfigureAwait(false);
        return true;
    }

    /// <summary>Waits for a running job to end (for tests and the CLI's synchronous form); returns at once when it does not run.</summary>
    public Task WaitAsync(string jobId)
    {
        lock (_gate)
            return _running.TryGetValue(jobId, out var r) ? r.Task : Task.CompletedTask;
    }

    /// <summary>Stops every job (each saves its progress) before the stores it uses close.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] tasks;
        lock (_gate)
        {
            _disposed = true;
            foreach (var r in _running.Values)
                r.Stop.Cancel();
            tasks = [.. _running.Values.Select(r => r.Task)];
        }
        await Task.WhenAll(tasks).ConfigureAwait(false);
    }
}
