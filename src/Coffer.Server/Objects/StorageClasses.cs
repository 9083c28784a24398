using Coffer.Protocol;

namespace Coffer.Server.Objects;

/// <summary>
/// Storage class names of COS and S3, stored in their COS spelling and reported in the caller's
/// family (docs/protocol/objects.md#storage-classes: the COS classes; S3's GLACIER is COS's ARCHIVE).
/// </summary>
public static class StorageClasses
{
    /// <summary>The default class; its header is omitted on GET and HEAD.</summary>
    public const string Standard = "STANDARD";
    /// <summary>Infrequent access: readable at once.</summary>
    public const string StandardIa = "STANDARD_IA";
    /// <summary>Intelligent tiering: readable at once; COS reports its tier (FREQUENT here).</summary>
    public const string IntelligentTiering = "INTELLIGENT_TIERING";
    /// <summary>Archive (S3: GLACIER): readable only while a restored copy exists.</summary>
    public const string Archive = "ARCHIVE";
    /// <summary>Deep archive: as ARCHIVE, slower, and without the Expedited restore tier.</summary>
    public const string DeepArchive = "DEEP_ARCHIVE";
    /// <summary>Multi-AZ archive: restored like ARCHIVE.</summary>
    public const string MazArchive = "MAZ_ARCHIVE";

    private static readonly string[] Cos =
    [
        Standard, StandardIa, IntelligentTiering, Archive, DeepArchive,
        "MAZ_STANDARD", "MAZ_STANDARD_IA", "MAZ_INTELLIGENT_TIERING", MazArchive,
    ];

    /// <summary>S3 names without a COS class of the same name, and the class they are stored as.</summary>
    private static readonly Dictionary<string, string> FromS3 = new(StringComparer.Ordinal)
    {
        ["GLACIER"] = Archive,
        ["GLACIER_IR"] = StandardIa,
        ["ONEZONE_IA"] = StandardIa,
        ["REDUCED_REDUNDANCY"] = Standard,
    };

    /// <summary>The stored name of a requested class (either family's name, any case); a missing header means STANDARD.</summary>
    public static string Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return Standard;
        var upper = value.Trim().ToUpperInvariant();
        if (Array.IndexOf(Cos, upper) >= 0)
            return upper;
        if (FromS3.TryGetValue(upper, out var mapped))
            return mapped;
        throw new CofferException(ErrorCode.NotSupportedStorageClass,
            $"The storage class '{value}' is not supported; use one of {string.Join(", ", Cos)} (S3 names GLACIER, GLACIER_IR, ONEZONE_IA, REDUCED_REDUNDANCY are mapped).");
    }

    /// <summary>The name to report to a caller of the given family (ARCHIVE is GLACIER in S3).</summary>
    public static string ForFamily(string stored, ProtocolFamily family) =>
        family == ProtocolFamily.S3 && stored == Archive ? "GLACIER" : stored;

    /// <summary>Classes whose data must be restored before it can be read or copied.</summary>
    public static bool IsArchive(string stored) => stored is Archive or DeepArchive or MazArchive;

    /// <summary>The COS access tier (x-cos-storage-tier, ListObjects StorageTier) of a class that has one.</summary>
    public static string? Tier(string stored) => stored is IntelligentTiering or "MAZ_INTELLIGENT_TIERING" ? "FREQUENT" : null;
}
