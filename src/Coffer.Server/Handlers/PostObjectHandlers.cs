using System.Globalization;
using System.Security.Cryptography;
using Coffer.Protocol;
using Coffer.Server.Access;
using Coffer.Server.Cors;
using Coffer.Server.Objects;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Coffer.Server.Xml;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>
/// POST Object: a browser form upload to <c>POST /&lt;bucket&gt;</c> (docs/protocol/post-object.md). The form's own fields
/// authenticate it (SigV4, SigV2 or COS signature over its policy), the policy's conditions are enforced, and the file
/// streams into the same write path as PUT Object: SSE, metadata, the atomic commit.
/// </summary>
public static class PostObjectHandlers
{
    /// <summary>Fields that are the form's own (signature, policy, answer), not object attributes.</summary>
    private static readonly HashSet<string> FormFields = new(StringComparer.Ordinal)
    {
        "key", "policy", "acl", "bucket", "success_action_status", "success_action_redirect", "redirect",
        "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "x-amz-security-token", "awsaccesskeyid", "signature",
        "q-sign-algorithm", "q-ak", "q-key-time", "q-signature", "x-cos-security-token",
    };

    /// <summary>Fields that become the object's headers as a PUT would send them.</summary>
    private static readonly string[] ContentFields = ["content-type", "cache-control", "content-disposition", "content-encoding", "expires", "content-md5"];

    /// <summary>The protocol fields (after x-amz- / x-cos-) a form may set on the object.</summary>
    private static readonly string[] ProtocolSuffixes =
    [
        "storage-class", "server-side-encryption", "server-side-encryption-aws-kms-key-id", "server-side-encryption-cos-kms-key-id",
        "server-side-encryption-context", "server-side-encryption-customer-algorithm", "server-side-encryption-customer-key",
        "server-side-encryption-customer-key-md5",
    ];

    public static async Task PostObjectAsync(RequestContext ctx, CofferServices s)
    {
        var bucket = await s.Store.GetBucketAsync(ctx.BucketName, ctx.Aborted)
            ?? throw new CofferException(ErrorCode.NoSuchBucket, $"The bucket '{ctx.BucketName}' does not exist; create it first.", "/" + ctx.BucketName);
        CorsResponses.Apply(ctx, bucket);
        var form = await PostForm.ReadAsync(ctx.Request, ctx.Aborted);
        var auth = PostAuthentication.Authenticate(form, s);
        if (auth.Identity is not null)
        {
            RequestDispatcher.SwitchFamily(ctx, auth.Family);
            ctx.Identity = auth.Identity;
            ctx.User = s.Credentials.UserOf(auth.Identity.AccessKeyId, auth.Identity.SecurityToken) ?? throw new CofferException(ErrorCode.InvalidAccessKeyId);
        }
        else if (ctx.User is null)
        {
            throw new CofferException(ErrorCode.AccessDenied,
                "Anonymous access is not allowed: sign the form (policy and its signature fields: SigV4, SigV2 or COS).");
        }
        // Else a form without signature fields, sent by a request whose own signature (header or presigned query) the
        // dispatcher verified: that signer sent it, as it could have sent the same PUT; no policy applies.
        ctx.Bucket = bucket;

        var key = form.Field("key") is { } template
            ? template.Replace("${filename}", form.FileName, StringComparison.Ordinal)
            : throw new CofferException(ErrorCode.InvalidArgument, "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.");
        form.Fields["key"] = key;
        if (key.Length == 0)
            throw new CofferException(ErrorCode.InvalidArgument, "The form's key field is empty; name the object.");
        ObjectKeys.Validate(key, ctx.Family);
        if (auth.Policy is { } policy)
        {
            policy.Check(form.Fields, ctx.BucketName, s.Time.GetUtcNow(),
                ctx.Family == ProtocolFamily.Cos ? null : f => PostAuthentication.IsExempt(f, auth.Identity!.Scheme == Protocol.Auth.SignatureScheme.PostFormSigV2),
                ctx.Family == ProtocolFamily.Cos ? CosAliases : null);
            if (ctx.Family == ProtocolFamily.Cos)
                RequireCosConditions(policy);
        }
        CheckAcl(form.Field("acl"));
        var status = form.Field("success_action_status");
        var redirect = form.Field("success_action_redirect") ?? form.Field("redirect");
        UseFieldsAsHeaders(ctx, form);
        // Who sent the form must be let in as for a PUT of that key, the form's fields standing for its headers (a bucket
        // policy's encryption conditions see the form's SSE fields).
        await Authorizer.AuthorizeAsync(ctx, s, new AccessRequest(bucket, "s3:PutObject", key));

        var (min, max) = auth.Policy?.LengthRange ?? (0, ObjectHandlers.MaxPutBytes);
        var record = await WriteAsync(ctx, s, key, new PostFileStream(form.File, Math.Min(max, ObjectHandlers.MaxPutBytes)), min);
        await AnswerAsync(ctx, key, record, status, redirect);
    }

    /// <summary>COS names the form's q-key-time "q-sign-time" in the policy.</summary>
    private static readonly Dictionary<string, string> CosAliases = new(StringComparer.Ordinal) { ["q-sign-time"] = "q-key-time" };

    private static void RequireCosConditions(Protocol.Post.PostPolicy policy)
    {
        foreach (var name in new[] { "q-sign-algorithm", "q-ak", "q-sign-time" })
        {
            if (!policy.Conditions.Any(c => c.Field == name))
                throw new CofferException(ErrorCode.InvalidPolicyDocument, $"The policy must hold a condition on {name} (COS requires q-sign-algorithm, q-ak and q-sign-time).");
        }
    }

    /// <summary>Until ACLs exist, a form may ask only for the private ACL every object has (COS: "default").</summary>
    private static void CheckAcl(string? acl)
    {
        if (acl is not (null or "private" or "default"))
            throw new CofferException(ErrorCode.NotImplemented, $"The canned ACL '{acl}' is not implemented by this server; objects are private to the bucket owner (acl private).");
    }

    /// <summary>
    /// The form's object fields become the request's headers, as a PUT of the same object would carry them, so the PUT
    /// path's parsers (content headers, metadata, storage class, SSE) read them; the request's own protocol headers go.
    /// </summary>
    private static void UseFieldsAsHeaders(RequestContext ctx, PostForm form)
    {
        var headers = ctx.Request.Headers;
        foreach (var name in headers.Keys.ToList())
        {
            if (name.StartsWith("x-amz-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("x-cos-", StringComparison.OrdinalIgnoreCase)
                || Array.IndexOf(ContentFields, name.ToLowerInvariant()) >= 0)
                headers.Remove(name);
        }
        var own = ctx.Family == ProtocolFamily.Cos ? "x-cos-" : "x-amz-";
        var other = ctx.Family == ProtocolFamily.Cos ? "x-amz-" : "x-cos-";
        foreach (var (name, value) in form.Fields)
        {
            if (FormFields.Contains(name) || name.StartsWith("x-ignore-", StringComparison.Ordinal))
                continue;
            if (Array.IndexOf(ContentFields, name) >= 0
                || (name.StartsWith(own, StringComparison.Ordinal) && (name.StartsWith(own + "meta-", StringComparison.Ordinal) || Array.IndexOf(ProtocolSuffixes, name[own.Length..]) >= 0)))
            {
                headers[name] = value;
                continue;
            }
            throw new CofferException(name.StartsWith(other, StringComparison.Ordinal) ? ErrorCode.InvalidArgument : ErrorCode.NotImplemented,
                name.StartsWith(other, StringComparison.Ordinal)
                    ? $"The form field '{name}' is spelled for the other protocol; this form is signed as {(ctx.Family == ProtocolFamily.Cos ? "COS" : "S3")}: use {own}…"
                    : $"The form field '{name}' is not supported in a POST form by this server.");
        }
    }

    private static async Task<Storage.ObjectRecord> WriteAsync(RequestContext ctx, CofferServices s, string key, PostFileStream file, long min)
    {
        var bucket = ctx.Bucket!;
        var attributes = ObjectAttributes.Parse(ctx);
        using var sse = SseRequest.ParseForWrite(ctx);
        var contentMd5 = ObjectHandlers.ParseContentMd5(ctx.Header("Content-MD5"));
        using var sealedWrite = await SseService.SealNewAsync(s, ctx, sse, bucket.Name, key, bucket.Encryption);
        await using var pending = await ObjectWriter.WriteAsync(file, null, ObjectHandlers.MaxPutBytes, sealedWrite.Key, sealedWrite.Encryption.Cipher, "object",
            null, s.Blobs, s.Options.InlineMaxBytes, ctx.Aborted);
        if (pending.PlainSize < min)
        {
            var e = new CofferException(ErrorCode.EntityTooSmall, "Your proposed upload is smaller than the minimum allowed size");
            e.Details.Add(new("ProposedSize", pending.PlainSize.ToString(CultureInfo.InvariantCulture)));
            e.Details.Add(new("MinSizeAllowed", min.ToString(CultureInfo.InvariantCulture)));
            throw e;
        }
        if (contentMd5 is not null && !CryptographicOperations.FixedTimeEquals(contentMd5, pending.Md5))
            throw new CofferException(ErrorCode.BadDigest, "The Content-MD5 you specified did not match what was received; nothing was stored.");

        await pending.CommitAsync(s.Store, s.Time, ctx.Aborted);
        var record = attributes.ToRecord(bucket.Name, key, s.Time.GetUtcNow()) with
        {
            Size = pending.PlainSize,
            ETag = SseService.ETag(sealedWrite.Encryption.Mode, sealedWrite.Key, pending.Md5),
            Crc64 = pending.Crc64,
            Streams = [pending.ToObjectStream()],
            Encryption = sealedWrite.Encryption,
            Tags = [],
            VersionId = Versions.NewVersionId(bucket),
        };
        await ObjectHandlers.CommitRecordAsync(s, record);
        Versions.WriteVersionHeader(ctx, record);
        ctx.Sse = record.Encryption.Mode;
        ctx.SetFamilyHeader("hash-crc64ecma", record.Crc64.ToString(CultureInfo.InvariantCulture));
        SseService.WriteHeaders(ctx, record.Encryption, sse.Customer?.KeyMd5);
        return record;
    }

    /// <summary>303 to success_action_redirect; else 201 with a PostResponse document, 200, or 204 (the default).</summary>
    private static async Task AnswerAsync(RequestContext ctx, string key, Storage.ObjectRecord record, string? status, string? redirect)
    {
        var etag = ListHandlers.Quote(record.ETag);
        var path = ctx.Target.VirtualHosted ? "/" : "/" + ctx.BucketName + "/";
        var location = $"{ctx.Request.Scheme}://{ctx.Request.Host}{path}{XmlText.UrlEncode(key)}";
        ctx.Response.Headers.ETag = etag;
        if (redirect is not null && Uri.TryCreate(redirect, UriKind.Absolute, out var target) && target.Scheme is "http" or "https")
        {
            var query = $"bucket={Uri.EscapeDataString(ctx.BucketName)}&key={Uri.EscapeDataString(key)}&etag={Uri.EscapeDataString(etag)}";
            ctx.Response.StatusCode = StatusCodes.Status303SeeOther;
            ctx.Response.Headers.Location = redirect + (redirect.Contains('?') ? "&" : "?") + query;
            ctx.Response.ContentLength = 0;
            return;
        }
        ctx.Response.Headers.Location = location;
        switch (status)
        {
            case "201":
                using (var xml = new XmlDoc("PostResponse", null))
                {
                    xml.Element("Location", location).Element("Bucket", ctx.BucketName).Element("Key", key).Element("ETag", etag);
                    await xml.WriteAsync(ctx.Response, StatusCodes.Status201Created);
                }
                return;
            case "200":
                ctx.Response.StatusCode = StatusCodes.Status200OK;
                break;
            default:
                ctx.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
        }
        ctx.Response.ContentLength = 0;
    }
}
