namespace Coffer.Storage;

/// <summary>
/// A bucket's CORS configuration (PUT ?cors) as the server validated it: the rules in the order given, the first
/// matching one answering a preflight (docs/protocol/cors.md). Stored in the bucket's row (the <c>cors</c> column) as
/// JSON; the server parses and checks the XML, the store only keeps it.
/// </summary>
/// <param name="Rules">1 to 100 rules.</param>
public sealed record BucketCors(IReadOnlyList<CorsRule> Rules)
{
    public bool Equals(BucketCors? other) => other is not null && Rules.SequenceEqual(other.Rules);

    public override int GetHashCode() => Rules.Count;
}

/// <summary>One CORSRule: which origins may use which methods with which request headers, and what the browser may read.</summary>
/// <param name="Id">The rule's ID; null when none.</param>
/// <param name="AllowedOrigins">Origins, each exact, <c>*</c>, or a pattern with one <c>*</c>; at least one.</param>
/// <param name="AllowedMethods">Among GET, PUT, POST, DELETE, HEAD; at least one.</param>
/// <param name="AllowedHeaders">Request header names a preflight may ask for (case-insensitive; one <c>*</c> each).</param>
/// <param name="ExposeHeaders">Response header names the browser's script may read.</param>
/// <param name="MaxAgeSeconds">How long a browser may cache the preflight's answer; null when unset.</param>
public sealed record CorsRule(
    string? Id,
    IReadOnlyList<string> AllowedOrigins,
    IReadOnlyList<string> AllowedMethods,
    IReadOnlyList<string> AllowedHeaders,
    IReadOnlyList<string> ExposeHeaders,
    int? MaxAgeSeconds)
{
    public bool Equals(CorsRule? other) =>
        other is not null && Id == other.Id && AllowedOrigins.SequenceEqual(other.AllowedOrigins)
        && AllowedMethods.SequenceEqual(other.AllowedMethods) && AllowedHeaders.SequenceEqual(other.AllowedHeaders)
        && ExposeHeaders.SequenceEqual(other.ExposeHeaders) && MaxAgeSeconds == other.MaxAgeSeconds;

    public override int GetHashCode() => HashCode.Combine(Id, AllowedOrigins.Count, MaxAgeSeconds);
}
