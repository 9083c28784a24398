using System.Security.Cryptography;
using System.Text;
using Coffer.Protocol;
using Coffer.Server.Access;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>
/// Bucket policies: PUT / GET / DELETE ?policy and GET ?policyStatus (docs/protocol/policy.md). The policy's JSON is kept
/// in the bucket's row exactly as sent, in the dialect it was written in; <see cref="Authorizer"/> applies it.
/// </summary>
public static class PolicyHandlers
{
    public static async Task PutBucketPolicyAsync(RequestContext ctx, CofferServices s)
    {
        var text = await ReadPolicyAsync(ctx);
        var policy = PolicyParser.Parse(text, ctx.BucketName);
        await CheckPrincipalsExistAsync(policy, s, ctx.Aborted);
        // Block Public Access (on by default for new buckets): a policy that would make the bucket public is refused, as S3 does.
        if (ctx.Bucket!.PublicAccessBlock is { BlockPublicPolicy: true } && PolicyStatus.IsPublic(policy))
            throw new CofferException(ErrorCode.AccessDenied,
                "Access Denied: this policy would make the bucket public (it allows everyone, with no condition that narrows who), and the bucket's Block Public Access setting BlockPublicPolicy refuses such policies. Remove that setting first (DELETE ?publicAccessBlock, or PUT it with BlockPublicPolicy false), or narrow the policy's principals.");
        // A refused policy never reaches the store: the old one stays in place.
        if (!await s.Store.SetBucketPolicyAsync(ctx.BucketName, text, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public static async Task GetBucketPolicyAsync(RequestContext ctx, CofferServices s)
    {
        var text = ctx.Bucket!.Policy ?? throw NoPolicy(ctx);
        var bytes = Encoding.UTF8.GetBytes(text);
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = bytes.Length;
        await ctx.Response.Body.WriteAsync(bytes, ctx.Aborted);
    }

    public static async Task DeleteBucketPolicyAsync(RequestContext ctx, CofferServices s)
    {
        // S3 answers 204 whether or not there was a policy.
        if (!await s.Store.SetBucketPolicyAsync(ctx.BucketName, null, CancellationToken.None))
            throw BucketGone(ctx);
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public static async Task GetBucketPolicyStatusAsync(RequestContext ctx, CofferServices s)
    {
        var text = ctx.Bucket!.Policy ?? throw NoPolicy(ctx);
        var isPublic = PolicyStatus.IsPublic(s.Policies.Get(ctx.BucketName, text));
        using var xml = new XmlDoc("PolicyStatus", ctx.Family == ProtocolFamily.S3 ? XmlDoc.S3Namespace : null);
        xml.Element("IsPublic", isPublic);
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>The body as UTF-8 text, at most <see cref="PolicyParser.MaxBytes"/>, its Content-MD5 checked when sent.</summary>
    private static async Task<string> ReadPolicyAsync(RequestContext ctx)
    {
        if (ctx.Request.ContentLength > PolicyParser.MaxBytes)
            throw TooLarge();
        var body = Objects.RequestBody.Open(ctx);
        using var buffer = new MemoryStream();
        var chunk = new byte[8 * 1024];
        int n;
        while ((n = await body.Stream.ReadAsync(chunk, ctx.Aborted)) > 0)
        {
            if (buffer.Length + n > PolicyParser.MaxBytes)
                throw TooLarge();
            buffer.Write(chunk, 0, n);
        }
        if (buffer.Length == 0)
            throw new CofferException(ErrorCode.MissingRequestBody, "PUT ?policy needs the policy's JSON as its body.");
        var bytes = buffer.ToArray();
        var md5Header = ctx.Header("Content-MD5");
        if (md5Header is not null)
        {
            var given = new byte[16];
            if (!Convert.TryFromBase64String(md5Header, given, out var length) || length != 16)
                throw new CofferException(ErrorCode.InvalidDigest, "The Content-MD5 you specified is not valid: send the base64 of the 16-byte MD5 of the body.");
            if (!CryptographicOperations.FixedTimeEquals(given, MD5.HashData(bytes)))
                throw new CofferException(ErrorCode.BadDigest, "The Content-MD5 you specified did not match the policy received.");
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new CofferException(ErrorCode.MalformedPolicy, "This policy contains invalid Json: it is not UTF-8 text.");
        }
    }

    /// <summary>AWS refuses a policy that names a principal that does not exist; so does Coffer, for user names and ids.</summary>
    private static async Task CheckPrincipalsExistAsync(BucketPolicy policy, CofferServices s, CancellationToken ct)
    {
        var names = policy.NamedUsers.ToHashSet(StringComparer.Ordinal);
        var ids = policy.NamedUserIds.ToHashSet(StringComparer.Ordinal);
        if (names.Count == 0 && ids.Count == 0)
            return;
        foreach (var user in await s.Store.ListUsersAsync(ct))
        {
            names.Remove(user.Name);
            ids.Remove(user.Id);
        }
        var missing = names.Concat(ids).FirstOrDefault();
        if (missing is null)
            return;
        var statement = policy.Statements.First(st => st.Principals.UserNames.Contains(missing) || st.Principals.UserIds.Contains(missing));
        throw new CofferException(ErrorCode.MalformedPolicy, $"Statement {statement.Index}{(statement.Sid is null ? "" : $" (Sid \"{statement.Sid}\")")}, "
            + $"{(statement.IsNotPrincipal ? "NotPrincipal" : "Principal")}: Invalid principal in policy: there is no user '{missing}'.");
    }

    private static CofferException TooLarge() =>
        new(ErrorCode.MalformedPolicy, $"The policy is larger than the {PolicyParser.MaxBytes / 1024} KB a bucket policy may hold.");

    private static CofferException NoPolicy(RequestContext ctx) =>
        new(ErrorCode.NoSuchBucketPolicy, $"The bucket policy does not exist: the bucket '{ctx.BucketName}' has no policy.", "/" + ctx.BucketName);

    private static CofferException BucketGone(RequestContext ctx) =>
        new(ErrorCode.NoSuchBucket, $"The bucket '{ctx.BucketName}' was deleted meanwhile.", "/" + ctx.BucketName);
}
