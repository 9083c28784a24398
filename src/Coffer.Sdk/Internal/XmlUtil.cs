using System.Globalization;
using System.Xml;
using System.Xml.Linq;

namespace Coffer.Sdk.Internal;

/// <summary>Reading and writing the small XML documents of the COS / S3 APIs; element names are matched by local name, so namespaces do not matter.</summary>
internal static class XmlUtil
{
    public static XElement Parse(string text)
    {
        try
        {
            return XDocument.Parse(text).Root ?? throw new XmlException("No root element.");
        }
        catch (XmlException e)
        {
            throw new CosClientException(CosClientErrorKind.InvalidResponse, $"The server's XML answer could not be parsed: {e.Message}", e);
        }
    }

    public static string? Child(XElement parent, string name) => parent.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    public static XElement? Element(XElement parent, string name) => parent.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    public static IEnumerable<XElement> Children(XElement parent, string name) => parent.Elements().Where(e => e.Name.LocalName == name);

    public static bool Bool(XElement parent, string name) => string.Equals(Child(parent, name), "true", StringComparison.OrdinalIgnoreCase);

    public static long Long(XElement parent, string name) =>
        long.TryParse(Child(parent, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : 0;

    public static int? Int(XElement parent, string name) =>
        int.TryParse(Child(parent, name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : null;

    public static DateTimeOffset? Date(XElement parent, string name) =>
        DateTimeOffset.TryParse(Child(parent, name), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var v) ? v : null;

    /// <summary>The root of a listing answer; an answer without a body is an invalid response.</summary>
    public static XElement ListingRoot(XElement? root, string what) =>
        root ?? throw new CosClientException(CosClientErrorKind.InvalidResponse, $"The {what} answer has no body.");

    /// <summary>Whether a listing's keys and prefixes are URL-encoded (COS spells the element EncodingType or Encoding-Type).</summary>
    public static bool IsUrlEncoded(XElement root) =>
        string.Equals(Child(root, "EncodingType") ?? Child(root, "Encoding-Type"), "url", StringComparison.OrdinalIgnoreCase);

    /// <summary>A child's text, URL-decoded when the listing was requested with encoding-type=url.</summary>
    public static string? Text(XElement parent, string name, bool urlEncoded)
    {
        string? value = Child(parent, name);
        return value is not null && urlEncoded ? UriEncoder.Decode(value) : value;
    }

    public static byte[] Serialize(XElement root)
    {
        var settings = new XmlWriterSettings { OmitXmlDeclaration = true, Encoding = new System.Text.UTF8Encoding(false) };
        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, settings))
        {
            root.WriteTo(writer);
        }

        return stream.ToArray();
    }
}
