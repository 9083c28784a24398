using Coffer.Crypto.Kms;
using Coffer.Protocol;
using Coffer.Server.Kms;

namespace Coffer.Server.Sse;

/// <summary>
/// Maps KMS failures to the object API's errors (COS KmsKeyNotExist / KmsKeyDisabled, S3 KMS.*) and to KMS API error types.
/// A deleted (crypto-shredded) key is NotFound: its objects answer 400 KMS.NotFoundException (S3) / KmsKeyNotExist (COS),
/// as AWS answers for objects under a deleted key; a key pending deletion answers KMS.KMSInvalidStateException.
/// </summary>
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

    /// <summary>
    /// The refusal of a write (PUT, Copy, Initiate, bucket default encryption) naming a KMS key the caller may not use:
    /// 403 AccessDenied, as S3 answers, with the same code, status and message whether the key is another user's, the
    /// SSE-COS key, deleted, or does not exist at all, so the answer confirms nothing about other users' keys.
    /// </summary>
    public static CofferException KeyNotUsable(string reference) => new(ErrorCode.AccessDenied,
        $"You are not allowed to use the KMS key '{reference}', or it does not exist: name one of your own keys (key id, ARN or one of your aliases), or omit the key id to use your default key.");

    /// <summary>The AWS KMS API's __type for a failure.</summary>
    public static string ApiType(KmsErrorKind kind) => KmsErrorType.For(kind).Type;

    /// <summary>
    /// The error an audit entry records for a failed key use: the KMS API type for KMS refusals (the same
    /// vocabulary whichever API the use came through), else a generic code. Never the exception message.
    /// </summary>
    public static string AuditCode(Exception e) => e switch
    {
        KmsException k => ApiType(k.Kind),
        CofferException c => c.Error.Code,
        OperationCanceledException => "RequestCancelled",
        _ => "InternalError",
    };
}
