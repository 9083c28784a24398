using System.Globalization;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

/// <summary>
/// A bucket's lifecycle configuration (Python <c>LifecycleConfiguration</c>): up to 1,000 rules, each naming objects by
/// key prefix, tags and size and saying what happens to them. The server checks it and answers 400 MalformedXML,
/// InvalidArgument or InvalidRequest with the reason.
/// </summary>
public sealed class CosLifecycleConfiguration
{
    /// <summary>The rules, in order.</summary>
    public IList<CosLifecycleRule> Rules { get; init; } = [];

    /// <summary>
    /// Reads a configuration from its XML document (<c>&lt;LifecycleConfiguration&gt;</c>) or from JSON in the shape of
    /// awscli's <c>--lifecycle-configuration</c> (<c>{"Rules": [{"ID", "Filter", "Status", "Expiration", …}]}</c>) or of the
    /// COS Python SDK's dict (<c>{"Rule": […]}</c>). Element names are the XML ones; a list is the element repeated.
    /// </summary>
    /// <param name="text">The XML or JSON text.</param>
    /// <exception cref="FormatException">The text is neither, or a value has the wrong form.</exception>
    public static CosLifecycleConfiguration Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.TrimStart();
        XElement root;
        try
        {
            root = trimmed.StartsWith('{') ? FromJson(trimmed) : XDocument.Parse(trimmed).Root ?? throw new FormatException("The XML has no root element.");
        }
        catch (Exception e) when (e is XmlException or JsonException)
        {
            throw new FormatException($"The lifecycle configuration is neither valid XML nor valid JSON: {e.Message}", e);
        }
        return FromXml(root);
    }

    /// <summary>The configuration as the XML document PUT ?lifecycle sends.</summary>
    public string ToXml() => System.Text.Encoding.UTF8.GetString(XmlUtil.Serialize(ToElement()));

    internal XElement ToElement() => new("LifecycleConfiguration", Rules.Select(r => r.ToElement()));

    internal static CosLifecycleConfiguration FromXml(XElement root)
    {
        if (root.Name.LocalName != "LifecycleConfiguration")
            throw new FormatException($"The root element is <{root.Name.LocalName}>; a lifecycle configuration is <LifecycleConfiguration>.");
        return new CosLifecycleConfiguration { Rules = XmlUtil.Children(root, "Rule").Select(CosLifecycleRule.FromXml).ToList() };
    }

    /// <summary>JSON objects become elements; a list becomes its element repeated under its singular name (Rules → Rule).</summary>
    private static XElement FromJson(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = new XElement("LifecycleConfiguration");
        var body = doc.RootElement.TryGetProperty("LifecycleConfiguration", out var inner) ? inner : doc.RootElement;
        AddJson(root, body);
        return root;
    }

    private static void AddJson(XElement parent, JsonElement value)
    {
        foreach (var property in value.EnumerateObject())
        {
            var name = property.Name switch
            {
                "Rules" => "Rule",
                "Transitions" => "Transition",
                "NoncurrentVersionTransitions" => "NoncurrentVersionTransition",
                "Tags" => "Tag",
                var other => other,
            };
            var items = property.Value.ValueKind == JsonValueKind.Array ? property.Value.EnumerateArray().ToList() : [property.Value];
            foreach (var item in items)
            {
                var element = new XElement(name);
                if (item.ValueKind == JsonValueKind.Object)
                    AddJson(element, item);
                else if (item.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    element.Value = item.GetBoolean() ? "true" : "false";
                else if (item.ValueKind != JsonValueKind.Null)
                    element.Value = item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText();
                parent.Add(element);
            }
        }
    }
}

/// <summary>One lifecycle rule. An object is named when its key starts with <see cref="Prefix"/>, it has every one of <see cref="Tags"/>, and its size is strictly between the bounds given.</summary>
public sealed class CosLifecycleRule
{
    /// <summary>The rule's id (at most 255 characters, unique); null lets the server make one.</summary>
    public string? Id { get; set; }

    /// <summary>Status Enabled (true) or Disabled.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The key prefix; empty names every key.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>Tags an object must all have.</summary>
    public IList<CosTag> Tags { get; init; } = [];

    /// <summary>The object must be larger than this many bytes.</summary>
    public long? ObjectSizeGreaterThan { get; set; }

    /// <summary>The object must be smaller than this many bytes.</summary>
    public long? ObjectSizeLessThan { get; set; }

    /// <summary>Expiration Days: the object is deleted this many days after its creation.</summary>
    public int? ExpirationDays { get; set; }

    /// <summary>Expiration Date (midnight UTC): the objects named are deleted from then on.</summary>
    public DateTimeOffset? ExpirationDate { get; set; }

    /// <summary>Expiration ExpiredObjectDeleteMarker (versioned buckets).</summary>
    public bool? ExpiredObjectDeleteMarker { get; set; }

    /// <summary>Transitions to colder storage classes (STANDARD_IA, ARCHIVE, DEEP_ARCHIVE, INTELLIGENT_TIERING; S3 names accepted).</summary>
    public IList<CosLifecycleTransition> Transitions { get; init; } = [];

    /// <summary>NoncurrentVersionExpiration NoncurrentDays (versioned buckets).</summary>
    public int? NoncurrentExpirationDays { get; set; }

    /// <summary>NoncurrentVersionExpiration NewerNoncurrentVersions.</summary>
    public int? NewerNoncurrentVersions { get; set; }

    /// <summary>NoncurrentVersionTransition actions (versioned buckets); <see cref="CosLifecycleTransition.Days"/> is NoncurrentDays.</summary>
    public IList<CosLifecycleTransition> NoncurrentTransitions { get; init; } = [];

    /// <summary>AbortIncompleteMultipartUpload DaysAfterInitiation.</summary>
    public int? AbortIncompleteMultipartUploadDays { get; set; }

    internal XElement ToElement()
    {
        var rule = new XElement("Rule");
        if (Id is not null)
            rule.Add(new XElement("ID", Id));
        var predicates = new List<XElement>();
        if (Prefix.Length > 0)
            predicates.Add(new XElement("Prefix", Prefix));
        predicates.AddRange(Tags.Select(t => new XElement("Tag", new XElement("Key", t.Key), new XElement("Value", t.Value))));
        if (ObjectSizeGreaterThan is { } gt)
            predicates.Add(new XElement("ObjectSizeGreaterThan", gt));
        if (ObjectSizeLessThan is { } lt)
            predicates.Add(new XElement("ObjectSizeLessThan", lt));
        rule.Add(new XElement("Filter", predicates.Count switch { 0 => new XElement("Prefix", ""), 1 => predicates[0], _ => new XElement("And", predicates) }));
        rule.Add(new XElement("Status", Enabled ? "Enabled" : "Disabled"));
        foreach (var t in Transitions)
            rule.Add(t.ToElement("Transition", "Days"));
        if (ExpirationDays is not null || ExpirationDate is not null || ExpiredObjectDeleteMarker is not null)
        {
            var e = new XElement("Expiration");
            if (ExpirationDays is { } days) e.Add(new XElement("Days", days));
            if (ExpirationDate is { } date) e.Add(new XElement("Date", IsoDate(date)));
            if (ExpiredObjectDeleteMarker is { } marker) e.Add(new XElement("ExpiredObjectDeleteMarker", marker ? "true" : "false"));
            rule.Add(e);
        }
        foreach (var t in NoncurrentTransitions)
            rule.Add(t.ToElement("NoncurrentVersionTransition", "NoncurrentDays"));
        if (NoncurrentExpirationDays is { } ncDays)
        {
            var e = new XElement("NoncurrentVersionExpiration", new XElement("NoncurrentDays", ncDays));
            if (NewerNoncurrentVersions is { } newer) e.Add(new XElement("NewerNoncurrentVersions", newer));
            rule.Add(e);
        }
        if (AbortIncompleteMultipartUploadDays is { } abort)
            rule.Add(new XElement("AbortIncompleteMultipartUpload", new XElement("DaysAfterInitiation", abort)));
        return rule;
    }

    internal static CosLifecycleRule FromXml(XElement rule)
    {
        var result = new CosLifecycleRule
        {
            Id = XmlUtil.Child(rule, "ID"),
            Enabled = XmlUtil.Child(rule, "Status") != "Disabled",
            Prefix = XmlUtil.Child(rule, "Prefix") ?? "",
        };
        if (XmlUtil.Element(rule, "Filter") is { } filter)
        {
            var scope = XmlUtil.Element(filter, "And") ?? filter;
            result.Prefix = XmlUtil.Child(scope, "Prefix") ?? "";
            foreach (var tag in XmlUtil.Children(scope, "Tag"))
                result.Tags.Add(new CosTag(XmlUtil.Child(tag, "Key") ?? "", XmlUtil.Child(tag, "Value") ?? ""));
            result.ObjectSizeGreaterThan = Long(scope, "ObjectSizeGreaterThan");
            result.ObjectSizeLessThan = Long(scope, "ObjectSizeLessThan");
        }
        if (XmlUtil.Element(rule, "Expiration") is { } expiration)
        {
            result.ExpirationDays = Int(expiration, "Days");
            result.ExpirationDate = Date(expiration, "Date");
            result.ExpiredObjectDeleteMarker = XmlUtil.Child(expiration, "ExpiredObjectDeleteMarker") is { } m ? m.Trim() == "true" : null;
        }
        foreach (var t in XmlUtil.Children(rule, "Transition"))
            result.Transitions.Add(CosLifecycleTransition.FromXml(t, "Days"));
        if (XmlUtil.Element(rule, "NoncurrentVersionExpiration") is { } nce)
        {
            result.NoncurrentExpirationDays = Int(nce, "NoncurrentDays");
            result.NewerNoncurrentVersions = Int(nce, "NewerNoncurrentVersions");
        }
        foreach (var t in XmlUtil.Children(rule, "NoncurrentVersionTransition"))
            result.NoncurrentTransitions.Add(CosLifecycleTransition.FromXml(t, "NoncurrentDays"));
        if (XmlUtil.Element(rule, "AbortIncompleteMultipartUpload") is { } abort)
            result.AbortIncompleteMultipartUploadDays = Int(abort, "DaysAfterInitiation");
        return result;
    }

    internal static string IsoDate(DateTimeOffset date) => date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static int? Int(XElement parent, string name) => XmlUtil.Child(parent, name) is { } text
        ? int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"<{name}> is '{text}'; a whole number is expected.")
        : null;

    private static long? Long(XElement parent, string name) => XmlUtil.Child(parent, name) is { } text
        ? long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"<{name}> is '{text}'; a whole number is expected.")
        : null;

    internal static DateTimeOffset? Date(XElement parent, string name) => XmlUtil.Child(parent, name) is { } text
        ? DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var v) ? v : throw new FormatException($"<{name}> is '{text}'; an ISO 8601 date is expected.")
        : null;
}

/// <summary>A Transition (or NoncurrentVersionTransition): after <see cref="Days"/> or on <see cref="Date"/>, to <see cref="StorageClass"/>.</summary>
public sealed class CosLifecycleTransition
{
    /// <summary>Days after creation (NoncurrentDays for a noncurrent transition).</summary>
    public int? Days { get; set; }

    /// <summary>A midnight UTC (current-version transitions only).</summary>
    public DateTimeOffset? Date { get; set; }

    /// <summary>The target class: STANDARD_IA, ARCHIVE, DEEP_ARCHIVE, INTELLIGENT_TIERING (S3: GLACIER, GLACIER_IR, ONEZONE_IA…).</summary>
    public string StorageClass { get; set; } = "ARCHIVE";

    internal XElement ToElement(string name, string daysName)
    {
        var e = new XElement(name);
        if (Days is { } days) e.Add(new XElement(daysName, days));
        if (Date is { } date) e.Add(new XElement("Date", CosLifecycleRule.IsoDate(date)));
        e.Add(new XElement("StorageClass", StorageClass));
        return e;
    }

    internal static CosLifecycleTransition FromXml(XElement e, string daysName) => new()
    {
        Days = XmlUtil.Int(e, daysName),
        Date = CosLifecycleRule.Date(e, "Date"),
        StorageClass = XmlUtil.Child(e, "StorageClass") ?? "",
    };
}

/// <summary>The answer to GET Bucket lifecycle: the configuration. A bucket without one answers 404 NoSuchLifecycleConfiguration instead.</summary>
public sealed class GetBucketLifecycleResponse : CosResponse
{
    /// <summary>The configuration; always present.</summary>
    public CosLifecycleConfiguration Configuration { get; internal set; } = new();
}
