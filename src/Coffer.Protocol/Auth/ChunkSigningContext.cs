namespace Coffer.Protocol.Auth;

/// <summary>
/// What the aws-chunked signature chain needs: the SigV4 signing key of the request, its seed
/// signature (the <c>Signature=</c> of the Authorization header), its timestamp and its
/// credential scope. The signing key never leaves the assembly and is not shown by
/// <see cref="ToString"/>.
/// </summary>
public sealed class ChunkSigningContext
{
    private readonly byte[] _signingKey;

    internal ChunkSigningContext(byte[] signingKey, string seedSignature, string amzDate, string scope)
    {
        _signingKey = signingKey;
        SeedSignature = seedSignature;
        AmzDate = amzDate;
        Scope = scope;
    }

    /// <summary>The request's signature (lower-case hex), which the first chunk signature chains from.</summary>
    public string SeedSignature { get; }

    /// <summary>The request timestamp in <c>yyyyMMddTHHmmssZ</c> form.</summary>
    public string AmzDate { get; }

    /// <summary>The credential scope, e.g. "20130524/us-east-1/s3/aws4_request".</summary>
    public string Scope { get; }

    internal ReadOnlySpan<byte> SigningKey => _signingKey;

    /// <inheritdoc/>
    public override string ToString() => $"ChunkSigningContext {{ Scope = {Scope}, AmzDate = {AmzDate} }}";
}
