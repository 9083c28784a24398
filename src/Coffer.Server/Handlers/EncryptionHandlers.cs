using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Coffer.Server.Xml;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>Bucket default encryption: PUT / GET / DELETE ?encryption (docs/protocol/sse.md#bucket-default-encryption).</summary>
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

        BucketEncryption config;
        switch (algorithm)
        {
            case "AES256":
                if (keyId is not null)
                    throw new CofferException(ErrorCode.InvalidArgument, "KMSMasterKeyID is only valid with SSEAlgorithm KMS (S3: aws:kms), not AES256.");
                config = new BucketEncryption("AES256", null);
                break;
            case "KMS" or "aws:kms" or "cos/kms":
                if (keyId is not null)
                    keyId = (await SseService.OwnKeyAsync(s, ctx, keyId)).KeyId;
                config = new BucketEncryption("KMS", keyId);
                break;
            default:
                throw new CofferException(ErrorCode.MalformedXML, $"The SSEAlgorithm '{algorithm}' is not supported; use AES256 or KMS (S3: aws:kms).");
        }
        await s.Store.SetBucketEncryptionAsync(ctx.BucketName, config, ctx.Aborted);
        ctx.Response.ContentLength = 0;
    }

    public static async Task GetBucketEncryptionAsync(RequestContext ctx, CofferServices s)
    {
        var config = ctx.Bucket!.Encryption
            ?? throw new CofferException(ErrorCode.NoSuchEncryptionConfiguration, $"The bucket '{ctx.BucketName}' has no default encryption configured.");
        using var xml = new XmlDoc("ServerSideEncryptionConfiguration", ctx.Family == ProtocolFamily.S3 ? XmlDoc.S3Namespace : null);
        xml.Start("Rule").Start("ApplyServerSideEncryptionByDefault")
            .Element("SSEAlgorithm", config.Algorithm == "AES256" ? "AES256" : ctx.Family == ProtocolFamily.S3 ? "aws:kms" : "KMS")
            .Element("KMSMasterKeyID", config.KmsKeyId)
            .End();
        if (ctx.Family == ProtocolFamily.S3)
            xml.Element("BucketKeyEnabled", config.Algorithm != "AES256");
        xml.End();
        await xml.WriteAsync(ctx.Response);
    }

    public static async Task DeleteBucketEncryptionAsync(RequestContext ctx, CofferServices s)
    {
        await s.Store.SetBucketEncryptionAsync(ctx.BucketName, null, ctx.Aborted);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }
}
