namespace Coffer.Sdk;

/// <summary>
/// Error codes a COS, S3 or Coffer server answers with (<see cref="CofferException.Code"/>),
/// spelled as on the wire. The values match <c>Coffer.Protocol.ErrorCode</c>, which the server uses.
/// </summary>
public static class ErrorCodes
{
    /// <summary>400: the Content-MD5 did not match the body.</summary>
    public const string BadDigest = "BadDigest";

    /// <summary>400: a part other than the last is smaller than the minimum part size.</summary>
    public const string EntityTooSmall = "EntityTooSmall";

    /// <summary>400: the body exceeds the maximum size.</summary>
    public const string EntityTooLarge = "EntityTooLarge";

    /// <summary>400: the temporary credentials have expired.</summary>
    public const string ExpiredToken = "ExpiredToken";

    /// <summary>400: an argument (header, query parameter) is not valid.</summary>
    public const string InvalidArgument = "InvalidArgument";

    /// <summary>400: the bucket name is not valid.</summary>
    public const string InvalidBucketName = "InvalidBucketName";

    /// <summary>400: the copy source is not valid.</summary>
    public const string InvalidCopySource = "InvalidCopySource";

    /// <summary>400: the Content-MD5 is not valid.</summary>
    public const string InvalidDigest = "InvalidDigest";

    /// <summary>400: a listed part is missing or its ETag differs.</summary>
    public const string InvalidPart = "InvalidPart";

    /// <summary>400: the parts are not in ascending order.</summary>
    public const string InvalidPartOrder = "InvalidPartOrder";

    /// <summary>400: the request is not valid (e.g. SSE-C over HTTP, missing SSE-C key).</summary>
    public const string InvalidRequest = "InvalidRequest";

    /// <summary>400: the XML body is malformed.</summary>
    public const string MalformedXML = "MalformedXML";

    /// <summary>400: the connection was idle too long; transient.</summary>
    public const string RequestTimeout = "RequestTimeout";

    /// <summary>400 (COS): the object is SSE-C encrypted and the right key headers are missing.</summary>
    public const string SsecDecryptHeaderInvalid = "SsecDecryptHeaderInvalid";

    /// <summary>400 (COS): encryption headers that do not apply to this object.</summary>
    public const string SseHeaderNotAllowed = "SSEHeaderNotAllowed";

    /// <summary>400 (COS): the KMS key does not exist.</summary>
    public const string KmsKeyNotExist = "KmsKeyNotExist";

    /// <summary>400 (COS): the KMS key is disabled.</summary>
    public const string KmsKeyDisabled = "KmsKeyDisabled";

    /// <summary>400 (COS): another KMS failure.</summary>
    public const string KmsException = "KmsException";

    /// <summary>403: access denied (also a wrong SSE-C key, and an expired signature).</summary>
    public const string AccessDenied = "AccessDenied";

    /// <summary>403: the SecretId is unknown.</summary>
    public const string InvalidAccessKeyId = "InvalidAccessKeyId";

    /// <summary>403: the object's storage class does not allow the operation (an archived object not restored).</summary>
    public const string InvalidObjectState = "InvalidObjectState";

    /// <summary>403: the client's clock is too far from the server's.</summary>
    public const string RequestTimeTooSkewed = "RequestTimeTooSkewed";

    /// <summary>403: the signature does not match: check SecretKey.</summary>
    public const string SignatureDoesNotMatch = "SignatureDoesNotMatch";

    /// <summary>404: the bucket does not exist.</summary>
    public const string NoSuchBucket = "NoSuchBucket";

    /// <summary>404: the key does not exist.</summary>
    public const string NoSuchKey = "NoSuchKey";

    /// <summary>404: the multipart upload does not exist.</summary>
    public const string NoSuchUpload = "NoSuchUpload";

    /// <summary>404: the version does not exist.</summary>
    public const string NoSuchVersion = "NoSuchVersion";

    /// <summary>404 (COS): the copy source does not exist.</summary>
    public const string NoSuchCopySource = "NoSuchCopySource";

    /// <summary>404 (COS): the bucket has no default encryption.</summary>
    public const string NoSuchEncryptionConfiguration = "NoSuchEncryptionConfiguration";

    /// <summary>404: the bucket has no tags (GET Bucket tagging).</summary>
    public const string NoSuchTagSet = "NoSuchTagSet";

    /// <summary>404: the bucket has no CORS configuration (GET Bucket cors).</summary>
    public const string NoSuchCORSConfiguration = "NoSuchCORSConfiguration";

    /// <summary>403: no CORS rule allows a preflight (OPTIONS), or the bucket has none.</summary>
    public const string AccessForbidden = "AccessForbidden";

    /// <summary>400: a POST form's policy is not base64 JSON of the documented shape.</summary>
    public const string InvalidPolicyDocument = "InvalidPolicyDocument";

    /// <summary>400: a POST form's body is not well-formed multipart/form-data.</summary>
    public const string MalformedPOSTRequest = "MalformedPOSTRequest";

    /// <summary>404: the bucket has no lifecycle configuration (GET Bucket lifecycle; COS also DELETE).</summary>
    public const string NoSuchLifecycleConfiguration = "NoSuchLifecycleConfiguration";

    /// <summary>404: the bucket has no policy (GET Bucket policy, GET Bucket policyStatus).</summary>
    public const string NoSuchBucketPolicy = "NoSuchBucketPolicy";

    /// <summary>400: the bucket policy is not valid JSON or not a valid policy; the message says which statement and field.</summary>
    public const string MalformedPolicy = "MalformedPolicy";

    /// <summary>400: a tag breaks a rule (key or value length, a character, the aws: prefix, a key given twice).</summary>
    public const string InvalidTag = "InvalidTag";

    /// <summary>400: more tags than allowed (10 per object, 50 per bucket); S3's code for it.</summary>
    public const string BadRequest = "BadRequest";

    /// <summary>404 (S3): the bucket has no default encryption.</summary>
    public const string ServerSideEncryptionConfigurationNotFoundError = "ServerSideEncryptionConfigurationNotFoundError";

    /// <summary>404 without a body (HEAD): the bucket or key does not exist. A client-side code, as the COS Python SDK names it.</summary>
    public const string NoSuchResource = "NoSuchResource";

    /// <summary>405: the method is not allowed on this resource.</summary>
    public const string MethodNotAllowed = "MethodNotAllowed";

    /// <summary>405 (COS): only archived objects can be restored.</summary>
    public const string RestoreNonArchiveObject = "RestoreNonArchiveObject";

    /// <summary>409: the bucket name is taken.</summary>
    public const string BucketAlreadyExists = "BucketAlreadyExists";

    /// <summary>409: you already own the bucket.</summary>
    public const string BucketAlreadyOwnedByYou = "BucketAlreadyOwnedByYou";

    /// <summary>409: the bucket still holds objects.</summary>
    public const string BucketNotEmpty = "BucketNotEmpty";

    /// <summary>409: a restore of the object is already running.</summary>
    public const string RestoreAlreadyInProgress = "RestoreAlreadyInProgress";

    /// <summary>412: a precondition (If-Match…) did not hold.</summary>
    public const string PreconditionFailed = "PreconditionFailed";

    /// <summary>416: the range cannot be satisfied.</summary>
    public const string InvalidRange = "InvalidRange";

    /// <summary>500: the server failed; transient.</summary>
    public const string InternalError = "InternalError";

    /// <summary>501: the server does not implement the request.</summary>
    public const string NotImplemented = "NotImplemented";

    /// <summary>503: the server is unavailable; transient.</summary>
    public const string ServiceUnavailable = "ServiceUnavailable";

    /// <summary>503: throttled; transient.</summary>
    public const string SlowDown = "SlowDown";

    /// <summary>500 (COS): the KMS failed; transient.</summary>
    public const string KmsInternalException = "KmsInternalException";

    /// <summary>503 (COS): the KMS is throttled; transient.</summary>
    public const string KmsFreqControl = "KmsFreqControl";

    /// <summary>Whether <paramref name="code"/> names a condition that may pass on a retry.</summary>
    /// <param name="code">An error code.</param>
    public static bool IsTransient(string? code) => code is SlowDown or InternalError or ServiceUnavailable or RequestTimeout
        or KmsInternalException or KmsFreqControl or "Throttling" or "ThrottlingException";
}
