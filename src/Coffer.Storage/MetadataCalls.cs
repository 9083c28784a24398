using System.Diagnostics;

namespace Coffer.Storage;

/// <summary>
/// Watches the metadata backend's calls: each store method that runs a read, a snapshot read or a write transaction reports
/// its name (the <see cref="IMetadataStore"/> method's, e.g. "GetObjectAsync"), whether it succeeded, and when it began
/// (a <see cref="Stopwatch.GetTimestamp"/>). The server turns these into its metadata latency and error metrics.
/// </summary>
public interface IMetadataCallObserver
{
    /// <summary>A call ended; <paramref name="ok"/> is false when the backend failed (a cancelled call is ok).</summary>
    void Completed(string call, bool ok, long startTimestamp);
}

/// <summary>What the engines share to report their calls.</summary>
internal static class MetadataCalls
{
    /// <summary>
    /// Reports a call that began at <paramref name="start"/>: failed when <paramref name="error"/> is set and is neither a
    /// cancellation nor an answer the store gives by throwing (a write condition that did not hold, a missing bucket or
    /// KMS key): those mean the backend did its work, and counting them as errors would page whoever watches the metric
    /// each time a client sends <c>If-None-Match: *</c> for a key that exists.
    /// </summary>
    public static void Report(IMetadataCallObserver? observer, string call, long start, Exception? error = null) =>
        observer?.Completed(call, ok: error is null or OperationCanceledException or WriteConditionFailedException or NoSuchBucketException or KeyNotFoundException, start);
}
