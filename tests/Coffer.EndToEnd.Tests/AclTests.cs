using System.Net;
using System.Net.Http.Headers;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// ACLs, Object Ownership and Block Public Access through AWSSDK.S3, with a second user and anonymous (unsigned)
/// callers: each canned ACL's effect, grant headers, GET/PUT ?acl round trips, ACLs refused under BucketOwnerEnforced,
/// BlockPublicAcls and IgnorePublicAcls, and the S3 defaults of a new bucket.
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class AclTests(CofferFixture f)
{
    private sealed record User(AmazonS3Client S3, string Id, string Name, string AccessKey, string SecretKey) : IDisposable
    {
        public void Dispose() => S3.Dispose();
    }

    private async Task<User> NewUserAsync(string hint)
    {
        var name = hint + "-" + Guid.NewGuid().ToString("N")[..8];
        var (ak, sk) = (await Coffer.Server.Hosting.Credentials.AddUserAsync(f.Server.Services.Store, f.Server.Services.RootKey, name))!.Value;
        var id = (await f.Server.Services.Store.ListUsersAsync()).Single(u => u.Name == name).Id;
        return new User(Clients.S3(f, accessKey: ak, secretKey: sk), id, name, ak, sk);
    }

    /// <summary>A bucket of the root user with ACLs on (ObjectWriter) and nothing blocked: the legacy settings.</summary>
    private async Task<(AmazonS3Client S3, string Bucket)> AclBucketAsync(AmazonS3Client? owner = null)
    {
        var s3 = owner ?? Clients.S3(f);
        var bucket = CofferFixture.NewBucket("acl");
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, ObjectOwnership = ObjectOwnership.ObjectWriter });
        await s3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
        return (s3, bucket);
    }

    private Task<HttpResponseMessage> AnonymousAsync(HttpMethod method, string bucket, string? key = null, string query = "", HttpContent? body = null, bool https = false)
    {
        var url = https ? f.HttpsUrl : f.HttpUrl;
        var http = Clients.Http(f, url.Port);
        var request = new HttpRequestMessage(method, new Uri(url, "/" + bucket + (key is null ? "" : "/" + key) + (query.Length > 0 ? "?" + query : ""))) { Content = body };
        return http.SendAsync(request);
    }

    private static async Task<AmazonS3Exception> RefusedAsync(Func<Task> call, HttpStatusCode status, string code)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
        Assert.Equal(status, e.StatusCode);
        Assert.Equal(code, e.ErrorCode);
        return e;
    }

    private static async Task<string> ReadAsync(AmazonS3Client s3, string bucket, string key)
    {
        using var get = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(get.ResponseStream).ReadToEndAsync();
    }

    private static async Task AssertAnonymousRefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("<Code>AccessDenied</Code>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_new_bucket_has_acls_off_and_every_public_access_block_flag_on_and_refuses_acls()
    {
        using var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket("acl");
        await s3.PutBucketAsync(bucket);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "hello" });

        var ownership = await s3.GetBucketOwnershipControlsAsync(new GetBucketOwnershipControlsRequest { BucketName = bucket });
        Assert.Equal(ObjectOwnership.BucketOwnerEnforced, ownership.OwnershipControls.Rules.Single().ObjectOwnership);
        var block = (await s3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket })).PublicAccessBlockConfiguration;
        Assert.True(block.BlockPublicAcls == true && block.IgnorePublicAcls == true && block.BlockPublicPolicy == true && block.RestrictPublicBuckets == true);

        // GET ?acl answers the owner's FULL_CONTROL only.
        var rootId = await f.RootIdAsync();
        var acl = await s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket });
        Assert.Equal(rootId, acl.Owner.Id);
        var grant = Assert.Single(acl.Grants);
        Assert.Equal(rootId, grant.Grantee.CanonicalUser);
        Assert.Equal(S3Permission.FULL_CONTROL, grant.Permission);
        Assert.Single((await s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "k" })).Grants);

        // ACLs are off: any ACL but the owner-only ones is refused, on writes and on ?acl.
        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "p", ContentBody = "x", CannedACL = S3CannedACL.PublicRead }),
            HttpStatusCode.BadRequest, "AccessControlListNotSupported");
        await RefusedAsync(() => s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicRead }),
            HttpStatusCode.BadRequest, "AccessControlListNotSupported");
        await RefusedAsync(() => s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "k", ACL = S3CannedACL.AuthenticatedRead }),
            HttpStatusCode.BadRequest, "AccessControlListNotSupported");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "owned", ContentBody = "x", CannedACL = S3CannedACL.BucketOwnerFullControl });
        await RefusedAsync(() => s3.GetObjectAsync(bucket, "p"), HttpStatusCode.NotFound, "NoSuchKey");

        using var anonymous = await AnonymousAsync(HttpMethod.Get, bucket, "k");
        await AssertAnonymousRefusedAsync(anonymous);

        // A public ACL on CreateBucket under the default BucketOwnerEnforced: S3's InvalidBucketAclWithObjectOwnership.
        await RefusedAsync(() => s3.PutBucketAsync(new PutBucketRequest { BucketName = CofferFixture.NewBucket("acl"), CannedACL = S3CannedACL.PublicRead }),
            HttpStatusCode.BadRequest, "InvalidBucketAclWithObjectOwnership");
    }

    [Fact]
    public async Task Each_canned_object_acl_lets_in_exactly_whom_it_names()
    {
        var (s3, bucket) = await AclBucketAsync();
        using var _ = s3;
        using var bob = await NewUserAsync("bob");
        foreach (var (key, acl) in new[] { ("private", S3CannedACL.Private), ("public-read", S3CannedACL.PublicRead), ("auth-read", S3CannedACL.AuthenticatedRead) })
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, ContentBody = "data of " + key, CannedACL = acl });

        // private: the owner only.
        await RefusedAsync(() => bob.S3.GetObjectAsync(bucket, "private"), HttpStatusCode.Forbidden, "AccessDenied");
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "private"))
            await AssertAnonymousRefusedAsync(r);

        // public-read: anyone, signed or not, reads (and HEADs) it.
        Assert.Equal("data of public-read", await ReadAsync(bob.S3, bucket, "public-read"));
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "public-read"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("data of public-read", await r.Content.ReadAsStringAsync());
        }
        using (var r = await AnonymousAsync(HttpMethod.Head, bucket, "public-read"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        // authenticated-read: any signed user, not an anonymous caller.
        Assert.Equal("data of auth-read", await ReadAsync(bob.S3, bucket, "auth-read"));
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "auth-read"))
            await AssertAnonymousRefusedAsync(r);

        // A read grant is not a list, a write, nor the ACL.
        await RefusedAsync(() => bob.S3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }), HttpStatusCode.Forbidden, "AccessDenied");
        await RefusedAsync(() => bob.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "public-read", ContentBody = "overwritten" }),
            HttpStatusCode.Forbidden, "AccessDenied");
        await RefusedAsync(() => bob.S3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "public-read" }), HttpStatusCode.Forbidden, "AccessDenied");
        await RefusedAsync(() => bob.S3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "public-read", ACL = S3CannedACL.PublicReadWrite }),
            HttpStatusCode.Forbidden, "AccessDenied");
        await RefusedAsync(() => bob.S3.DeleteObjectAsync(bucket, "public-read"), HttpStatusCode.Forbidden, "AccessDenied");
        using (var r = await AnonymousAsync(HttpMethod.Put, bucket, "public-read", "acl"))
            await AssertAnonymousRefusedAsync(r);
        Assert.Equal("data of public-read", await ReadAsync(s3, bucket, "public-read"));
    }

    [Fact]
    public async Task Grant_headers_round_trip_through_get_acl_and_give_each_grantee_only_its_permission()
    {
        var (s3, bucket) = await AclBucketAsync();
        using var _ = s3;
        using var reader = await NewUserAsync("reader");
        using var acpWriter = await NewUserAsync("acp");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "secret" });
        await s3.PutObjectAclAsync(new PutObjectAclRequest
        {
            BucketName = bucket,
            Key = "k",
            GrantRead = $"id=\"{reader.Id}\"",
            GrantWriteACP = $"id=\"{acpWriter.Id}\"",
            GrantReadACP = "uri=\"http://acs.amazonaws.com/groups/global/AuthenticatedUsers\"",
        });

        var acl = await s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "k" });
        Assert.Equal(await f.RootIdAsync(), acl.Owner.Id);
        Assert.Contains(acl.Grants, g => g.Grantee.CanonicalUser == reader.Id && g.Permission == S3Permission.READ && g.Grantee.DisplayName == reader.Name);
        Assert.Contains(acl.Grants, g => g.Grantee.CanonicalUser == acpWriter.Id && g.Permission == S3Permission.WRITE_ACP);
        Assert.Contains(acl.Grants, g => g.Grantee.URI == "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" && g.Permission == S3Permission.READ_ACP);
        Assert.Equal(3, acl.Grants.Count);

        // READ reads the data; READ_ACP (to every signed user) reads the ACL; WRITE_ACP does not read the data.
        Assert.Equal("secret", await ReadAsync(reader.S3, bucket, "k"));
        Assert.Equal(3, (await reader.S3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "k" })).Grants.Count);
        await RefusedAsync(() => reader.S3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "k", ACL = S3CannedACL.PublicRead }),
            HttpStatusCode.Forbidden, "AccessDenied");
        await RefusedAsync(() => acpWriter.S3.GetObjectAsync(bucket, "k"), HttpStatusCode.Forbidden, "AccessDenied");
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "k", "acl"))
            await AssertAnonymousRefusedAsync(r);

        // The WRITE_ACP holder may rewrite the ACL (here: to private, which drops every grant but the owner's).
        await acpWriter.S3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "k", ACL = S3CannedACL.Private });
        await RefusedAsync(() => reader.S3.GetObjectAsync(bucket, "k"), HttpStatusCode.Forbidden, "AccessDenied");
        Assert.Single((await s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "k" })).Grants);

        // Bad grants: an unknown id, an email grantee, canned and grant headers together, nothing at all.
        await RefusedAsync(() => s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "k", GrantRead = $"id=\"{new string('0', 64)}\"" }),
            HttpStatusCode.BadRequest, "InvalidArgument");
        await RefusedAsync(() => s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "k", GrantRead = "emailAddress=\"a@example.com\"" }),
            HttpStatusCode.BadRequest, "InvalidArgument");
        await RefusedAsync(() => s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "k", ACL = S3CannedACL.PublicRead, GrantRead = $"id=\"{reader.Id}\"" }),
            HttpStatusCode.BadRequest, "InvalidRequest");
        await RefusedAsync(() => s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "k" }), HttpStatusCode.BadRequest, "MissingSecurityHeader");
    }

    [Fact]
    public async Task An_access_control_policy_body_round_trips_on_a_bucket_and_its_read_grant_lets_the_grantee_list()
    {
        var (s3, bucket) = await AclBucketAsync();
        using var _ = s3;
        using var bob = await NewUserAsync("lister");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "listed", ContentBody = "x" });
        var rootId = await f.RootIdAsync();
        await s3.PutBucketAclAsync(new PutBucketAclRequest
        {
            BucketName = bucket,
            AccessControlPolicy = new S3AccessControlList
            {
                Owner = new Owner { Id = rootId },
                Grants =
                [
                    new S3Grant { Grantee = new S3Grantee { CanonicalUser = rootId }, Permission = S3Permission.FULL_CONTROL },
                    new S3Grant { Grantee = new S3Grantee { CanonicalUser = bob.Id }, Permission = S3Permission.READ },
                ],
            },
        });
        var acl = await s3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket });
        Assert.Equal(2, acl.Grants.Count);
        Assert.Contains(acl.Grants, g => g.Grantee.CanonicalUser == bob.Id && g.Permission == S3Permission.READ);

        Assert.Equal(["listed"], await Clients.ListAllKeysAsync(bob.S3, bucket));
        await RefusedAsync(() => bob.S3.GetObjectAsync(bucket, "listed"), HttpStatusCode.Forbidden, "AccessDenied");
        await RefusedAsync(() => bob.S3.GetBucketAclAsync(new GetBucketAclRequest { BucketName = bucket }), HttpStatusCode.Forbidden, "AccessDenied");
        await RefusedAsync(() => bob.S3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicReadWrite }),
            HttpStatusCode.Forbidden, "AccessDenied");
        // Ownership controls and the public access block are the owner's alone, whatever the ACL grants.
        await RefusedAsync(() => bob.S3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket }), HttpStatusCode.Forbidden, "AccessDenied");
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket))
            await AssertAnonymousRefusedAsync(r);

        // Switching to BucketOwnerEnforced while the ACL grants others is refused.
        await RefusedAsync(() => s3.PutBucketOwnershipControlsAsync(new PutBucketOwnershipControlsRequest
        {
            BucketName = bucket,
            OwnershipControls = new OwnershipControls { Rules = [new OwnershipControlsRule { ObjectOwnership = ObjectOwnership.BucketOwnerEnforced }] },
        }), HttpStatusCode.BadRequest, "InvalidBucketAclWithObjectOwnership");
    }

    [Fact]
    public async Task A_public_read_write_bucket_takes_anonymous_and_granted_writes_and_the_writer_owns_what_it_writes()
    {
        var (s3, bucket) = await AclBucketAsync();
        using var _ = s3;
        using var bob = await NewUserAsync("writer");
        await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.PublicReadWrite });

        using (var put = await AnonymousAsync(HttpMethod.Put, bucket, "anon", body: new StringContent("from nobody")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using (var list = await AnonymousAsync(HttpMethod.Get, bucket))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.Contains("<Key>anon</Key>", await list.Content.ReadAsStringAsync());
        }
        // An anonymous write is owned by the bucket owner, and private: the owner reads it, an anonymous caller does not.
        Assert.Equal("from nobody", await ReadAsync(s3, bucket, "anon"));
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "anon"))
            await AssertAnonymousRefusedAsync(r);

        // Under ObjectWriter bob owns what he writes: he reads it and its ACL; so does the bucket owner.
        await bob.S3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "bobs", ContentBody = "bob's" });
        var acl = await bob.S3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "bobs" });
        Assert.Equal(bob.Id, acl.Owner.Id);
        Assert.Equal("bob's", await ReadAsync(bob.S3, bucket, "bobs"));
        Assert.Equal("bob's", await ReadAsync(s3, bucket, "bobs"));

        // An anonymous writer gets no SSE-KMS; SSE-S3 is fine.
        using (var kms = await AnonymousAsync(HttpMethod.Put, bucket, "kms", body: WithHeader(new StringContent("x"), "x-amz-server-side-encryption", "aws:kms"), https: true))
            Assert.Equal(HttpStatusCode.Forbidden, kms.StatusCode);
        using (var sse = await AnonymousAsync(HttpMethod.Put, bucket, "sse", body: WithHeader(new StringContent("x"), "x-amz-server-side-encryption", "AES256")))
            Assert.Equal(HttpStatusCode.OK, sse.StatusCode);
        Assert.Equal(ServerSideEncryptionMethod.AES256, (await s3.GetObjectMetadataAsync(bucket, "sse")).ServerSideEncryptionMethod);
        await RefusedAsync(() => s3.GetObjectMetadataAsync(bucket, "kms"), HttpStatusCode.NotFound, "NotFound");

        // A grantee's write is sealed under a key the writer may use: the owner's key is refused, asked for or as the bucket default.
        var rootKey = (await f.Server.Services.Kms.GetOrCreateDefaultKeyAsync(await f.RootIdAsync())).KeyId;
        using var bobHttps = Clients.S3(f, https: true, accessKey: bob.AccessKey, secretKey: bob.SecretKey);
        await RefusedAsync(() => bobHttps.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = "bob-kms",
            ContentBody = "x",
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
            ServerSideEncryptionKeyManagementServiceKeyId = rootKey,
        }), HttpStatusCode.Forbidden, "AccessDenied");
        await s3.PutBucketEncryptionAsync(new PutBucketEncryptionRequest
        {
            BucketName = bucket,
            ServerSideEncryptionConfiguration = new ServerSideEncryptionConfiguration
            {
                ServerSideEncryptionRules =
                [
                    new ServerSideEncryptionRule
                    {
                        ServerSideEncryptionByDefault = new ServerSideEncryptionByDefault { ServerSideEncryptionAlgorithm = ServerSideEncryptionMethod.AWSKMS, ServerSideEncryptionKeyManagementServiceKeyId = rootKey },
                    },
                ],
            },
        });
        await RefusedAsync(() => bobHttps.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "bob-default", ContentBody = "x" }), HttpStatusCode.Forbidden, "AccessDenied");
        using (var anonymousDefault = await AnonymousAsync(HttpMethod.Put, bucket, "anon-default", body: new StringContent("x"), https: true))
            Assert.Equal(HttpStatusCode.Forbidden, anonymousDefault.StatusCode);
        await s3.DeleteBucketEncryptionAsync(new DeleteBucketEncryptionRequest { BucketName = bucket });
        await RefusedAsync(() => s3.GetObjectMetadataAsync(bucket, "bob-default"), HttpStatusCode.NotFound, "NotFound");

        // A public ACL is not the owner's KMS key: a public-read SSE-KMS object stays closed to others.
        using var https = Clients.S3(f, https: true);
        await https.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = "kms-public",
            ContentBody = "sealed",
            CannedACL = S3CannedACL.PublicRead,
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS,
        });
        Assert.Equal("sealed", await ReadAsync(https, bucket, "kms-public"));
        await RefusedAsync(() => bob.S3.GetObjectAsync(bucket, "kms-public"), HttpStatusCode.Forbidden, "AccessDenied");
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "kms-public"))
            await AssertAnonymousRefusedAsync(r);
    }

    [Fact]
    public async Task A_grantee_let_in_by_an_object_acl_costs_one_read_of_the_object_row()
    {
        // The Authorizer reads the object's row to find the grant; GET, HEAD, ?attributes and ?acl then use that row
        // instead of reading it again. Counted as the metadata spans of each request's trace.
        var spans = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == Coffer.Server.Telemetry.CofferTracing.SourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        var (s3, bucket) = await AclBucketAsync();
        using var _ = s3;
        using var reader = await NewUserAsync("grantee");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "granted", ContentBody = "read me once" });
        await s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "granted", GrantFullControl = $"id=\"{reader.Id}\"" });

        async Task<int> ReadsOfAsync(Func<Task> call)
        {
            var trace = System.Diagnostics.ActivityTraceId.CreateRandom();
            using (var parent = new System.Diagnostics.Activity("acl-read-count").SetParentId(trace, System.Diagnostics.ActivitySpanId.CreateRandom(), System.Diagnostics.ActivityTraceFlags.Recorded).Start())
                await call();
            for (var i = 0; i < 200 && !spans.Any(s => s.TraceId == trace && s.OperationName == "coffer.request"); i++)
                await Task.Delay(25);
            Assert.Contains(spans, s => s.TraceId == trace && s.OperationName == "coffer.request");
            return spans.Count(s => s.TraceId == trace && s.OperationName == "coffer.metadata.get_object");
        }

        Assert.Equal(1, await ReadsOfAsync(async () => Assert.Equal("read me once", await ReadAsync(reader.S3, bucket, "granted"))));
        Assert.Equal(1, await ReadsOfAsync(() => reader.S3.GetObjectMetadataAsync(bucket, "granted")));
        Assert.Equal(1, await ReadsOfAsync(async () => Assert.Contains(
            (await reader.S3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "granted" })).Grants, g => g.Grantee.CanonicalUser == reader.Id)));
        Assert.Equal(1, await ReadsOfAsync(() => reader.S3.GetObjectAttributesAsync(new GetObjectAttributesRequest
        {
            BucketName = bucket, Key = "granted", ObjectAttributes = [ObjectAttributes.ObjectSize],
        })));
        // The same answers as before: a key the grantee has no grant on is still refused.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "not-granted", ContentBody = "no" });
        await RefusedAsync(() => reader.S3.GetObjectAsync(bucket, "not-granted"), HttpStatusCode.Forbidden, "AccessDenied");
    }

    [Fact]
    public async Task Block_public_acls_refuses_public_acls_and_ignore_public_acls_ignores_those_stored()
    {
        var (s3, bucket) = await AclBucketAsync();
        using var _ = s3;
        using var bob = await NewUserAsync("bpa");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "pub", ContentBody = "open", CannedACL = S3CannedACL.PublicRead });
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "named", ContentBody = "for bob" });
        await s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "named", GrantRead = $"id=\"{bob.Id}\"" });

        await s3.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
        {
            BucketName = bucket,
            PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration { BlockPublicAcls = true },
        });
        await RefusedAsync(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "pub2", ContentBody = "x", CannedACL = S3CannedACL.PublicRead }),
            HttpStatusCode.Forbidden, "AccessDenied");
        await RefusedAsync(() => s3.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "named", GrantRead = "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\"" }),
            HttpStatusCode.Forbidden, "AccessDenied");
        await RefusedAsync(() => s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.AuthenticatedRead }),
            HttpStatusCode.Forbidden, "AccessDenied");
        // Existing public ACLs stay in force under BlockPublicAcls alone.
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "pub"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);

        await s3.PutPublicAccessBlockAsync(new PutPublicAccessBlockRequest
        {
            BucketName = bucket,
            PublicAccessBlockConfiguration = new PublicAccessBlockConfiguration { IgnorePublicAcls = true },
        });
        var block = (await s3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket })).PublicAccessBlockConfiguration;
        Assert.True(block.IgnorePublicAcls == true && block.BlockPublicAcls != true);
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "pub"))
            await AssertAnonymousRefusedAsync(r);
        // GET ?acl answers the ACL in force (no public grant); a grant to a named user still counts.
        Assert.DoesNotContain((await s3.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "pub" })).Grants, g => g.Grantee.URI is not null);
        Assert.Equal("for bob", await ReadAsync(bob.S3, bucket, "named"));
        // IgnorePublicAcls alone lets a public ACL be stored; it counts again once the flag is removed.
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "pub3", ContentBody = "later", CannedACL = S3CannedACL.PublicRead });
        await s3.DeletePublicAccessBlockAsync(new DeletePublicAccessBlockRequest { BucketName = bucket });
        await RefusedAsync(() => s3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket }), HttpStatusCode.NotFound, "NoSuchPublicAccessBlockConfiguration");
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "pub3"))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task A_copy_and_a_multipart_upload_get_the_acl_of_their_request_not_the_sources()
    {
        var (s3, bucket) = await AclBucketAsync();
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "src", ContentBody = "copied", CannedACL = S3CannedACL.PublicRead });
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "private-copy" });
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "src", DestinationBucket = bucket, DestinationKey = "public-copy", CannedACL = S3CannedACL.PublicRead });
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "private-copy"))
            await AssertAnonymousRefusedAsync(r);
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "public-copy"))
            Assert.Equal("copied", await r.Content.ReadAsStringAsync());

        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp", CannedACL = S3CannedACL.PublicRead });
        var part = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream("multi"u8.ToArray()) });
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "mp"))
            await AssertAnonymousRefusedAsync(r);
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = "mp",
            UploadId = init.UploadId,
            PartETags = [new PartETag(1, part.ETag)],
        });
        using (var r = await AnonymousAsync(HttpMethod.Get, bucket, "mp"))
            Assert.Equal("multi", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_sse_c_object_readable_by_everyone_still_needs_its_key()
    {
        var (s3, bucket) = await AclBucketAsync(Clients.S3(f, https: true));
        using var _ = s3;
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket,
            Key = "ssec",
            ContentBody = "customer data",
            CannedACL = S3CannedACL.PublicRead,
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
            ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
        });
        using (var noKey = await AnonymousAsync(HttpMethod.Get, bucket, "ssec", https: true))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
            Assert.DoesNotContain("customer data", await noKey.Content.ReadAsStringAsync());
        }
        var withWrongKey = new HttpRequestMessage(HttpMethod.Get, new Uri(f.HttpsUrl, $"/{bucket}/ssec"));
        withWrongKey.Headers.Add("x-amz-server-side-encryption-customer-algorithm", "AES256");
        withWrongKey.Headers.Add("x-amz-server-side-encryption-customer-key", SseKeys.KeyB);
        withWrongKey.Headers.Add("x-amz-server-side-encryption-customer-key-MD5", SseKeys.KeyBMd5);
        using var http = Clients.Http(f, f.HttpsUrl.Port);
        using (var wrong = await http.SendAsync(withWrongKey))
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
    }

    [Fact]
    public async Task The_cos_acl_headers_and_document_work_under_a_cos_signature()
    {
        using var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        using (var create = await cos.SendAsync(HttpMethod.Put, bucket, headers: [new("x-cos-object-ownership", "ObjectWriter")]))
            Assert.Equal(HttpStatusCode.OK, create.StatusCode);
        using (await cos.SendAsync(HttpMethod.Delete, bucket, query: [new("publicAccessBlock", "")])) { }
        using (var put = await cos.SendAsync(HttpMethod.Put, bucket, "k", headers: [new("x-cos-acl", "public-read")], body: "cos data"u8.ToArray()))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using (var acl = await cos.SendAsync(HttpMethod.Get, bucket, "k", query: [new("acl", "")]))
        {
            var xml = await acl.Content.ReadAsStringAsync();
            Assert.Contains("<URI>http://cam.qcloud.com/groups/global/AllUsers</URI>", xml);
            Assert.Contains($"<ID>qcs::cam::uin/{await f.RootIdAsync()}:uin/{await f.RootIdAsync()}</ID>", xml);
        }
        using (var cannedAndGrant = await cos.SendAsync(HttpMethod.Put, bucket, "k", query: [new("acl", "")],
            headers: [new("x-cos-acl", "private"), new("x-cos-grant-read", "uri=\"http://cam.qcloud.com/groups/global/AllUsers\"")]))
        {
            Assert.Equal(HttpStatusCode.BadRequest, cannedAndGrant.StatusCode);
            Assert.Equal("InvalidRequest", await cannedAndGrant.ErrorCodeAsync());
        }
        // COS's object canned ACL "default": back to no ACL of its own (private).
        using (var reset = await cos.SendAsync(HttpMethod.Put, bucket, "k", query: [new("acl", "")], headers: [new("x-cos-acl", "default")]))
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        using (var acl = await cos.SendAsync(HttpMethod.Get, bucket, "k", query: [new("acl", "")]))
            Assert.DoesNotContain("AllUsers", await acl.Content.ReadAsStringAsync());
    }

    private static HttpContent WithHeader(HttpContent content, string name, string value)
    {
        content.Headers.TryAddWithoutValidation(name, value);
        return content;
    }
}

/// <summary>The legacy bucket defaults (<c>--bucket-defaults legacy</c>): ACLs on, nothing blocked, no ownership controls set.</summary>
public sealed class LegacyBucketDefaultsTests : IAsyncLifetime
{
    private readonly CofferFixture _f = new() { Configure = o => o.BucketDefaults = BucketDefaults.Legacy };

    public Task InitializeAsync() => _f.InitializeAsync();

    public Task DisposeAsync() => _f.DisposeAsync();

    [Fact]
    public async Task A_new_bucket_takes_public_acls_and_answers_no_ownership_controls_and_no_public_access_block()
    {
        using var s3 = Clients.S3(_f);
        var bucket = CofferFixture.NewBucket("legacy");
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket, CannedACL = S3CannedACL.PublicRead });
        var e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetBucketOwnershipControlsAsync(new GetBucketOwnershipControlsRequest { BucketName = bucket }));
        Assert.Equal("OwnershipControlsNotFoundError", e.ErrorCode);
        e = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetPublicAccessBlockAsync(new GetPublicAccessBlockRequest { BucketName = bucket }));
        Assert.Equal("NoSuchPublicAccessBlockConfiguration", e.ErrorCode);

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "public", CannedACL = S3CannedACL.PublicRead });
        using var http = Clients.Http(_f, _f.HttpUrl.Port);
        using (var list = await http.GetAsync(new Uri(_f.HttpUrl, "/" + bucket)))
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using (var get = await http.GetAsync(new Uri(_f.HttpUrl, $"/{bucket}/k")))
            Assert.Equal("public", await get.Content.ReadAsStringAsync());

        // Enforcing ownership later turns the ACLs off: the public object closes.
        await s3.PutBucketAclAsync(new PutBucketAclRequest { BucketName = bucket, ACL = S3CannedACL.Private });
        await s3.PutBucketOwnershipControlsAsync(new PutBucketOwnershipControlsRequest
        {
            BucketName = bucket,
            OwnershipControls = new OwnershipControls { Rules = [new OwnershipControlsRule { ObjectOwnership = ObjectOwnership.BucketOwnerEnforced }] },
        });
        using (var get = await http.GetAsync(new Uri(_f.HttpUrl, $"/{bucket}/k")))
            Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
    }
}
