using Coffer.Server.Pipeline;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Cors;

/// <summary>
/// The CORS headers of an actual (non-preflight) request that carries <c>Origin</c>: when a rule of the bucket allows that
/// origin and the request's method, the answer — success or error alike, so a browser's script can read either — names
/// the origin and the headers the rule exposes. No rule, no headers: the browser then hides the answer from the script.
/// </summary>
public static class CorsResponses
{
    /// <summary>Looks the request up in the bucket's rules; the headers go out with whatever answer the request gets.</summary>
    public static void Apply(RequestContext ctx, BucketRecord bucket)
    {
        ctx.CorsChecked = true;
        if (bucket.Cors is null || ctx.Header("Origin") is not { } origin)
            return;
        var rule = CorsRules.Find(bucket.Cors, origin, ctx.Request.Method, []);
        if (rule is null)
            return;
        // On starting: the error path clears the headers set so far, never the callbacks.
        ctx.Response.OnStarting(() =>
        {
            CorsRules.Write(ctx.Response, rule, origin, preflightHeaders: null);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// For an error raised before the bucket was read (a bad signature, an unknown key): reads it now, so the browser
    /// can show its script why the request failed. A failure to read it leaves the error as it is.
    /// </summary>
    public static async Task ApplyToErrorAsync(RequestContext ctx, CofferServices s)
    {
        if (ctx.CorsChecked || ctx.Target.Bucket is null || ctx.Header("Origin") is null)
            return;
        ctx.CorsChecked = true;
        BucketRecord? bucket;
        try
        {
            bucket = await s.Store.GetBucketAsync(ctx.Target.Bucket, ctx.Aborted);
        }
        catch (Exception) when (!ctx.Aborted.IsCancellationRequested)
        {
            return;
        }
        if (bucket is not null)
            Apply(ctx, bucket);
    }
}
