using Coffer.Crypto.Kms;
using Coffer.Protocol;
using Coffer.Server.Routing;
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
/// policy; then an ACL grant (<see cref="AclEvaluation"/>); else the request is refused.
/// </remarks>
public static class Authorizer
{
    public const string AnonymousRefused =
        "Anonymous access is not allowed: sign the request with your access key (COS signature or AWS Signature V4).";

    public static async ValueTask AuthorizeAsync(RequestContext ctx, CofferServices s, AccessRequest request)
    {
        // (1) An explicit Deny of the bucket policy: applies to the owner too.
        // (2) The owner may do everything.
        if (ctx.User is { } user && string.Equals(request.Bucket.Owner, user.Id, StringComparison.Ordinal))
            return;
        // (3) An Allow of the bucket policy.
        // (4) A grant of the bucket's or the object's ACL.
        if (await AclAllowsAsync(ctx, s, request))
            return;
        throw Refused(ctx, request);
    }

    /// <summary>
    /// Stage (4). Bucket actions are decided by the bucket's ACL (already loaded); object actions by the object's, read
    /// here, only for callers other than the bucket owner and only in buckets whose ACLs are on. A grant to read an
    /// SSE-KMS object never lends the owner's KMS key: the reader must be able to use the object's key itself.
    /// </summary>
    private static async ValueTask<bool> AclAllowsAsync(RequestContext ctx, CofferServices s, AccessRequest request)
    {
        var bucket = request.Bucket;
        if (bucket.AclsDisabled)
            return false;
        if (AclEvaluation.BucketPermissionFor(request.Action) is { } bucketPermission)
            return AclEvaluation.BucketAllows(bucket, ctx.User, bucketPermission);
        if (request.Key is null || AclEvaluation.ObjectPermissionFor(request.Action) is not { } objectPermission)
            return false;
        var obj = await s.Store.GetObjectAsync(bucket.Name, request.Key, ctx.Aborted);
        if (obj is null)
            return AclEvaluation.BucketAllows(bucket, ctx.User, AclPermission.Read); // who may list learns NoSuchKey; others AccessDenied
        if (!AclEvaluation.ObjectAllows(bucket, obj, ctx.User, objectPermission))
            return false;
        if (objectPermission == AclPermission.Read && obj.Encryption.Mode == SseMode.Kms && ctx.Operation != Operation.HeadObject)
            await CheckKmsKeyAsync(ctx, s, obj);
        return true;
    }

    private static async ValueTask CheckKmsKeyAsync(RequestContext ctx, CofferServices s, ObjectRecord obj)
    {
        const string Why = "is encrypted with SSE-KMS under a key you may not use: a grant to read it does not lend the owner's KMS key.";
        if (ctx.User is not { } user)
            throw new CofferException(ErrorCode.AccessDenied, $"The object '{obj.Key}' {Why}");
        try
        {
            await s.Kms.DescribeOwnKeyForUseAsync(user.Id, obj.Encryption.KmsKeyId!, ctx.Aborted);
        }
        catch (KmsException e) when (e.Kind == KmsErrorKind.NotFound)
        {
            throw new CofferException(ErrorCode.AccessDenied, $"The object '{obj.Key}' {Why}");
        }
    }

    /// <summary>Whether the caller owns the bucket (the owner keeps the right to read and change a bucket's access settings).</summary>
    public static bool IsOwner(RequestContext ctx, BucketRecord bucket) =>
        ctx.User is { } user && string.Equals(bucket.Owner, user.Id, StringComparison.Ordinal);

    private static CofferException Refused(RequestContext ctx, AccessRequest request) => ctx.IsAnonymous
        ? new CofferException(ErrorCode.AccessDenied, AnonymousRefused)
        : new CofferException(ErrorCode.AccessDenied, $"The bucket '{request.Bucket.Name}' belongs to another user.");
}
