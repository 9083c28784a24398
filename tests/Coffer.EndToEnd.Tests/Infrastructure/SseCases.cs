using Amazon.S3;
using Amazon.S3.Model;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>The four ways an object can be stored, and the AWSSDK request pieces every SSE test needs.</summary>
public static class SseCases
{
    public enum Mode { Plain, SseS3, SseKms, SseC }

    /// <summary>A GET of (a range of) an object, with the SSE-C test key when the mode needs it.</summary>
    public static GetObjectRequest Get(string bucket, string key, Mode mode, ByteRange? range = null)
    {
        var get = new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = range };
        if (mode == Mode.SseC)
        {
            get.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            get.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
            get.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
        }
        return get;
    }

    /// <summary>A HEAD of an object, with the SSE-C test key when the mode needs it.</summary>
    public static GetObjectMetadataRequest Head(string bucket, string key, Mode mode)
    {
        var head = new GetObjectMetadataRequest { BucketName = bucket, Key = key };
        if (mode == Mode.SseC)
        {
            head.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            head.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
            head.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
        }
        return head;
    }

    /// <summary>Asks a PUT for the mode's encryption (SSE-KMS under <paramref name="kmsKeyId"/>, or the default key when null; SSE-C with the test key).</summary>
    public static void Apply(PutObjectRequest r, Mode mode, string? kmsKeyId)
    {
        switch (mode)
        {
            case Mode.SseS3: r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256; break;
            case Mode.SseKms:
                r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                r.ServerSideEncryptionKeyManagementServiceKeyId = kmsKeyId;
                break;
            case Mode.SseC:
                r.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                r.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
                r.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
                break;
        }
    }

    /// <summary>Asks a multipart upload for the mode's encryption, as <see cref="Apply(PutObjectRequest, Mode, string?)"/> does a PUT.</summary>
    public static void Apply(InitiateMultipartUploadRequest r, Mode mode, string? kmsKeyId)
    {
        switch (mode)
        {
            case Mode.SseS3: r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256; break;
            case Mode.SseKms:
                r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                r.ServerSideEncryptionKeyManagementServiceKeyId = kmsKeyId;
                break;
            case Mode.SseC:
                r.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                r.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
                r.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
                break;
        }
    }

    /// <summary>
    /// Gives a copy the SSE-C test key of its source when <paramref name="source"/> needs it, and asks for
    /// <paramref name="target"/>'s encryption of the copy, as <see cref="Apply(PutObjectRequest, Mode, string?)"/> does a PUT.
    /// </summary>
    public static void Apply(CopyObjectRequest r, Mode source, Mode target, string? kmsKeyId)
    {
        if (source == Mode.SseC)
        {
            r.CopySourceServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
            r.CopySourceServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
            r.CopySourceServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
        }
        switch (target)
        {
            case Mode.SseS3: r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256; break;
            case Mode.SseKms:
                r.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                r.ServerSideEncryptionKeyManagementServiceKeyId = kmsKeyId;
                break;
            case Mode.SseC:
                r.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
                r.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
                r.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
                break;
        }
    }

    /// <summary>Gives a part upload the SSE-C test key when the mode needs it (the other modes were fixed at Initiate).</summary>
    public static void Apply(UploadPartRequest r, Mode mode)
    {
        if (mode != Mode.SseC)
            return;
        r.ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256;
        r.ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA;
        r.ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5;
    }

    public static async Task<byte[]> ReadAllAsync(GetObjectResponse response)
    {
        using var ms = new MemoryStream();
        await response.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }
}
