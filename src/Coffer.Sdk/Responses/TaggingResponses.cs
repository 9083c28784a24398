namespace Coffer.Sdk;

/// <summary>
/// One tag of an object or a bucket. Keys have 1–128 and values 0–256 Unicode characters, made of letters,
/// digits, spaces and <c>+ - = . _ : /</c> (S3 also <c>@</c>); keys are case-sensitive and unique in a set; an
/// object has at most 10 tags, a bucket 50. The server checks these and answers 400 InvalidTag / BadRequest.
/// </summary>
/// <param name="Key">The tag key.</param>
/// <param name="Value">The tag value (may be empty).</param>
public sealed record CosTag(string Key, string Value);

/// <summary>The answer to GET Object tagging and GET Bucket tagging: the tag set, in the order the server keeps it.</summary>
public sealed class GetTaggingResponse : CosResponse
{
    /// <summary>The tags; empty for an object without tags (a bucket without tags answers 404 NoSuchTagSet instead).</summary>
    public IReadOnlyList<CosTag> TagSet { get; internal set; } = [];
}
