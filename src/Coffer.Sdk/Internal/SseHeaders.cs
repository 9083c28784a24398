using System.Globalization;
using System.Security.Cryptography;

namespace Coffer.Sdk.Internal;

/// <summary>The encryption a request asked for, from its typed or raw SSE settings.</summary>
/// <param name="Algorithm">The x-cos-server-side-encryption value ("AES256", "SM4", "cos/kms", or whatever raw value was given), or null.</param>
/// <param name="KmsKeyId">The KMS key id, or null.</param>
/// <param name="KmsContext">The base64 context, or null.</param>
/// <param name="Customer">The SSE-C key, or null.</param>
internal sealed record SseSpec(string? Algorithm, string? KmsKeyId, string? KmsContext, SseCustomer? Customer)
{
    public static readonly SseSpec None = new(null, null, null, null);

    /// <summary>A description for checkpoints: mode, key id, context and the SSE-C key's MD5 (never the key).</summary>
    public string Fingerprint => $"{Algorithm}|{KmsKeyId}|{KmsContext}|{Customer?.Algorithm}|{Customer?.KeyMd5}";

    /// <summary>Whether part ETags are opaque (SSE-KMS, SSE-C), so resume cannot compare them with a local MD5 (SSE-COS, AES256 or SM4, keeps MD5 ETags).</summary>
    public bool OpaqueETags => Customer is not null || (Algorithm is not null && Algorithm is not ("AES256" or "SM4"));
}

/// <summary>Resolves SSE settings and writes their headers (in the x-cos-* family; the builder translates for SigV4).</summary>
internal static class SseHeaders
{
    private const string Prefix = "x-cos-server-side-encryption";

    public static SseCustomer? Customer(SseCustomerKeyRequest r, SseCustomer? typedAlternative = null) =>
        ResolveCustomer(r.CustomerKey ?? typedAlternative, r.SSECustomerAlgorithm, r.SSECustomerKey, r.SSECustomerKeyMD5, "SSECustomer");

    public static SseSpec ForWrite(SseWriteRequest r)
    {
        var customer = ResolveCustomer(r.CustomerKey, r.SSECustomerAlgorithm, r.SSECustomerKey, r.SSECustomerKeyMD5, "SSECustomer");
        SseSpec? typed = r.Sse switch
        {
            null => null,
            SseCos c => new SseSpec(c.Algorithm, null, null, null),
            SseKms k => new SseSpec("cos/kms", k.KeyId, k.ContextBase64, null),
            SseCustomer c => new SseSpec(null, null, null, c),
            _ => throw new CosClientException(CosClientErrorKind.InvalidArgument, "Unknown Sse type."),
        };

        SseSpec? raw = null;
        if (r.ServerSideEncryption is not null || r.SSEKMSKeyId is not null || r.SSEKMSContext is not null)
        {
            string? algorithm = r.ServerSideEncryption switch
            {
                null => throw new CosClientException(CosClientErrorKind.InvalidArgument, "SSEKMSKeyId and SSEKMSContext need ServerSideEncryption = \"cos/kms\"."),
                "KMS" or "aws:kms" => "cos/kms",
                var v => v,
            };
            raw = new SseSpec(algorithm, r.SSEKMSKeyId, r.SSEKMSContext, null);
        }

        if (typed is not null && raw is not null)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "Set either Sse or ServerSideEncryption/SSEKMSKeyId/SSEKMSContext, not both.");
        }

        var spec = typed ?? raw;
        if (customer is not null)
        {
            if (spec?.Customer is { } other && !other.SameKey(customer))
            {
                throw new CosClientException(CosClientErrorKind.InvalidArgument, "Sse and CustomerKey/SSECustomer* name different SSE-C keys.");
            }

            if (spec?.Algorithm is not null)
            {
                throw new CosClientException(CosClientErrorKind.InvalidArgument, "SSE-C cannot be combined with SSE-COS or SSE-KMS; choose one.");
            }

            return new SseSpec(null, null, null, customer);
        }

        return spec ?? SseSpec.None;
    }

    public static void AddWrite(OperationRequest op, SseSpec spec)
    {
        op.AddHeader(Prefix, spec.Algorithm);
        op.AddHeader(Prefix + "-cos-kms-key-id", spec.KmsKeyId);
        op.AddHeader(Prefix + "-context", spec.KmsContext);
        AddCustomer(op, spec.Customer);
    }

    public static void AddCustomer(OperationRequest op, SseCustomer? key, string prefix = Prefix)
    {
        if (key is null)
        {
            return;
        }

        op.AddHeader(prefix + "-customer-algorithm", key.Algorithm);
        op.AddHeader(prefix + "-customer-key", key.KeyBase64);
        op.AddHeader(prefix + "-customer-key-MD5", key.KeyMd5);
    }

    public static void AddCopySource(OperationRequest op, ICopySourceRequest r, Endpoint endpoint, bool s3)
    {
        var source = r.CopySource ?? throw new CosClientException(CosClientErrorKind.InvalidArgument, "CopySource is required.");
        if (string.IsNullOrEmpty(source.Bucket) || string.IsNullOrEmpty(source.Key))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "CopySource needs a Bucket and a Key.");
        }

        op.AddHeader("x-cos-copy-source", CopySourceValue(source, endpoint, s3));
        AddCustomer(op, CopySourceCustomer(r), "x-cos-copy-source-server-side-encryption");
        op.AddHeader("x-cos-copy-source-If-Match", r.CopySourceIfMatch);
        op.AddHeader("x-cos-copy-source-If-None-Match", r.CopySourceIfNoneMatch);
        op.AddHeader("x-cos-copy-source-If-Modified-Since", r.CopySourceIfModifiedSince?.ToString("R", CultureInfo.InvariantCulture));
        op.AddHeader("x-cos-copy-source-If-Unmodified-Since", r.CopySourceIfUnmodifiedSince?.ToString("R", CultureInfo.InvariantCulture));
    }

    public static SseCustomer? CopySourceCustomer(ICopySourceRequest r) =>
        ResolveCustomer(r.CopySourceCustomerKey, r.CopySourceSSECustomerAlgorithm, r.CopySourceSSECustomerKey, r.CopySourceSSECustomerKeyMD5, "CopySourceSSECustomer");

    /// <summary>
    /// The copy-source header: COS form "bucket.cos.region.myqcloud.com/key" (as the Python SDK
    /// builds it) for COS v5; S3 form "/bucket/key" for SigV4.
    /// </summary>
    public static string CopySourceValue(CopySource source, Endpoint endpoint, bool s3)
    {
        string key = UriEncoder.EncodeKey(source.Key);
        string value = s3 ? "/" + UriEncoder.Encode(source.Bucket) + "/" + key : endpoint.CopySourceHost(source.Bucket, source.Region, source.Endpoint) + "/" + key;
        return source.VersionId is null ? value : value + "?versionId=" + UriEncoder.Encode(source.VersionId);
    }

    private static SseCustomer? ResolveCustomer(SseCustomer? typed, string? algorithm, string? key, string? md5, string names)
    {
        if (algorithm is null && key is null && md5 is null)
        {
            return typed;
        }

        if (typed is not null)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"Give the SSE-C key either typed or as {names}Algorithm/Key/KeyMD5, not both.");
        }

        if (key is null)
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, $"{names}Key is required with {names}Algorithm / {names}KeyMD5.");
        }

        if (md5 is null)
        {
            var bytes = new byte[48];
            if (!Convert.TryFromBase64String(key, bytes, out int n))
            {
                throw new CosClientException(CosClientErrorKind.InvalidArgument, $"{names}Key is not valid base64.");
            }

            md5 = Convert.ToBase64String(MD5.HashData(bytes.AsSpan(0, n)));
            CryptographicOperations.ZeroMemory(bytes);
        }

        return new SseCustomer(key, md5, algorithm ?? "AES256");
    }
}
