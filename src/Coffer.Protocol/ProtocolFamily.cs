namespace Coffer.Protocol;

/// <summary>
/// Which dialect a request speaks. A request in <c>x-cos-*</c> headers (or signed with the COS
/// signature) is answered in <c>x-cos-*</c>; one in <c>x-amz-*</c> (or SigV4) in <c>x-amz-*</c>.
/// </summary>
public enum ProtocolFamily
{
    Cos,
    S3,
}

public static class ProtocolFamilyExtensions
{
    /// <summary>"x-cos-" or "x-amz-".</summary>
    public static string Prefix(this ProtocolFamily family) => family == ProtocolFamily.Cos ? "x-cos-" : "x-amz-";

    /// <summary>The header <paramref name="suffix"/> in the family's spelling, e.g. "server-side-encryption" → "x-cos-server-side-encryption".</summary>
    public static string Header(this ProtocolFamily family, string suffix) => family.Prefix() + suffix;
}
