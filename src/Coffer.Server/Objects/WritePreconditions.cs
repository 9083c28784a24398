using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>
/// Conditional writes (docs/protocol/objects.md#conditional-writes): <c>If-None-Match: *</c> and
/// <c>If-Match: "etag"</c> on PutObject, CopyObject (the destination) and CompleteMultipartUpload, as S3 has
/// them. They are checked once before any data is read (a write that cannot succeed reads no body) and again,
/// atomically, in the metadata commit (<see cref="WriteCondition"/>): of two writers racing with
/// <c>If-None-Match: *</c> on one key exactly one succeeds. COS documents these headers only for reads; a
/// COS-signed write gets the same treatment rather than having them ignored.
/// </summary>
public static class WritePreconditions
{
    /// <summary>
    /// The request's condition, or null when it sends neither header. Only <c>*</c> is accepted for
    /// If-None-Match, and not both headers together: AWS documents nothing else for writes and answers
    /// 501 NotImplemented to the rest.
    /// </summary>
    public static WriteCondition? Parse(RequestContext ctx)
    {
        var ifNoneMatch = ctx.Header("If-None-Match")?.Trim();
        var ifMatch = ctx.Header("If-Match")?.Trim();
        if (ifNoneMatch is null && ifMatch is null)
            return null;
        if (ifNoneMatch is not null && ifMatch is not null)
            throw new CofferException(ErrorCode.NotImplemented, "A write takes either If-None-Match: * or If-Match: \"etag\", not both.");
        if (ifNoneMatch is not null)
            return ifNoneMatch == "*" ? WriteCondition.IfAbsent
                : throw new CofferException(ErrorCode.NotImplemented, $"If-None-Match on a write supports only '*' (write only if the key has no object); got '{ifNoneMatch}'.");

        var etag = ifMatch!.StartsWith("W/", StringComparison.Ordinal) ? ifMatch[2..] : ifMatch;
        etag = etag.Trim().Trim('"');
        if (etag.Length == 0 || etag.Contains(',') || etag.Contains('"'))
            throw new CofferException(ErrorCode.InvalidArgument, $"If-Match on a write takes one ETag (quoted or not) or '*'; got '{ifMatch}'.");
        return WriteCondition.IfMatch(etag);
    }

    /// <summary>The early check, before any data is read: fails the request if the condition already does not hold.</summary>
    public static async Task CheckAsync(RequestContext ctx, CofferServices s, WriteCondition? condition)
    {
        if (condition is null)
            return;
        var current = await s.Store.GetObjectAsync(ctx.BucketName, ctx.ObjectKey, ctx.Aborted);
        try
        {
            condition.Check(current?.ETag);
        }
        catch (WriteConditionFailedException e)
        {
            throw Failed(e, ctx.BucketName, ctx.ObjectKey);
        }
    }

    /// <summary>The answer to a condition that did not hold: 404 NoSuchKey when If-Match found no object, else 412 PreconditionFailed.</summary>
    public static CofferException Failed(WriteConditionFailedException e, string bucket, string key) => e.Failure switch
    {
        WriteConditionFailure.NoObject => new CofferException(ErrorCode.NoSuchKey,
            $"The key '{key}' does not exist in bucket '{bucket}', and If-Match asked to write only over an existing object; nothing was written."),
        WriteConditionFailure.ObjectExists => new CofferException(ErrorCode.PreconditionFailed,
            $"The key '{key}' already has an object, and If-None-Match: * asked to write only if it had none; nothing was written."),
        _ => new CofferException(ErrorCode.PreconditionFailed,
            $"The object at '{key}' does not have the ETag If-Match named (it may have been overwritten); nothing was written. Read its current ETag and decide again."),
    };
}
