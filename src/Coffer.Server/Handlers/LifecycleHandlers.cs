using Coffer.Protocol;
using Coffer.Server.Objects;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>
/// Bucket lifecycle: PUT / GET / DELETE ?lifecycle (docs/protocol/lifecycle.md). The configuration is kept in the
/// bucket's row; the lifecycle job (<see cref="Hosting.LifecycleJob"/>) runs its rules.
/// </summary>
public static class LifecycleHandlers
{
    public static async Task PutBucketLifecycleAsync(RequestContext ctx, CofferServices s)
    {
        var minimumSize = ctx.Header(LifecycleXml.MinimumSizeHeader);
        var lifecycle = LifecycleXml.Parse(await XmlInput.ReadAsync(ctx, "LifecycleConfiguration"), ctx.Family, minimumSize);
        if (!await s.Store.SetBucketLifecycleAsync(ctx.BucketName, lifecycle, CancellationToken.None))
            throw BucketGone(ctx);
        if (ctx.Family == ProtocolFamily.S3)
            ctx.Response.Headers[LifecycleXml.MinimumSizeHeader] = lifecycle.TransitionMinimumSize;
        ctx.Response.ContentLength = 0;
    }

    public static async Task GetBucketLifecycleAsync(RequestContext ctx, CofferServices s)
    {
        var lifecycle = ctx.Bucket!.Lifecycle ?? throw NoConfiguration(ctx);
        if (ctx.Family == ProtocolFamily.S3 && lifecycle.TransitionMinimumSize != Storage.BucketLifecycle.Cos64K)
            ctx.Response.Headers[LifecycleXml.MinimumSizeHeader] = lifecycle.TransitionMinimumSize;
        await LifecycleXml.WriteAsync(ctx, lifecycle);
    }

    public static async Task DeleteBucketLifecycleAsync(RequestContext ctx, CofferServices s)
    {
        // COS answers 404 when there is nothing to delete; S3 answers 204 either way.
        if (ctx.Family == ProtocolFamily.Cos && ctx.Bucket!.Lifecycle is null)
            throw NoConfiguration(ctx);
        if (!await s.Store.SetBucketLifecycleAsync(ctx.BucketName, null, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static CofferException NoConfiguration(RequestContext ctx) =>
        new(ErrorCode.NoSuchLifecycleConfiguration, $"The bucket '{ctx.BucketName}' has no lifecycle configuration.");

    private static CofferException BucketGone(RequestContext ctx) =>
        new(ErrorCode.NoSuchBucket, $"The bucket '{ctx.BucketName}' was deleted meanwhile.", "/" + ctx.BucketName);
}
