using Coffer.Crypto;
using Coffer.Protocol;
using Coffer.Server.Access;
using Coffer.Server.Pipeline;
using Coffer.Server.Sse;
using Coffer.Storage;

namespace Coffer.Server.Objects;

/// <summary>
/// The source of CopyObject / UploadPartCopy, from <c>x-cos-copy-source</c> / <c>x-amz-copy-source</c>
/// in any of its forms: the COS host form <c>bucket-appid.cos.region.myqcloud.com/key</c>,
/// <c>/bucket/key</c> and <c>bucket/key</c>, URL-encoded, with an optional <c>?versionId=</c>
/// (docs/protocol/objects.md#copy-source).
/// </summary>
public sealed record CopySource(string Bucket, string Key, string? VersionId)
{
    /// <summary>
    /// Parses the header. <paramref name="domain"/> is the server's base domain, so that
    /// <c>bucket.DOMAIN/key</c> names the bucket as a virtual-hosted request would.
    /// </summary>
    /// <exception cref="CofferException">InvalidCopySource for a malformed value; NoSuchVersion for a version other than "null".</exception>
    public static CopySource Parse(string header, string? domain = null)
    {
        try
        {
            return ParseCore(header, domain);
        }
        catch (CofferException e) when (e.Error == ErrorCode.InvalidURI)
        {
            throw Invalid(header);
        }
    }

    private static CopySource ParseCore(string header, string? domain)
    {
        var value = header.Trim();
        string? versionId = null;
        var q = value.IndexOf('?');
        if (q >= 0)
        {
            foreach (var part in value[(q + 1)..].Split('&'))
                if (part.StartsWith("versionId=", StringComparison.Ordinal))
                    versionId = Addressing.Decode(part["versionId=".Length..]);
            value = value[..q];
        }
        // Decoded once as a whole: AWSSDK encodes "bucket/key" including the slash ("bucket%2Fkey");
        // the other SDKs encode only the key. Neither a bucket name nor a host holds '%' or '/'.
        value = Addressing.Decode(value).TrimStart('/');
        var slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1)
            throw Invalid(header);

        var first = value[..slash];
        var bucket = first;
        if (first.Contains('.'))
        {
            // COS host form (any port): the bucket is the host's first label.
            var host = first.Split(':')[0];
            if (!string.IsNullOrEmpty(domain) && host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase))
                bucket = host[..^(domain.Length + 1)];   // the server's own virtual-hosted form
            else if (host.Contains(".cos", StringComparison.OrdinalIgnoreCase) && (host.EndsWith(".myqcloud.com", StringComparison.OrdinalIgnoreCase)
                || host.EndsWith(".tencentcos.cn", StringComparison.OrdinalIgnoreCase)))
                bucket = host[..host.IndexOf('.')];
            // else an S3 bucket name with dots: "my.bucket/key"
        }
        var key = value[(slash + 1)..];
        if (bucket.Length == 0 || key.Length == 0)
            throw Invalid(header);
        if (versionId is not null && !VersionIds.IsWellFormed(versionId))
            throw new CofferException(ErrorCode.InvalidArgument, $"Invalid version id specified: the copy source version '{versionId}' is not a version id of this server.");
        return new CopySource(bucket, key, versionId);
    }

    /// <summary>
    /// Loads the source for reading: the caller's right to read it (s3:GetObject), existence, the copy-source conditions
    /// (<c>…-copy-source-If-*</c>: any failure is 412), archive state, and the source's object key
    /// (SSE-C sources need the copy-source customer key headers).
    /// </summary>
    public async Task<OpenedSource> OpenAsync(RequestContext ctx, CofferServices s)
    {
        var bucket = await s.Store.GetBucketAsync(Bucket, ctx.Aborted)
            ?? throw new CofferException(ErrorCode.NoSuchBucket, $"The copy source bucket '{Bucket}' does not exist.", "/" + Bucket);
        await Authorizer.AuthorizeAsync(ctx, s, new AccessRequest(bucket, VersionId is null ? "s3:GetObject" : "s3:GetObjectVersion", Key, VersionId));
        var obj = VersionId is null
            ? await s.Store.GetObjectAsync(Bucket, Key, ctx.Aborted)
                ?? throw new CofferException(ErrorCode.NoSuchCopySource, $"The copy source '{Bucket}/{Key}' does not exist.", "/" + Bucket + "/" + Key)
            : await s.Store.GetObjectVersionAsync(Bucket, Key, VersionId, ctx.Aborted)
                ?? throw new CofferException(ErrorCode.NoSuchVersion, $"The copy source version '{VersionId}' of '{Bucket}/{Key}' does not exist.", "/" + Bucket + "/" + Key);
        if (obj.IsDeleteMarker)
            throw new CofferException(ErrorCode.InvalidRequest, $"The copy source version '{VersionId}' of '{Bucket}/{Key}' is a delete marker: it has no data to copy.");

        if (Preconditions.Evaluate(name => ctx.FamilyHeader("copy-source-" + name), obj) == Preconditions.Result.NotModified)
            throw new CofferException(ErrorCode.PreconditionFailed, "The copy source matched x-cos-copy-source-If-None-Match / was not modified since x-cos-copy-source-If-Modified-Since.");

        if (!ArchiveRestore.IsReadable(obj, ArchiveRestore.Now(s)))
            throw new CofferException(ErrorCode.InvalidObjectState, "The copy source is archived and not restored: restore it first (POST ?restore).");

        var customer = CustomerKey.Parse(ctx.FamilyHeader, "copy-source-server-side-encryption-customer-", ctx.IsHttps);
        try
        {
            var key = await SseService.OpenAsync(s, obj, customer, ctx.Aborted, copySource: true, caller: ctx);
            return new OpenedSource(obj, key, customer);
        }
        catch
        {
            customer?.Dispose();
            throw;
        }
    }

    private static CofferException Invalid(string header) =>
        new(ErrorCode.InvalidCopySource, $"The copy source '{header}' is not valid: use bucket-appid.cos.region.myqcloud.com/key, /bucket/key or bucket/key (URL-encoded).");
}

/// <summary>A copy source ready to read: its record, its object key (null when plain), and the copy-source customer key if one was sent.</summary>
public sealed record OpenedSource(ObjectRecord Object, ObjectKey? Key, CustomerKey? Customer) : IDisposable
{
    public void Dispose()
    {
        Key?.Dispose();
        Customer?.Dispose();
    }
}
