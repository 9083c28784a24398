using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Storage;

namespace Coffer.Server.Access;

/// <summary>What a request asks of a bucket: an IAM action (<see cref="AccessActions"/>) on the bucket, or on one key of it.</summary>
public sealed record AccessRequest(BucketRecord Bucket, string Action, string? Key = null);

/// <summary>
/// The one place that decides whether a caller — a signed user or an anonymous one — may do an action on a bucket
/// or an object in it. The dispatcher asks once per request after loading the bucket; a copy asks again for its source.
/// </summary>
/// <remarks>
/// The order of the stages is S3's: an explicit Deny anywhere wins; then the owner; then an Allow by the bucket
/// policy; then an ACL grant; else the request is refused. Today the bucket owner is the only caller let in.
/// </remarks>
public static class Authorizer
{
    public const string AnonymousRefused =
        "Anonymous access is not allowed: sign the request with your access key (COS signature or AWS Signature V4).";

    public static ValueTask AuthorizeAsync(RequestContext ctx, CofferServices s, AccessRequest request)
    {
        // (1) An explicit Deny of the bucket policy: applies to the owner too.
        // (2) The owner may do everything.
        if (ctx.User is { } user && string.Equals(request.Bucket.Owner, user.Id, StringComparison.Ordinal))
            return ValueTask.CompletedTask;
        // (3) An Allow of the bucket policy.
        // (4) A grant of the bucket's or the object's ACL.
        throw Refused(ctx, request);
    }

    /// <summary>Whether the caller owns the bucket (the owner keeps the right to read and change a bucket's access settings).</summary>
    public static bool IsOwner(RequestContext ctx, BucketRecord bucket) =>
        ctx.User is { } user && string.Equals(bucket.Owner, user.Id, StringComparison.Ordinal);

    private static CofferException Refused(RequestContext ctx, AccessRequest request) => ctx.IsAnonymous
        ? new CofferException(ErrorCode.AccessDenied, AnonymousRefused)
        : new CofferException(ErrorCode.AccessDenied, $"The bucket '{request.Bucket.Name}' belongs to another user.");
}
