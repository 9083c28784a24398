using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

/// <summary>A bucket's CORS configuration (PUT / GET ?cors): which web origins' scripts may call the bucket from a browser.</summary>
public sealed class CosCorsConfiguration
{
    /// <summary>1 to 100 rules; the first that matches a request answers it.</summary>
    public IList<CosCorsRule> Rules { get; init; } = [];

    /// <summary>Reads a configuration from its XML document (<c>&lt;CORSConfiguration&gt;</c>).</summary>
    /// <param name="xml">The XML text.</param>
    /// <exception cref="FormatException">The text is not such a document.</exception>
    public static CosCorsConfiguration Parse(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        XElement root;
        try
        {
            root = XDocument.Parse(xml).Root ?? throw new FormatException("The XML has no root element.");
        }
        catch (XmlException e)
        {
            throw new FormatException($"The CORS configuration is not valid XML: {e.Message}", e);
        }
        return FromXml(root);
    }

    /// <summary>The configuration as the XML document PUT ?cors sends.</summary>
    public string ToXml() => System.Text.Encoding.UTF8.GetString(XmlUtil.Serialize(ToElement()));

    internal XElement ToElement() => new("CORSConfiguration", Rules.Select(r => r.ToElement()));

    internal static CosCorsConfiguration FromXml(XElement root)
    {
        if (root.Name.LocalName != "CORSConfiguration")
            throw new FormatException($"The root element is <{root.Name.LocalName}>; a CORS configuration is <CORSConfiguration>.");
        return new CosCorsConfiguration { Rules = XmlUtil.Children(root, "CORSRule").Select(CosCorsRule.FromXml).ToList() };
    }
}

/// <summary>One CORSRule.</summary>
public sealed class CosCorsRule
{
    /// <summary>The rule's ID; null when none.</summary>
    public string? Id { get; set; }

    /// <summary>Origins (scheme, host, port), each exact, <c>*</c>, or with one <c>*</c>; at least one.</summary>
    public IList<string> AllowedOrigins { get; init; } = [];

    /// <summary>Among GET, PUT, POST, DELETE, HEAD; at least one.</summary>
    public IList<string> AllowedMethods { get; init; } = [];

    /// <summary>Request headers a preflight may ask for (one <c>*</c> each); may be empty.</summary>
    public IList<string> AllowedHeaders { get; init; } = [];

    /// <summary>Response headers a page's script may read (e.g. ETag); may be empty.</summary>
    public IList<string> ExposeHeaders { get; init; } = [];

    /// <summary>How long a browser may cache a preflight's answer; null when unset.</summary>
    public int? MaxAgeSeconds { get; set; }

    internal XElement ToElement()
    {
        var rule = new XElement("CORSRule");
        if (Id is not null) rule.Add(new XElement("ID", Id));
        rule.Add(AllowedOrigins.Select(o => new XElement("AllowedOrigin", o)));
        rule.Add(AllowedMethods.Select(m => new XElement("AllowedMethod", m)));
        rule.Add(AllowedHeaders.Select(h => new XElement("AllowedHeader", h)));
        rule.Add(ExposeHeaders.Select(h => new XElement("ExposeHeader", h)));
        if (MaxAgeSeconds is { } maxAge) rule.Add(new XElement("MaxAgeSeconds", maxAge.ToString(CultureInfo.InvariantCulture)));
        return rule;
    }

    internal static CosCorsRule FromXml(XElement e) => new()
    {
        Id = XmlUtil.Children(e, "ID").FirstOrDefault()?.Value,
        AllowedOrigins = XmlUtil.Children(e, "AllowedOrigin").Select(x => x.Value).ToList(),
        AllowedMethods = XmlUtil.Children(e, "AllowedMethod").Select(x => x.Value).ToList(),
        AllowedHeaders = XmlUtil.Children(e, "AllowedHeader").Select(x => x.Value).ToList(),
        ExposeHeaders = XmlUtil.Children(e, "ExposeHeader").Select(x => x.Value).ToList(),
        MaxAgeSeconds = XmlUtil.Children(e, "MaxAgeSeconds").FirstOrDefault() is { } m && int.TryParse(m.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : null,
    };
}

/// <summary>The answer to GET Bucket cors. A bucket without a configuration answers 404 NoSuchCORSConfiguration instead.</summary>
public sealed class GetBucketCorsResponse : CosResponse
{
    /// <summary>The configuration; always present.</summary>
    public CosCorsConfiguration Configuration { get; internal set; } = new();
}
