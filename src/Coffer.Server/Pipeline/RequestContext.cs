using Coffer.Protocol;
using Coffer.Protocol.Auth;
using Coffer.Server.Routing;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Pipeline;

/// <summary>
/// Everything the dispatcher established about a request before a handler runs: who sent it
/// (verified), in which protocol family, at which bucket and key, as which operation.
/// </summary>
public sealed class RequestContext
{
    public required HttpContext Http { get; init; }
    public required string RequestId { get; init; }
    public required ProtocolFamily Family { get; set; }
    public required Target Target { get; init; }
    public required RequestQuery Query { get; init; }
    public Operation Operation { get; set; }
    public AuthenticatedIdentity? Identity { get; set; }
    public UserRecord? User { get; set; }
    /// <summary>The bucket record, loaded and authorized (<see cref="Access.Authorizer"/>) by the dispatcher for bucket and object operations.</summary>
    public BucketRecord? Bucket { get; set; }
    /// <summary>
    /// The row of the request's own object when the <see cref="Access.Authorizer"/> already read it to decide (an object
    /// ACL grant, an s3:ExistingObjectTag condition): the handler takes it instead of reading the row again. Null when
    /// the Authorizer did not read it (the owner's requests, most others) or found no object.
    /// </summary>
    public ObjectRecord? AuthorizedObject { get; set; }
    /// <summary>What metrics and the access log call this request (an operation name, KMS call or server path); null until routed.</summary>
    public string? OperationLabel { get; set; }
    /// <summary>Whether the bucket's CORS rules were looked at for this request's Origin (docs/protocol/cors.md).</summary>
    public bool CorsChecked { get; set; }
    /// <summary>The encryption mode of the object this request wrote or read, once known (metrics and the access log).</summary>
    public SseMode? Sse { get; set; }

    public bool IsHttps => Http.Request.IsHttps;
    public HttpRequest Request => Http.Request;
    public HttpResponse Response => Http.Response;
    public CancellationToken Aborted => Http.RequestAborted;

    public string BucketName => Target.Bucket ?? throw new InvalidOperationException("no bucket in this request");
    public string ObjectKey => Target.Key ?? throw new InvalidOperationException("no key in this request");
    public UserRecord Caller => User ?? throw new InvalidOperationException("request not authenticated");
    /// <summary>Whether the request carries no signature: such a caller gets only what a bucket's policy or ACL grants everyone.</summary>
    public bool IsAnonymous => Identity is null;

    /// <summary>"/bucket/key" for error bodies.</summary>
    public string Resource => Target.Bucket is null ? "/" : Target.Key is null ? "/" + Target.Bucket : "/" + Target.Bucket + "/" + Target.Key;

    public string? Header(string name)
    {
        var values = Request.Headers[name];
        return values.Count == 0 ? null : values.Count == 1 ? values[0] : string.Join(",", values.ToArray());
    }

    /// <summary>
    /// A protocol header by suffix, in either family's spelling: the caller's family first
    /// (x-cos-X is a synonym of x-amz-X, docs/protocol/requests.md#header-families).
    /// </summary>
    public string? FamilyHeader(string suffix) =>
        Header(Family.Header(suffix)) ?? Header((Family == ProtocolFamily.Cos ? ProtocolFamily.S3 : ProtocolFamily.Cos).Header(suffix));

    /// <summary>Sets a response header in the caller's family: "server-side-encryption" → x-cos-server-side-encryption.</summary>
    public void SetFamilyHeader(string suffix, string value) => Response.Headers[Family.Header(suffix)] = value;
}
