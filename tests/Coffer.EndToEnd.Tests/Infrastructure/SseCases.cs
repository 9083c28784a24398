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

    public static async Task<byte[]> ReadAllAsync(GetObjectResponse response)
    {
        using var ms = new MemoryStream();
        await response.ResponseStream.CopyToAsync(ms);
        return ms.ToArray();
    }
}
