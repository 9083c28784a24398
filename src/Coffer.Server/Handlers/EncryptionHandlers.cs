using System.Xml.Linq;
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
        var config = ParseConfiguration(await XmlInput.ReadAsync(ctx, "ServerSideEncryptionConfiguration"), ctx.Family);
        if (config.KmsKeyId is not null)
            config = config with { KmsKeyId = (await SseService.OwnKeyAsync(s, ctx, config.KmsKeyId)).KeyId };
        await s.Store.SetBucketEncryptionAsync(ctx.BucketName, config, ctx.Aborted);
        ctx.Response.ContentLength = 0;
    }

    /// <summary>
    /// Parses a <c>ServerSideEncryptionConfiguration</c> body (400 MalformedXML / InvalidArgument for what it cannot
    /// hold); a KMS key id is returned as sent, for the handler to resolve against the caller's keys.
    /// </summary>
    public static BucketEncryption ParseConfiguration(XElement root, ProtocolFamily family)
    {
        var rule = root.Child("Rule")
            ?? throw new CofferException(ErrorCode.MalformedXML, "The encryption configuration needs a <Rule> with <ApplyServerSideEncryptionByDefault>.");
        // Both official COS SDK test suites send the misspelt ApplySideEncryptionConfiguration.
        var apply = rule.Child("ApplyServerSideEncryptionByDefault") ?? rule.Child("ApplySideEncryptionConfiguration")
            ?? throw new CofferException(ErrorCode.MalformedXML, "The <Rule> needs an <ApplyServerSideEncryptionByDefault> element.");
        var algorithm = apply.ChildValue("SSEAlgorithm")?.Trim();
        var keyId = apply.ChildValue("KMSMasterKeyID")?.Trim();
        if (string.IsNullOrEmpty(keyId)) keyId = null;
        var cos = family == ProtocolFamily.Cos;
        var kmsAlgorithm = cos ? apply.ChildValue("KMSAlgorithm")?.Trim() : null;
        if (string.IsNullOrEmpty(kmsAlgorithm)) kmsAlgorithm = null;

        switch (algorithm)
        {
            case "AES256":
            case "SM4" when cos:
                if (keyId is not null)
                    throw new CofferException(ErrorCode.InvalidArgument, $"KMSMasterKeyID is only valid with SSEAlgorithm KMS (S3: aws:kms), not {algorithm}.");
                if (kmsAlgorithm is not null)
                    throw new CofferException(ErrorCode.InvalidArgument, $"KMSAlgorithm is only valid with SSEAlgorithm KMS, not {algorithm}.");
                return new BucketEncryption(algorithm == "SM4" ? SseService.BucketSm4 : "AES256", null);
            case "KMS" or "aws:kms" or "cos/kms":
                if (kmsAlgorithm is not (null or "AES256" or "SM4"))
                    throw new CofferException(ErrorCode.MalformedXML, $"The KMSAlgorithm '{kmsAlgorithm}' is not supported; use AES256 or SM4.");
                return new BucketEncryption(kmsAlgorithm == "SM4" ? SseService.BucketKmsSm4 : "KMS", keyId);
            default:
                throw new CofferException(ErrorCode.MalformedXML, cos
                    ? $"The SSEAlgorithm '{algorithm}' is not supported; use AES256, SM4 or KMS."
                    : $"The SSEAlgorithm '{algorithm}' is not supported; use AES256 or aws:kms.");
        }
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
