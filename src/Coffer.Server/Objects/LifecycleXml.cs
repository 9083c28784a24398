using System.Globalization;
using System.Xml.Linq;
using Coffer.Protocol;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>
/// The <c>&lt;LifecycleConfiguration&gt;</c> document of PUT and GET ?lifecycle (docs/protocol/lifecycle.md): parsed and
/// checked with S3's rules and codes (COS's where it differs, for COS-signed requests), and written back.
/// </summary>
public static class LifecycleXml
{
    /// <summary>Most rules one configuration may have.</summary>
    public const int MaxRules = 1000;

    /// <summary>Longest rule id, in characters.</summary>
    public const int MaxIdLength = 255;

    /// <summary>Most days COS allows for Expiration and NoncurrentVersionExpiration.</summary>
    public const int CosMaxExpirationDays = 3650;

    /// <summary>Fewest days S3 allows before a transition to an infrequent-access class.</summary>
    public const int S3MinInfrequentAccessDays = 30;

    /// <summary>The transition targets accepted, in their COS and S3 names (mapped onto the server's classes by <see cref="StorageClasses.Parse"/>).</summary>
    public static readonly IReadOnlyList<string> TransitionClasses =
    [
        "STANDARD_IA", "INTELLIGENT_TIERING", "ARCHIVE", "DEEP_ARCHIVE", "MAZ_STANDARD_IA", "MAZ_INTELLIGENT_TIERING",
        "GLACIER", "GLACIER_IR", "ONEZONE_IA",
    ];

    private static readonly string[] RuleElements =
    [
        "ID", "Prefix", "Filter", "Status", "Expiration", "Transition", "NoncurrentVersionExpiration", "NoncurrentVersionTransition",
        "AbortIncompleteMultipartUpload",
    ];

    /// <summary>The S3 header that chooses which small objects a transition leaves alone.</summary>
    public const string MinimumSizeHeader = "x-amz-transition-default-minimum-object-size";

    /// <summary>Parses and checks a configuration; <paramref name="minimumSizeHeader"/> is the S3 header's value, if sent.</summary>
    public static BucketLifecycle Parse(XElement root, ProtocolFamily family, string? minimumSizeHeader)
    {
        var minimum = family == ProtocolFamily.Cos && minimumSizeHeader is null ? BucketLifecycle.Cos64K : minimumSizeHeader switch
        {
            null or BucketLifecycle.AllStorageClasses128K => BucketLifecycle.AllStorageClasses128K,
            BucketLifecycle.VariesByStorageClass => BucketLifecycle.VariesByStorageClass,
            _ => throw Invalid($"The {MinimumSizeHeader} header must be {BucketLifecycle.AllStorageClasses128K} or {BucketLifecycle.VariesByStorageClass}, not '{minimumSizeHeader}'."),
        };
        foreach (var child in root.Elements())
        {
            if (child.Name.LocalName != "Rule")
                throw Malformed($"<LifecycleConfiguration> may hold only <Rule> elements, not <{child.Name.LocalName}>.");
        }
        var elements = root.Children("Rule").ToList();
        if (elements.Count == 0)
            throw Malformed("The lifecycle configuration needs at least one <Rule>.");
        if (elements.Count > MaxRules)
            throw Invalid($"The lifecycle configuration has {elements.Count} rules; at most {MaxRules} are allowed.");

        var rules = new List<LifecycleRule>(elements.Count);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var element in elements)
        {
            var rule = ParseRule(element, family);
            if (!ids.Add(rule.Id))
                throw Invalid($"Rule ID must be unique. Found same ID for more than one rule: '{rule.Id}'.");
            rules.Add(rule);
        }
        return new BucketLifecycle(rules, minimum);
    }

    private static LifecycleRule ParseRule(XElement rule, ProtocolFamily family)
    {
        foreach (var child in rule.Elements())
        {
            var name = child.Name.LocalName;
            if (Array.IndexOf(RuleElements, name) < 0)
                throw Malformed($"A <Rule> may not hold <{name}>.");
            if (name is not ("Transition" or "NoncurrentVersionTransition") && rule.Children(name).Count() > 1)
                throw Malformed($"A <Rule> may hold one <{name}> only.");
        }

        var id = rule.ChildValue("ID");
        if (string.IsNullOrEmpty(id))
            id = Guid.NewGuid().ToString("N");
        if (id.Length > MaxIdLength)
            throw Invalid($"ID length should not exceed allowed limit of {MaxIdLength}: the rule id '{id[..40]}…' has {id.Length} characters.");

        var enabled = rule.ChildValue("Status") switch
        {
            "Enabled" => true,
            "Disabled" => false,
            null => throw Malformed($"The rule '{id}' needs a <Status> of Enabled or Disabled."),
            var other => throw Malformed($"The <Status> of the rule '{id}' is '{other}'; it must be Enabled or Disabled (exact case)."),
        };

        var filter = rule.Child("Filter");
        var legacyPrefix = rule.Child("Prefix");
        if (filter is not null && legacyPrefix is not null)
            throw Malformed($"The rule '{id}' has both a <Filter> and a rule-level <Prefix>; use <Filter> alone.");
        if (filter is null && legacyPrefix is null)
            throw Malformed($"The rule '{id}' needs a <Filter> (an empty <Filter/> names every object) or a <Prefix>.");

        var result = new LifecycleRule { Id = id, Enabled = enabled, LegacyPrefix = legacyPrefix is not null, Prefix = legacyPrefix?.Value ?? "" };
        if (filter is not null)
            result = ParseFilter(filter, result);

        var hasTags = result.Tags.Count > 0;
        var hasSize = result.SizeGreaterThan is not null || result.SizeLessThan is not null;
        result = result with
        {
            Expiration = rule.Child("Expiration") is { } e ? ParseExpiration(e, id, family, hasTags) : null,
            Transitions = rule.Children("Transition").Select(t => ParseTransition(t, id, family)).ToList(),
            NoncurrentExpiration = rule.Child("NoncurrentVersionExpiration") is { } nce ? ParseNoncurrentExpiration(nce, id, family) : null,
            NoncurrentTransitions = rule.Children("NoncurrentVersionTransition").Select(t => ParseNoncurrentTransition(t, id, family)).ToList(),
            AbortIncompleteUploadDays = rule.Child("AbortIncompleteMultipartUpload") is { } abort
                ? Days(abort, "DaysAfterInitiation", "AbortIncompleteMultipartUpload", id, min: 1, required: true) : null,
        };

        if (result.Expiration is null && result.Transitions.Count == 0 && result.NoncurrentExpiration is null
            && result.NoncurrentTransitions.Count == 0 && result.AbortIncompleteUploadDays is null)
            throw Request($"At least one action needs to be specified in a rule: the rule '{id}' has none.");
        if (result.AbortIncompleteUploadDays is not null && hasTags)
            throw Request($"The rule '{id}' names objects by tag; AbortIncompleteMultipartUpload cannot be specified with tags (an upload in progress has none).");
        if (result.AbortIncompleteUploadDays is not null && hasSize)
            throw Request($"The rule '{id}' names objects by size; AbortIncompleteMultipartUpload cannot be specified with an object size filter (an upload in progress has no size yet).");
        if (result.LegacyPrefix && (result.NoncurrentExpiration?.NewerNoncurrentVersions is not null || result.NoncurrentTransitions.Any(t => t.NewerNoncurrentVersions is not null)))
            throw Request($"The rule '{id}' uses NewerNoncurrentVersions, which needs a <Filter> rather than a rule-level <Prefix>.");
        CheckTimes(result);
        return result;
    }

    private static LifecycleRule ParseFilter(XElement filter, LifecycleRule rule)
    {
        var predicates = filter.Elements().ToList();
        if (predicates.Count > 1)
            throw Malformed($"The <Filter> of the rule '{rule.Id}' has {predicates.Count} predicates; combine several in <And>.");
        if (predicates.Count == 0)
            return rule;
        var predicate = predicates[0];
        if (predicate.Name.LocalName == "And")
        {
            foreach (var child in predicate.Elements())
            {
                if (child.Name.LocalName is not ("Prefix" or "Tag" or "ObjectSizeGreaterThan" or "ObjectSizeLessThan"))
                    throw Malformed($"<And> in the rule '{rule.Id}' may hold Prefix, Tag, ObjectSizeGreaterThan and ObjectSizeLessThan, not <{child.Name.LocalName}>.");
                if (child.Name.LocalName != "Tag" && predicate.Children(child.Name.LocalName).Count() > 1)
                    throw Malformed($"<And> in the rule '{rule.Id}' may hold one <{child.Name.LocalName}> only.");
            }
            return ApplyPredicates(predicate.Elements(), rule);
        }
        if (predicate.Name.LocalName is not ("Prefix" or "Tag" or "ObjectSizeGreaterThan" or "ObjectSizeLessThan"))
            throw Malformed($"<Filter> in the rule '{rule.Id}' may hold Prefix, Tag, ObjectSizeGreaterThan, ObjectSizeLessThan or And, not <{predicate.Name.LocalName}>.");
        return ApplyPredicates([predicate], rule);
    }

    private static LifecycleRule ApplyPredicates(IEnumerable<XElement> predicates, LifecycleRule rule)
    {
        var tags = new List<Tag>();
        foreach (var p in predicates)
        {
            switch (p.Name.LocalName)
            {
                case "Prefix":
                    rule = rule with { Prefix = p.Value };
                    break;
                case "Tag":
                    var key = p.ChildValue("Key");
                    if (string.IsNullOrEmpty(key))
                        throw Malformed($"Every <Tag> of the rule '{rule.Id}' needs a non-empty <Key>.");
                    var value = p.ChildValue("Value")
                        ?? throw Malformed($"The tag '{key}' of the rule '{rule.Id}' needs a <Value> element (it may be empty).");
                    if (tags.Any(t => t.Key == key))
                        throw Invalid($"Duplicate Tag Keys are not allowed: the rule '{rule.Id}' names the tag '{key}' twice.");
                    tags.Add(new Tag(key, value));
                    break;
                case "ObjectSizeGreaterThan":
                    rule = rule with { SizeGreaterThan = Size(p, rule.Id) };
                    break;
                default:
                    rule = rule with { SizeLessThan = Size(p, rule.Id) };
                    break;
            }
        }
        if (rule.SizeGreaterThan is { } gt && rule.SizeLessThan is { } lt && gt >= lt)
            throw Invalid($"ObjectSizeGreaterThan ({gt}) must be less than ObjectSizeLessThan ({lt}) in the rule '{rule.Id}'.");
        return rule with { Tags = tags };
    }

    private static long Size(XElement element, string id)
    {
        if (!long.TryParse(element.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            throw Invalid($"<{element.Name.LocalName}> of the rule '{id}' is '{element.Value}'; it must be a whole number of bytes, 0 or more.");
        return size;
    }

    private static LifecycleExpiration ParseExpiration(XElement e, string id, ProtocolFamily family, bool hasTags)
    {
        var given = e.Elements().Select(x => x.Name.LocalName).ToList();
        foreach (var name in given)
        {
            if (name is not ("Days" or "Date" or "ExpiredObjectDeleteMarker"))
                throw Malformed($"<Expiration> of the rule '{id}' may hold Days, Date or ExpiredObjectDeleteMarker, not <{name}>.");
        }
        if (given.Count != 1)
            throw Malformed($"<Expiration> of the rule '{id}' must hold exactly one of Days, Date and ExpiredObjectDeleteMarker.");
        switch (given[0])
        {
            case "Days":
                var days = Days(e, "Days", "Expiration", id, min: 1, required: true)!.Value;
                if (family == ProtocolFamily.Cos && days > CosMaxExpirationDays)
                    throw Invalid($"'Days' for Expiration action must be between 1 and {CosMaxExpirationDays}; the rule '{id}' has {days}.");
                return new LifecycleExpiration(Days: days);
            case "Date":
                return new LifecycleExpiration(Date: Date(e.Child("Date")!, "Expiration", id));
            default:
                var marker = e.ChildValue("ExpiredObjectDeleteMarker")!.Trim() switch
                {
                    "true" => true,
                    "false" => false,
                    var other => throw Malformed($"<ExpiredObjectDeleteMarker> of the rule '{id}' is '{other}'; it must be true or false."),
                };
                if (hasTags)
                    throw Request($"ExpiredObjectDeleteMarker cannot be specified with object tags: the rule '{id}' names objects by tag.");
                return new LifecycleExpiration(ExpiredObjectDeleteMarker: marker);
        }
    }

    private static LifecycleTransition ParseTransition(XElement t, string id, ProtocolFamily family)
    {
        var storageClass = TransitionClass(t, "Transition", id);
        var hasDays = t.Child("Days") is not null;
        var hasDate = t.Child("Date") is not null;
        if (hasDays == hasDate)
            throw Malformed($"<Transition> of the rule '{id}' must hold exactly one of Days and Date.");
        if (!hasDays)
            return new LifecycleTransition(null, Date(t.Child("Date")!, "Transition", id), storageClass);
        var days = Days(t, "Days", "Transition", id, min: 0, required: true)!.Value;
        CheckInfrequentAccessDays(days, storageClass, "Days", "Transition", family);
        return new LifecycleTransition(days, null, storageClass);
    }

    private static NoncurrentExpiration ParseNoncurrentExpiration(XElement e, string id, ProtocolFamily family)
    {
        var days = Days(e, "NoncurrentDays", "NoncurrentVersionExpiration", id, min: 1, required: true)!.Value;
        if (family == ProtocolFamily.Cos && days > CosMaxExpirationDays)
            throw Invalid($"'NoncurrentDays' for NoncurrentVersionExpiration action must be between 1 and {CosMaxExpirationDays}; the rule '{id}' has {days}.");
        return new NoncurrentExpiration(days, Newer(e, "NoncurrentVersionExpiration", id));
    }

    private static NoncurrentTransition ParseNoncurrentTransition(XElement t, string id, ProtocolFamily family)
    {
        var storageClass = TransitionClass(t, "NoncurrentVersionTransition", id);
        var days = Days(t, "NoncurrentDays", "NoncurrentVersionTransition", id, min: 0, required: true)!.Value;
        CheckInfrequentAccessDays(days, storageClass, "NoncurrentDays", "NoncurrentVersionTransition", family);
        return new NoncurrentTransition(days, storageClass, Newer(t, "NoncurrentVersionTransition", id));
    }

    private static int? Newer(XElement e, string action, string id)
    {
        var newer = Days(e, "NewerNoncurrentVersions", action, id, min: 1, required: false);
        if (newer > 100)
            throw Invalid($"'NewerNoncurrentVersions' for {action} action must be between 1 and 100; the rule '{id}' has {newer}.");
        return newer;
    }

    private static string TransitionClass(XElement t, string action, string id)
    {
        var given = t.ChildValue("StorageClass")?.Trim()
            ?? throw Malformed($"<{action}> of the rule '{id}' needs a <StorageClass>.");
        var upper = given.ToUpperInvariant();
        if (!TransitionClasses.Contains(upper))
            throw Malformed($"The StorageClass '{given}' of the rule '{id}' is not a transition target; use one of {string.Join(", ", TransitionClasses)}.");
        return upper;
    }

    /// <summary>S3 keeps objects in STANDARD_IA and ONEZONE_IA 30 days at least; COS documents no such minimum.</summary>
    private static void CheckInfrequentAccessDays(int days, string storageClass, string element, string action, ProtocolFamily family)
    {
        if (family == ProtocolFamily.S3 && storageClass is "STANDARD_IA" or "ONEZONE_IA" && days < S3MinInfrequentAccessDays)
            throw Invalid($"'{element}' in {action} action must be greater than or equal to {S3MinInfrequentAccessDays} for storageClass '{storageClass}'.");
    }

    private static int? Days(XElement parent, string element, string action, string id, int min, bool required)
    {
        var e = parent.Child(element);
        if (e is null)
            return required ? throw Malformed($"<{action}> of the rule '{id}' needs <{element}>.") : null;
        if (!int.TryParse(e.Value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var days))
            throw Malformed($"<{element}> in <{action}> of the rule '{id}' is '{e.Value}'; it must be a whole number.");
        if (days < min)
        {
            throw Invalid(min == 1
                ? $"'{element}' for {action} action must be a positive integer; the rule '{id}' has {days}."
                : $"'{element}' for {action} action must be 0 or more; the rule '{id}' has {days}.");
        }
        return days;
    }

    private static DateTimeOffset Date(XElement e, string action, string id)
    {
        if (!DateTimeOffset.TryParse(e.Value.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var date)
            || !e.Value.Contains('T', StringComparison.Ordinal))
            throw Invalid($"'Date' in {action} action of the rule '{id}' is '{e.Value}'; it must be an ISO 8601 date and time at midnight UTC, e.g. 2030-01-01T00:00:00.000Z.");
        if (date.TimeOfDay != TimeSpan.Zero)
            throw Invalid($"'Date' must be at midnight GMT: the {action} date of the rule '{id}' is {e.Value}.");
        return date;
    }

    /// <summary>S3: a rule's actions are all by Days or all by Date, and an expiration comes after every transition.</summary>
    private static void CheckTimes(LifecycleRule rule)
    {
        var days = rule.Expiration?.Days is not null || rule.Transitions.Any(t => t.Days is not null);
        var dates = rule.Expiration?.Date is not null || rule.Transitions.Any(t => t.Date is not null);
        if (days && dates)
            throw Request($"Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule '{rule.Id}'.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in rule.Transitions)
        {
            if (!seen.Add(StorageClasses.Parse(t.StorageClass)))
                throw Invalid($"'StorageClass' must be different for 'Transition' actions in same 'Rule': the rule '{rule.Id}' moves to {t.StorageClass} twice.");
            if (rule.Expiration?.Days is { } e && t.Days >= e)
                throw Invalid($"'Days' in the Expiration action for the rule '{rule.Id}' must be greater than 'Days' in the Transition action to {t.StorageClass}.");
            if (rule.Expiration?.Date is { } d && t.Date >= d)
                throw Invalid($"'Date' in the Expiration action for the rule '{rule.Id}' must be later than 'Date' in the Transition action to {t.StorageClass}.");
        }
    }

    /// <summary>Writes the configuration as GET ?lifecycle answers it, in the caller's family (S3 names ARCHIVE GLACIER).</summary>
    public static async Task WriteAsync(Pipeline.RequestContext ctx, BucketLifecycle lifecycle)
    {
        using var xml = new XmlDoc("LifecycleConfiguration", ctx.Family == ProtocolFamily.S3 ? XmlDoc.S3Namespace : null);
        foreach (var rule in lifecycle.Rules)
        {
            xml.Start("Rule").Element("ID", rule.Id);
            if (rule.LegacyPrefix)
                xml.Element("Prefix", rule.Prefix);
            else
                WriteFilter(xml, rule);
            xml.Element("Status", rule.Enabled ? "Enabled" : "Disabled");
            foreach (var t in rule.Transitions)
            {
                xml.Start("Transition");
                if (t.Days is { } days) xml.Element("Days", days);
                if (t.Date is { } date) xml.Element("Date", XmlText.IsoDate(date));
                xml.Element("StorageClass", ClassFor(t.StorageClass, ctx.Family)).End();
            }
            if (rule.Expiration is { } e)
            {
                xml.Start("Expiration");
                if (e.Days is { } days) xml.Element("Days", days);
                if (e.Date is { } date) xml.Element("Date", XmlText.IsoDate(date));
                if (e.ExpiredObjectDeleteMarker is { } marker) xml.Element("ExpiredObjectDeleteMarker", marker);
                xml.End();
            }
            foreach (var t in rule.NoncurrentTransitions)
            {
                xml.Start("NoncurrentVersionTransition").Element("NoncurrentDays", t.Days).Element("StorageClass", ClassFor(t.StorageClass, ctx.Family));
                if (t.NewerNoncurrentVersions is { } newer) xml.Element("NewerNoncurrentVersions", newer);
                xml.End();
            }
            if (rule.NoncurrentExpiration is { } nce)
            {
                xml.Start("NoncurrentVersionExpiration").Element("NoncurrentDays", nce.Days);
                if (nce.NewerNoncurrentVersions is { } newer) xml.Element("NewerNoncurrentVersions", newer);
                xml.End();
            }
            if (rule.AbortIncompleteUploadDays is { } abort)
                xml.Start("AbortIncompleteMultipartUpload").Element("DaysAfterInitiation", abort).End();
            xml.End();
        }
        await xml.WriteAsync(ctx.Response);
    }

    private static void WriteFilter(XmlDoc xml, LifecycleRule rule)
    {
        var count = (rule.Prefix.Length > 0 ? 1 : 0) + rule.Tags.Count + (rule.SizeGreaterThan is null ? 0 : 1) + (rule.SizeLessThan is null ? 0 : 1);
        xml.Start("Filter");
        if (count == 0)
            xml.Element("Prefix", "");
        if (count > 1)
            xml.Start("And");
        if (rule.Prefix.Length > 0)
            xml.Element("Prefix", rule.Prefix);
        foreach (var tag in rule.Tags)
            xml.Start("Tag").Element("Key", tag.Key).Element("Value", tag.Value).End();
        if (rule.SizeGreaterThan is { } gt)
            xml.Element("ObjectSizeGreaterThan", gt);
        if (rule.SizeLessThan is { } lt)
            xml.Element("ObjectSizeLessThan", lt);
        if (count > 1)
            xml.End();
        xml.End();
    }

    /// <summary>ARCHIVE and GLACIER are one class: each family reads its own name.</summary>
    private static string ClassFor(string stored, ProtocolFamily family) => (stored, family) switch
    {
        ("ARCHIVE", ProtocolFamily.S3) => "GLACIER",
        ("GLACIER", ProtocolFamily.Cos) => "ARCHIVE",
        _ => stored,
    };

    private static CofferException Malformed(string message) => new(ErrorCode.MalformedXML, message);

    private static CofferException Invalid(string message) => new(ErrorCode.InvalidArgument, message);

    private static CofferException Request(string message) => new(ErrorCode.InvalidRequest, message);
}
