using Coffer.Protocol;

namespace Coffer.Server.Objects;

/// <summary>Storage class names of COS and S3, stored in their COS spelling.</summary>
public static class StorageClasses
{
    public const string Standard = "STANDARD";
    public const string Archive = "ARCHIVE";
    public const string DeepArchive = "DEEP_ARCHIVE";

    private static readonly HashSet<string> Cos = new(StringComparer.Ordinal)
    {
        "STANDARD", "STANDARD_IA", "INTELLIGENT_TIERING", "ARCHIVE", "DEEP_ARCHIVE",
        "MAZ_STANDARD", "MAZ_STANDARD_IA", "MAZ_INTELLIGENT_TIERING", "MAZ_ARCHIVE",
    };

    private static readonly Dictionary<string, string> FromS3 = new(StringComparer.Ordinal)
    {
        ["GLACIER"] = "ARCHIVE",
        ["GLACIER_IR"] = "STANDARD_IA",
        ["ONEZONE_IA"] = "STANDARD_IA",
        ["REDUCED_REDUNDANCY"] = "STANDARD",
    };

    /// <summary>The stored name of a requested class; null header means STANDARD.</summary>
    public static string Parse(string? value)
    {
        if (string.IsNullOrEmpty(value))
            return Standard;
        var upper = value.ToUpperInvariant();
        if (Cos.Contains(upper))
            return upper;
        if (FromS3.TryGetValue(upper, out var mapped))
            return mapped;
        throw new CofferException(ErrorCode.NotSupportedStorageClass,
            $"The storage class '{value}' is not supported; use one of {string.Join(", ", Cos)} (S3 names GLACIER, GLACIER_IR, ONEZONE_IA, REDUCED_REDUNDANCY are mapped).");
    }

    /// <summary>The name to report to a caller of the given family (ARCHIVE is GLACIER in S3).</summary>
    public static string ForFamily(string stored, ProtocolFamily family) =>
        family == ProtocolFamily.S3 && stored == Archive ? "GLACIER" : stored;

    public static bool IsArchive(string stored) => stored is Archive or DeepArchive or "MAZ_ARCHIVE";
}
