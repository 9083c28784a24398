using Coffer.Protocol;
using Coffer.Server.Pipeline;

namespace Coffer.Server.Objects;

/// <summary>
/// What a CopyObject request asks for (docs/protocol/objects.md#copyobject): the source, whether metadata is
/// copied from it or replaced from the request (COS <c>Copy|Replaced</c>, S3 <c>COPY|REPLACE</c>),
/// and the destination's storage class, which comes from the request and is never inherited.
/// The destination's encryption is parsed separately (<see cref="Sse.SseRequest.ParseForWrite"/>).
/// </summary>
/// <param name="Source">The copy source.</param>
/// <param name="Replacement">The request's content headers and user metadata when the directive is Replaced; null when they are copied.</param>
/// <param name="StorageClass">The destination's class: the request's, STANDARD when it names none.</param>
public sealed record CopyRequest(CopySource Source, ObjectAttributes? Replacement, string StorageClass)
{
    /// <summary>Whether the metadata directive is Replaced (REPLACE).</summary>
    public bool ReplacesMetadata => Replacement is not null;

    /// <summary>Parses the copy headers; <paramref name="domain"/> is the server's base domain (for copy sources in its virtual-hosted form).</summary>
    public static CopyRequest Parse(RequestContext ctx, string? domain)
    {
        var source = CopySource.Parse(ctx.FamilyHeader("copy-source")
            ?? throw new CofferException(ErrorCode.InvalidCopySource, "A copy needs the x-cos-copy-source (x-amz-copy-source) header."),
            domain);
        var directive = ctx.FamilyHeader("metadata-directive");
        var replace = directive?.Trim().ToUpperInvariant() switch
        {
            null or "COPY" => false,
            "REPLACED" or "REPLACE" => true,
            _ => throw new CofferException(ErrorCode.InvalidArgument,
                $"The metadata directive '{directive}' is not valid; use Copy or Replaced (S3: COPY or REPLACE)."),
        };
        var storageClass = StorageClasses.Parse(ctx.FamilyHeader("storage-class"));
        return new CopyRequest(source, replace ? ObjectAttributes.Parse(ctx) : null, storageClass);
    }
}
