using Coffer.Protocol;
using Coffer.Server.Objects;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>
/// Object and bucket tagging: PUT / GET / DELETE ?tagging (docs/protocol/tagging.md). An object's tags live in
/// its row, so an overwrite replaces them and a delete removes them; they are set at write time by the tagging
/// header of PutObject, CopyObject and CreateMultipartUpload too.
/// </summary>
public static class TaggingHandlers
{
    public static async Task PutObjectTaggingAsync(RequestContext ctx, CofferServices s)
    {
        await Versions.RequireCurrentAsync(ctx, s, "tags");
        var tags = Tagging.ParseXml(await XmlInput.ReadAsync(ctx, "Tagging"), Tagging.MaxObjectTags, ctx.Family);
        if (!await s.Store.SetObjectTagsAsync(ctx.BucketName, ctx.ObjectKey, tags, CancellationToken.None))
            throw NoSuchKey(ctx);
        ctx.Response.ContentLength = 0;
    }

    public static async Task GetObjectTaggingAsync(RequestContext ctx, CofferServices s)
    {
        var obj = await Versions.FindAsync(ctx, s, ctx.ObjectKey, Versions.Requested(ctx));
        // An untagged object answers an empty <TagSet/>, not 404 (that is for buckets).
        await Tagging.WriteAsync(ctx, obj.Tags);
    }

    public static async Task DeleteObjectTaggingAsync(RequestContext ctx, CofferServices s)
    {
        await Versions.RequireCurrentAsync(ctx, s, "tags");
        if (!await s.Store.SetObjectTagsAsync(ctx.BucketName, ctx.ObjectKey, [], CancellationToken.None))
            throw NoSuchKey(ctx);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public static async Task PutBucketTaggingAsync(RequestContext ctx, CofferServices s)
    {
        var tags = Tagging.ParseXml(await XmlInput.ReadAsync(ctx, "Tagging"), Tagging.MaxBucketTags, ctx.Family);
        if (!await s.Store.SetBucketTagsAsync(ctx.BucketName, tags, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public static async Task GetBucketTaggingAsync(RequestContext ctx, CofferServices s)
    {
        var tags = ctx.Bucket!.Tags
            ?? throw new CofferException(ErrorCode.NoSuchTagSet, $"The bucket '{ctx.BucketName}' has no tags (the TagSet does not exist).");
        await Tagging.WriteAsync(ctx, tags);
    }

    public static async Task DeleteBucketTaggingAsync(RequestContext ctx, CofferServices s)
    {
        if (!await s.Store.SetBucketTagsAsync(ctx.BucketName, null, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>This server keeps one version per key, whose id is "null"; any other version id does not exist.</summary>
    private static CofferException NoSuchKey(RequestContext ctx) =>
        new(ErrorCode.NoSuchKey, $"The key '{ctx.ObjectKey}' does not exist in bucket '{ctx.BucketName}'.");

    private static CofferException BucketGone(RequestContext ctx) =>
        new(ErrorCode.NoSuchBucket, $"The bucket '{ctx.BucketName}' was deleted meanwhile.", "/" + ctx.BucketName);
}
