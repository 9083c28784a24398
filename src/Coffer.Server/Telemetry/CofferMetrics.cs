using System.Diagnostics;
using System.Diagnostics.Metrics;
using Coffer.Crypto.Kms;
using Coffer.Server.Hosting;
using Coffer.Server.Pipeline;
using Coffer.Server.Routing;
using Coffer.Storage;

namespace Coffer.Server.Telemetry;

/// <summary>
/// The server's instruments (docs/observability.md), on a <see cref="Meter"/> named <see cref="MeterName"/> that belongs to
/// this server alone: two servers in one process (tests) each export their own figures.
/// <para>
/// The request path only adds to counters and a histogram with a <see cref="TagList"/> of interned strings (operation
/// names, families, status codes and modes are precomputed), so recording allocates nothing. Figures that other parts
/// already count (KMS calls, cache hits and misses, upload slots) are observed when a scrape asks, not on the request path.
/// </para>
/// </summary>
public sealed class CofferMetrics : IMetadataCallObserver, IDisposable
{
    /// <summary>The meter name: what <c>AddMeter</c> subscribes to.</summary>
    public const string MeterName = "Coffer";

    /// <summary>The operation label of requests that never reached a handler (bad target, refused signature).</summary>
    public const string Unrouted = "Unrouted";

    private static readonly string[] OperationNames = Enum.GetNames<Operation>();
    private static readonly string[] StatusNames = Enumerable.Range(0, 600).Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    private static readonly string[] ModeNames = ["none", "sse-cos", "sse-kms", "sse-c"];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _received;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _sse;
    private readonly Counter<long> _blobCalls;
    private readonly Histogram<double> _blobDuration;
    private readonly Counter<long> _metadataCalls;
    private readonly Histogram<double> _metadataDuration;
    /// <summary>Store method name → label ("GetObjectAsync" → "GetObject"): a fixed set, the backend's own method names.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _metadataLabels = new(StringComparer.Ordinal);

    public CofferMetrics()
    {
        Meter = new Meter(MeterName);
        _requests = Meter.CreateCounter<long>("coffer.requests", "{request}", "Requests answered, by operation, protocol family (cos, s3, or none for the server's own paths) and HTTP status.");
        _duration = Meter.CreateHistogram<double>("coffer.request.duration", "s", "Time from the request's arrival to the end of its answer, by operation and family.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _received = Meter.CreateCounter<long>("coffer.received", "By", "Request body bytes (Content-Length) by operation and family.");
        _sent = Meter.CreateCounter<long>("coffer.sent", "By", "Response body bytes (Content-Length; none for HEAD) by operation and family.");
        _sse = Meter.CreateCounter<long>("coffer.sse.requests", "{request}", "Object requests by the encryption mode of the object written or read (none, sse-cos, sse-kms, sse-c) and operation.");
        _blobCalls = Meter.CreateCounter<long>("coffer.blob.calls", "{call}", "Calls to the blob backend by call (commit, open, exists, delete, list) and outcome (ok, error).");
        _blobDuration = Meter.CreateHistogram<double>("coffer.blob.duration", "s", "Duration of blob backend calls (open: until the stream is ready; commit: the commit alone), by call.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _metadataCalls = Meter.CreateCounter<long>("coffer.metadata.calls", "{call}", "Calls to the metadata backend (SQLite or PostgreSQL) by call (the store method, e.g. GetObject) and outcome (ok, error).");
        _metadataDuration = Meter.CreateHistogram<double>("coffer.metadata.duration", "s", "Duration of metadata backend calls by call, waiting for a connection (and, on SQLite, the writer) included.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
    }

    /// <summary>This server's meter (exporters keep to it; see <see cref="Owns"/>).</summary>
    public Meter Meter { get; }

    /// <summary>Whether <paramref name="instrument"/> is one of this server's (not another server's in the same process).</summary>
    public bool Owns(Instrument instrument) => ReferenceEquals(instrument.Meter, Meter);

    /// <summary>The label of an operation (its reference name).</summary>
    public static string OperationLabel(Operation operation) => (uint)operation < (uint)OperationNames.Length ? OperationNames[(int)operation] : Unrouted;

    /// <summary>Observes what the KMS, its caches and the upload limiter count already; called once the services exist.</summary>
    public void Observe(KeyManager kms, KmsEnvelope envelope, UploadLimiter uploads)
    {
        Meter.CreateObservableCounter("coffer.kms.calls", () => new[]
        {
            new Measurement<long>(kms.GenerateCalls, new KeyValuePair<string, object?>("call", "GenerateDataKey")),
            new Measurement<long>(kms.DecryptCalls, new KeyValuePair<string, object?>("call", "Decrypt")),
        }, "{call}", "Data-key calls into the KMS core (SSE bucket keys and the KMS API), by call, refused ones included.");
        Meter.CreateObservableCounter("coffer.kms.key_state_cache.lookups", () => new[]
        {
            new Measurement<long>(kms.KeyStateCacheHits, new KeyValuePair<string, object?>("result", "hit")),
            new Measurement<long>(kms.KeyStateCacheMisses, new KeyValuePair<string, object?>("result", "miss")),
        }, "{lookup}", "KMS key-state cache lookups: hits answered without a key-store read, misses that read it.");
        Meter.CreateObservableCounter("coffer.kms.bucket_key_cache.lookups", () => new[]
        {
            new Measurement<long>(envelope.BucketKeyHits, new KeyValuePair<string, object?>("result", "hit")),
            new Measurement<long>(envelope.BucketKeyMisses, new KeyValuePair<string, object?>("result", "miss")),
        }, "{lookup}", "Bucket-key cache lookups of SSE-KMS and SSE-COS: hits made no KMS call, misses made one.");
        Meter.CreateObservableUpDownCounter("coffer.kms.bucket_key_cache.entries", () => (long)envelope.CachedCount, "{entry}", "Bucket keys held unwrapped now.");
        Meter.CreateObservableUpDownCounter("coffer.uploads.active", () => (long)uploads.Active, "{request}", "Request bodies being received now (limit: --max-concurrent-uploads).");
    }

    /// <summary>
    /// Observes the scheduled scrub on this node (<c>--scrub-interval</c>): what the current or last scrub checked and
    /// found, as this node last ran or read it (the node holding the job's lease is the one that knows).
    /// </summary>
    public void ObserveScrub(ScheduledScrub scrub)
    {
        Meter.CreateObservableUpDownCounter("coffer.scrub.objects", () => scrub.Last?.Objects ?? 0, "{object}", "Objects checked by the current (or last) scheduled scrub.");
        Meter.CreateObservableUpDownCounter("coffer.scrub.bytes", () => scrub.Last?.Bytes ?? 0, "By", "Stored bytes read by the current (or last) scheduled scrub.");
        Meter.CreateObservableUpDownCounter("coffer.scrub.damaged", () => scrub.Last?.Damaged ?? 0, "{object}", "Damaged objects found by the current (or last) scheduled scrub; each is logged and listed by coffer admin scrub --status.");
        Meter.CreateObservableCounter("coffer.scrub.completed", () => scrub.Completed, "{scrub}", "Scheduled scrubs this node finished.");
    }

    /// <summary>Records one answered request. Allocation-free: every tag value is a precomputed string.</summary>
    public void RecordRequest(string operation, string family, int status, long received, long sent, long startTimestamp, SseMode? sse)
    {
        var statusName = (uint)status < (uint)StatusNames.Length ? StatusNames[status] : "other";
        var tags = new TagList { { "operation", operation }, { "family", family }, { "status", statusName } };
        _requests.Add(1, tags);
        var byOperation = new TagList { { "operation", operation }, { "family", family } };
        _duration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, byOperation);
        if (received > 0)
            _received.Add(received, byOperation);
        if (sent > 0)
            _sent.Add(sent, byOperation);
        if (sse is { } mode && (uint)mode < (uint)ModeNames.Length)
            _sse.Add(1, new TagList { { "mode", ModeNames[(int)mode] }, { "operation", operation } });
    }

    /// <summary>Records one blob backend call.</summary>
    public void RecordBlobCall(string call, bool ok, long startTimestamp)
    {
        _blobCalls.Add(1, new TagList { { "call", call }, { "outcome", ok ? "ok" : "error" } });
        _blobDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new TagList { { "call", call } });
    }

    /// <summary>Records one metadata backend call (<see cref="IMetadataCallObserver"/>): requests', jobs' and probes' alike.</summary>
    public void Completed(string call, bool ok, long startTimestamp)
    {
        if (!_metadataCalls.Enabled && !_metadataDuration.Enabled)
            return;
        var label = _metadataLabels.GetOrAdd(call, static c => c.EndsWith("Async", StringComparison.Ordinal) ? c[..^5] : c);
        _metadataCalls.Add(1, new TagList { { "call", label }, { "outcome", ok ? "ok" : "error" } });
        _metadataDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new TagList { { "call", label } });
    }

    /// <summary>The label of an SSE mode as metrics and the access log spell it.</summary>
    public static string ModeLabel(SseMode? mode) => mode is { } m && (uint)m < (uint)ModeNames.Length ? ModeNames[(int)m] : "-";

    public void Dispose() => Meter.Dispose();
}
