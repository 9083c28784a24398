using System.Security.Cryptography;
using System.Text;
using Coffer.Crypto;
using Coffer.Crypto.Kms;
using Coffer.Protocol;
using Coffer.Server.Audit;
using Coffer.Server.Pipeline;
using Coffer.Server.Telemetry;
using Coffer.Storage;

namespace Coffer.Server.Sse;

/// <summary>An object key ready for writing, and what to store so it can be recovered.</summary>
public sealed record SealedWrite(ObjectKey? Key, ObjectEncryption Encryption) : IDisposable
{
    public void Dispose() => Key?.Dispose();
}

/// <summary>
/// The SSE policy: which mode a write gets (request headers, else the bucket default), how
/// its object key is sealed (KMS envelope for SSE-COS and SSE-KMS, the customer key for
/// SSE-C), how it is recovered on read, and which headers the response carries.
/// </summary>
public static class SseService
{
    public const string ModeCos = "SSE-COS";
    public const string ModeKms = "SSE-KMS";
    public const string ModeCustomer = "SSE-C";

    /// <summary>The bucket default algorithm of SSE-COS with SM4 (COS <c>SSEAlgorithm SM4</c>).</summary>
    public const string BucketSm4 = "SM4";
    /// <summary>The bucket default algorithm of SSE-KMS with SM4 data (COS <c>SSEAlgorithm KMS</c>, <c>KMSAlgorithm SM4</c>).</summary>
    public const string BucketKmsSm4 = "KMS/SM4";

    /// <summary>The mode a new object gets: the request's SSE headers, else the bucket default, else none.</summary>
    public static SseMode ModeOf(SseRequest request, BucketEncryption? bucketDefault) =>
        request.Mode != SseMode.None || bucketDefault is null ? request.Mode
        : bucketDefault.Algorithm is "AES256" or BucketSm4 ? SseMode.Cos : SseMode.Kms;

    /// <summary>The data cipher a new object gets, from the same source as its mode (<see cref="ModeOf"/>).</summary>
    public static StreamCipher CipherOf(SseRequest request, BucketEncryption? bucketDefault) =>
        request.Mode != SseMode.None || bucketDefault is null ? request.Cipher
        : bucketDefault.Algorithm is BucketSm4 or BucketKmsSm4 ? StreamCipher.Sm4Gcm : StreamCipher.Aes256Gcm;

    /// <summary>
    /// Decides the mode of a new object and creates its sealed key. With <paramref name="reuse"/>
    /// (a copy whose source is encrypted), that object key is sealed for the new object instead of
    /// a fresh one, so the copy shares the source's ciphertext: re-wrap, never re-encrypt. The
    /// result always holds its own copy of the key.
    /// </summary>
    public static async Task<SealedWrite> SealNewAsync(CofferServices s, RequestContext ctx, SseRequest request, string bucket, string key, BucketEncryption? bucketDefault,
        ObjectKey? reuse = null)
    {
        var mode = ModeOf(request, bucketDefault);
        var cipher = CipherOf(request, bucketDefault);
        var keyId = request.Mode == SseMode.None ? bucketDefault?.KmsKeyId : request.KmsKeyId;

        switch (mode)
        {
            case SseMode.None:
                return new SealedWrite(null, ObjectEncryption.None);

            case SseMode.Customer:
                {
                    var objectKey = reuse is null ? ObjectKey.Generate() : ObjectKey.FromBytes(reuse.Bytes);
                    var sealedKey = CustomerKeySealing.Seal(objectKey, request.Customer!.Bytes, new KeyBinding(bucket, key, ModeCustomer));
                    return new SealedWrite(objectKey, new ObjectEncryption(SseMode.Customer, sealedKey));
                }

            case SseMode.Cos:
                {
                    using var span = CofferTracing.Source.StartActivity("coffer.kms.seal")?.SetTag("coffer.sse", "sse-cos");
                    var context = KmsContext(bucket, null);
                    var audit = AuditEntry(ctx, "SseWrap", ModeCos, bucket, key, context);
                    string keyRef = KeyManager.ServiceKeyAlias;
                    try
                    {
                        var serviceKey = await s.Kms.GetOrCreateServiceKeyAsync(ctx.Aborted);
                        keyRef = serviceKey.KeyId;
                        var binding = new KeyBinding(bucket, key, ModeCos);
                        var sealedKey = reuse is null
                            ? await s.Envelope.SealNewAsync(serviceKey.KeyId, context, binding, ctx.Aborted)
                            : await s.Envelope.ResealAsync(reuse, serviceKey.KeyId, context, binding, ctx.Aborted);
                        s.Audit.Write(audit with { KeyId = sealedKey.KeyId, KeyVersion = sealedKey.KeyVersion, Cached = sealedKey.BucketKeyCached });
                        return new SealedWrite(sealedKey.Key, new ObjectEncryption(SseMode.Cos, sealedKey.SealedKey, sealedKey.KeyId) { Cipher = cipher });
                    }
                    catch (Exception e) when (CofferTracing.Fail(span, e) || AuditFailure(s.Audit, audit, keyRef, e))
                    {
                        throw; // not reached: the filter records the failure and lets the exception pass
                    }
                }

            default:
                {
                    using var span = CofferTracing.Source.StartActivity("coffer.kms.seal")?.SetTag("coffer.sse", "sse-kms");
                    var context = KmsContext(bucket, request.Mode == SseMode.Kms ? request.Context : null);
                    // A write is sealed under a key the writer may use; an anonymous writer (let in by a bucket policy or an
                    // AllUsers WRITE grant) has none and never reaches the KMS: no SSE-KMS, asked for or by the bucket default.
                    var writer = ctx.User ?? throw new CofferException(ErrorCode.AccessDenied,
                        "Access Denied: an anonymous write cannot use SSE-KMS (asked for, or the bucket's default encryption); sign the request, or write with SSE-COS (AES256) to a bucket whose default is not SSE-KMS.");
                    var audit = AuditEntry(ctx, "SseWrap", ModeKms, bucket, key, context);
                    string keyRef = keyId ?? KeyManager.DefaultKeyAlias(writer.Name);
                    try
                    {
                        // Only a key the writer may use: the writer's own (its default, or one it names). For the owner these are
                        // the bucket owner's keys, and a bucket default naming a key the owner can no longer use is refused here,
                        // at every write; another user let in by a policy can never seal with the owner's key.
                        var cmk = keyId is null
                            ? (await s.Kms.GetOrCreateDefaultKeyAsync(writer.Id, writer.Name, ctx.Aborted)).KeyId
                            : (await OwnKeyAsync(s, ctx, keyId)).KeyId;
                        keyRef = cmk;
                        var contextBase64 = request.Mode == SseMode.Kms ? request.ContextBase64 : null;
                        var binding = new KeyBinding(bucket, key, ModeKms);
                        var sealedKey = reuse is null
                            ? await s.Envelope.SealNewAsync(cmk, context, binding, ctx.Aborted)
                            : await s.Envelope.ResealAsync(reuse, cmk, context, binding, ctx.Aborted);
                        s.Audit.Write(audit with { KeyId = sealedKey.KeyId, KeyVersion = sealedKey.KeyVersion, Cached = sealedKey.BucketKeyCached });
                        return new SealedWrite(sealedKey.Key, new ObjectEncryption(SseMode.Kms, sealedKey.SealedKey, sealedKey.KeyId, contextBase64) { Cipher = cipher });
                    }
                    catch (Exception e) when (CofferTracing.Fail(span, e) || AuditFailure(s.Audit, audit, keyRef, e))
                    {
                        throw; // not reached, as above
                    }
                }
        }
    }

    /// <summary>
    /// The caller's own KMS key a write names (key id, ARN or one of the caller's aliases), in any state but deleted
    /// (sealing checks the state). Anything else is <see cref="KmsErrors.KeyNotUsable"/>: 403 AccessDenied, the same
    /// for another user's key, the SSE-COS key and a key that does not exist.
    /// </summary>
    public static async Task<KmsKeyRecord> OwnKeyAsync(CofferServices s, RequestContext ctx, string reference)
    {
        try
        {
            var caller = ctx.User ?? throw KmsErrors.KeyNotUsable(reference);
            return await s.Kms.DescribeOwnKeyForUseAsync(caller.Id, reference, ctx.Aborted);
        }
        catch (KmsException e) when (e.Kind == KmsErrorKind.NotFound)
        {
            throw KmsErrors.KeyNotUsable(reference);
        }
    }

    /// <summary>
    /// Recovers the object key of a stored object for reading. SSE-C objects need the
    /// customer key (wrong key: AccessDenied); other objects refuse SSE-C headers. KMS-backed
    /// modes are recorded in the KMS audit log as <c>SseUnwrap</c>, with <c>cached</c> when the
    /// bucket key needed no KMS call; <paramref name="caller"/> names who asked (null: unknown).
    /// </summary>
    public static async Task<ObjectKey?> OpenAsync(CofferServices s, ObjectRecord obj, CustomerKey? customer, CancellationToken ct, bool copySource = false,
        RequestContext? caller = null)
    {
        var enc = obj.Encryption;
        if (enc.Mode != SseMode.Customer && customer is not null)
            throw new CofferException(ErrorCode.SseHeaderNotAllowed, copySource
                ? "The copy source is not encrypted with a customer-provided key; do not send the copy-source customer key headers."
                : "The object is not encrypted with a customer-provided key; do not send the customer key headers.");
        switch (enc.Mode)
        {
            case SseMode.None:
                return null;
            case SseMode.Customer:
                if (customer is null)
                    throw new CofferException(ErrorCode.SsecDecryptHeaderInvalid, copySource
                        ? "The copy source is encrypted with a customer-provided key: send the copy-source customer algorithm, key and key MD5 headers."
                        : "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object: send the customer algorithm, key and key MD5 headers.");
                return CustomerKeySealing.TryUnseal(enc.SealedKey, customer.Bytes, new KeyBinding(obj.Bucket, obj.Key, ModeCustomer))
                    ?? throw new CofferException(ErrorCode.AccessDenied, "The customer-provided key does not open this object; send the key it was written with.");
            default:
                return await OpenKmsSealedAsync(s.Envelope, s.Audit, obj, caller, ct);
        }
    }

    /// <summary>
    /// Recovers the object key of a stored SSE-COS or SSE-KMS object through the KMS (audited as <c>SseUnwrap</c>,
    /// <paramref name="caller"/> naming who asked; null: the server itself, e.g. a deep scrub).
    /// </summary>
    public static async Task<ObjectKey> OpenKmsSealedAsync(KmsEnvelope envelope, KmsAuditLog auditLog, ObjectRecord obj, RequestContext? caller, CancellationToken ct)
    {
        var enc = obj.Encryption;
        if (enc.Mode is not (SseMode.Cos or SseMode.Kms))
            throw new ArgumentException($"The object is not sealed through the KMS (mode {enc.Mode}).", nameof(obj));
        var mode = enc.Mode == SseMode.Cos ? ModeCos : ModeKms;
        using var span = CofferTracing.Source.StartActivity("coffer.kms.unseal")?.SetTag("coffer.sse", enc.Mode == SseMode.Cos ? "sse-cos" : "sse-kms");
        var clientContext = enc.Mode == SseMode.Kms && enc.KmsContext is not null ? SseRequest.ParseContext(enc.KmsContext) : null;
        var context = KmsContext(obj.Bucket, clientContext);
        var audit = AuditEntry(caller, "SseUnwrap", mode, obj.Bucket, obj.Key, context);
        try
        {
            var opened = await envelope.UnsealWithDetailsAsync(enc.SealedKey, context, new KeyBinding(obj.Bucket, obj.Key, mode), ct);
            auditLog.Write(audit with { KeyId = opened.KeyId, KeyVersion = opened.KeyVersion, Cached = opened.BucketKeyCached });
            return opened.Key;
        }
        catch (Exception e) when (CofferTracing.Fail(span, e) || AuditFailure(auditLog, audit, enc.KmsKeyId, e))
        {
            throw; // not reached: the filter records the failure and lets the exception pass
        }
    }

    /// <summary>
    /// The ETag of a single-stream object: the plaintext MD5 for plain and SSE-COS objects (as
    /// COS and S3 answer), an opaque keyed value for SSE-KMS and SSE-C that reveals nothing about
    /// the content (docs/protocol/sse.md#etag-and-crc-under-sse).
    /// </summary>
    public static string ETag(SseMode mode, ObjectKey? key, ReadOnlySpan<byte> md5)
    {
        if (mode is SseMode.None or SseMode.Cos || key is null)
            return Convert.ToHexStringLower(md5);
        Span<byte> mac = stackalloc byte[32];
        var input = new byte[md5.Length + 5];
        Encoding.ASCII.GetBytes("etag:", input);
        md5.CopyTo(input.AsSpan(5));
        HMACSHA256.HashData(key.Bytes, input, mac);
        return Convert.ToHexStringLower(mac[..16]);
    }

    /// <summary>Writes the SSE response headers of a stored object in the caller's family.</summary>
    public static void WriteHeaders(RequestContext ctx, ObjectEncryption enc, string? customerKeyMd5)
    {
        ctx.Sse = enc.Mode;
        switch (enc.Mode)
        {
            case SseMode.Cos:
                ctx.SetFamilyHeader("server-side-encryption", enc.Cipher == StreamCipher.Sm4Gcm ? "SM4" : "AES256");
                break;
            case SseMode.Kms:
                ctx.SetFamilyHeader("server-side-encryption", ctx.Family == ProtocolFamily.Cos ? "cos/kms" : "aws:kms");
                ctx.SetFamilyHeader(ctx.Family == ProtocolFamily.Cos ? "server-side-encryption-cos-kms-key-id" : "server-side-encryption-aws-kms-key-id", enc.KmsKeyId ?? "");
                if (enc.KmsContext is not null)
                    ctx.SetFamilyHeader("server-side-encryption-context", enc.KmsContext);
                break;
            case SseMode.Customer:
                ctx.SetFamilyHeader("server-side-encryption-customer-algorithm", "AES256");
                if (customerKeyMd5 is not null)
                    ctx.SetFamilyHeader("server-side-encryption-customer-key-MD5", customerKeyMd5);
                break;
        }
    }

    /// <summary>An audit entry for an SSE use by <paramref name="ctx"/> (or the server when null), outcome ok.</summary>
    private static KmsAuditEntry AuditEntry(RequestContext? ctx, string operation, string mode, string bucket, string objectKey,
        IReadOnlyDictionary<string, string> context)
    {
        return new KmsAuditEntry
        {
            Source = ctx is null ? "server" : ctx.Family == ProtocolFamily.Cos ? "cos" : "s3",
            Principal = ctx?.User?.Name,
            AccessKeyId = ctx?.Identity?.AccessKeyId,
            RequestId = ctx?.RequestId,
            Operation = operation,
            Mode = mode,
            Bucket = bucket,
            Object = objectKey,
            ContextKeys = KmsAuditEntry.KeysOf(context),
            Outcome = KmsAuditEntry.Ok,
        };
    }

    /// <summary>Records a failed SSE use; always false, so it serves as an exception filter that never catches.</summary>
    private static bool AuditFailure(KmsAuditLog auditLog, KmsAuditEntry entry, string? keyId, Exception e)
    {
        auditLog.Write(entry with { KeyId = keyId, Outcome = KmsAuditEntry.Failed, Error = KmsErrors.AuditCode(e) });
        return false;
    }

    /// <summary>The KMS encryption context of a bucket key: the client's pairs plus the bucket, under a reserved prefix.</summary>
    internal static Dictionary<string, string> KmsContext(string bucket, IReadOnlyDictionary<string, string>? client)
    {
        var context = client is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(client, StringComparer.Ordinal);
        context["coffer:bucket"] = bucket;
        return context;
    }
}
