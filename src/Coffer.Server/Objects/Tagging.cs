using System.Globalization;
using System.Text;
using System.Xml.Linq;
using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>
/// Tag sets of objects and buckets (docs/protocol/tagging.md): the <c>&lt;Tagging&gt;</c> document, the
/// <c>x-cos-tagging</c> / <c>x-amz-tagging</c> header (a URL query string), the tagging directive of a copy,
/// and the reference limits, each refused with the reference code and a message naming the tag and the rule.
/// </summary>
public static class Tagging
{
    /// <summary>Most tags an object may have.</summary>
    public const int MaxObjectTags = 10;

    /// <summary>Most tags a bucket may have.</summary>
    public const int MaxBucketTags = 50;

    /// <summary>Longest tag key, in Unicode characters (code points).</summary>
    public const int MaxKeyLength = 128;

    /// <summary>Longest tag value, in Unicode characters (code points).</summary>
    public const int MaxValueLength = 256;

    /// <summary>Parses and checks a <c>&lt;Tagging&gt;&lt;TagSet&gt;</c> body; <paramref name="max"/> is the object or bucket limit.</summary>
    public static IReadOnlyList<Tag> ParseXml(XElement root, int max, ProtocolFamily family)
    {
        var set = root.Child("TagSet")
            ?? throw new CofferException(ErrorCode.MalformedXML, "The <Tagging> document needs a <TagSet> element (it may be empty).");
        var tags = new List<Tag>();
        foreach (var tag in set.Elements())
        {
            if (tag.Name.LocalName != "Tag")
                throw new CofferException(ErrorCode.MalformedXML, $"<TagSet> may hold only <Tag> elements, not <{tag.Name.LocalName}>.");
            var key = tag.ChildValue("Key")
                ?? throw new CofferException(ErrorCode.MalformedXML, "Every <Tag> needs a <Key> element.");
            var value = tag.ChildValue("Value")
                ?? throw new CofferException(ErrorCode.MalformedXML, $"The tag '{key}' needs a <Value> element (it may be empty).");
            tags.Add(new Tag(key, value));
        }
        Validate(tags, max, family);
        return tags;
    }

    /// <summary>
    /// The tags of the <c>x-cos-tagging</c> / <c>x-amz-tagging</c> header (<c>k1=v1&amp;k2=v2</c>, keys and values
    /// percent-encoded, <c>+</c> a space, a bare <c>k</c> an empty value), checked as object tags; null when the
    /// header is absent. A header that does not parse is 400 InvalidArgument.
    /// </summary>
    public static IReadOnlyList<Tag>? FromHeader(RequestContext ctx)
    {
        var header = ctx.FamilyHeader("tagging");
        if (header is null)
            return null;
        var name = ctx.Family.Header("tagging");
        var tags = new List<Tag>();
        if (header.Length > 0)
        {
            foreach (var pair in header.Split('&'))
            {
                if (pair.Length == 0)
                    throw new CofferException(ErrorCode.InvalidArgument, $"The {name} header has an empty tag between two '&': send key=value pairs joined by '&'.");
                var eq = pair.IndexOf('=');
                var key = DecodeHeaderPart(name, eq < 0 ? pair : pair[..eq]);
                var value = eq < 0 ? "" : DecodeHeaderPart(name, pair[(eq + 1)..]);
                tags.Add(new Tag(key, value));
            }
        }
        Validate(tags, MaxObjectTags, ctx.Family);
        return tags;
    }

    /// <summary>
    /// Whether a copy takes its tags from the request (<c>x-cos-tagging-directive: Replaced</c>, S3 <c>REPLACE</c>)
    /// rather than from its source (<c>Copy</c>/<c>COPY</c>, the default).
    /// </summary>
    public static bool ReplacesOnCopy(RequestContext ctx)
    {
        var directive = ctx.FamilyHeader("tagging-directive");
        return directive?.Trim().ToUpperInvariant() switch
        {
            null or "COPY" => false,
            "REPLACE" or "REPLACED" => true,
            _ => throw new CofferException(ErrorCode.InvalidArgument,
                $"The tagging directive '{directive}' is not valid; use Copy or Replaced (S3: COPY or REPLACE)."),
        };
    }

    /// <summary>
    /// The reference limits: at most <paramref name="max"/> tags (400 BadRequest), then per tag (400 InvalidTag):
    /// a key of 1–128 and a value of 0–256 Unicode characters, only letters, digits, white space and
    /// <c>+ - = . _ : / @</c> (COS does not list <c>@</c>), no key starting with <c>aws:</c>, no key twice.
    /// </summary>
    public static void Validate(IReadOnlyList<Tag> tags, int max, ProtocolFamily family)
    {
        if (tags.Count > max)
            throw new CofferException(ErrorCode.TooManyTags, max == MaxObjectTags
                ? $"Object tags cannot be greater than {MaxObjectTags}: this request has {tags.Count}."
                : $"Bucket tag count cannot be greater than {MaxBucketTags}: this request has {tags.Count}.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            var keyLength = CodePoints(key);
            if (keyLength is < 1 or > MaxKeyLength)
                throw Invalid($"The TagKey you have provided is invalid: '{Shorten(key)}' has {keyLength} characters; a tag key has 1 to {MaxKeyLength}.");
            if (CodePoints(value) > MaxValueLength)
                throw Invalid($"The TagValue you have provided is invalid: the value of the tag '{key}' has {CodePoints(value)} characters; at most {MaxValueLength} are allowed.");
            if (BadCharacter(key, family) is { } k)
                throw Invalid($"The TagKey you have provided is invalid: '{Shorten(key)}' contains {Describe(k)}; {Allowed(family)}.");
            if (BadCharacter(value, family) is { } v)
                throw Invalid($"The TagValue you have provided is invalid: the value of the tag '{key}' contains {Describe(v)}; {Allowed(family)}.");
            if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase))
                throw Invalid($"The TagKey you have provided is invalid: '{Shorten(key)}' starts with the reserved prefix 'aws:'.");
            if (!seen.Add(key))
                throw Invalid($"Cannot provide multiple Tags with the same key: '{Shorten(key)}' appears more than once.");
        }
    }

    /// <summary>Answers a tag set as the <c>&lt;Tagging&gt;</c> document of the caller's family.</summary>
    public static async Task WriteAsync(RequestContext ctx, IReadOnlyList<Tag> tags)
    {
        using var xml = new XmlDoc("Tagging", ctx.Family == ProtocolFamily.S3 ? XmlDoc.S3Namespace : null);
        xml.Start("TagSet");
        foreach (var tag in tags)
            xml.Start("Tag").Element("Key", tag.Key).Element("Value", tag.Value).End();
        xml.End();
        await xml.WriteAsync(ctx.Response);
    }

    private static CofferException Invalid(string message) => new(ErrorCode.InvalidTag, message);

    private static string DecodeHeaderPart(string header, string part)
    {
        try
        {
            return Addressing.Decode(part.Replace('+', ' '));
        }
        catch (CofferException)
        {
            throw new CofferException(ErrorCode.InvalidArgument,
                $"The {header} header does not parse: it has a malformed percent-escape or bytes that are not UTF-8. Send key=value pairs joined by '&', each percent-encoded.");
        }
    }

    private static int CodePoints(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes())
            n++;
        return n;
    }

    /// <summary>The first character outside the allowed set, or null.</summary>
    private static Rune? BadCharacter(string s, ProtocolFamily family)
    {
        foreach (var r in s.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(r);
            var ok = Rune.IsLetter(r) || Rune.IsDigit(r) || category is UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
                || (Rune.IsWhiteSpace(r) && !Rune.IsControl(r)) || category == UnicodeCategory.SpaceSeparator
                || r.Value is '+' or '-' or '=' or '.' or '_' or ':' or '/'
                || (r.Value == '@' && family == ProtocolFamily.S3);
            if (!ok)
                return r;
        }
        return null;
    }

    private static string Allowed(ProtocolFamily family) => family == ProtocolFamily.S3
        ? "tags may hold letters, digits, spaces and + - = . _ : / @"
        : "tags may hold letters, digits, spaces and + - = . _ : /";

    private static string Describe(Rune r) => Rune.IsControl(r) || r.Value > 0x7e
        ? $"the character U+{r.Value:X4}"
        : $"the character '{r}'";

    private static string Shorten(string s) => s.Length <= 40 ? XmlText.Clean(s) : XmlText.Clean(s[..40]) + "…";
}
