using System.Xml.Linq;
using Coffer.Protocol;
using Coffer.Server.Access;
using Coffer.Server.Objects;
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
        // Deleting a missing key (or version) succeeds, as S3 answers (docs/protocol/objects.md#deleteobject).
        var result = await DeleteOneAsync(ctx, s, ctx.ObjectKey, Versions.Requested(ctx));
        if (result.VersionId is not null)
            ctx.SetFamilyHeader("version-id", result.VersionId);
        if (result.DeleteMarker)
            ctx.SetFamilyHeader("delete-marker", "true");
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>What a delete did: whether it made (or removed) a delete marker, and the version id to answer (wire form).</summary>
    public readonly record struct DeleteResult(bool DeleteMarker, string? VersionId);

    /// <summary>
    /// Deletes one key (docs/protocol/versioning.md): with a version id exactly that version; in an unversioned bucket the
    /// object; else a delete marker (id fresh when versioning is Enabled, the null version when Suspended).
    /// </summary>
    public static async Task<DeleteResult> DeleteOneAsync(RequestContext ctx, CofferServices s, string key, string? versionId)
    {
        var bucket = ctx.Bucket!;
        if (versionId is not null)
        {
            var removed = await s.Store.DeleteObjectVersionAsync(bucket.Name, key, versionId, CancellationToken.None);
            if (removed is not null)
                await s.ReclaimAsync(ObjectStream.BlobIdsOf(removed.Streams));
            return new DeleteResult(removed?.IsDeleteMarker == true, versionId);
        }
        if (bucket.Versioning == BucketVersioning.Unversioned)
        {
            var deleted = await s.Store.DeleteObjectAsync(bucket.Name, key, CancellationToken.None);
            if (deleted is not null)
                await s.ReclaimAsync(ObjectStream.BlobIdsOf(deleted.Streams));
            return new DeleteResult(false, null);
        }
        var markerId = Versions.NewVersionId(bucket);
        try
        {
            await s.ReclaimAsync(await s.Store.PutDeleteMarkerAsync(bucket.Name, key, markerId, s.Time.GetUtcNow(), CancellationToken.None));
        }
        catch (NoSuchBucketException)
        {
            throw new CofferException(ErrorCode.NoSuchBucket, $"The bucket '{bucket.Name}' was deleted meanwhile.");
        }
        return new DeleteResult(true, VersionIds.ToWire(markerId));
    }

    public static async Task DeleteObjectsAsync(RequestContext ctx, CofferServices s)
    {
        var (quiet, keys) = ParseDelete(await XmlInput.ReadAsync(ctx, "Delete"));

        using var xml = new XmlDoc("DeleteResult");
        foreach (var (key, versionId) in keys)
        {
            try
            {
                ObjectKeys.Validate(key, ctx.Family);
                if (versionId is not null && !VersionIds.IsWellFormed(versionId))
                    throw new CofferException(ErrorCode.InvalidArgument, $"Invalid version id specified: '{versionId}' is not a version id of this server.");
                await Authorizer.AuthorizeAsync(ctx, s, new AccessRequest(ctx.Bucket!, versionId is null ? "s3:DeleteObject" : "s3:DeleteObjectVersion", key, versionId));
                var result = await DeleteOneAsync(ctx, s, key, versionId);
                if (quiet)
                    continue;
                xml.Start("Deleted").Element("Key", key);
                if (versionId is not null)
                    xml.Element("VersionId", versionId);
                if (result.DeleteMarker)
                {
                    xml.Element("DeleteMarker", true);
                    if (versionId is null)
                        xml.Element("DeleteMarkerVersionId", result.VersionId!);
                }
                xml.End();
            }
            catch (CofferException e)
            {
                xml.Start("Error").Element("Key", key);
                if (versionId is not null)
                    xml.Element("VersionId", versionId);
                xml.Element("Code", e.Error.CodeFor(ctx.Family)).Element("Message", e.Message).End();
            }
        }
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>Parses a <c>Delete</c> body: Quiet, and the keys (1 to 1,000, each non-empty) with their VersionId if any; 400 MalformedXML otherwise.</summary>
    public static (bool Quiet, List<(string Key, string? VersionId)> Keys) ParseDelete(XElement root)
    {
        var quiet = string.Equals(root.ChildValue("Quiet")?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
        var objects = root.Children("Object").ToList();
        if (objects.Count == 0)
            throw new CofferException(ErrorCode.MalformedXML, "The <Delete> document lists no <Object>; name at least one key.");
        if (objects.Count > MaxKeysPerDelete)
            throw new CofferException(ErrorCode.MalformedXML, $"The <Delete> document lists {objects.Count} objects; at most {MaxKeysPerDelete} are allowed per request.");

        var keys = new List<(string, string?)>(objects.Count);
        foreach (var o in objects)
        {
            var key = o.ChildValue("Key");
            if (string.IsNullOrEmpty(key))
                throw new CofferException(ErrorCode.MalformedXML, "Every <Object> in <Delete> needs a non-empty <Key>.");
            keys.Add((key, o.ChildValue("VersionId") is { Length: > 0 } versionId ? versionId : null));
        }
        return (quiet, keys);
    }
}
