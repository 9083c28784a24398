namespace Coffer.Sdk;

/// <summary>What every request has: the bucket and any extra headers.</summary>
public abstract class CosRequest
{
    private protected CosRequest()
    {
    }

    /// <summary>The bucket, "BucketName-APPID" on COS (e.g. "examplebucket-1250000000"). Required.</summary>
    public string Bucket { get; set; } = "";

    /// <summary>
    /// Extra headers sent verbatim (not translated between x-cos-* and x-amz-*); x-cos-*,
    /// x-amz-* and the standard content headers are signed.
    /// </summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    internal void ValidateBucket()
    {
        if (string.IsNullOrWhiteSpace(Bucket))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"{GetType().Name}.Bucket is required.");
        }
    }
}

/// <summary>A request about one object.</summary>
public abstract class ObjectRequest : CosRequest
{
    private protected ObjectRequest()
    {
    }

    /// <summary>The object key, e.g. "dir/file.txt" (no leading '/'). Required.</summary>
    public string Key { get; set; } = "";

    internal void ValidateKey()
    {
        ValidateBucket();
        if (string.IsNullOrEmpty(Key))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"{GetType().Name}.Key is required.");
        }
    }
}

/// <summary>
/// A request that may carry an SSE-C customer key: reads (GET, HEAD, restore) and writes of
/// SSE-C objects. Give the key either typed (<see cref="CustomerKey"/>) or as the guide's
/// three raw values (<see cref="SSECustomerAlgorithm"/>, <see cref="SSECustomerKey"/>,
/// <see cref="SSECustomerKeyMD5"/>), not both.
/// </summary>
public abstract class SseCustomerKeyRequest : ObjectRequest
{
    private protected SseCustomerKeyRequest()
    {
    }

    /// <summary>The SSE-C key, e.g. <c>Sse.Customer("00000000000000000000000000000001")</c>.</summary>
    public SseCustomer? CustomerKey { get; set; }

    /// <summary>Raw <c>x-cos-server-side-encryption-customer-algorithm</c>: "AES256".</summary>
    public string? SSECustomerAlgorithm { get; set; }

    /// <summary>Raw <c>x-cos-server-side-encryption-customer-key</c>: base64 of the 32-byte key.</summary>
    public string? SSECustomerKey { get; set; }

    /// <summary>Raw <c>x-cos-server-side-encryption-customer-key-MD5</c>: base64 of the key's MD5 (computed when null).</summary>
    public string? SSECustomerKeyMD5 { get; set; }
}

/// <summary>
/// A request that writes an object and so chooses its encryption: typed with <see cref="Sse"/>
/// (<c>Sse.Cos()</c>, <c>Sse.Kms(keyId, context)</c>, <c>Sse.Customer(key)</c>), or with the
/// guide's raw values (<see cref="ServerSideEncryption"/> "AES256" or "cos/kms",
/// <see cref="SSEKMSKeyId"/>, <see cref="SSEKMSContext"/>, and the SSE-C values).
/// With none of them, the bucket's default encryption applies.
/// </summary>
public abstract class SseWriteRequest : SseCustomerKeyRequest
{
    private protected SseWriteRequest()
    {
    }

    /// <summary>The encryption, typed.</summary>
    public Sse? Sse { get; set; }

    /// <summary>Raw <c>x-cos-server-side-encryption</c>: "AES256" or "SM4" (SSE-COS; SM4 over COS signatures only) or "cos/kms" (SSE-KMS; "aws:kms" is accepted too).</summary>
    public string? ServerSideEncryption { get; set; }

    /// <summary>Raw <c>x-cos-server-side-encryption-cos-kms-key-id</c>: the KMS key id, with <see cref="ServerSideEncryption"/> "cos/kms".</summary>
    public string? SSEKMSKeyId { get; set; }

    /// <summary>Raw <c>x-cos-server-side-encryption-context</c>: base64 of a JSON object of string pairs, with "cos/kms".</summary>
    public string? SSEKMSContext { get; set; }
}

/// <summary>Where a copy reads from, as the Python SDK's <c>CopySource</c> dict: Bucket, Key, Region, optional VersionId and Endpoint.</summary>
/// <param name="Bucket">The source bucket.</param>
/// <param name="Key">The source key.</param>
/// <param name="Region">The source bucket's region; null for the client's.</param>
/// <param name="VersionId">A source version, or null for the current one.</param>
/// <param name="Endpoint">The source endpoint ("cos.ap-beijing.myqcloud.com"); null to derive it from the region.</param>
public sealed record CopySource(string Bucket, string Key, string? Region = null, string? VersionId = null, string? Endpoint = null);

/// <summary>The copy-source settings shared by CopyObject, UploadPartCopy and the Copy transfer.</summary>
internal interface ICopySourceRequest
{
    CopySource? CopySource { get; }
    SseCustomer? CopySourceCustomerKey { get; }
    string? CopySourceSSECustomerAlgorithm { get; }
    string? CopySourceSSECustomerKey { get; }
    string? CopySourceSSECustomerKeyMD5 { get; }
    string? CopySourceIfMatch { get; }
    string? CopySourceIfNoneMatch { get; }
    DateTimeOffset? CopySourceIfModifiedSince { get; }
    DateTimeOffset? CopySourceIfUnmodifiedSince { get; }
}

/// <summary>
/// A request that creates an object and so sets its metadata: content headers, user metadata
/// (<c>x-cos-meta-*</c>), storage class and ACL, besides its encryption.
/// </summary>
public abstract class ObjectWriteRequest : SseWriteRequest
{
    private protected ObjectWriteRequest()
    {
    }

    /// <summary>The Content-Type to store; the server's default (application/octet-stream) when null.</summary>
    public string? ContentType { get; set; }

    /// <summary>The Cache-Control to store.</summary>
    public string? CacheControl { get; set; }

    /// <summary>The Content-Disposition to store.</summary>
    public string? ContentDisposition { get; set; }

    /// <summary>The Content-Encoding to store.</summary>
    public string? ContentEncoding { get; set; }

    /// <summary>The Content-Language to store.</summary>
    public string? ContentLanguage { get; set; }

    /// <summary>The Expires header to store (text, as HTTP dates are).</summary>
    public string? Expires { get; set; }

    /// <summary>User metadata: each entry is sent as <c>x-cos-meta-NAME</c> (S3: <c>x-amz-meta-NAME</c>), RFC 2047-encoded when the value is not printable ASCII.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The storage class, e.g. "STANDARD", "STANDARD_IA", "ARCHIVE", "DEEP_ARCHIVE"; STANDARD when null.</summary>
    public string? StorageClass { get; set; }

    /// <summary>The canned ACL (<c>x-cos-acl</c>), e.g. "private".</summary>
    public string? ACL { get; set; }

    /// <summary>
    /// The object's tags (Python <c>Tagging</c>), sent as <c>x-cos-tagging</c> (S3: <c>x-amz-tagging</c>), at most 10;
    /// none when empty. A multipart upload gives them to the object at completion; a copy uses them only with
    /// the tagging directive "Replaced".
    /// </summary>
    public IList<CosTag> Tagging { get; } = new List<CosTag>();
}
