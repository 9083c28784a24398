namespace Coffer.Storage;

/// <summary>
/// What a conditional write (S3's <c>If-None-Match: *</c> and <c>If-Match</c> on PutObject, CopyObject and
/// CompleteMultipartUpload) requires of the object it replaces. The store checks it inside the write's own
/// transaction, against the row it locks or inserts, so of two writers racing on one key with
/// <see cref="IfAbsent"/> exactly one commits (a compare-and-set, not a read followed by a write).
/// </summary>
/// <param name="MustBeAbsent">The key must have no object (<c>If-None-Match: *</c>).</param>
/// <param name="ETag">The key's object must exist and have this ETag (unquoted); <c>"*"</c>: any object (<c>If-Match: *</c>).</param>
public sealed record WriteCondition(bool MustBeAbsent, string? ETag)
{
    /// <summary><c>If-None-Match: *</c>: write only if the key has no object.</summary>
    public static WriteCondition IfAbsent { get; } = new(true, null);

    /// <summary><c>If-Match: "etag"</c> (or <c>*</c>): write only over an object with that ETag (any, for <c>*</c>).</summary>
    public static WriteCondition IfMatch(string etag) => new(false, etag);

    /// <summary>
    /// Throws <see cref="WriteConditionFailedException"/> unless the condition holds for the key's current
    /// object, whose ETag is <paramref name="currentETag"/> (null when the key has none).
    /// </summary>
    public void Check(string? currentETag)
    {
        if (MustBeAbsent && currentETag is not null)
        {
            throw new WriteConditionFailedException(WriteConditionFailure.ObjectExists);
        }
        if (ETag is null)
        {
            return;
        }
        if (currentETag is null)
        {
            throw new WriteConditionFailedException(WriteConditionFailure.NoObject);
        }
        if (ETag != "*" && !string.Equals(ETag, currentETag, StringComparison.OrdinalIgnoreCase))
        {
            throw new WriteConditionFailedException(WriteConditionFailure.ETagDiffers);
        }
    }
}

/// <summary>Why a <see cref="WriteCondition"/> did not hold.</summary>
public enum WriteConditionFailure
{
    /// <summary>The key has an object, and the write required none (S3: 412 PreconditionFailed).</summary>
    ObjectExists,
    /// <summary>The key has no object, and the write required one (S3: 404 NoSuchKey).</summary>
    NoObject,
    /// <summary>The key's object has another ETag (S3: 412 PreconditionFailed).</summary>
    ETagDiffers,
}

/// <summary>
/// A conditional write found its <see cref="WriteCondition"/> false at commit time; nothing was written (the
/// transaction rolled back), so the blobs the write made are the caller's to reclaim.
/// </summary>
public sealed class WriteConditionFailedException(WriteConditionFailure failure)
    : Exception($"The write's condition did not hold ({failure}); nothing was written.")
{
    /// <summary>Why the condition did not hold.</summary>
    public WriteConditionFailure Failure { get; } = failure;
}
