using Coffer.Crypto.Kms;
using Coffer.Protocol;

namespace Coffer.Server.Sse;

/// <summary>Maps KMS failures to the object API's errors (COS KmsKeyNotExist / KmsKeyDisabled, S3 KMS.*) and to KMS API error types.</summary>
public static class KmsErrors
{
    public static CofferException ToCoffer(KmsException e) => e.Kind switch
    {
        KmsErrorKind.NotFound => new CofferException(ErrorCode.KmsKeyNotExist, e.Message),
        KmsErrorKind.Disabled => new CofferException(ErrorCode.KmsKeyDisabled, e.Message),
        KmsErrorKind.PendingDeletion or KmsErrorKind.InvalidState => new CofferException(ErrorCode.KmsInvalidState, e.Message),
        KmsErrorKind.AccessDenied => new CofferException(ErrorCode.AccessDenied, e.Message),
        KmsErrorKind.InvalidArgument => new CofferException(ErrorCode.InvalidArgument, e.Message),
        _ => new CofferException(ErrorCode.KmsException, e.Message),
    };

    /// <summary>The AWS KMS API's __type for a failure.</summary>
    public static string ApiType(KmsErrorKind kind) => kind switch
    {
        KmsErrorKind.NotFound => "NotFoundException",
        KmsErrorKind.Disabled => "DisabledException",
        KmsErrorKind.PendingDeletion or KmsErrorKind.InvalidState => "KMSInvalidStateException",
        KmsErrorKind.InvalidCiphertext => "InvalidCiphertextException",
        KmsErrorKind.AccessDenied => "AccessDeniedException",
        _ => "ValidationException",
    };
}
