using System.Xml.Linq;
using Coffer.Sdk.Internal;

namespace Coffer.Sdk;

public sealed partial class CosClient
{
    private static readonly XNamespace Xsi = "http://www.w3.org/2001/XMLSchema-instance";

    /// <summary>
    /// Sets the ACL of a bucket (Python <c>put_bucket_acl</c>). A bucket whose Object Ownership is BucketOwnerEnforced
    /// refuses every ACL but private (400 AccessControlListNotSupported); one under BlockPublicAcls refuses public ones (403).
    /// </summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="request">A canned ACL, grant headers, or grants.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<CosEmptyResponse> PutBucketAclAsync(string bucket, PutAclRequest request, CancellationToken cancellationToken = default) =>
        PutAclAsync(BucketOp(HttpMethod.Put, bucket), request, cancellationToken);

    /// <summary>Reads the ACL of a bucket (Python <c>get_bucket_acl</c>): its owner and the grants in force.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<GetAclResponse> GetBucketAclAsync(string bucket, CancellationToken cancellationToken = default) =>
        GetAclAsync(BucketOp(HttpMethod.Get, bucket), cancellationToken);

    /// <summary>Sets the ACL of an object (Python <c>put_object_acl</c>); the bucket's settings decide what it accepts, as for a bucket.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The object key.</param>
    /// <param name="request">A canned ACL, grant headers, or grants.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<CosEmptyResponse> PutObjectAclAsync(string bucket, string key, PutAclRequest request, CancellationToken cancellationToken = default) =>
        PutAclAsync(ObjectAclOp(HttpMethod.Put, bucket, key), request, cancellationToken);

    /// <summary>Reads the ACL of an object (Python <c>get_object_acl</c>).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="key">The object key.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<GetAclResponse> GetObjectAclAsync(string bucket, string key, CancellationToken cancellationToken = default) =>
        GetAclAsync(ObjectAclOp(HttpMethod.Get, bucket, key), cancellationToken);

    /// <summary>Sets the Object Ownership of a bucket: BucketOwnerEnforced (ACLs off), BucketOwnerPreferred or ObjectWriter.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="objectOwnership">The setting.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> PutBucketOwnershipControlsAsync(string bucket, string objectOwnership, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(objectOwnership);
        var op = BucketOp(HttpMethod.Put, bucket).AddQuery("ownershipControls", "");
        SetXmlBody(op, new XElement("OwnershipControls", new XElement("Rule", new XElement("ObjectOwnership", objectOwnership))));
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>Reads the Object Ownership of a bucket; a bucket without one answers 404 OwnershipControlsNotFoundError.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<GetOwnershipControlsResponse> GetBucketOwnershipControlsAsync(string bucket, CancellationToken cancellationToken = default)
    {
        var (response, root) = await _http.SendForXmlAsync(BucketOp(HttpMethod.Get, bucket).AddQuery("ownershipControls", ""), cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<GetOwnershipControlsResponse>(response);
            var rule = root is null ? null : XmlUtil.Element(root, "Rule");
            result.ObjectOwnership = rule is null ? "" : XmlUtil.Child(rule, "ObjectOwnership") ?? "";
            return result;
        }
    }

    /// <summary>Removes the Object Ownership setting of a bucket (it then behaves as ObjectWriter).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> DeleteBucketOwnershipControlsAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(BucketOp(HttpMethod.Delete, bucket).AddQuery("ownershipControls", ""), cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>Sets the Block Public Access flags of a bucket.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="configuration">The four flags.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> PutPublicAccessBlockAsync(string bucket, PublicAccessBlock configuration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var op = BucketOp(HttpMethod.Put, bucket).AddQuery("publicAccessBlock", "");
        static XElement Flag(string name, bool value) => new(name, value ? "true" : "false");
        SetXmlBody(op, new XElement("PublicAccessBlockConfiguration",
            Flag("BlockPublicAcls", configuration.BlockPublicAcls), Flag("IgnorePublicAcls", configuration.IgnorePublicAcls),
            Flag("BlockPublicPolicy", configuration.BlockPublicPolicy), Flag("RestrictPublicBuckets", configuration.RestrictPublicBuckets)));
        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    /// <summary>Reads the Block Public Access flags of a bucket; a bucket without them answers 404 NoSuchPublicAccessBlockConfiguration.</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<GetPublicAccessBlockResponse> GetPublicAccessBlockAsync(string bucket, CancellationToken cancellationToken = default)
    {
        var (response, root) = await _http.SendForXmlAsync(BucketOp(HttpMethod.Get, bucket).AddQuery("publicAccessBlock", ""), cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<GetPublicAccessBlockResponse>(response);
            if (root is not null)
            {
                result.Configuration = new PublicAccessBlock(XmlUtil.Bool(root, "BlockPublicAcls"), XmlUtil.Bool(root, "IgnorePublicAcls"),
                    XmlUtil.Bool(root, "BlockPublicPolicy"), XmlUtil.Bool(root, "RestrictPublicBuckets"));
            }
            return result;
        }
    }

    /// <summary>Removes the Block Public Access flags of a bucket (nothing is blocked then).</summary>
    /// <param name="bucket">The bucket.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<CosEmptyResponse> DeletePublicAccessBlockAsync(string bucket, CancellationToken cancellationToken = default)
    {
        using var response = await _http.SendAsync(BucketOp(HttpMethod.Delete, bucket).AddQuery("publicAccessBlock", ""), cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    private static OperationRequest ObjectAclOp(HttpMethod method, string bucket, string key)
    {
        BucketOp(method, bucket);
        if (string.IsNullOrEmpty(key))
        {
            throw new CosClientException(CosClientErrorKind.InvalidArgument, "The object key is required.");
        }

        return new OperationRequest(method, bucket, key).AddQuery("acl", "");
    }

    private async Task<CosEmptyResponse> PutAclAsync(OperationRequest op, PutAclRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (op.IsBucketLevel)
        {
            op.AddQuery("acl", "");
        }

        op.AddHeader("x-cos-acl", request.ACL)
            .AddHeader("x-cos-grant-read", request.GrantRead)
            .AddHeader("x-cos-grant-write", request.GrantWrite)
            .AddHeader("x-cos-grant-read-acp", request.GrantReadAcp)
            .AddHeader("x-cos-grant-write-acp", request.GrantWriteAcp)
            .AddHeader("x-cos-grant-full-control", request.GrantFullControl);
        if (request.AccessControlPolicy is { } grants)
        {
            if (op.Headers.Count > 0)
            {
                throw new CosClientException(CosClientErrorKind.InvalidArgument, "Send an ACL as a canned ACL, as grant headers or as grants, not several.");
            }

            SetXmlBody(op, new XElement("AccessControlPolicy", new XElement("AccessControlList", grants.Select(GrantXml))));
        }

        using var response = await _http.SendAsync(op, cancellationToken).ConfigureAwait(false);
        return CosResponse.From<CosEmptyResponse>(response);
    }

    private static XElement GrantXml(CosGrant g) => new("Grant",
        g.Id is not null
            ? new XElement("Grantee", new XAttribute(XNamespace.Xmlns + "xsi", Xsi.NamespaceName), new XAttribute(Xsi + "type", "CanonicalUser"), new XElement("ID", g.Id))
            : new XElement("Grantee", new XAttribute(XNamespace.Xmlns + "xsi", Xsi.NamespaceName), new XAttribute(Xsi + "type", "Group"), new XElement("URI", g.Uri)),
        new XElement("Permission", g.Permission));

    private async Task<GetAclResponse> GetAclAsync(OperationRequest op, CancellationToken cancellationToken)
    {
        if (op.IsBucketLevel)
        {
            op.AddQuery("acl", "");
        }

        var (response, root) = await _http.SendForXmlAsync(op, cancellationToken).ConfigureAwait(false);
        using (response)
        {
            var result = CosResponse.From<GetAclResponse>(response);
            if (root is null)
            {
                return result;
            }

            var owner = XmlUtil.Element(root, "Owner");
            result.OwnerId = BareId(owner is null ? null : XmlUtil.Child(owner, "ID")) ?? "";
            result.OwnerDisplayName = owner is null ? null : XmlUtil.Child(owner, "DisplayName");
            var list = XmlUtil.Element(root, "AccessControlList");
            result.Grants = list is null ? [] : XmlUtil.Children(list, "Grant").Select(grant =>
            {
                var grantee = XmlUtil.Element(grant, "Grantee");
                return new CosGrant(
                    BareId(grantee is null ? null : XmlUtil.Child(grantee, "ID")),
                    grantee is null ? null : XmlUtil.Child(grantee, "URI"),
                    XmlUtil.Child(grant, "Permission") ?? "",
                    grantee is null ? null : XmlUtil.Child(grantee, "DisplayName"));
            }).ToList();
            return result;
        }
    }

    /// <summary>The user id of a grantee or owner id: COS's <c>qcs::cam::uin/ID:uin/ID</c> form becomes the bare ID.</summary>
    private static string? BareId(string? id)
    {
        const string Prefix = "qcs::cam::uin/";
        if (id is null || !id.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return id;
        }

        var rest = id[Prefix.Length..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? rest : rest[..colon];
    }
}
