using System.Collections;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Coffer.Server.Telemetry;

/// <summary>
/// The access log: one Information line per request in the category <see cref="Category"/>, written when the answer is
/// done (docs/observability.md). It names who asked for what and how it went; it never holds a key, a secret, a
/// signature, a token or any header value: only the request id, the user's name, the operation, bucket and object
/// key, status, body sizes, duration and the SSE mode.
/// </summary>
public static partial class AccessLog
{
    /// <summary>The logger category of access lines (filter on it to route or silence them).</summary>
    public const string Category = "Coffer.Access";

    [LoggerMessage(EventId = 1, EventName = "Request", Level = LogLevel.Information,
        Message = "{Method} {Operation} {Family} bucket={Bucket} key={Key} user={User} status={Status} in={BytesIn} out={BytesOut} ms={DurationMs} sse={Sse} id={RequestId}")]
    public static partial void Request(ILogger logger, string method, string operation, string family, string bucket, string key, string user,
        int status, long bytesIn, long bytesOut, double durationMs, string sse, string requestId);

    /// <summary>
    /// A value as the text log may print it: control characters (a key refused for them still gets its access line)
    /// become \uXXXX escapes, so no value can start a forged log line.
    /// </summary>
    public static string Printable(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return "-";
        if (value.AsSpan().IndexOfAnyInRange('\0', '\u001f') < 0 && !value.Contains('\u007f'))
            return value;
        var sb = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            if (c < 0x20 || c == 0x7f)
                sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else
                sb.Append(c);
        }
        return sb.ToString();
    }
}

/// <summary>
/// The logging scope of one request: every line logged while it runs (by the dispatcher, a handler, the KMS or a
/// store) carries its <c>RequestId</c>, the same id the client got in <c>x-cos-request-id</c> / <c>x-amz-request-id</c>.
/// </summary>
public sealed class RequestScope(string requestId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    public string RequestId => requestId;

    public int Count => 1;

    public KeyValuePair<string, object?> this[int index] =>
        index == 0 ? new("RequestId", requestId) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "RequestId:" + requestId;
}
