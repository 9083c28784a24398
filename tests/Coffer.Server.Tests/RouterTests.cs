using Coffer.Protocol;
using Coffer.Server.Pipeline;
using Coffer.Server.Routing;

namespace Coffer.Server.Tests;

public sealed class RouterTests
{
    private static readonly Addressing Addressing = new("coffer.test");

    /// <summary>Request lines from the COS and S3 docs, each tried path-style and virtual-hosted.</summary>
    [Theory]
    [InlineData("GET", "/", "", null, Operation.ListBuckets)]
    [InlineData("PUT", "/b", "", null, Operation.CreateBucket)]
    [InlineData("HEAD", "/b", "", null, Operation.HeadBucket)]
    [InlineData("DELETE", "/b", "", null, Operation.DeleteBucket)]
    [InlineData("GET", "/b", "prefix=a&delimiter=%2F&max-keys=10", null, Operation.ListObjects)]
    [InlineData("GET", "/b", "list-type=2&continuation-token=x", null, Operation.ListObjectsV2)]
    [InlineData("GET", "/b", "versions", null, Operation.ListObjectVersions)]
    [InlineData("PUT", "/b", "versioning", null, Operation.PutBucketVersioning)]
    [InlineData("GET", "/b", "versioning", null, Operation.GetBucketVersioning)]
    [InlineData("GET", "/b", "location", null, Operation.GetBucketLocation)]
    [InlineData("GET", "/b", "uploads", null, Operation.ListMultipartUploads)]
    [InlineData("PUT", "/b", "encryption", null, Operation.PutBucketEncryption)]
    [InlineData("GET", "/b", "encryption", null, Operation.GetBucketEncryption)]
    [InlineData("DELETE", "/b", "encryption", null, Operation.DeleteBucketEncryption)]
    [InlineData("POST", "/b", "delete", null, Operation.DeleteObjects)]
    [InlineData("PUT", "/b/k", "", null, Operation.PutObject)]
    [InlineData("PUT", "/b/k", "x-id=PutObject", null, Operation.PutObject)]
    [InlineData("PUT", "/b/k", "", "x-cos-copy-source", Operation.CopyObject)]
    [InlineData("PUT", "/b/k", "", "x-amz-copy-source", Operation.CopyObject)]
    [InlineData("GET", "/b/k", "response-content-type=text%2Fplain", null, Operation.GetObject)]
    [InlineData("HEAD", "/b/k", "", null, Operation.HeadObject)]
    [InlineData("DELETE", "/b/k", "", null, Operation.DeleteObject)]
    [InlineData("POST", "/b/k", "uploads", null, Operation.CreateMultipartUpload)]
    [InlineData("PUT", "/b/k", "partNumber=1&uploadId=u", null, Operation.UploadPart)]
    [InlineData("PUT", "/b/k", "partNumber=1&uploadId=u", "x-cos-copy-source", Operation.UploadPartCopy)]
    [InlineData("POST", "/b/k", "uploadId=u", null, Operation.CompleteMultipartUpload)]
    [InlineData("DELETE", "/b/k", "uploadId=u", null, Operation.AbortMultipartUpload)]
    [InlineData("GET", "/b/k", "uploadId=u", null, Operation.ListParts)]
    [InlineData("POST", "/b/k", "restore", null, Operation.RestoreObject)]
    [InlineData("PUT", "/b/k", "tagging", null, Operation.PutObjectTagging)]
    [InlineData("GET", "/b/k", "tagging", null, Operation.GetObjectTagging)]
    [InlineData("DELETE", "/b/k", "tagging", null, Operation.DeleteObjectTagging)]
    [InlineData("GET", "/b/k", "tagging&versionId=null", null, Operation.GetObjectTagging)]
    [InlineData("PUT", "/b", "tagging", null, Operation.PutBucketTagging)]
    [InlineData("GET", "/b", "tagging", null, Operation.GetBucketTagging)]
    [InlineData("DELETE", "/b", "tagging", null, Operation.DeleteBucketTagging)]
    [InlineData("PUT", "/b", "lifecycle", null, Operation.PutBucketLifecycle)]
    [InlineData("GET", "/b", "lifecycle", null, Operation.GetBucketLifecycle)]
    [InlineData("DELETE", "/b", "lifecycle", null, Operation.DeleteBucketLifecycle)]
    [InlineData("PUT", "/b", "policy", null, Operation.PutBucketPolicy)]
    [InlineData("GET", "/b", "policy", null, Operation.GetBucketPolicy)]
    [InlineData("DELETE", "/b", "policy", null, Operation.DeleteBucketPolicy)]
    [InlineData("GET", "/b", "policyStatus", null, Operation.GetBucketPolicyStatus)]
    [InlineData("PUT", "/b", "cors", null, Operation.PutBucketCors)]
    [InlineData("GET", "/b", "cors", null, Operation.GetBucketCors)]
    [InlineData("DELETE", "/b", "cors", null, Operation.DeleteBucketCors)]
    [InlineData("OPTIONS", "/b", "", null, Operation.PreflightCors)]
    [InlineData("OPTIONS", "/b/k", "", null, Operation.PreflightCors)]
    [InlineData("OPTIONS", "/b/k", "uploads", null, Operation.PreflightCors)]
    [InlineData("OPTIONS", "/b", "acl", null, Operation.PreflightCors)]
    [InlineData("POST", "/b", "", "Content-Type", Operation.PostObject)]
    [InlineData("GET", "/b/k", "attributes", null, Operation.GetObjectAttributes)]
    [InlineData("GET", "/b/k", "attributes&versionId=null", null, Operation.GetObjectAttributes)]
    [InlineData("GET", "/", "max-buckets=10&continuation-token=abc&prefix=p", null, Operation.ListBuckets)]
    [InlineData("GET", "/b/k", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=x", null, Operation.GetObject)]
    [InlineData("GET", "/b/k", "q-sign-algorithm=sha1&q-signature=x&x-cos-security-token=t", null, Operation.GetObject)]
    [InlineData("GET", "/b", "acl", null, Operation.GetBucketAcl)]
    [InlineData("PUT", "/b", "acl", null, Operation.PutBucketAcl)]
    [InlineData("GET", "/b/k", "acl", null, Operation.GetObjectAcl)]
    [InlineData("PUT", "/b/k", "acl&versionId=null", null, Operation.PutObjectAcl)]
    [InlineData("GET", "/b", "ownershipControls", null, Operation.GetBucketOwnershipControls)]
    [InlineData("PUT", "/b", "ownershipControls", null, Operation.PutBucketOwnershipControls)]
    [InlineData("DELETE", "/b", "ownershipControls", null, Operation.DeleteBucketOwnershipControls)]
    [InlineData("GET", "/b", "publicAccessBlock", null, Operation.GetPublicAccessBlock)]
    [InlineData("PUT", "/b", "publicAccessBlock", null, Operation.PutPublicAccessBlock)]
    [InlineData("DELETE", "/b", "publicAccessBlock", null, Operation.DeletePublicAccessBlock)]
    public void Request_lines_map_to_operations_path_style_and_virtual_hosted(string method, string path, string query, string? header, Operation expected)
    {
        Func<string, string?> headers = name => name != header ? null : name == "Content-Type" ? "multipart/form-data; boundary=x" : "src/key";
        var pathStyle = Addressing.Resolve("127.0.0.1:9000", path);
        Assert.Equal(expected, Router.Resolve(method, pathStyle, RequestQuery.Parse(query), headers));

        if (path == "/") return;
        var bucket = path.Split('/')[1];
        var rest = path[(1 + bucket.Length)..];
        var virtualHosted = Addressing.Resolve($"{bucket}.coffer.test:9000", rest.Length == 0 ? "/" : rest);
        Assert.Equal(expected, Router.Resolve(method, virtualHosted, RequestQuery.Parse(query), headers));
    }

    [Theory]
    [InlineData("PUT", "/b", "website")]
    [InlineData("GET", "/b", "replication")]
    public void Unimplemented_sub_resources_are_not_implemented(string method, string path, string query)
    {
        var e = Assert.Throws<CofferException>(() => Router.Resolve(method, Addressing.Resolve("h", path), RequestQuery.Parse(query), _ => null));
        Assert.Equal(ErrorCode.NotImplemented, e.Error);
    }

    [Theory]
    [InlineData("POST", "/b", "")]
    [InlineData("POST", "/b/k", "")]
    [InlineData("POST", "/b/k", "cors")]
    [InlineData("POST", "/b", "cors")]
    [InlineData("PUT", "/", "")]
    [InlineData("GET", "/b", "delete")]
    [InlineData("POST", "/b/k", "tagging")]
    [InlineData("PUT", "/b/k", "lifecycle")]
    [InlineData("POST", "/b", "lifecycle")]
    [InlineData("PUT", "/b/k", "attributes")]
    [InlineData("HEAD", "/b/k", "attributes")]
    [InlineData("POST", "/b", "policy")]
    [InlineData("PUT", "/b/k", "policy")]
    [InlineData("PUT", "/b", "policyStatus")]
    [InlineData("DELETE", "/b/k", "acl")]
    [InlineData("DELETE", "/b", "acl")]
    [InlineData("GET", "/b/k", "publicAccessBlock")]
    [InlineData("POST", "/b", "ownershipControls")]
    public void Wrong_methods_are_method_not_allowed(string method, string path, string query)
    {
        var e = Assert.Throws<CofferException>(() => Router.Resolve(method, Addressing.Resolve("h", path), RequestQuery.Parse(query), _ => null));
        Assert.Equal(ErrorCode.MethodNotAllowed, e.Error);
    }
}
