using System.Globalization;
using Coffer.Protocol;
using Coffer.Protocol.Checksums;
using Coffer.Server.Objects;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Handlers;

/// <summary>GetObjectAttributes (S3; docs/protocol/objects.md#getobjectattributes): an object's metadata in one XML answer, read from its row alone.</summary>
public static class AttributesHandlers
{
    /// <summary>The attributes a request may ask for in <c>x-amz-object-attributes</c>.</summary>
    private static readonly string[] Known = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"];

    /// <summary>Most parts one answer lists (S3's default and limit for <c>x-amz-max-parts</c>).</summary>
    public const int MaxParts = 1000;

    /// <summary>
    /// GET /key?attributes with <c>x-amz-object-attributes</c>: the requested subset of ETag (unquoted), Checksum,
    /// ObjectParts (multipart objects only, paged by <c>x-amz-max-parts</c> / <c>x-amz-part-number-marker</c>),
    /// StorageClass and ObjectSize. An SSE-C object needs its key, as HEAD does; no other object needs the KMS.
    /// </summary>
    public static async Task GetObjectAttributesAsync(RequestContext ctx, CofferServices s)
    {
        var wanted = ParseAttributes(ctx.FamilyHeader("object-attributes"));
        var maxParts = ParseCount(ctx, "max-parts", MaxParts, 0, MaxParts);
        var marker = ParseCount(ctx, "part-number-marker", 0, 0, Multipart.MaxParts);
        var versionId = Versions.Requested(ctx);
        SseRequest.RejectOnRead(ctx);
        using var customer = CustomerKey.Parse(ctx.FamilyHeader, "server-side-encryption-customer-", ctx.IsHttps);
        var obj = await Versions.FindAsync(ctx, s, ctx.ObjectKey, versionId);

        // As HEAD: an SSE-C object's attributes are for the holder of its key only; other objects refuse a key.
        using var key = obj.Encryption.Mode == SseMode.Customer
            ? await SseService.OpenAsync(s, obj, customer, ctx.Aborted, caller: ctx)
            : ObjectHandlers.ValidateHeadKey(obj, customer);

        ctx.Response.Headers.LastModified = XmlText.HttpDate(obj.LastModified);
        using var xml = new XmlDoc("GetObjectAttributesResponse");
        if (wanted.Contains("ETag"))
            xml.Element("ETag", obj.ETag);
        if (wanted.Contains("Checksum"))
            WriteChecksum(xml, obj);
        if (wanted.Contains("ObjectParts"))
            WriteParts(xml, obj, marker, maxParts);
        if (wanted.Contains("StorageClass"))
            xml.Element("StorageClass", StorageClasses.ForFamily(obj.StorageClass, ctx.Family));
        if (wanted.Contains("ObjectSize"))
            xml.Element("ObjectSize", obj.Size);
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>
    /// The object's additional checksum, when it has one: a single PUT's is FULL_OBJECT; a multipart object's is its
    /// upload's type, a COMPOSITE value answered without its "-N" suffix as S3 does here.
    /// </summary>
    private static void WriteChecksum(XmlDoc xml, ObjectRecord obj)
    {
        var checksums = obj.Checksums.Where(c => ChecksumHasher.TryParse(c.Key, out _)).ToList();
        if (checksums.Count == 0)
            return;
        xml.Start("Checksum");
        foreach (var (name, value) in checksums)
            xml.Element("Checksum" + name.ToUpperInvariant(), value.Split('-')[0]);
        xml.Element("ChecksumType", PartChecksums.TypeOf(checksums[0].Value)).End();
    }

    /// <summary>ObjectParts: a multipart object's part count and one page of its parts (number and size).</summary>
    private static void WriteParts(XmlDoc xml, ObjectRecord obj, int marker, int maxParts)
    {
        if (!IsMultipart(obj))
            return;
        var parts = obj.Streams.Select((stream, i) => (Number: PartNumberOf(stream, i), stream.PlainSize)).ToList();
        var page = parts.Where(p => p.Number > marker).Take(maxParts).ToList();
        var truncated = parts.Count(p => p.Number > marker) > page.Count;
        xml.Start("ObjectParts")
            .Element("PartsCount", parts.Count)
            .Element("PartNumberMarker", marker)
            .Element("NextPartNumberMarker", page.Count == 0 ? marker : page[^1].Number)
            .Element("MaxParts", maxParts)
            .Element("IsTruncated", truncated);
        foreach (var (number, size) in page)
            xml.Start("Part").Element("PartNumber", number).Element("Size", size).End();
        xml.End();
    }

    /// <summary>Whether the object was assembled from parts (a copy of one keeps its parts).</summary>
    public static bool IsMultipart(ObjectRecord obj) =>
        obj.Streams.Count > 1 || obj.Streams.Any(x => x.StreamIdentity.StartsWith("part:", StringComparison.Ordinal));

    /// <summary>The number a part was uploaded as, from its stream identity (<c>part:N:blob</c>); its position when that does not say.</summary>
    private static int PartNumberOf(ObjectStream stream, int index)
    {
        var identity = stream.StreamIdentity;
        if (identity.StartsWith("part:", StringComparison.Ordinal))
        {
            var end = identity.IndexOf(':', 5);
            var digits = end < 0 ? identity.AsSpan(5) : identity.AsSpan(5, end - 5);
            if (int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                return n;
        }
        return index + 1;
    }

    /// <summary>The <c>x-amz-object-attributes</c> list: required, comma-separated, names from <see cref="Known"/> (case as S3 spells them).</summary>
    private static HashSet<string> ParseAttributes(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
            throw new CofferException(ErrorCode.InvalidArgument, "GetObjectAttributes needs the object-attributes header naming what to return: any of ETag, Checksum, ObjectParts, StorageClass, ObjectSize.");
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in header.Split(','))
        {
            var name = item.Trim();
            if (Array.IndexOf(Known, name) < 0)
                throw new CofferException(ErrorCode.InvalidArgument, $"Invalid attribute name '{name}' in object-attributes; use any of ETag, Checksum, ObjectParts, StorageClass, ObjectSize.");
            wanted.Add(name);
        }
        return wanted;
    }

    private static int ParseCount(RequestContext ctx, string name, int fallback, int min, int max)
    {
        var raw = ctx.FamilyHeader(name);
        if (raw is null)
            return fallback;
        if (!int.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min)
            throw new CofferException(ErrorCode.InvalidArgument, $"{ctx.Family.Header(name)} must be a whole number from {min} to {max}; got '{raw}'.");
        return Math.Min(value, max);
    }
}
