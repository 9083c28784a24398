using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Coffer.Server.Xml;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>
/// Bucket default encryption: PUT / GET / DELETE ?encryption (docs/protocol/sse.md#bucket-default-encryption). COS-signed
/// requests may also name SM4: <c>SSEAlgorithm</c> SM4 (SSE-COS with SM4) and, with KMS, <c>KMSAlgorithm</c> AES256|SM4, as
/// COS's PUT Bucket encryption documents them (cloud.tencent.com/document/product/436/40136); S3 has no SM4.
/// </summary>
public static class EncryptionHandlers
{
    public static async Task PutBucketEncryptionAsync(RequestContext ctx, CofferServices s)
    {
        var root = await XmlInput.ReadAsync(ctx, "ServerSideEncryptionConfiguration");
        var rule = root.Child("Rule")
            ?? throw new CofferException(ErrorCode.MalformedXML, "The encryption configuration needs a <Rule> with <ApplyServerSideEncryptionByDefault>.");
        // Both official COS SDK test suites send the misspelt ApplySideEncryptionConfiguration.
        var apply = rule.Child("ApplyServerSideEncryptionByDefault") ?? rule.Child("ApplySideEncryptionConfiguration")
            ?? throw new CofferException(ErrorCode.MalformedXML, "The <Rule> needs an <ApplyServerSideEncryptionByDefault> element.");
        var algorithm = apply.ChildValue("SSEAlgorithm")?.Trim();
        var keyId = apply.ChildValue("KMSMasterKeyID")?.Trim();
        if (string.IsNullOrEmpty(keyId)) keyId = null;
        var cos = ctx.Family == ProtocolFamily.Cos;
        var kmsAlgorithm = cos ? apply.ChildValue("KMSAlgorithm")?.Trim() : null;
        if (string.IsNullOrEmpty(kmsAlgorithm)) kmsAlgorithm = null;

        BucketEncryption config;
        switch (algorithm)
        {
            case "AES256":
            case "SM4" when cos:
                if (keyId is not null)
                    throw new CofferException(ErrorCode.InvalidArgument, $"KMSMasterKeyID is only valid with SSEAlgorithm KMS (S3: aws:kms), not {algorithm}.");
                if (kmsAlgorithm is not null)
                    throw new CofferException(ErrorCode.InvalidArgument, $"KMSAlgorithm is only valid with SSEAlgorithm KMS, not {algorithm}.");
                config = new BucketEncryption(algorithm == "SM4" ? SseService.BucketSm4 : "AES256", null);
                break;
            case "KMS" or "aws:kms" or "cos/kms":
                if (kmsAlgorithm is not (null or "AES256" or "SM4"))
                    throw new CofferException(ErrorCode.MalformedXML, $"The KMSAlgorithm '{kmsAlgorithm}' is not supported; use AES256 or SM4.");
                if (keyId is not null)
                    keyId = (await SseService.OwnKeyAsync(s, ctx, keyId)).KeyId;
                config = new BucketEncryption(kmsAlgorithm == "SM4" ? SseService.BucketKmsSm4 : "KMS", keyId);
                break;
            default:
                throw new CofferException(ErrorCode.MalformedXML, cos
                    ? $"The SSEAlgorithm '{algorithm}' is not supported; use AES256, SM4 or KMS."
                    : $"The SSEAlgorithm '{algorithm}' is not supported; use AES256 or aws:kms.");
        }
        await s.Store.SetBucketEncryptionAsync(ctx.BucketName, config, ctx.Aborted);
        ctx.Response.ContentLength = 0;
    }

    public static async Task GetBucketEncryptionAsync(RequestContext ctx, CofferServices s)
    {
        var config = ctx.Bucket!.Encryption
            ?? throw new CofferException(ErrorCode.NoSuchEncryptionConfiguration, $"The bucket '{ctx.BucketName}' has no default encryption configured.");
        using var xml = new XmlDoc("ServerSideEncryptionConfiguration", ctx.Family == ProtocolFamily.S3 ? XmlDoc.S3Namespace : null);
        var kms = config.Algorithm is "KMS" or SseService.BucketKmsSm4;
        xml.Start("Rule").Start("ApplyServerSideEncryptionByDefault")
            .Element("SSEAlgorithm", !kms ? config.Algorithm : ctx.Family == ProtocolFamily.S3 ? "aws:kms" : "KMS")
            .Element("KMSMasterKeyID", config.KmsKeyId);
        if (ctx.Family == ProtocolFamily.Cos && config.Algorithm == SseService.BucketKmsSm4)
            xml.Element("KMSAlgorithm", "SM4");
        xml.End();
        if (ctx.Family == ProtocolFamily.S3)
            xml.Element("BucketKeyEnabled", kms);
        xml.End();
        await xml.WriteAsync(ctx.Response);
    }

    public static async Task DeleteBucketEncryptionAsync(RequestContext ctx, CofferServices s)
    {
        await s.Store.SetBucketEncryptionAsync(ctx.BucketName, null, ctx.Aborted);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
