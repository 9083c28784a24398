using Coffer.Protocol;
using Coffer.Server.Objects;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Coffer.Server.Xml;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>RestoreObject (POST ?restore): makes an archived object readable for a number of days.</summary>
public static class RestoreHandlers
{
    /// <summary>How often a restore re-reads the object when a concurrent change beat its compare-and-set.</summary>
    private const int MaxAttempts = 5;

    /// <summary>
    /// 202 when a restore starts, 200 when the object is already restored (its expiry is moved to
    /// Days from now), 409 RestoreAlreadyInProgress while one runs. SSE-C objects need their key,
    /// as the COS guide's restore_object sends it.
    /// </summary>
    public static async Task RestoreObjectAsync(RequestContext ctx, CofferServices s)
    {
        var request = RestoreRequest.Parse(await XmlInput.ReadAsync(ctx, RestoreRequest.Root));
        await Versions.RequireCurrentAsync(ctx, s, "restore state");
        using var customer = CustomerKey.Parse(ctx.FamilyHeader, "server-side-encryption-customer-", ctx.IsHttps);

        for (var attempt = 1; ; attempt++)
        {
            var obj = await s.Store.GetObjectAsync(ctx.BucketName, ctx.ObjectKey, ctx.Aborted)
                ?? throw new CofferException(ErrorCode.NoSuchKey, $"The key '{ctx.ObjectKey}' does not exist in bucket '{ctx.BucketName}'.");
            await ProveCustomerKeyAsync(s, obj, customer, ctx.Aborted);
            CheckRestorable(obj, request);

            var now = ArchiveRestore.Now(s);
            var restored = obj.Restore?.IsRestored(now) == true;
            if (obj.Restore?.IsOngoing(now) == true)
                throw new CofferException(ErrorCode.RestoreAlreadyInProgress, $"A restore of this object is in progress (requested {XmlText.HttpDate(obj.Restore.RequestDate)}); wait for it to finish.");
            var updated = restored
                ? ArchiveRestore.Extend(obj.Restore!, request.Days, now, s.Options.TimeScale)
                : ArchiveRestore.Start(obj.StorageClass, request.Tier, request.Days, now, s.Options.TimeScale);

            if (await s.Store.UpdateRestoreAsync(obj, updated, CancellationToken.None))
            {
                ctx.Response.StatusCode = restored ? StatusCodes.Status200OK : StatusCodes.Status202Accepted;
                ctx.Response.ContentLength = 0;
                return;
            }
            if (attempt == MaxAttempts)
                throw new CofferException(ErrorCode.ServiceUnavailable, "The object kept changing while the restore was being recorded; retry the request.");
        }
    }

    /// <summary>An SSE-C object's restore must carry its key (missing: SsecDecryptHeaderInvalid, wrong: AccessDenied); other objects refuse the headers without unwrapping anything.</summary>
    private static async Task ProveCustomerKeyAsync(CofferServices s, ObjectRecord obj, CustomerKey? customer, CancellationToken ct)
    {
        if (obj.Encryption.Mode != SseMode.Customer)
        {
            if (customer is not null)
                throw new CofferException(ErrorCode.SseHeaderNotAllowed, "The object is not encrypted with a customer-provided key; do not send the customer key headers.");
            return;
        }
        using var key = await SseService.OpenAsync(s, obj, customer, ct);
    }

    private static void CheckRestorable(ObjectRecord obj, RestoreRequest request)
    {
        if (!StorageClasses.IsArchive(obj.StorageClass))
            throw new CofferException(ErrorCode.RestoreNonArchiveObject, $"The object's storage class is {obj.StorageClass}; only ARCHIVE and DEEP_ARCHIVE objects are restored (it can be read as it is).");
        if (ArchiveRestore.Duration(obj.StorageClass, request.Tier) is null)
            throw new CofferException(ErrorCode.InvalidArgument, $"{obj.StorageClass} objects cannot be restored with the {request.Tier} tier; use Standard or Bulk.");
    }
}
