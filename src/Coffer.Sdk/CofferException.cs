namespace Coffer.Sdk;

/// <summary>
/// The server answered with an error: the COS / S3 XML <c>&lt;Error&gt;</c> document, or for
/// HEAD requests (which have no body) a code derived from the status. Local failures (bad
/// arguments, checksum mismatches, I/O, network) are <see cref="CosClientException"/>.
/// </summary>
public sealed class CofferException : Exception
{
    /// <summary>Creates the exception for one error response.</summary>
    /// <param name="code">The error code.</param>
    /// <param name="message">The server's message.</param>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="requestId">The request id, if any.</param>
    /// <param name="resource">The resource, if any.</param>
    /// <param name="traceId">The trace or host id, if any.</param>
    public CofferException(string code, string message, int statusCode, string? requestId = null, string? resource = null, string? traceId = null)
        : base(Describe(code, message, statusCode, requestId))
    {
        Code = code;
        ErrorMessage = message;
        StatusCode = statusCode;
        RequestId = requestId;
        Resource = resource;
        TraceId = traceId;
    }

    /// <summary>
    /// The error code, always present: the body's <c>&lt;Code&gt;</c>, e.g. <see cref="ErrorCodes.NoSuchKey"/>.
    /// For a body-less response (HEAD) it is derived from the status: 400 <c>BadRequest</c>,
    /// 403 <c>AccessDenied</c>, 404 <c>NoSuchResource</c> (as the COS Python SDK says),
    /// 409 <c>Conflict</c>, 412 <c>PreconditionFailed</c>, 5xx <c>InternalError</c>/<c>ServiceUnavailable</c>.
    /// </summary>
    public string Code { get; }

    /// <summary>The server's message alone (the body's <c>&lt;Message&gt;</c>), always present, possibly empty for HEAD errors.</summary>
    public string ErrorMessage { get; }

    /// <summary>The HTTP status code, always present.</summary>
    public int StatusCode { get; }

    /// <summary>The request id (<c>x-cos-request-id</c> / <c>x-amz-request-id</c>, or the body's <c>&lt;RequestId&gt;</c>); present when the server sent one.</summary>
    public string? RequestId { get; }

    /// <summary>The body's <c>&lt;Resource&gt;</c>; null for HEAD errors.</summary>
    public string? Resource { get; }

    /// <summary>The body's <c>&lt;TraceId&gt;</c> (COS) or <c>&lt;HostId&gt;</c> (S3); sometimes present.</summary>
    public string? TraceId { get; }

    /// <summary>
    /// Whether trying again may succeed: status 5xx or 429, or a code such as
    /// <see cref="ErrorCodes.SlowDown"/>, <see cref="ErrorCodes.InternalError"/>,
    /// <see cref="ErrorCodes.ServiceUnavailable"/> or <see cref="ErrorCodes.RequestTimeout"/>.
    /// The client already retried such errors before throwing.
    /// </summary>
    public bool IsTransient => StatusCode >= 500 || StatusCode == 429 || ErrorCodes.IsTransient(Code);

    private static string Describe(string code, string message, int status, string? requestId) =>
        $"{code} (HTTP {status}){(message.Length > 0 ? ": " + message : "")}{(requestId is null ? "" : $" [request id {requestId}]")}";
}

/// <summary>What went wrong on the client side.</summary>
public enum CosClientErrorKind
{
    /// <summary>A request or setting is not valid (missing bucket, bad key length, conflicting SSE parameters…).</summary>
    InvalidArgument,

    /// <summary>Data arrived or was stored with a CRC-64 or MD5 other than the one computed locally.</summary>
    ChecksumMismatch,

    /// <summary>A size differs from what was expected (short body, truncated download).</summary>
    SizeMismatch,

    /// <summary>The object changed (ETag, size or Last-Modified) while it was being downloaded or copied.</summary>
    ObjectChanged,

    /// <summary>A local file could not be read or written.</summary>
    Io,

    /// <summary>The server could not be reached, or the connection broke, after every retry.</summary>
    Network,

    /// <summary>An attempt took longer than <see cref="CosConfig.Timeout"/>, after every retry.</summary>
    Timeout,

    /// <summary>The server's answer could not be understood (malformed XML, missing header).</summary>
    InvalidResponse,
}

/// <summary>
/// A failure on the client side: invalid arguments, checksum or size mismatches, local I/O,
/// or a network fault that outlived the retries. Server errors are <see cref="CofferException"/>.
/// Cancellation is reported as <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class CosClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    public CosClientException(CosClientErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>What went wrong.</summary>
    public CosClientErrorKind Kind { get; }

    /// <summary>Whether trying again may succeed (network faults and timeouts).</summary>
    public bool IsTransient => Kind is CosClientErrorKind.Network or CosClientErrorKind.Timeout;
}
