using System.Globalization;
using Coffer.Protocol;
using Coffer.Protocol.Auth;
using Coffer.Protocol.Checksums;
using Coffer.Server.Pipeline;

namespace Coffer.Server.Objects;

/// <summary>
/// The payload of a request as the handler should read it: aws-chunked frames removed and
/// their signatures checked, a signed SHA-256 verified at the end, the declared length known,
/// and the S3 checksum (header or trailer) the client asked us to verify.
/// </summary>
public sealed class RequestBody
{
    private RequestBody(Stream stream, long? length, AwsChunkedStream? chunked, ChecksumAlgorithm? checksum, string? checksumValue)
    {
        Stream = stream;
        Length = length;
        _chunked = chunked;
        Checksum = checksum;
        _checksumHeaderValue = checksumValue;
    }

    private readonly AwsChunkedStream? _chunked;
    private readonly string? _checksumHeaderValue;

    public Stream Stream { get; }

    /// <summary>Plaintext length the client declared (Content-Length or x-amz-decoded-content-length); null for chunked transfer without one.</summary>
    public long? Length { get; }

    /// <summary>The S3 checksum algorithm to compute and verify, if the client sent one.</summary>
    public ChecksumAlgorithm? Checksum { get; }

    /// <summary>The checksum value the client sent (header, or trailer once the body was read).</summary>
    public string? ExpectedChecksum =>
        _checksumHeaderValue ?? (Checksum is { } a && _chunked is not null && _chunked.Trailers.TryGetValue(ChecksumHasher.HeaderName(a), out var v) ? v : null);

    public static RequestBody Open(RequestContext ctx)
    {
        var request = ctx.Request;
        Stream stream = request.Body;
        long? length = request.ContentLength;
        AwsChunkedStream? chunked = null;

        if (ctx.Identity is not { } identity)
        {
            // An anonymous write (a bucket whose policy or ACL lets everyone write): no signature covers the body, so there is no
            // aws-chunked framing to verify; a declared SHA-256 is still checked.
            var declared = ctx.Header("x-amz-content-sha256");
            if (declared is not null && declared.StartsWith("STREAMING-", StringComparison.Ordinal))
                throw new CofferException(ErrorCode.InvalidRequest, "An unsigned request cannot send an aws-chunked body: send the plain body with a Content-Length.");
            if (declared is { Length: 64 } && declared.All(char.IsAsciiHexDigit))
                stream = new Sha256VerifyingStream(stream, declared.ToLowerInvariant());
        }
        else
        {
            switch (identity.Payload)
            {
                case PayloadKind.StreamingSigned or PayloadKind.StreamingSignedTrailer or PayloadKind.StreamingUnsignedTrailer:
                    var decoded = ctx.Header("x-amz-decoded-content-length");
                    long decodedLength = -1;
                    if (decoded is not null && !long.TryParse(decoded, NumberStyles.None, CultureInfo.InvariantCulture, out decodedLength))
                        throw new CofferException(ErrorCode.InvalidArgument, $"x-amz-decoded-content-length must be a whole number; got '{decoded}'.");
                    if (decoded is null && identity.Payload == PayloadKind.StreamingSigned)
                        throw new CofferException(ErrorCode.MissingContentLength, "An aws-chunked upload must declare x-amz-decoded-content-length.");
                    chunked = new AwsChunkedStream(stream, identity, decodedLength);
                    stream = chunked;
                    length = decodedLength >= 0 ? decodedLength : null;
                    break;
                case PayloadKind.Sha256:
                    stream = new Sha256VerifyingStream(stream, identity.PayloadSha256!);
                    break;
            }
        }

        if (length is null && !request.Headers.TransferEncoding.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase) && chunked is null)
            throw new CofferException(ErrorCode.MissingContentLength, "Send a Content-Length header (or a chunked body) with the object data.");

        // x-amz-checksum-ALG as a header, or announced in x-amz-trailer and sent as a trailer.
        ChecksumAlgorithm? algorithm = null;
        string? value = null;
        foreach (var a in Enum.GetValues<ChecksumAlgorithm>())
        {
            var header = ctx.Header(ChecksumHasher.HeaderName(a));
            if (header is not null)
            {
                algorithm = a;
                value = header;
                break;
            }
        }
        var trailer = ctx.Header("x-amz-trailer");
        if (algorithm is null && trailer is not null)
        {
            var name = trailer.Trim().ToLowerInvariant();
            foreach (var a in Enum.GetValues<ChecksumAlgorithm>())
                if (ChecksumHasher.HeaderName(a) == name)
                    algorithm = a;
            if (algorithm is null)
                throw new CofferException(ErrorCode.InvalidArgument, $"The trailer '{trailer}' is not a checksum this server knows (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256).");
        }
        return new RequestBody(stream, length, chunked, algorithm, value);
    }
}
