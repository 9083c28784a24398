using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Handlers;

/// <summary>PUT / GET ?versioning (docs/protocol/versioning.md): Enabled or Suspended, never back to unversioned.</summary>
public static class VersioningHandlers
{
    public static async Task PutBucketVersioningAsync(RequestContext ctx, CofferServices s)
    {
        var root = await XmlInput.ReadAsync(ctx, "VersioningConfiguration");
        var status = root.ChildValue("Status");
        var mfaDelete = root.ChildValue("MfaDelete");
        if (mfaDelete is not null and not "Disabled")
            throw new CofferException(mfaDelete == "Enabled" ? ErrorCode.InvalidRequest : ErrorCode.IllegalVersioningConfiguration,
                mfaDelete == "Enabled"
                    ? "MFA Delete is not supported by this server; send <MfaDelete>Disabled</MfaDelete> or leave it out."
                    : $"<MfaDelete> must be Enabled or Disabled; got '{mfaDelete}'.");
        var versioning = status switch
        {
            "Enabled" => BucketVersioning.Enabled,
            "Suspended" => BucketVersioning.Suspended,
            null when mfaDelete is not null => ctx.Bucket!.Versioning,
            _ => throw new CofferException(ErrorCode.IllegalVersioningConfiguration,
                $"<Status> must be Enabled or Suspended (a bucket never goes back to unversioned); got '{status}'."),
        };
        if (versioning != BucketVersioning.Unversioned && !await s.Store.SetBucketVersioningAsync(ctx.BucketName, versioning, CancellationToken.None))
            throw new CofferException(ErrorCode.NoSuchBucket, $"The bucket '{ctx.BucketName}' was deleted meanwhile.");
        ctx.Response.ContentLength = 0;
    }

    public static async Task GetBucketVersioningAsync(RequestContext ctx, CofferServices s)
    {
        // A bucket that never had versioning answers the empty configuration, as S3 and COS do.
        using var xml = new XmlDoc("VersioningConfiguration");
        if (ctx.Bucket!.Versioning != BucketVersioning.Unversioned)
            xml.Element("Status", ctx.Bucket.Versioning == BucketVersioning.Enabled ? "Enabled" : "Suspended");
        await xml.WriteAsync(ctx.Response);
    }
}
