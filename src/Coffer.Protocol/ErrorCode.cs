namespace Coffer.Protocol;

/// <summary>
/// One error condition of the COS / S3 protocols: its code and HTTP status in each family,
/// and a default message. Where COS and S3 disagree (a different code or status for the same
/// condition) both are kept; the response uses the caller's family.
/// </summary>
public sealed record ErrorCode(string Code, int Status, string DefaultMessage, string? S3Code = null, int? S3Status = null)
{
    public string CodeFor(ProtocolFamily family) => family == ProtocolFamily.S3 ? S3Code ?? Code : Code;
    public int StatusFor(ProtocolFamily family) => family == ProtocolFamily.S3 ? S3Status ?? Status : Status;

    // 400
    public static readonly ErrorCode BadDigest = new("BadDigest", 400, "The Content-MD5 you specified did not match what was received.");
    public static readonly ErrorCode IncompleteBody = new("IncompleteBody", 400, "You did not provide the number of bytes specified by the Content-Length HTTP header.");
    public static readonly ErrorCode EntityTooLarge = new("EntityTooLarge", 400, "Your proposed upload exceeds the maximum allowed object size.");
    public static readonly ErrorCode EntityTooSmall = new("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed object size.");
    public static readonly ErrorCode ExpiredToken = new("ExpiredToken", 400, "The provided token has expired.");
    public static readonly ErrorCode InvalidArgument = new("InvalidArgument", 400, "Invalid argument.");
    public static readonly ErrorCode InvalidBucketName = new("InvalidBucketName", 400, "The specified bucket is not valid.");
    public static readonly ErrorCode InvalidCopySource = new("InvalidCopySource", 400, "The copy source is not valid.");
    public static readonly ErrorCode InvalidDigest = new("InvalidDigest", 400, "The Content-MD5 you specified is not valid.");
    public static readonly ErrorCode InvalidObjectName = new("InvalidObjectName", 400, "The specified object key is not valid.");
    public static readonly ErrorCode InvalidPart = new("InvalidPart", 400, "One or more of the specified parts could not be found.");
    public static readonly ErrorCode InvalidPartNumber = new("InvalidPartNumber", 416, "The requested partnumber is not satisfiable.");
    public static readonly ErrorCode InvalidPartOrder = new("InvalidPartOrder", 400, "The list of parts was not in ascending order.");
    public static readonly ErrorCode InvalidRequest = new("InvalidRequest", 400, "Invalid request.");
    /// <summary>A versioning configuration whose Status is neither Enabled nor Suspended (docs/protocol/versioning.md).</summary>
    public static readonly ErrorCode IllegalVersioningConfiguration = new("IllegalVersioningConfigurationException", 400, "The versioning configuration specified in the request is invalid.");
    public static readonly ErrorCode InvalidTag = new("InvalidTag", 400, "The tag provided was not a valid tag.");
    /// <summary>More tags than an object (10) or a bucket (50) may have: S3 answers this 400 BadRequest, not InvalidTag.</summary>
    public static readonly ErrorCode TooManyTags = new("BadRequest", 400, "The tag set has more tags than allowed.");
    /// <summary>A CORS preflight without Origin or with a bad Access-Control-Request-Method (docs/protocol/cors.md).</summary>
    public static readonly ErrorCode CorsBadRequest = new("BadRequest", 400, "Insufficient information to answer the CORS preflight.");
    /// <summary>A browser POST form's policy that is not base64 JSON of the documented shape (docs/protocol/post-object.md).</summary>
    public static readonly ErrorCode InvalidPolicyDocument = new("InvalidPolicyDocument", 400, "The content of the form does not meet the conditions specified in the policy document.");
    public static readonly ErrorCode MalformedPostRequest = new("MalformedPOSTRequest", 400, "The body of your POST request is not well-formed multipart/form-data.");
    /// <summary>A browser POST with no file or more than one: COS names it, S3 answers InvalidArgument.</summary>
    public static readonly ErrorCode IncorrectNumberOfFiles = new("IncorrectNumberOfFilesInPostRequest", 400, "POST requires exactly one file upload per request.", "InvalidArgument");
    public static readonly ErrorCode InvalidURI = new("InvalidURI", 400, "Couldn't parse the specified URI.");
    public static readonly ErrorCode KeyTooLong = new("KeyTooLongError", 400, "Your key is too long.", "KeyTooLongError");
    public static readonly ErrorCode MetadataTooLarge = new("MetadataTooLarge", 400, "Your metadata headers exceed the maximum allowed metadata size.");
    /// <summary>A bucket policy that is not valid JSON or not a valid policy (docs/protocol/policy.md); the message says where.</summary>
    public static readonly ErrorCode MalformedPolicy = new("MalformedPolicy", 400, "Policies must be valid JSON and the first byte must be '{'");
    public static readonly ErrorCode MalformedXML = new("MalformedXML", 400, "The XML you provided was not well-formed or did not validate against our published schema.");
    public static readonly ErrorCode MissingRequestBody = new("MissingRequestBodyError", 400, "Request body is empty.");
    public static readonly ErrorCode NotSupportedStorageClass = new("NotSupportedStorageClass", 400, "The storage class you specified is not supported.", "InvalidStorageClass");
    public static readonly ErrorCode RequestTimeout = new("RequestTimeout", 400, "Your socket connection to the server was not read from or written to within the timeout period.");
    public static readonly ErrorCode AuthorizationHeaderMalformed = new("AuthorizationHeaderMalformed", 400, "The authorization header is malformed.");
    public static readonly ErrorCode AuthorizationQueryParametersError = new("AuthorizationQueryParametersError", 400, "The authorization query parameters are malformed.");
    public static readonly ErrorCode XAmzContentSHA256Mismatch = new("XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed.");
    public static readonly ErrorCode InvalidChecksum = new("BadDigest", 400, "The checksum you specified did not match what was received.");
    public static readonly ErrorCode RequestHeaderSectionTooLarge = new("RequestHeaderSectionTooLarge", 400, "Your request header section exceeds the maximum allowed size.");
    public static readonly ErrorCode InvalidEncryptionAlgorithm = new("InvalidEncryptionAlgorithmError", 400, "The encryption request you specified is not valid. The valid value is AES256.");
    public static readonly ErrorCode SsecDecryptHeaderInvalid = new("SsecDecryptHeaderInvalid", 400, "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.", "InvalidRequest");
    public static readonly ErrorCode SseHeaderNotAllowed = new("SSEHeaderNotAllowed", 400, "The encryption parameters are not applicable to this object.", "InvalidRequest");
    public static readonly ErrorCode KmsKeyNotExist = new("KmsKeyNotExist", 400, "The specified KMS key does not exist.", "KMS.NotFoundException");
    public static readonly ErrorCode KmsKeyDisabled = new("KmsKeyDisabled", 400, "The specified KMS key is disabled.", "KMS.DisabledException");
    public static readonly ErrorCode KmsInvalidState = new("KmsException", 400, "The KMS key is in a state that does not allow this operation.", "KMS.KMSInvalidStateException");
    public static readonly ErrorCode KmsException = new("KmsException", 400, "The KMS request failed.", "KMS.KMSInvalidStateException");
    public static readonly ErrorCode AccessControlListNotSupported = new("AccessControlListNotSupported", 400, "The bucket does not allow ACLs");
    public static readonly ErrorCode InvalidBucketAclWithObjectOwnership = new("InvalidBucketAclWithObjectOwnership", 400, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting");
    public static readonly ErrorCode MalformedAclError = new("MalformedACLError", 400, "The XML you provided was not well-formed or did not validate against our published schema.");
    public static readonly ErrorCode UnexpectedContent = new("UnexpectedContent", 400, "This request does not support content");
    public static readonly ErrorCode MissingSecurityHeader = new("MissingSecurityHeader", 400, "Your request was missing a required header");

    // 403
    public static readonly ErrorCode AccessDenied = new("AccessDenied", 403, "Access Denied.");
    /// <summary>A CORS preflight that no rule allows (S3 and COS: 403 AccessForbidden, "CORSResponse: …").</summary>
    public static readonly ErrorCode CorsForbidden = new("AccessForbidden", 403, "CORSResponse: This CORS request is not allowed.");
    public static readonly ErrorCode InvalidAccessKeyId = new("InvalidAccessKeyId", 403, "The access key Id you provided does not exist in our records.");
    public static readonly ErrorCode InvalidObjectState = new("InvalidObjectState", 403, "The operation is not valid for the object's storage class.");
    public static readonly ErrorCode RequestTimeTooSkewed = new("RequestTimeTooSkewed", 403, "The difference between the request time and the server's time is too large.");
    public static readonly ErrorCode SignatureDoesNotMatch = new("SignatureDoesNotMatch", 403, "The request signature we calculated does not match the signature you provided. Check your key and signing method.");

    // 404
    public static readonly ErrorCode NoSuchBucket = new("NoSuchBucket", 404, "The specified bucket does not exist.");
    public static readonly ErrorCode NoSuchKey = new("NoSuchKey", 404, "The specified key does not exist.");
    public static readonly ErrorCode NoSuchUpload = new("NoSuchUpload", 404, "The specified multipart upload does not exist.");
    public static readonly ErrorCode NoSuchVersion = new("NoSuchVersion", 404, "The specified version does not exist.");
    public static readonly ErrorCode NoSuchCopySource = new("NoSuchCopySource", 404, "The specified copy source does not exist.", "NoSuchKey");
    public static readonly ErrorCode NoSuchTagSet = new("NoSuchTagSet", 404, "The TagSet does not exist.");
    public static readonly ErrorCode NoSuchBucketPolicy = new("NoSuchBucketPolicy", 404, "The bucket policy does not exist");
    public static readonly ErrorCode NoSuchCorsConfiguration = new("NoSuchCORSConfiguration", 404, "The CORS configuration does not exist.");
    public static readonly ErrorCode NoSuchLifecycleConfiguration = new("NoSuchLifecycleConfiguration", 404, "The lifecycle configuration does not exist.");
    public static readonly ErrorCode OwnershipControlsNotFound = new("OwnershipControlsNotFoundError", 404, "The bucket ownership controls were not found.");
    public static readonly ErrorCode NoSuchPublicAccessBlockConfiguration = new("NoSuchPublicAccessBlockConfiguration", 404, "The public access block configuration was not found");
    public static readonly ErrorCode NoSuchEncryptionConfiguration = new("NoSuchEncryptionConfiguration", 404, "The server side encryption configuration was not found.", "ServerSideEncryptionConfigurationNotFoundError");

    // other 4xx
    public static readonly ErrorCode MethodNotAllowed = new("MethodNotAllowed", 405, "The specified method is not allowed against this resource.");
    public static readonly ErrorCode RestoreNonArchiveObject = new("RestoreNonArchiveObject", 405, "Non-ARCHIVED objects cannot be restored.", "InvalidObjectState", 403);
    public static readonly ErrorCode BucketAlreadyExists = new("BucketAlreadyExists", 409, "The requested bucket name is not available. Select a different name and try again.");
    public static readonly ErrorCode BucketAlreadyOwnedByYou = new("BucketAlreadyOwnedByYou", 409, "The bucket you tried to create already exists, and you own it.");
    public static readonly ErrorCode BucketNotEmpty = new("BucketNotEmpty", 409, "The bucket you tried to delete is not empty.");
    public static readonly ErrorCode RestoreAlreadyInProgress = new("RestoreAlreadyInProgress", 409, "Object restore is already in progress.");
    public static readonly ErrorCode MissingContentLength = new("MissingContentLength", 411, "You must provide the Content-Length HTTP header.");
    public static readonly ErrorCode PreconditionFailed = new("PreconditionFailed", 412, "At least one of the preconditions you specified did not hold.");
    public static readonly ErrorCode InvalidRange = new("InvalidRange", 416, "The requested range is not satisfiable.");

    // 5xx
    public static readonly ErrorCode InternalError = new("InternalError", 500, "We encountered an internal error. Please try again.");
    public static readonly ErrorCode NotImplemented = new("NotImplemented", 501, "A header or query you provided implies functionality that is not implemented.");
    public static readonly ErrorCode ServiceUnavailable = new("ServiceUnavailable", 503, "Service is unable to handle request.");
    public static readonly ErrorCode SlowDown = new("SlowDown", 503, "Please reduce your request rate.");
}
