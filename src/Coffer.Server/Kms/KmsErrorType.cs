using Coffer.Crypto.Kms;
using Coffer.Protocol;

namespace Coffer.Server.Kms;

/// <summary>
/// One error of the KMS API (AWS KMS's JSON protocol): the type an SDK reads from <c>__type</c> and the
/// <c>x-amzn-ErrorType</c> header, and its HTTP status. The KMS API's counterpart of <see cref="ErrorCode"/>:
/// every refusal it answers is one of these, never a string made up at the call site.
/// </summary>
public sealed record KmsErrorType(string Type, int Status = 400)
{
    // The request itself
    public static readonly KmsErrorType Serialization = new("SerializationException");
    public static readonly KmsErrorType Validation = new("ValidationException");
    public static readonly KmsErrorType UnsupportedOperation = new("UnsupportedOperationException");
    public static readonly KmsErrorType InvalidAliasName = new("InvalidAliasNameException");
    public static readonly KmsErrorType InvalidMarker = new("InvalidMarkerException");

    // Keys and ciphertexts
    public static readonly KmsErrorType NotFound = new("NotFoundException");
    public static readonly KmsErrorType Disabled = new("DisabledException");
    public static readonly KmsErrorType InvalidState = new("KMSInvalidStateException");
    public static readonly KmsErrorType InvalidCiphertext = new("InvalidCiphertextException");
    public static readonly KmsErrorType IncorrectKey = new("IncorrectKeyException");
    public static readonly KmsErrorType AlreadyExists = new("AlreadyExistsException");
    public static readonly KmsErrorType LimitExceeded = new("LimitExceededException");

    // Who is asking
    public static readonly KmsErrorType AccessDenied = new("AccessDeniedException");
    public static readonly KmsErrorType InvalidSignature = new("InvalidSignatureException");
    public static readonly KmsErrorType UnrecognizedClient = new("UnrecognizedClientException");
    public static readonly KmsErrorType ExpiredToken = new("ExpiredTokenException");
    public static readonly KmsErrorType IncompleteSignature = new("IncompleteSignatureException");
    public static readonly KmsErrorType Throttling = new("ThrottlingException");

    // The server
    public static readonly KmsErrorType Internal = new("KMSInternalException", 500);

    /// <summary>The error for a refusal of the KMS itself.</summary>
    public static KmsErrorType For(KmsErrorKind kind) => kind switch
    {
        KmsErrorKind.NotFound => NotFound,
        KmsErrorKind.Disabled => Disabled,
        KmsErrorKind.PendingDeletion or KmsErrorKind.InvalidState => InvalidState,
        KmsErrorKind.InvalidCiphertext => InvalidCiphertext,
        KmsErrorKind.AccessDenied => AccessDenied,
        KmsErrorKind.AlreadyExists => AlreadyExists,
        KmsErrorKind.Unsupported => UnsupportedOperation,
        KmsErrorKind.LimitExceeded => LimitExceeded,
        _ => Validation,
    };

    /// <summary>
    /// The error for a refusal found before a KMS call reached its handler (authentication, limits), which the
    /// pipeline names with the object API's <see cref="ErrorCode"/>s, as AWS KMS names them.
    /// </summary>
    public static KmsErrorType For(ErrorCode error) => error.Code switch
    {
        "SignatureDoesNotMatch" or "RequestTimeTooSkewed" => InvalidSignature,
        "InvalidAccessKeyId" => UnrecognizedClient,
        "ExpiredToken" => ExpiredToken,
        "AccessDenied" => AccessDenied,
        "AuthorizationHeaderMalformed" or "AuthorizationQueryParametersError" => IncompleteSignature,
        "SlowDown" => Throttling,
        _ when error.Status >= 500 => Internal,
        _ => Validation,
    };
}

/// <summary>A KMS API call refused with <paramref name="error"/>; the message says what to fix.</summary>
public sealed class KmsApiException(KmsErrorType error, string message) : Exception(message)
{
    public KmsErrorType Error { get; } = error;
}
