using System.Globalization;
using System.Net;
using System.Text;
using Coffer.Protocol;
using Coffer.Server.Access;
using Coffer.Server.Pipeline;
using Coffer.Server.Xml;
using Coffer.Storage;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Handlers;

/// <summary>Service and bucket operations: list, create, head, delete, location, versioning.</summary>
public static class BucketHandlers
{
    /// <summary>Most buckets one ListBuckets page holds, and the page size when paging is asked without max-buckets (S3).</summary>
    public const int MaxBucketsPerPage = 10_000;

    /// <summary>
    /// GET /: the caller's buckets, by name. With any of S3's 2024 parameters (max-buckets, continuation-token,
    /// prefix, bucket-region) the answer is one page: buckets whose name starts with the prefix, after the token,
    /// at most max-buckets (default 10,000), with a ContinuationToken when more remain and the Prefix echoed
    /// (docs/protocol/requests.md#listbuckets-pages).
    /// </summary>
    public static async Task ListBucketsAsync(RequestContext ctx, CofferServices s)
    {
        var page = BucketPage.Parse(ctx);
        var buckets = (await s.Store.ListBucketsAsync(ctx.Caller.Id, ctx.Aborted)).OrderBy(b => b.Name, StringComparer.Ordinal).ToList();
        string? next = null;
        if (page is not null)
        {
            var matching = buckets.Where(b => b.Name.StartsWith(page.Prefix ?? "", StringComparison.Ordinal)
                && (page.Region is null || b.Region == page.Region)
                && (page.After is null || string.CompareOrdinal(b.Name, page.After) > 0)).ToList();
            buckets = matching.Take(page.MaxBuckets).ToList();
            if (matching.Count > buckets.Count)
                next = BucketPage.Token(buckets[^1].Name);
        }

        using var xml = new XmlDoc("ListAllMyBucketsResult");
        xml.Start("Owner").Element("ID", ctx.Caller.Id).Element("DisplayName", ctx.Caller.Name).End();
        xml.Start("Buckets");
        foreach (var b in buckets)
        {
            xml.Start("Bucket").Element("Name", b.Name).Element("CreationDate", XmlText.IsoDate(b.Created));
            if (ctx.Family == ProtocolFamily.Cos) xml.Element("Location", b.Region);
            else if (page is not null) xml.Element("BucketRegion", b.Region);
            xml.End();
        }
        xml.End();
        if (next is not null)
            xml.Element("ContinuationToken", next);
        if (page?.Prefix is not null)
            xml.Element("Prefix", page.Prefix);
        await xml.WriteAsync(ctx.Response);
    }

    /// <summary>The paging a ListBuckets asks for; null when it sends none of the parameters (one classic, unpaged answer).</summary>
    /// <param name="MaxBuckets">Page size, 1..10,000.</param>
    /// <param name="After">The last name of the previous page (from the continuation token), or null.</param>
    /// <param name="Prefix">Only names that start with it, or null.</param>
    /// <param name="Region">Only buckets of that region, or null.</param>
    private sealed record BucketPage(int MaxBuckets, string? After, string? Prefix, string? Region)
    {
        public static BucketPage? Parse(RequestContext ctx)
        {
            var q = ctx.Query;
            var (max, token, prefix, region) = (q.Get("max-buckets"), q.Get("continuation-token"), q.Get("prefix"), q.Get("bucket-region"));
            if (max is null && token is null && prefix is null && region is null)
                return null;
            var size = MaxBucketsPerPage;
            if (max is not null && (!int.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxBucketsPerPage))
                throw new CofferException(ErrorCode.InvalidArgument, $"max-buckets must be a whole number from 1 to {MaxBucketsPerPage}; got '{max}'.");
            return new BucketPage(size, token is null ? null : Decode(token), prefix, string.IsNullOrEmpty(region) ? null : region);
        }

        /// <summary>The opaque continuation token that resumes after <paramref name="name"/>: base64url of the name.</summary>
        public static string Token(string name) =>
            Convert.ToBase64String(Encoding.UTF8.GetBytes(name)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

        private static string Decode(string token)
        {
            var text = token.Replace('-', '+').Replace('_', '/');
            text = text.PadRight(text.Length + (4 - text.Length % 4) % 4, '=');
            var bytes = new byte[text.Length];
            if (token.Length is 0 or > 1024 || !Convert.TryFromBase64String(text, bytes, out var n))
                throw BadToken(token);
            try
            {
                return new UTF8Encoding(false, true).GetString(bytes, 0, n);
            }
            catch (DecoderFallbackException)
            {
                throw BadToken(token);
            }
        }

        private static CofferException BadToken(string token) =>
            new(ErrorCode.InvalidArgument, $"The continuation-token '{(token.Length > 64 ? token[..64] + "…" : token)}' is not one this server issued; send the ContinuationToken of the previous page as it was.");
    }

    public static async Task CreateBucketAsync(RequestContext ctx, CofferServices s)
    {
        var name = ctx.BucketName;
        ValidateName(name);
        var existing = await s.Store.GetBucketAsync(name, ctx.Aborted);
        if (existing is not null)
            throw Exists(existing, ctx);

        // An S3 CreateBucketConfiguration body may name a region; we serve one region.
        if (ctx.Request.ContentLength is > 0)
        {
            var config = await XmlInput.ReadAsync(ctx, "CreateBucketConfiguration");
            var constraint = config.ChildValue("LocationConstraint");
            if (!string.IsNullOrEmpty(constraint) && constraint != s.Options.Region)
                throw new CofferException(ErrorCode.InvalidArgument, $"This server serves region '{s.Options.Region}'; the LocationConstraint '{constraint}' cannot be honoured.");
        }

        var bucket = WithAccessSettings(ctx, s, new BucketRecord(name, ctx.Caller.Id, s.Options.Region, s.Time.GetUtcNow()));
        if (Acls.FromHeaders(ctx, forBucket: true) is { } spec)
            await Acls.CheckGranteesExistAsync(spec, s, ctx.Aborted);
        if (!await s.Store.CreateBucketAsync(bucket, ctx.Aborted))
            throw Exists((await s.Store.GetBucketAsync(name, ctx.Aborted))!, ctx);
        ctx.Response.Headers.Location = "/" + name;
        ctx.Response.ContentLength = 0;
    }

    /// <summary>
    /// A new bucket's access settings: the server's defaults (<see cref="CofferServerOptions.BucketDefaults"/>), the
    /// Object Ownership the request names (x-amz-object-ownership), and the ACL its headers ask for, which those settings
    /// must accept (S3's InvalidBucketAclWithObjectOwnership under BucketOwnerEnforced; AccessDenied under BlockPublicAcls).
    /// </summary>
    private static BucketRecord WithAccessSettings(RequestContext ctx, CofferServices s, BucketRecord bucket)
    {
        var legacy = s.Options.BucketDefaults == BucketDefaults.Legacy;
        ObjectOwnership? ownership = legacy ? null : ObjectOwnership.BucketOwnerEnforced;
        if (ctx.FamilyHeader("object-ownership") is { } named)
        {
            if (!Enum.TryParse<ObjectOwnership>(named, ignoreCase: false, out var parsed) || int.TryParse(named, out _))
                throw new CofferException(ErrorCode.InvalidArgument, $"{ctx.Family.Header("object-ownership")} is '{named}'; use BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter.");
            ownership = parsed;
        }
        bucket = bucket with { Ownership = ownership, PublicAccessBlock = legacy ? null : PublicAccessBlock.All };
        if (Acls.FromHeaders(ctx, forBucket: true) is not { } spec)
            return bucket;
        if (bucket.AclsDisabled && !spec.IsOwnerOnly(bucket.Owner, bucket.Owner))
            throw new CofferException(ErrorCode.InvalidBucketAclWithObjectOwnership,
                $"Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting: send {ctx.Family.Header("object-ownership")}: ObjectWriter (or BucketOwnerPreferred) with the ACL, or no ACL.");
        Acls.CheckAllowed(bucket, spec, bucket.Owner);
        return bucket with { Acl = bucket.AclsDisabled ? null : new AccessControlList(null, Acls.GrantsOf(spec, bucket.Owner, bucket.Owner)) };
    }

    public static Task HeadBucketAsync(RequestContext ctx, CofferServices s)
    {
        ctx.SetFamilyHeader("bucket-region", ctx.Bucket!.Region);
        ctx.Response.ContentLength = 0;
        return Task.CompletedTask;
    }

    public static async Task DeleteBucketAsync(RequestContext ctx, CofferServices s)
    {
        switch (await s.Store.DeleteBucketAsync(ctx.BucketName, ctx.Aborted))
        {
            case DeleteBucketResult.NotEmpty:
                throw new CofferException(ErrorCode.BucketNotEmpty, $"The bucket '{ctx.BucketName}' is not empty; delete its objects first.");
            case DeleteBucketResult.NotFound:
                throw new CofferException(ErrorCode.NoSuchBucket);
        }
        ctx.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public static Task GetBucketLocationAsync(RequestContext ctx, CofferServices s)
    {
        // S3 reports us-east-1 as an empty constraint; clients map empty back to us-east-1.
        var region = ctx.Bucket!.Region;
        return WriteLocationAsync(ctx, ctx.Family == ProtocolFamily.S3 && region == "us-east-1" ? "" : region);
    }

    private static async Task WriteLocationAsync(RequestContext ctx, string region)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"" + XmlDoc.S3Namespace + "\">" + WebUtility.HtmlEncode(region) + "</LocationConstraint>");
        ctx.Response.ContentType = "application/xml";
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body, ctx.Aborted);
    }

    /// <summary>
    /// COS names are `name-appid`, S3 names are DNS labels; both are 3–63 characters of
    /// lower-case letters, digits, '-' and '.', starting and ending with a letter or digit,
    /// and not an IP address.
    /// </summary>
    public static void ValidateName(string name)
    {
        string? problem = null;
        if (name.Length is < 3 or > 63) problem = $"is {name.Length} characters long; use 3 to 63";
        else if (name.Any(c => !(c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.'))) problem = "may only contain lower-case letters, digits, '-' and '.'";
        else if (!char.IsAsciiLetterOrDigit(name[0]) || !char.IsAsciiLetterOrDigit(name[^1])) problem = "must start and end with a letter or digit";
        else if (name.Contains("..") || name.Contains(".-") || name.Contains("-.")) problem = "may not contain '..', '.-' or '-.'";
        else if (IPAddress.TryParse(name, out _)) problem = "may not be an IP address";
        if (problem is not null)
            throw new CofferException(ErrorCode.InvalidBucketName, $"The bucket name '{name}' {problem}.", "/" + name);
    }

    private static CofferException Exists(BucketRecord existing, RequestContext ctx) =>
        existing.Owner == ctx.Caller.Id
            ? new CofferException(ErrorCode.BucketAlreadyOwnedByYou, $"You already own the bucket '{existing.Name}'.")
            : new CofferException(ErrorCode.BucketAlreadyExists, $"The bucket name '{existing.Name}' is taken; choose another name.");
}
