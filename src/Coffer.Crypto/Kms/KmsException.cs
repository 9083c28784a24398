namespace Coffer.Crypto.Kms;

/// <summary>Why a KMS operation was refused; the server maps each kind to the AWS KMS / COS error code.</summary>
public enum KmsErrorKind
{
    /// <summary>No such key or alias, or the key has been deleted (AWS <c>NotFoundException</c>).</summary>
    NotFound,

    /// <summary>The key is disabled (AWS <c>DisabledException</c>).</summary>
    Disabled,

    /// <summary>The key is scheduled for deletion (AWS <c>KMSInvalidStateException</c>).</summary>
    PendingDeletion,

    /// <summary>The ciphertext is malformed, was tampered with, or the encryption context / binding differs
    /// (AWS <c>InvalidCiphertextException</c>).</summary>
    InvalidCiphertext,

    /// <summary>The operation is not valid in the key's current state (AWS <c>KMSInvalidStateException</c>).</summary>
    InvalidState,

    /// <summary>The caller may not do this to this key, e.g. disable the service key (AWS <c>AccessDeniedException</c>).</summary>
    AccessDenied,

    /// <summary>A parameter is out of range or malformed (AWS <c>ValidationException</c> / <c>InvalidArgument</c>).</summary>
    InvalidArgument,

    /// <summary>The alias already exists (AWS <c>AlreadyExistsException</c>). Added beyond the first API draft.</summary>
    AlreadyExists,

    /// <summary>The operation does not apply to this kind of key, e.g. on-demand rotation of a service-managed key
    /// (AWS <c>UnsupportedOperationException</c>).</summary>
    Unsupported,

    /// <summary>A per-key limit is reached, e.g. ten on-demand rotations (AWS <c>LimitExceededException</c>).</summary>
    LimitExceeded,
}

/// <summary>A KMS operation was refused. The message says what to fix; it never contains key material
/// or encryption-context values.</summary>
public sealed class KmsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KmsException(KmsErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    /// <summary>What went wrong.</summary>
    public KmsErrorKind Kind { get; }
}
