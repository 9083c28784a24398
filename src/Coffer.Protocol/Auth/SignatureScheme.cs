namespace Coffer.Protocol.Auth;

/// <summary>How a request was signed.</summary>
public enum SignatureScheme
{
    /// <summary>COS v5 ("q-sign") signature in the <c>Authorization</c> header.</summary>
    CosV5Header,

    /// <summary>COS v5 signature in the query string (presigned URL).</summary>
    CosV5Query,

    /// <summary>AWS Signature Version 4 in the <c>Authorization</c> header.</summary>
    SigV4Header,

    /// <summary>AWS Signature Version 4 in the query string (presigned URL).</summary>
    SigV4Query,

    /// <summary>AWS Signature Version 2 (<c>AWS key:signature</c>) in the <c>Authorization</c> header.</summary>
    SigV2Header,

    /// <summary>AWS Signature Version 2 in the query string (<c>AWSAccessKeyId</c>, <c>Expires</c>, <c>Signature</c>).</summary>
    SigV2Query,
    /// <summary>A browser POST form signed with SigV4 over its policy (<c>x-amz-signature</c>; docs/protocol/post-object.md).</summary>
    PostFormSigV4,

    /// <summary>A browser POST form signed with SigV2 over its policy (<c>AWSAccessKeyId</c>, <c>signature</c>).</summary>
    PostFormSigV2,

    /// <summary>A COS browser POST form (<c>q-ak</c>, <c>q-key-time</c>, <c>q-signature</c> over the policy).</summary>
    PostFormCos,
}

/// <summary>What the signature says about the request body.</summary>
public enum PayloadKind
{
    /// <summary>COS signature: the body is not covered by the signature.</summary>
    NotSigned,

    /// <summary><c>UNSIGNED-PAYLOAD</c>, SigV4 presigned URLs and SigV2 without x-amz-content-sha256: the body is not covered.</summary>
    Unsigned,

    /// <summary>The hex SHA-256 in <see cref="AuthenticatedIdentity.PayloadSha256"/> was signed: verify the body against it (<see cref="Sha256VerifyingStream"/>).</summary>
    Sha256,

    /// <summary><c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD</c>: aws-chunked body with signed chunks (<see cref="AwsChunkedStream"/>).</summary>
    StreamingSigned,

    /// <summary><c>STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER</c>: signed chunks and a signed trailer.</summary>
    StreamingSignedTrailer,

    /// <summary><c>STREAMING-UNSIGNED-PAYLOAD-TRAILER</c>: aws-chunked body without signatures, with a trailer.</summary>
    StreamingUnsignedTrailer,
}

/// <summary>
/// The verified caller of a request. Only <see cref="RequestAuthenticator"/> creates one from a
/// request.
/// </summary>
/// <param name="AccessKeyId">The access key (COS SecretId) that signed the request.</param>
/// <param name="SecurityToken">The STS token sent with the request (<c>x-cos-security-token</c> / <c>x-amz-security-token</c>, header or query), not yet validated; null if none.</param>
/// <param name="Scheme">How the request was signed.</param>
/// <param name="Payload">What the signature covers of the body.</param>
/// <param name="PayloadSha256">For <see cref="PayloadKind.Sha256"/>: the signed lower-case hex SHA-256 of the body; otherwise null.</param>
/// <param name="Chunking">For signed aws-chunked bodies: what <see cref="AwsChunkedStream"/> needs to check the chunk signatures; otherwise null.</param>
/// <param name="Region">For SigV4: the region of the credential scope; null for COS and SigV2.</param>
public sealed record AuthenticatedIdentity(
    string AccessKeyId,
    string? SecurityToken,
    SignatureScheme Scheme,
    PayloadKind Payload,
    string? PayloadSha256,
    ChunkSigningContext? Chunking,
    string? Region)
{
    /// <summary>Whether the signature travelled in the query string (a presigned URL) rather than the Authorization header.</summary>
    public bool Presigned => Scheme is SignatureScheme.CosV5Query or SignatureScheme.SigV4Query or SignatureScheme.SigV2Query;

    /// <summary>The protocol family the request's signature belongs to.</summary>
    public ProtocolFamily Family => Scheme is SignatureScheme.CosV5Header or SignatureScheme.CosV5Query or SignatureScheme.PostFormCos ? ProtocolFamily.Cos : ProtocolFamily.S3;

    /// <summary>For SigV4: the service of the credential scope ("s3" or "kms"); "s3" for SigV2; null for COS.</summary>
    public string? Service { get; init; }
}
