using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.Security.Tests.Infrastructure;

/// <summary>One operation of the S3/COS API, aimed at the scene's resources.</summary>
/// <param name="Name">The operation, as the reference APIs name it (plus a hint where one operation has two rows).</param>
/// <param name="Build">The request, unsigned.</param>
/// <param name="Writes">Whether the operation changes something when it is allowed.</param>
/// <param name="SecureOnly">Whether it carries an SSE-C key or asks for SSE-KMS (HTTPS only).</param>
/// <param name="OwnerStatus">What the owner gets for it, signed well (200 stands for any 2xx; the scene makes some fail on their merits).</param>
/// <param name="AdminOnly">A call of the admin API (/_coffer/admin/…): its owner is the root user, who may send it signed in the
/// Authorization header over HTTPS only; everybody else, and every presigned URL, gets 403 AccessDenied.</param>
public sealed record OperationRow(string Name, Func<AttackScene, Req> Build, bool Writes = false, bool SecureOnly = false, int OwnerStatus = 200, bool AdminOnly = false)
{
    public override string ToString() => Name;
}

/// <summary>
/// The operation tables every attack class runs through. A new operation is covered by every
/// class once it has a row here.
/// </summary>
public static class Operations
{
    private const string EncryptionXml =
        "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";

    private const string TaggingXml = "<Tagging><TagSet><Tag><Key>planted</Key><Value>yes</Value></Tag></TagSet></Tagging>";

    private const string PlantedLifecycleXml =
        "<LifecycleConfiguration><Rule><ID>planted</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>";

    /// <summary>A policy an attacker would like: bob may do anything in the bucket (not public, so the bucket's default Block Public Access lets its owner set it).</summary>
    private static string PlantedPolicy(string bucket) =>
        $$"""{"Version":"2012-10-17","Statement":[{"Sid":"planted","Effect":"Allow","Principal":{"AWS":"bob"},"Action":"s3:*","Resource":["arn:aws:s3:::{{bucket}}","arn:aws:s3:::{{bucket}}/*"]}]}""";
    private const string OwnershipXml = "<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>";

    private const string PublicAccessBlockXml =
        "<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>"
        + "<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>";
    private const string PlantedCorsXml =
        "<CORSConfiguration><CORSRule><ID>planted</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";

    /// <summary>A browser form with no signature fields: sent by whoever signed the request itself (header or presigned query), else anonymous.</summary>
    private const string UnsignedForm =
        "--b0undary\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nplanted-by-form\r\n"
        + "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"\r\nContent-Type: text/plain\r\n\r\nplanted\r\n--b0undary--\r\n";

    private static (string, string)[] SseC(string prefix = "x-{fam}-server-side-encryption-customer-") =>
        [(prefix + "algorithm", "AES256"), (prefix + "key", SseKeys.KeyA), (prefix + "key-MD5", SseKeys.KeyAMd5)];

    /// <summary>Server path of the admin API, as a <see cref="Req"/> bucket (Wire sends it path style in both families).</summary>
    public const string AdminRoot = "_coffer";

    /// <summary>The admin API (docs/admin-api.md): users and keys, temporary credentials, rekey jobs, the KMS audit log.</summary>
    public static readonly OperationRow[] AdminCalls =
    [
        new("Admin ListUsers", _ => new Req("GET", AdminRoot, "admin/users"), AdminOnly: true),
        new("Admin AddUser", _ => new Req("POST", AdminRoot, "admin/users").WithJson($$"""{"name": "{{AttackScene.PlantedUserPrefix}}{{Guid.NewGuid():N}}"}"""),
            Writes: true, OwnerStatus: 201, AdminOnly: true),
        new("Admin RemoveUser", _ => new Req("DELETE", AdminRoot, "admin/users/" + AttackScene.VictimUser), Writes: true, OwnerStatus: 204, AdminOnly: true),
        new("Admin IssueTemporaryCredentials", _ => new Req("POST", AdminRoot, "admin/users/alice/temporary-credentials").WithJson("""{"durationSeconds": 900}"""),
            AdminOnly: true),
        new("Admin StartRekeyJob", s => new Req("POST", AdminRoot, "admin/rekey-jobs").WithJson($$"""{"bucket": "{{s.Bucket}}", "toKey": "alias/none"}"""),
            Writes: true, OwnerStatus: 400, AdminOnly: true),
        new("Admin GetRekeyJob", _ => new Req("GET", AdminRoot, "admin/rekey-jobs/0123456789abcdef0123456789abcdef"), OwnerStatus: 404, AdminOnly: true),
        new("Admin StopRekeyJob", _ => new Req("DELETE", AdminRoot, "admin/rekey-jobs/0123456789abcdef0123456789abcdef"), Writes: true, OwnerStatus: 404, AdminOnly: true),
        new("Admin ReadKmsAudit", _ => new Req("GET", AdminRoot, "admin/kms-audit").With(("limit", "5")), AdminOnly: true),
    ];

    /// <summary>Every operation, aimed at alice's bucket, objects and upload.</summary>
    public static readonly OperationRow[] OnAlice =
    [
        new("ListObjects", s => new Req("GET", s.Bucket)),
        new("ListObjectsV2", s => new Req("GET", s.Bucket).With(("list-type", "2"))),
        new("ListObjectVersions", s => new Req("GET", s.Bucket).With(("versions", ""))),
        new("ListMultipartUploads", s => new Req("GET", s.Bucket).With(("uploads", ""))),
        new("HeadBucket", s => new Req("HEAD", s.Bucket)),
        new("GetBucketLocation", s => new Req("GET", s.Bucket).With(("location", ""))),
        new("GetBucketVersioning", s => new Req("GET", s.Bucket).With(("versioning", ""))),
        new("PutBucketVersioning", s => new Req("PUT", s.Bucket).With(("versioning", ""))
            .WithBody("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>", md5: true), Writes: true),
        new("GetBucketEncryption", s => new Req("GET", s.Bucket).With(("encryption", "")), OwnerStatus: 404),
        new("PutBucketEncryption", s => new Req("PUT", s.Bucket).With(("encryption", "")).WithBody(EncryptionXml, md5: true), Writes: true),
        new("DeleteBucketEncryption", s => new Req("DELETE", s.Bucket).With(("encryption", "")), Writes: true),
        new("GetBucketTagging", s => new Req("GET", s.Bucket).With(("tagging", ""))),
        new("PutBucketTagging", s => new Req("PUT", s.Bucket).With(("tagging", "")).WithBody(TaggingXml, md5: true), Writes: true),
        new("DeleteBucketTagging", s => new Req("DELETE", s.Bucket).With(("tagging", "")), Writes: true),
        new("GetBucketLifecycle", s => new Req("GET", s.Bucket).With(("lifecycle", ""))),
        new("PutBucketLifecycle", s => new Req("PUT", s.Bucket).With(("lifecycle", "")).WithBody(PlantedLifecycleXml, md5: true), Writes: true),
        new("DeleteBucketLifecycle", s => new Req("DELETE", s.Bucket).With(("lifecycle", "")), Writes: true),
        new("GetBucketPolicy", s => new Req("GET", s.Bucket).With(("policy", ""))),
        new("GetBucketPolicyStatus", s => new Req("GET", s.Bucket).With(("policyStatus", ""))),
        new("PutBucketPolicy", s => new Req("PUT", s.Bucket).With(("policy", "")).WithJson(PlantedPolicy(s.Bucket)), Writes: true),
        new("DeleteBucketPolicy", s => new Req("DELETE", s.Bucket).With(("policy", "")), Writes: true),
        new("GetBucketAcl", s => new Req("GET", s.Bucket).With(("acl", ""))),
        new("PutBucketAcl", s => new Req("PUT", s.Bucket).With(("acl", "")).WithHeaders(("x-{fam}-acl", "private")), Writes: true),
        new("GetBucketOwnershipControls", s => new Req("GET", s.Bucket).With(("ownershipControls", ""))),
        new("PutBucketOwnershipControls", s => new Req("PUT", s.Bucket).With(("ownershipControls", "")).WithBody(OwnershipXml, md5: true), Writes: true),
        new("DeleteBucketOwnershipControls", s => new Req("DELETE", s.Bucket).With(("ownershipControls", "")), Writes: true, OwnerStatus: 204),
        new("GetPublicAccessBlock", s => new Req("GET", s.Bucket).With(("publicAccessBlock", ""))),
        new("PutPublicAccessBlock", s => new Req("PUT", s.Bucket).With(("publicAccessBlock", "")).WithBody(PublicAccessBlockXml, md5: true), Writes: true),
        new("DeletePublicAccessBlock", s => new Req("DELETE", s.Bucket).With(("publicAccessBlock", "")), Writes: true, OwnerStatus: 204),
        new("GetBucketCors", s => new Req("GET", s.Bucket).With(("cors", "")), OwnerStatus: 404),
        new("PutBucketCors", s => new Req("PUT", s.Bucket).With(("cors", "")).WithBody(PlantedCorsXml, md5: true), Writes: true),
        new("DeleteBucketCors", s => new Req("DELETE", s.Bucket).With(("cors", "")), Writes: true),
        new("DeleteBucket", s => new Req("DELETE", s.Bucket), Writes: true, OwnerStatus: 409),
        new("PostObject(form without signature fields)", s => new Req("POST", s.Bucket).WithBody(UnsignedForm).WithHeaders(("Content-Type", "multipart/form-data; boundary=b0undary")),
            Writes: true),
        new("DeleteObjects", s => new Req("POST", s.Bucket).With(("delete", ""))
            .WithBody($"<Delete><Object><Key>{AttackScene.Object}</Key></Object></Delete>", md5: true), Writes: true),
        new("GetObject", s => new Req("GET", s.Bucket, AttackScene.Object)),
        new("GetObject(SSE-C)", s => new Req("GET", s.Bucket, AttackScene.SsecObject).WithHeaders(SseC()), SecureOnly: true),
        new("HeadObject", s => new Req("HEAD", s.Bucket, AttackScene.Object)),
        new("GetObject(versionId)", s => new Req("GET", s.Bucket, AttackScene.Object).With(("versionId", "null"))),
        new("HeadObject(versionId)", s => new Req("HEAD", s.Bucket, AttackScene.Object).With(("versionId", "null"))),
        new("GetObjectTagging(versionId)", s => new Req("GET", s.Bucket, AttackScene.Object).With(("tagging", ""), ("versionId", "null"))),
        new("GetObjectAcl(versionId)", s => new Req("GET", s.Bucket, AttackScene.Object).With(("acl", ""), ("versionId", "null"))),
        new("CopyObject(source versionId)", s => new Req("PUT", s.Bucket, "copied-version")
            .WithHeaders(("x-{fam}-copy-source", $"/{s.Bucket}/{AttackScene.Object}?versionId=null")), Writes: true),
        new("DeleteObjects(versionId)", s => new Req("POST", s.Bucket).With(("delete", ""))
            .WithBody($"<Delete><Object><Key>{AttackScene.Object}</Key><VersionId>null</VersionId></Object></Delete>", md5: true), Writes: true),
        new("GetObjectAttributes", s => new Req("GET", s.Bucket, AttackScene.Object).With(("attributes", ""))
            .WithHeaders(("x-{fam}-object-attributes", "ETag,ObjectSize,StorageClass"))),
        new("GetObjectAttributes(SSE-C)", s => new Req("GET", s.Bucket, AttackScene.SsecObject).With(("attributes", ""))
            .WithHeaders([("x-{fam}-object-attributes", "ETag,ObjectSize"), .. SseC()]), SecureOnly: true),
        new("PutObject(If-None-Match)", s => new Req("PUT", s.Bucket, $"planted-conditional-{Guid.NewGuid():N}") { Body = "planted"u8.ToArray() }
            .WithHeaders(("If-None-Match", "*")), Writes: true),
        new("PutObject(overwrite)", s => new Req("PUT", s.Bucket, AttackScene.Object) { Body = "overwritten"u8.ToArray() }, Writes: true),
        new("PutObject(SSE-C)", s => new Req("PUT", s.Bucket, "planted-ssec") { Body = "planted"u8.ToArray() }.WithHeaders(SseC()), Writes: true, SecureOnly: true),
        new("PutObject(SSE-KMS)", s => new Req("PUT", s.Bucket, "planted-kms") { Body = "planted"u8.ToArray() }
            .WithHeaders(("x-{fam}-server-side-encryption", "aws:kms")), Writes: true, SecureOnly: true),
        new("CopyObject", s => new Req("PUT", s.Bucket, "copied").WithHeaders(("x-{fam}-copy-source", $"/{s.Bucket}/{AttackScene.Object}")), Writes: true),
        new("CopyObject(self, storage class)", s => new Req("PUT", s.Bucket, AttackScene.Object)
            .WithHeaders(("x-{fam}-copy-source", $"/{s.Bucket}/{AttackScene.Object}"), ("x-{fam}-storage-class", "ARCHIVE"), ("x-{fam}-metadata-directive", "REPLACE")), Writes: true),
        new("PutObject(tagging)", s => new Req("PUT", s.Bucket, AttackScene.Object) { Body = "overwritten"u8.ToArray() }
            .WithHeaders(("x-{fam}-tagging", "planted=yes")), Writes: true),
        new("GetObjectTagging", s => new Req("GET", s.Bucket, AttackScene.Object).With(("tagging", ""))),
        new("PutObjectTagging", s => new Req("PUT", s.Bucket, AttackScene.Object).With(("tagging", "")).WithBody(TaggingXml, md5: true), Writes: true),
        new("DeleteObjectTagging", s => new Req("DELETE", s.Bucket, AttackScene.Object).With(("tagging", "")), Writes: true, OwnerStatus: 204),
        new("GetObjectAcl", s => new Req("GET", s.Bucket, AttackScene.Object).With(("acl", ""))),
        new("PutObjectAcl", s => new Req("PUT", s.Bucket, AttackScene.Object).With(("acl", "")).WithHeaders(("x-{fam}-acl", "private")), Writes: true),
        new("DeleteObject", s => new Req("DELETE", s.Bucket, AttackScene.Object), Writes: true),
        new("DeleteObject(versionId)", s => new Req("DELETE", s.Bucket, AttackScene.Object).With(("versionId", "null")), Writes: true),
        new("RestoreObject", s => new Req("POST", s.Bucket, AttackScene.ArchivedObject).With(("restore", ""))
            .WithBody("<RestoreRequest><Days>1</Days><CASJobParameters><Tier>Standard</Tier></CASJobParameters></RestoreRequest>"), Writes: true, OwnerStatus: 202),
        new("CreateMultipartUpload", s => new Req("POST", s.Bucket, "planted-mp").With(("uploads", "")), Writes: true),
        new("UploadPart", s => new Req("PUT", s.Bucket, AttackScene.UploadKey) { Body = "part"u8.ToArray() }
            .With(("partNumber", "1"), ("uploadId", s.UploadId)), Writes: true),
        new("UploadPartCopy", s => new Req("PUT", s.Bucket, AttackScene.UploadKey).With(("partNumber", "1"), ("uploadId", s.UploadId))
            .WithHeaders(("x-{fam}-copy-source", $"/{s.Bucket}/{AttackScene.Object}")), Writes: true),
        new("ListParts", s => new Req("GET", s.Bucket, AttackScene.UploadKey).With(("uploadId", s.UploadId))),
        new("CompleteMultipartUpload", s => new Req("POST", s.Bucket, AttackScene.UploadKey).With(("uploadId", s.UploadId))
            .WithBody("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"0\"</ETag></Part></CompleteMultipartUpload>"), Writes: true, OwnerStatus: 400),
        new("AbortMultipartUpload", s => new Req("DELETE", s.Bucket, AttackScene.UploadKey).With(("uploadId", s.UploadId)), Writes: true),
        .. AdminCalls,
    ];


    /// <summary>
    /// Operations bob is allowed to send (the target is his own bucket) that name one of alice's
    /// things in a header or argument: a copy source, an upload id. Each must be refused.
    /// </summary>
    public static readonly (OperationRow Row, int Status, string Code)[] ReachThrough =
    [
        (new("CopyObject(from alice)", s => new Req("PUT", s.BobBucket, "stolen").WithHeaders(("x-{fam}-copy-source", $"/{s.Bucket}/{AttackScene.Object}")), Writes: true), 403, "AccessDenied"),
        (new("CopyObject(from alice, SSE-C source)", s => new Req("PUT", s.BobBucket, "stolen-ssec")
            .WithHeaders([("x-{fam}-copy-source", $"/{s.Bucket}/{AttackScene.SsecObject}"), .. SseC("x-{fam}-copy-source-server-side-encryption-customer-")]), Writes: true, SecureOnly: true), 403, "AccessDenied"),
        (new("CopyObject(from alice, a version)", s => new Req("PUT", s.BobBucket, "stolen-version")
            .WithHeaders(("x-{fam}-copy-source", $"/{s.Bucket}/{AttackScene.Object}?versionId=null")), Writes: true), 403, "AccessDenied"),
        (new("UploadPartCopy(from alice)", s => new Req("PUT", s.BobBucket, AttackScene.UploadKey).With(("partNumber", "1"), ("uploadId", s.BobUploadId))
            .WithHeaders(("x-{fam}-copy-source", $"/{s.Bucket}/{AttackScene.Object}")), Writes: true), 403, "AccessDenied"),
        (new("UploadPart(alice's upload id)", s => new Req("PUT", s.BobBucket, AttackScene.UploadKey) { Body = "part"u8.ToArray() }
            .With(("partNumber", "1"), ("uploadId", s.UploadId)), Writes: true), 404, "NoSuchUpload"),
        (new("ListParts(alice's upload id)", s => new Req("GET", s.BobBucket, AttackScene.UploadKey).With(("uploadId", s.UploadId))), 404, "NoSuchUpload"),
        (new("AbortMultipartUpload(alice's upload id)", s => new Req("DELETE", s.BobBucket, AttackScene.UploadKey).With(("uploadId", s.UploadId)), Writes: true), 404, "NoSuchUpload"),
        (new("CompleteMultipartUpload(alice's upload id)", s => new Req("POST", s.BobBucket, AttackScene.UploadKey).With(("uploadId", s.UploadId))
            .WithBody("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"0\"</ETag></Part></CompleteMultipartUpload>"), Writes: true), 404, "NoSuchUpload"),
    ];

    /// <summary>The signature schemes every row is tried under.</summary>
    public static readonly Auth[] Signed = [Auth.S3Header, Auth.S3Presigned, Auth.CosHeader, Auth.CosPresigned, Auth.S3V2Header, Auth.S3V2Presigned];

    public static TheoryData<string, Auth> EveryOperationEveryScheme(IEnumerable<OperationRow> rows)
    {
        var data = new TheoryData<string, Auth>();
        foreach (var row in rows)
            foreach (var auth in Signed)
                data.Add(row.Name, auth);
        return data;
    }

    public static OperationRow Row(string name) =>
        OnAlice.FirstOrDefault(r => r.Name == name) ?? ReachThrough.First(r => r.Row.Name == name).Row;
}
