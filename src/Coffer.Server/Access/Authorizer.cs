using Coffer.Crypto.Kms;
using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Server.Routing;
using Coffer.Server.Telemetry;
using Coffer.Storage;

namespace Coffer.Server.Access;

/// <summary>What a request asks of a bucket: an IAM action (<see cref="AccessActions"/>) on the bucket, or on one key of it.</summary>
/// <param name="VersionId">The version the request names (<c>?versionId=</c>, wire form), whose ACL then decides; null: the current one.</param>
public sealed record AccessRequest(BucketRecord Bucket, string Action, string? Key = null, string? VersionId = null);

/// <summary>
/// The one place that decides whether a caller — a signed user or an anonymous one — may do an action on a bucket
/// or an object in it. The dispatcher asks once per request after loading the bucket; a copy asks again for its source,
/// a multi-object delete for each key.
/// </summary>
/// <remarks>
/// The order of the stages is S3's: an explicit Deny anywhere wins; then the owner; then an Allow by the bucket
/// policy (unless Block Public Access restricts a public policy to the owner); then an ACL grant (<see cref="AclEvaluation"/>);
/// else the request is refused (docs/protocol/policy.md, docs/protocol/acl.md, docs/security.md).
/// </remarks>
public static class Authorizer
{
    public const string AnonymousRefused =
        "Anonymous access is not allowed: sign the request with your access key (COS signature, or AWS Signature V4 or V2).";

    public static ValueTask AuthorizeAsync(RequestContext ctx, CofferServices s, AccessRequest request)
    {
        var owner = IsOwner(ctx, request.Bucket);
        var text = request.Bucket.Policy;
        if (text is null)
            return owner ? ValueTask.CompletedTask : AclOrRefuseAsync(ctx, s, request);
        // The owner may always read, change and delete the bucket's policy, even one that denies them (S3's rule), so
        // a policy can never lock its bucket's owner out for good.
        if (owner && IsPolicyAction(request.Action))
            return ValueTask.CompletedTask;
        return WithPolicyAsync(ctx, s, request, owner, text);
    }

    private static async ValueTask WithPolicyAsync(RequestContext ctx, CofferServices s, AccessRequest request, bool owner, string text)
    {
        BucketPolicy policy;
        try
        {
            policy = s.Policies.Get(request.Bucket.Name, text);
        }
        catch (CofferException)
        {
            // A stored policy this server cannot read (written by another version) fails closed: nobody but the owner,
            // who may still replace or delete it, gets in.
            throw new CofferException(ErrorCode.AccessDenied,
                $"Access Denied: the policy stored for the bucket '{request.Bucket.Name}' is not valid for this server; its owner must replace or delete it.");
        }

        // A multi-object delete is decided key by key (DeleteHandlers asks for s3:DeleteObject on each): a key the policy
        // refuses is reported as AccessDenied in the result, and the others go on. A caller whom no Allow for the action
        // names at all is refused here, at once.
        if (request.Key is null && ctx.Operation == Operation.DeleteObjects)
        {
            if (owner || PolicyEvaluator.MayAllow(policy, request.Action, PolicyActions.CosActionOf(ctx.Operation, request.Action), ctx.User?.Name, ctx.User?.Id))
                return;
            await AclOrRefuseAsync(ctx, s, request);
            return;
        }

        IReadOnlyList<Tag>? tags = null;
        if (policy.UsesExistingObjectTags && request.Key is not null)
            tags = (await ReadObjectAsync(ctx, s, request))?.Tags;

        var decision = PolicyEvaluator.Evaluate(policy, RequestOf(ctx, s, request, tags));
        // (1) An explicit Deny of the bucket policy: applies to the owner too.
        if (decision == PolicyDecision.Deny)
            throw new CofferException(ErrorCode.AccessDenied, $"Access Denied: an explicit deny in the bucket policy refuses {request.Action} on this resource.");
        // (2) The owner may do everything else.
        if (owner)
            return;
        // (3) An Allow of the bucket policy lets another user, or anyone, in — unless the policy is public and Block Public
        // Access restricts public policies to the bucket owner (RestrictPublicBuckets).
        if (decision == PolicyDecision.Allow && !(request.Bucket.PublicAccessBlock is { RestrictPublicBuckets: true } && PolicyStatus.IsPublic(policy)))
            return;
        // (4) A grant of the bucket's or the object's ACL.
        await AclOrRefuseAsync(ctx, s, request);
    }

    private static async ValueTask AclOrRefuseAsync(RequestContext ctx, CofferServices s, AccessRequest request)
    {
        if (!await AclAllowsAsync(ctx, s, request))
            throw Refused(ctx, request);
    }

    /// <summary>What the policy sees of the request: caller, transport, address, clock, the headers as sent, the listing's arguments.</summary>
    private static PolicyRequest RequestOf(RequestContext ctx, CofferServices s, AccessRequest request, IReadOnlyList<Tag>? tags)
    {
        var listing = request.Action is "s3:ListBucket" or "s3:ListBucketVersions" or "s3:ListBucketMultipartUploads";
        return new PolicyRequest
        {
            Action = request.Action,
            CosAction = PolicyActions.CosActionOf(ctx.Operation, request.Action),
            Bucket = request.Bucket.Name,
            Key = request.Key,
            UserName = ctx.User?.Name,
            UserId = ctx.User?.Id,
            SecureTransport = ctx.IsHttps,
            SourceIp = ctx.Http.Connection.RemoteIpAddress,
            Now = s.Time.GetUtcNow(),
            Header = ctx.FamilyHeader,
            Prefix = listing ? ctx.Query.Get("prefix") ?? "" : null,
            Delimiter = listing ? ctx.Query.Get("delimiter") : null,
            MaxKeys = listing ? ctx.Query.Get(ctx.Operation == Operation.ListMultipartUploads ? "max-uploads" : "max-keys") : null,
            ExistingTags = tags,
            Region = s.Options.Region,
        };
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
        var obj = await ReadObjectAsync(ctx, s, request);
        if (obj is null)
            return AclEvaluation.BucketAllows(bucket, ctx.User, AclPermission.Read); // who may list learns NoSuchKey; others AccessDenied
        if (!AclEvaluation.ObjectAllows(bucket, obj, ctx.User, objectPermission))
            return false;
        if (objectPermission == AclPermission.Read && obj.Encryption.Mode == SseMode.Kms && ctx.Operation != Operation.HeadObject)
            await CheckKmsKeyAsync(ctx, s, obj);
        return true;
    }

    /// <summary>
    /// The object row a decision needs (an object ACL, an s3:ExistingObjectTag condition). When it is the row the
    /// request's own handler reads next (a GET, HEAD, attributes or object-ACL request on its own key — not a copy's
    /// source, not one key of a multi-object delete), it is kept in <see cref="RequestContext.AuthorizedObject"/> so
    /// the handler does not read it a second time.
    /// </summary>
    private static async ValueTask<ObjectRecord?> ReadObjectAsync(RequestContext ctx, CofferServices s, AccessRequest request)
    {
        // A version named by id: read that version, and leave the handler to read it again by its id.
        if (request.VersionId is not null)
        {
            return VersionIds.IsWellFormed(request.VersionId)
                ? await s.Store.GetObjectVersionAsync(request.Bucket.Name, request.Key!, request.VersionId, ctx.Aborted)
                : null;
        }
        var own = ctx.Operation is Operation.GetObject or Operation.HeadObject or Operation.GetObjectAttributes or Operation.GetObjectAcl or Operation.PutObjectAcl
            && string.Equals(ctx.Target.Bucket, request.Bucket.Name, StringComparison.Ordinal)
            && string.Equals(ctx.Target.Key, request.Key, StringComparison.Ordinal);
        if (own && ctx.AuthorizedObject is { } kept)
            return kept;
        ObjectRecord? obj;
        using (CofferTracing.Source.StartActivity("coffer.metadata.get_object"))
            obj = await s.Store.GetObjectAsync(request.Bucket.Name, request.Key!, ctx.Aborted);
        if (own)
            ctx.AuthorizedObject = obj;
        return obj;
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

    private static bool IsPolicyAction(string action) =>
        action is "s3:GetBucketPolicy" or "s3:PutBucketPolicy" or "s3:DeleteBucketPolicy" or "s3:GetBucketPolicyStatus";

    /// <summary>Whether the caller owns the bucket (the owner keeps the right to read and change a bucket's access settings).</summary>
    public static bool IsOwner(RequestContext ctx, BucketRecord bucket) =>
        ctx.User is { } user && string.Equals(bucket.Owner, user.Id, StringComparison.Ordinal);

    private static CofferException Refused(RequestContext ctx, AccessRequest request) => ctx.IsAnonymous
        ? new CofferException(ErrorCode.AccessDenied, AnonymousRefused)
        : new CofferException(ErrorCode.AccessDenied, $"The bucket '{request.Bucket.Name}' belongs to another user.");
}
