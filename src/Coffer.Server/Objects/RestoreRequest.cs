using System.Globalization;
using System.Xml.Linq;
using Coffer.Protocol;
using Coffer.Server.Xml;

namespace Coffer.Server.Objects;

/// <summary>
/// The body of POST ?restore: <c>&lt;RestoreRequest&gt;&lt;Days&gt;1&lt;/Days&gt;&lt;CASJobParameters&gt;&lt;Tier&gt;Expedited&lt;/Tier&gt;…</c>
/// (COS), S3's <c>GlacierJobParameters/Tier</c>, or a top-level <c>Tier</c> (docs/protocol/objects.md#restoreobject).
/// </summary>
/// <param name="Days">Lifetime of the restored copy, 1–365 days.</param>
/// <param name="Tier">The retrieval tier; Standard when the request names none (as S3 defaults).</param>
public sealed record RestoreRequest(int Days, RestoreTier Tier)
{
    /// <summary>The root element of the body.</summary>
    public const string Root = "RestoreRequest";

    /// <summary>Reads the request: Days missing or not a number is MalformedXML, out of range InvalidArgument; an unknown tier is MalformedXML.</summary>
    public static RestoreRequest Parse(XElement root)
    {
        var daysText = root.ChildValue("Days")
            ?? throw new CofferException(ErrorCode.MalformedXML, $"The RestoreRequest needs <Days>: how many days ({ArchiveRestore.MinDays}–{ArchiveRestore.MaxDays}) the restored copy should stay readable.");
        if (!int.TryParse(daysText.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var days))
            throw new CofferException(ErrorCode.MalformedXML, $"<Days> must be a whole number of days; got '{daysText}'.");
        if (days is < ArchiveRestore.MinDays or > ArchiveRestore.MaxDays)
            throw new CofferException(ErrorCode.InvalidArgument, $"<Days> must be from {ArchiveRestore.MinDays} to {ArchiveRestore.MaxDays}; got {days}.");

        var tierText = root.Child("CASJobParameters")?.ChildValue("Tier")
            ?? root.Child("GlacierJobParameters")?.ChildValue("Tier")
            ?? root.ChildValue("Tier");
        return new RestoreRequest(days, tierText is null ? RestoreTier.Standard : ParseTier(tierText));
    }

    private static RestoreTier ParseTier(string text) => text.Trim().ToLowerInvariant() switch
    {
        "expedited" => RestoreTier.Expedited,
        "standard" => RestoreTier.Standard,
        "bulk" => RestoreTier.Bulk,
        _ => throw new CofferException(ErrorCode.MalformedXML, $"<Tier> must be Expedited, Standard or Bulk; got '{text}'."),
    };
}
