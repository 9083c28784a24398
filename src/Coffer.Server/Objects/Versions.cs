using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Server.Telemetry;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>
/// The protocol side of versioning (docs/protocol/versioning.md): which id a write gets, the version id and delete-marker
/// headers, and finding the version a request names (<c>?versionId=</c>) with S3's answers for a missing version and for a
/// delete marker.
/// </summary>
public static class Versions
{
    /// <summary>The id of a new version written into <paramref name="bucket"/>: fresh when versioning is Enabled, else the null version.</summary>
    public static string? NewVersionId(BucketRecord bucket) =>
        bucket.Versioning == BucketVersioning.Enabled ? VersionIds.New() : null;

    /// <summary>
    /// <c>x-amz-version-id</c> / <c>x-cos-version-id</c> of a version written or read: in a bucket that has (or had) versioning,
    /// <c>null</c> for the null version; nothing in a bucket that never had it.
    /// </summary>
    public static void WriteVersionHeader(RequestContext ctx, ObjectRecord version)
    {
        if (ctx.Bucket!.Versioning != BucketVersioning.Unversioned || version.VersionId is not null)
            ctx.SetFamilyHeader("version-id", VersionIds.ToWire(version.VersionId));
    }

    /// <summary>
    /// The <c>versionId</c> query argument (wire form), or null when absent. An empty or malformed one is InvalidArgument, as S3
    /// answers "Invalid version id specified".
    /// </summary>
    public static string? Requested(RequestContext ctx)
    {
        var id = ctx.Query.Get("versionId");
        if (id is null)
            return null;
        if (!VersionIds.IsWellFormed(id))
            throw new CofferException(ErrorCode.InvalidArgument, $"Invalid version id specified: '{id}' is not a version id of this server.");
        return id;
    }

    /// <summary>
    /// The object a read names: the version of <c>?versionId=</c>, else the current version. A missing key is NoSuchKey (with
    /// <c>x-amz-delete-marker: true</c> and the marker's id when a delete marker hides it), a missing version NoSuchVersion, and
    /// a delete marker named by its id 405 MethodNotAllowed with <c>x-amz-delete-marker: true</c>.
    /// </summary>
    public static async Task<ObjectRecord> FindAsync(RequestContext ctx, CofferServices s, string key, string? versionId)
    {
        if (versionId is null)
        {
            // The request's own key: the row the access check may already have read (Handlers.ObjectHandlers.ReadObjectAsync).
            var current = key == ctx.ObjectKey
                ? await Handlers.ObjectHandlers.ReadObjectAsync(ctx, s)
                : await s.Store.GetObjectAsync(ctx.BucketName, key, ctx.Aborted);
            return current ?? throw await NoSuchKeyAsync(ctx, s, key);
        }
        ObjectRecord? version;
        using (CofferTracing.Source.StartActivity("coffer.metadata.get_object"))
            version = await s.Store.GetObjectVersionAsync(ctx.BucketName, key, versionId, ctx.Aborted);
        version = version
            ?? throw new CofferException(ErrorCode.NoSuchVersion, $"The version '{versionId}' of the key '{key}' does not exist in bucket '{ctx.BucketName}'.");
        if (version.IsDeleteMarker)
        {
            var e = new CofferException(ErrorCode.MethodNotAllowed, $"The version '{versionId}' of the key '{key}' is a delete marker: it has no data, tags or ACL.");
            e.Headers[ctx.Family.Header("delete-marker")] = "true";
            e.Headers[ctx.Family.Header("version-id")] = versionId;
            e.Headers["Last-Modified"] = XmlText.HttpDate(version.LastModified);
            throw e;
        }
        return version;
    }

    /// <summary>
    /// For a change that this server makes to current versions only (tags, ACL, restore): a <c>?versionId=</c> must name the
    /// key's current version. A noncurrent one is refused with NotImplemented, never silently changed in the current one's stead.
    /// </summary>
    public static async Task RequireCurrentAsync(RequestContext ctx, CofferServices s, string what)
    {
        if (Requested(ctx) is not { } versionId)
            return;
        var named = await FindAsync(ctx, s, ctx.ObjectKey, versionId);
        var current = await s.Store.GetObjectAsync(ctx.BucketName, ctx.ObjectKey, ctx.Aborted);
        if (current is null || current.VersionId != named.VersionId)
            throw new CofferException(ErrorCode.NotImplemented,
                $"Changing the {what} of a noncurrent version is not implemented by this server; '{versionId}' is not the current version of '{ctx.ObjectKey}'.");
    }

    /// <summary>NoSuchKey for a key without a current version; in a versioned bucket, says so when a delete marker hides the key.</summary>
    public static async Task<CofferException> NoSuchKeyAsync(RequestContext ctx, CofferServices s, string key)
    {
        var e = new CofferException(ErrorCode.NoSuchKey, $"The key '{key}' does not exist in bucket '{ctx.BucketName}'.");
        if (ctx.Bucket!.Versioning != BucketVersioning.Unversioned
            && (await s.Store.ListObjectVersionsAsync(ctx.BucketName, key, null, null, null, 1, ctx.Aborted)).Versions is [var newest]
            && newest.Version.Key == key && newest.Version.IsDeleteMarker)
        {
            e.Headers[ctx.Family.Header("delete-marker")] = "true";
            e.Headers[ctx.Family.Header("version-id")] = VersionIds.ToWire(newest.Version.VersionId);
        }
        return e;
    }
}
