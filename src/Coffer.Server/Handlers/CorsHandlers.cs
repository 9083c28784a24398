using Coffer.Protocol;
using Coffer.Server.Cors;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>
/// Bucket CORS: PUT / GET / DELETE ?cors, and the browser's preflight OPTIONS (docs/protocol/cors.md). The configuration
/// is kept in the bucket's row, read with the bucket on every request: no cache.
/// </summary>
public static class CorsHandlers
{
    /// <summary>The 403 of a preflight that no rule allows (S3's text, with its spelling).</summary>
    public const string NotAllowedMessage =
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / "
        + "Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

    public static async Task PutBucketCorsAsync(RequestContext ctx, CofferServices s)
    {
        var cors = CorsXml.Parse(await XmlInput.ReadAsync(ctx, "CORSConfiguration"), ctx.Family);
        if (!await s.Store.SetBucketCorsAsync(ctx.BucketName, cors, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.ContentLength = 0;
    }

    public static async Task GetBucketCorsAsync(RequestContext ctx, CofferServices s)
    {
        var cors = ctx.Bucket!.Cors
            ?? throw new CofferException(ErrorCode.NoSuchCorsConfiguration, $"The CORS configuration does not exist: the bucket '{ctx.BucketName}' has none.");
        await CorsXml.WriteAsync(ctx, cors);
    }

    public static async Task DeleteBucketCorsAsync(RequestContext ctx, CofferServices s)
    {
        if (!await s.Store.SetBucketCorsAsync(ctx.BucketName, null, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>
    /// OPTIONS /bucket[/key]: a browser asks whether a cross-origin request may be sent. Never authenticated (a
    /// preflight carries no credentials) and reveals nothing but the matching rule's answer.
    /// </summary>
    public static async Task PreflightAsync(RequestContext ctx, CofferServices s)
    {
        var origin = ctx.Header("Origin")
            ?? throw new CofferException(ErrorCode.CorsBadRequest, "Insufficient information. Origin request header needed.");
        var method = ctx.Header("Access-Control-Request-Method");
        if (method is null || !CorsXml.Methods.Contains(method, StringComparer.Ordinal))
            throw new CofferException(ErrorCode.CorsBadRequest, $"Invalid Access-Control-Request-Method: {method ?? "null"}");
        if (ctx.Target.Bucket is null)
            throw Forbidden(ctx, method, "CORSResponse: Bucket not found");
        var bucket = await s.Store.GetBucketAsync(ctx.Target.Bucket, ctx.Aborted) ?? throw Forbidden(ctx, method, "CORSResponse: Bucket not found");
        var cors = bucket.Cors ?? throw Forbidden(ctx, method, "CORSResponse: CORS is not enabled for this bucket.");
        var requested = CorsRules.RequestHeaders(ctx.Header("Access-Control-Request-Headers"));
        var rule = CorsRules.Find(cors, origin, method, requested) ?? throw Forbidden(ctx, method, NotAllowedMessage);
        CorsRules.Write(ctx.Response, rule, origin, requested);
        ctx.Response.StatusCode = StatusCodes.Status200OK;
        ctx.Response.ContentLength = 0;
    }

    private static CofferException Forbidden(RequestContext ctx, string method, string message)
    {
        var error = new CofferException(ErrorCode.CorsForbidden, message);
        error.Details.Add(new("Method", method));
        error.Details.Add(new("ResourceType", ctx.Target.Key is null ? "BUCKET" : "OBJECT"));
        return error;
    }

    private static CofferException BucketGone(RequestContext ctx) =>
        new(ErrorCode.NoSuchBucket, $"The bucket '{ctx.BucketName}' was deleted meanwhile.", "/" + ctx.BucketName);
}
