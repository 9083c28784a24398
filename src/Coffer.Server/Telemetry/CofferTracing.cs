using System.Diagnostics;

namespace Coffer.Server.Telemetry;

/// <summary>
/// The server's traces (docs/observability.md#traces): one <see cref="ActivitySource"/> named <see cref="SourceName"/>,
/// with a server span per request and child spans for authentication, the KMS, the metadata store and the blob
/// backend. Nothing is recorded unless something listens (the OTLP exporter of <c>--otlp-endpoint</c>): each
/// <c>StartActivity</c> is then a check that returns null. Spans carry names, operations and outcomes, never a key,
/// secret, signature or encryption context.
/// </summary>
public static class CofferTracing
{
    /// <summary>The source name that <c>AddSource</c> subscribes to.</summary>
    public const string SourceName = "Coffer";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// The span of one request, continuing the caller's trace when it sent a W3C <c>traceparent</c> header; null when
    /// nobody listens.
    /// </summary>
    public static Activity? StartRequest(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        if (!Source.HasListeners())
            return null;
        var traceparent = request.Headers["traceparent"].ToString();
        var parent = traceparent.Length > 0 && ActivityContext.TryParse(traceparent, request.Headers["tracestate"].ToString(), out var context)
            ? context : default;
        // ASP.NET Core's own (unrecorded) request activity is no parent of ours: a sampler would drop ours with it.
        Activity.Current = null;
        return Source.StartActivity("coffer.request", ActivityKind.Server, parent);
    }

    /// <summary>Marks <paramref name="span"/> failed with the exception's type (not its message, which may name user input).</summary>
    public static bool Fail(Activity? span, Exception e)
    {
        span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
        return false;
    }
}
