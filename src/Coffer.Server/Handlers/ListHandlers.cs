using System.Globalization;
using System.Text;
using Coffer.Protocol;
using Coffer.Server.Objects;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Handlers;

/// <summary>ListObjects (v1), ListObjectsV2 and ListObjectVersions (docs/protocol/versioning.md). Without versioning every object is its own current version, id "null".</summary>
public static class ListHandlers
{
    public const int MaxKeysLimit = 1000;

    public static async Task ListObjectsAsync(RequestContext ctx, CofferServices s)
    {
        var q = ListQuery.Parse(ctx, "max-keys");
        var marker = ctx.Query.Get("marker");
        var page = await s.Store.ListObjectsAsync(ctx.BucketName, q.Prefix, q.Delimiter, NullIfEmpty(marker), q.MaxKeys, ctx.Aborted);

        using var xml = new XmlDoc("ListBucketResult");
        xml.Element("Name", ctx.BucketName)
            .Element("Prefix", q.Encode(q.Prefix))
            .Element("Marker", q.Encode(marker ?? ""))
            .Element("MaxKeys", q.MaxKeys);
        if (q.Delimiter is not null) xml.Element("Delimiter", q.Encode(q.Delimiter));
        if (q.UrlEncoded) xml.Element("EncodingType", "url");
        xml.Element("IsTruncated", page.IsTruncated);
        if (page.IsTruncated) xml.Element("NextMarker", q.Encode(page.NextMarker!));
        WriteEntries(xml, page, q, ctx, withOwner: true, ArchiveRestore.Now(s));
        SetRegionHeader(ctx);
        await xml.WriteAsync(ctx.Response);
    }

    public static async Task ListObjectsV2Async(RequestContext ctx, CofferServices s)
    {
        var q = ListQuery.Parse(ctx, "max-keys");
        var token = ctx.Query.Get("continuation-token");
        var startAfter = ctx.Query.Get("start-after");
        string? after = NullIfEmpty(startAfter);
        if (token is not null)
        {
            after = DecodeToken(token);
        }
        var page = await s.Store.ListObjectsAsync(ctx.BucketName, q.Prefix, q.Delimiter, after, q.MaxKeys, ctx.Aborted);

        using var xml = new XmlDoc("ListBucketResult");
        xml.Element("Name", ctx.BucketName)
            .Element("Prefix", q.Encode(q.Prefix))
            .Element("MaxKeys", q.MaxKeys)
            .Element("KeyCount", page.Objects.Count + page.CommonPrefixes.Count);
        if (q.Delimiter is not null) xml.Element("Delimiter", q.Encode(q.Delimiter));
        if (q.UrlEncoded) xml.Element("EncodingType", "url");
        xml.Element("IsTruncated", page.IsTruncated);
        if (token is not null) xml.Element("ContinuationToken", token);
        if (startAfter is not null) xml.Element("StartAfter", q.Encode(startAfter));
        if (page.IsTruncated) xml.Element("NextContinuationToken", EncodeToken(page.NextMarker!));
        WriteEntries(xml, page, q, ctx, withOwner: ctx.Query.Get("fetch-owner") == "true", ArchiveRestore.Now(s));
        SetRegionHeader(ctx);
        await xml.WriteAsync(ctx.Response);
    }

    public static async Task ListObjectVersionsAsync(RequestContext ctx, CofferServices s)
    {
        var q = ListQuery.Parse(ctx, "max-keys");
        var keyMarker = ctx.Query.Get("key-marker");
        var versionIdMarker = ctx.Query.Get("version-id-marker");
        if (versionIdMarker is not null)
        {
            if (string.IsNullOrEmpty(keyMarker))
                throw new CofferException(ErrorCode.InvalidArgument, "A version-id marker cannot be specified without a key marker.");
            if (versionIdMarker.Length == 0)
                throw new CofferException(ErrorCode.InvalidArgument, "A version-id marker cannot be empty.");
            if (!VersionIds.IsWellFormed(versionIdMarker))
                throw new CofferException(ErrorCode.InvalidArgument, $"Invalid version id specified: '{versionIdMarker}' is not a version id of this server.");
        }
        var page = await s.Store.ListObjectVersionsAsync(ctx.BucketName, q.Prefix, q.Delimiter, NullIfEmpty(keyMarker), versionIdMarker, q.MaxKeys, ctx.Aborted);

        using var xml = new XmlDoc("ListVersionsResult");
        xml.Element("Name", ctx.BucketName)
            .Element("Prefix", q.Encode(q.Prefix))
            .Element("KeyMarker", q.Encode(keyMarker ?? ""))
            .Element("VersionIdMarker", versionIdMarker ?? "")
            .Element("MaxKeys", q.MaxKeys);
        if (q.Delimiter is not null) xml.Element("Delimiter", q.Encode(q.Delimiter));
        if (q.UrlEncoded) xml.Element("EncodingType", "url");
        xml.Element("IsTruncated", page.IsTruncated);
        if (page.IsTruncated)
        {
            xml.Element("NextKeyMarker", q.Encode(page.NextKeyMarker!));
            if (page.NextVersionIdMarker is not null)
                xml.Element("NextVersionIdMarker", page.NextVersionIdMarker);
        }
        var now = ArchiveRestore.Now(s);
        // Versions and delete markers interleaved in one order: keys ascending, each key's newest first.
        foreach (var (o, isLatest) in page.Versions)
        {
            xml.Start(o.IsDeleteMarker ? "DeleteMarker" : "Version")
                .Element("Key", q.Encode(o.Key))
                .Element("VersionId", VersionIds.ToWire(o.VersionId))
                .Element("IsLatest", isLatest)
                .Element("LastModified", XmlText.IsoDate(o.LastModified));
            if (!o.IsDeleteMarker)
                xml.Element("ETag", Quote(o.ETag)).Element("Size", o.Size);
            WriteOwner(xml, ctx, o);
            if (!o.IsDeleteMarker)
            {
                xml.Element("StorageClass", StorageClasses.ForFamily(o.StorageClass, ctx.Family));
                WriteArchiveState(xml, o, ctx, now);
            }
            xml.End();
        }
        foreach (var p in page.CommonPrefixes)
            xml.Start("CommonPrefixes").Element("Prefix", q.Encode(p)).End();
        await xml.WriteAsync(ctx.Response);
    }

    private static void WriteEntries(XmlDoc xml, ObjectListing page, ListQuery q, RequestContext ctx, bool withOwner, DateTimeOffset now)
    {
        foreach (var o in page.Objects)
        {
            xml.Start("Contents")
                .Element("Key", q.Encode(o.Key))
                .Element("LastModified", XmlText.IsoDate(o.LastModified))
                .Element("ETag", Quote(o.ETag))
                .Element("Size", o.Size);
            if (withOwner) WriteOwner(xml, ctx, o);
            xml.Element("StorageClass", StorageClasses.ForFamily(o.StorageClass, ctx.Family));
            WriteArchiveState(xml, o, ctx, now);
            xml.End();
        }
        foreach (var p in page.CommonPrefixes)
            xml.Start("CommonPrefixes").Element("Prefix", q.Encode(p)).End();
    }

    /// <summary>
    /// COS: StorageTier (intelligent tiering) and RestoreStatus ONGOING|DONE after a restore, until
    /// the restored copy expires. S3: RestoreStatus with IsRestoreInProgress and RestoreExpiryDate,
    /// only when asked for with x-amz-optional-object-attributes: RestoreStatus.
    /// </summary>
    private static void WriteArchiveState(XmlDoc xml, ObjectRecord o, RequestContext ctx, DateTimeOffset now)
    {
        if (ctx.Family == ProtocolFamily.Cos && StorageClasses.Tier(o.StorageClass) is { } tier)
            xml.Element("StorageTier", tier);
        if (o.Restore is not { } r || r.IsExpired(now))
            return;
        if (ctx.Family == ProtocolFamily.Cos)
        {
            xml.Element("RestoreStatus", r.IsOngoing(now) ? "ONGOING" : "DONE");
            return;
        }
        if (ctx.Header("x-amz-optional-object-attributes")?.Contains("RestoreStatus", StringComparison.Ordinal) != true)
            return;
        xml.Start("RestoreStatus").Element("IsRestoreInProgress", r.IsOngoing(now));
        if (!r.IsOngoing(now))
            xml.Element("RestoreExpiryDate", XmlText.IsoDate(r.ExpiresAt));
        xml.End();
    }

    private static void WriteOwner(XmlDoc xml, RequestContext ctx, ObjectRecord o)
    {
        // The object's owner (the bucket owner, or under ObjectWriter the user who wrote it); the caller's name when it is
        // the caller, else the id (a grantee or an anonymous caller may list too).
        var owner = AclHandlers.OwnerOf(ctx.Bucket!, o);
        xml.Start("Owner").Element("ID", owner).Element("DisplayName", owner == ctx.User?.Id ? ctx.User.Name : owner).End();
    }

    private static void SetRegionHeader(RequestContext ctx) => ctx.SetFamilyHeader("bucket-region", ctx.Bucket!.Region);

    public static string Quote(string etag) => "\"" + etag + "\"";

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string EncodeToken(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key));

    private static string DecodeToken(string token)
    {
        try { return Encoding.UTF8.GetString(Convert.FromBase64String(token)); }
        catch (FormatException) { throw new CofferException(ErrorCode.InvalidArgument, "The continuation token is not one this server issued; pass NextContinuationToken unchanged."); }
    }

    private sealed record ListQuery(string Prefix, string? Delimiter, int MaxKeys, bool UrlEncoded)
    {
        public static ListQuery Parse(RequestContext ctx, string maxKeysName)
        {
            var maxKeys = MaxKeysLimit;
            var raw = ctx.Query.Get(maxKeysName);
            if (raw is not null && (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out maxKeys)))
                throw new CofferException(ErrorCode.InvalidArgument, $"{maxKeysName} must be a whole number from 0 to {MaxKeysLimit}; got '{raw}'.");
            var encoding = ctx.Query.Get("encoding-type");
            if (encoding is not null && encoding != "url")
                throw new CofferException(ErrorCode.InvalidArgument, $"encoding-type may only be 'url'; got '{encoding}'.");
            var delimiter = ctx.Query.Get("delimiter");
            return new ListQuery(ctx.Query.Get("prefix") ?? "", string.IsNullOrEmpty(delimiter) ? null : delimiter, Math.Min(maxKeys, MaxKeysLimit), encoding == "url");
        }

        public string Encode(string value) => UrlEncoded ? XmlText.UrlEncode(value) : value;
    }
}
