using System.Security.Cryptography;

namespace Coffer.Storage;

/// <summary>A bucket's versioning state (PUT ?versioning): once Enabled or Suspended, never Unversioned again.</summary>
public enum BucketVersioning
{
    /// <summary>Never configured: an overwrite replaces the object, a delete removes it.</summary>
    Unversioned = 0,
    /// <summary>Every write makes a new version with a fresh id; a delete without an id adds a delete marker.</summary>
    Enabled = 1,
    /// <summary>Writes replace the <c>null</c> version and keep the others; a delete adds a <c>null</c> delete marker.</summary>
    Suspended = 2,
}

/// <summary>Version ids as the wire shows them: opaque, URL-safe, unique; <see cref="Null"/> names the null version.</summary>
public static class VersionIds
{
    /// <summary>The id of the null version on the wire (<c>?versionId=null</c>, <c>x-amz-version-id: null</c>).</summary>
    public const string Null = "null";

    /// <summary>A fresh version id: 144 random bits as 24 base64url characters (never <see cref="Null"/>).</summary>
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[18];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The stored form of a wire id: null for <see cref="Null"/>.</summary>
    public static string? ToStored(string wire) => wire == Null ? null : wire;

    /// <summary>The wire form of a stored id: <see cref="Null"/> for null.</summary>
    public static string ToWire(string? stored) => stored ?? Null;

    /// <summary>Whether a client's id could be one this server gave (or <see cref="Null"/>): a malformed one is InvalidArgument.</summary>
    public static bool IsWellFormed(string wire) =>
        wire == Null || (wire.Length is > 0 and <= 64 && wire.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'));

    internal static string WireString(BucketVersioning v) => v switch
    {
        BucketVersioning.Enabled => "Enabled",
        BucketVersioning.Suspended => "Suspended",
        _ => throw new ArgumentOutOfRangeException(nameof(v)),
    };

    internal static BucketVersioning FromStored(string? stored) => stored switch
    {
        null => BucketVersioning.Unversioned,
        "Enabled" => BucketVersioning.Enabled,
        "Suspended" => BucketVersioning.Suspended,
        _ => throw new InvalidDataException($"Unknown bucket versioning state '{stored}'."),
    };
}

/// <summary>One entry of a version listing: a version or a delete marker (<see cref="ObjectRecord.IsDeleteMarker"/>).</summary>
/// <param name="IsLatest">Whether it is the key's newest version (the current object, or the marker that hides it).</param>
public sealed record ObjectVersionEntry(ObjectRecord Version, bool IsLatest);

/// <summary>One page of ListObjectVersions.</summary>
/// <param name="NextKeyMarker">The key of the last entry or common prefix returned, when truncated.</param>
/// <param name="NextVersionIdMarker">The wire version id of the last entry returned (null after a common prefix), when truncated.</param>
public sealed record VersionListing(
    IReadOnlyList<ObjectVersionEntry> Versions,
    IReadOnlyList<string> CommonPrefixes,
    bool IsTruncated,
    string? NextKeyMarker,
    string? NextVersionIdMarker);
