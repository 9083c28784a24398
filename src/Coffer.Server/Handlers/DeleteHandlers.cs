using System.Xml.Linq;
using Coffer.Protocol;
using Coffer.Server.Access;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>DeleteObject and the multi-object delete (POST ?delete).</summary>
public static class DeleteHandlers
{
    public const int MaxKeysPerDelete = 1000;

    public static async Task DeleteObjectAsync(RequestContext ctx, CofferServices s)
    {
        // Deleting a missing key succeeds, as S3 answers (docs/protocol/objects.md#deleteobject).
        var deleted = await s.Store.DeleteObjectAsync(ctx.BucketName, ctx.ObjectKey, CancellationToken.None);
        if (deleted is not null)
            await s.ReclaimAsync(ObjectStream.BlobIdsOf(deleted.Streams));
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public static async Task DeleteObjectsAsync(RequestContext ctx, CofferServices s)
    {
        var (quiet, keys) = ParseDelete(await XmlInput.ReadAsync(ctx, "Delete"));

        using var xml = new XmlDoc("DeleteResult");
        foreach (var key in keys)
        {
            try
            {
                ObjectKeys.Validate(key, ctx.Family);
                await Authorizer.AuthorizeAsync(ctx, s, new AccessRequest(ctx.Bucket!, "s3:DeleteObject", key));
                var deleted = await s.Store.DeleteObjectAsync(ctx.BucketName, key, CancellationToken.None);
                if (deleted is not null)
                    await s.ReclaimAsync(ObjectStream.BlobIdsOf(deleted.Streams));
                if (!quiet)
                    xml.Start("Deleted").Element("Key", key).End();
            }
            catch (CofferException e)
            {
                xml.Start("Error").Element("Key", key).Element("Code", e.Error.CodeFor(ctx.Family)).Element("Message", e.Message).End();
            }
        }
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>Parses a <c>Delete</c> body: Quiet, and the keys (1 to 1,000, each non-empty); 400 MalformedXML otherwise.</summary>
    public static (bool Quiet, List<string> Keys) ParseDelete(XElement root)
    {
        var quiet = string.Equals(root.ChildValue("Quiet")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        var objects = root.Children("Object").ToList();
        if (objects.Count == 0)
            throw new CofferException(ErrorCode.MalformedXML, "The <Delete> document lists no <Object>; name at least one key.");
        if (objects.Count > MaxKeysPerDelete)
            throw new CofferException(ErrorCode.MalformedXML, $"The <Delete> document lists {objects.Count} objects; at most {MaxKeysPerDelete} are allowed per request.");

        var keys = new List<string>(objects.Count);
        foreach (var o in objects)
        {
            var key = o.ChildValue("Key");
            if (string.IsNullOrEmpty(key))
                throw new CofferException(ErrorCode.MalformedXML, "Every <Object> in <Delete> needs a non-empty <Key>.");
            keys.Add(key);
        }
        return (quiet, keys);
    }
}
