using System.Net;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Testing;

namespace Coffer.EndToEnd.Tests.Remote;

/// <summary>
/// Who may do what, on both backends: one contract (a bucket policy that lets a second user read a prefix and denies
/// writes without SSE, an object ACL grant, a CORS rule and its preflight) run on the embedded default (SQLite + data
/// folder) and on PostgreSQL + RGW; and, on one PostgreSQL database, a policy changed through node A is enforced by
/// node B at its very next request (policies are read with the bucket row on every request: no cache to wait for).
/// </summary>
public sealed class RemoteAccessTests : IAsyncLifetime
{
    private readonly PostgresTestDatabase _database = new("coffer_access");
    private readonly List<CofferFixture> _nodes = [];
    private RemoteBackend? _backend;

    public Task InitializeAsync() => Task.CompletedTask;   // lazily, so a skipped test needs no engine

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
            await node.DisposeAsync();
        if (_backend is not null)
            await _backend.DisposeAsync();
        await _database.DisposeAsync();
    }

    private async Task<CofferFixture> StartAsync(bool remote, byte[]? rootKey = null)
    {
        var backend = _backend;
        void Configure(Coffer.Server.CofferServerOptions o)
        {
            if (!remote)
                return;
            o.Metadata = _database.Uri;
            backend!.Configure(o);
        }
        var node = rootKey is null
            ? new CofferFixture { Configure = Configure }
            : new CofferFixture { DataDirectory = CofferFixture.DataFolderWithRootKey(rootKey), Configure = Configure };
        _nodes.Add(node);
        await node.InitializeAsync();
        return node;
    }

    private async Task StartRemoteEnginesAsync()
    {
        Assert.False(string.IsNullOrEmpty(Engines.S3Endpoint));
        _backend = new RemoteBackend();
        await _database.CreateAsync();
    }

    [Fact]
    public async Task Policies_acls_and_cors_govern_a_second_user_and_a_browser_on_the_embedded_default() =>
        await ContractAsync(await StartAsync(remote: false));

    [PostgresFact]
    public async Task Policies_acls_and_cors_govern_a_second_user_and_a_browser_on_postgresql_and_rgw()
    {
        await StartRemoteEnginesAsync();
        var f = await StartAsync(remote: true);
        var bucket = await ContractAsync(f);
        // The settings live in PostgreSQL, the ciphertext of an object too large to inline in RGW.
        Assert.Equal(1L, await _database.ScalarAsync<long>("SELECT count(*) FROM buckets WHERE policy IS NOT NULL AND cors IS NOT NULL"));
        using var owner = Clients.S3(f, https: true);
        await owner.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "shared/large.bin", InputStream = new MemoryStream(new byte[Coffer.Server.CofferServerOptions.DefaultInlineMaxBytes + 1]),
            ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256,
        });
        Assert.NotEmpty(await _backend!.KeysAsync());
    }

    private static string ReadPrefixPolicy(string bucket, string user) => """
        {"Version":"2012-10-17","Statement":[
          {"Sid":"read-shared","Effect":"Allow","Principal":{"AWS":"USER"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::BUCKET/shared/*"},
          {"Sid":"sse-only","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::BUCKET/*",
           "Condition":{"Null":{"s3:x-amz-server-side-encryption":"true"}}}]}
        """.Replace("BUCKET", bucket).Replace("USER", user);

    private static async Task<(AmazonS3Client S3, string Id, string Name)> NewUserAsync(CofferFixture f)
    {
        var name = "second-" + Guid.NewGuid().ToString("N")[..8];
        var (ak, sk) = (await Coffer.Server.Hosting.Credentials.AddUserAsync(f.Server.Services.Store, f.Server.Services.RootKey, name))!.Value;
        var id = (await f.Server.Services.Store.ListUsersAsync()).Single(u => u.Name == name).Id;
        return (Clients.S3(f, https: true, accessKey: ak, secretKey: sk), id, name);
    }

    private static async Task<string> ReadAsync(AmazonS3Client s3, string bucket, string key)
    {
        using var get = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(get.ResponseStream).ReadToEndAsync();
    }

    private static async Task RefusedAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAnyAsync<AmazonS3Exception>(call);
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal("AccessDenied", e.ErrorCode);
    }

    /// <returns>The bucket, left with the policy and a CORS rule in place.</returns>
    private static async Task<string> ContractAsync(CofferFixture f)
    {
        using var owner = Clients.S3(f, https: true);
        var (second, secondId, secondName) = await NewUserAsync(f);
        using var _ = second;
        var bucket = CofferFixture.NewBucket("access");
        await owner.PutBucketAsync(new PutBucketRequest { BucketName = bucket, ObjectOwnership = ObjectOwnership.ObjectWriter });
        await owner.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "shared/a.txt", ContentBody = "shared" });
        await owner.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "private/b.txt", ContentBody = "private" });
        await RefusedAsync(() => second.GetObjectAsync(bucket, "shared/a.txt"));

        // The policy: read and SSE writes under shared/, nothing else.
        await owner.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = ReadPrefixPolicy(bucket, secondName) });
        Assert.Equal("shared", await ReadAsync(second, bucket, "shared/a.txt"));
        await RefusedAsync(() => second.GetObjectAsync(bucket, "private/b.txt"));
        await RefusedAsync(() => second.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "shared/plain.txt", ContentBody = "x" }));
        await second.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "shared/sealed.txt", ContentBody = "sealed", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256 });
        await RefusedAsync(() => second.GetBucketPolicyAsync(bucket));
        Assert.False((await owner.GetBucketPolicyStatusAsync(new GetBucketPolicyStatusRequest { BucketName = bucket })).PolicyStatus.IsPublic);

        // An object ACL grant lets the second user read one object outside the policy's prefix.
        await owner.PutObjectAclAsync(new PutObjectAclRequest { BucketName = bucket, Key = "private/b.txt", GrantRead = $"id=\"{secondId}\"" });
        Assert.Equal("private", await ReadAsync(second, bucket, "private/b.txt"));
        await RefusedAsync(() => second.GetObjectAclAsync(new GetObjectAclRequest { BucketName = bucket, Key = "private/b.txt" }));

        // Without the policy, the prefix is closed again; the ACL grant stays.
        await owner.DeleteBucketPolicyAsync(bucket);
        await RefusedAsync(() => second.GetObjectAsync(bucket, "shared/a.txt"));
        Assert.Equal("private", await ReadAsync(second, bucket, "private/b.txt"));

        // CORS: a rule, a preflight answered from it, another origin refused, the headers on the actual GET.
        await owner.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new CORSConfiguration { Rules = [new CORSRule { AllowedOrigins = ["https://app.example"], AllowedMethods = ["GET", "PUT"], AllowedHeaders = ["*"], ExposeHeaders = ["ETag"], MaxAgeSeconds = 600 }] },
        });
        using var http = Clients.Http(f, f.HttpsUrl.Port);
        using (var preflight = await http.SendAsync(Preflight(f, bucket, "https://app.example")))
        {
            Assert.Equal(HttpStatusCode.OK, preflight.StatusCode);
            Assert.Equal("https://app.example", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
            Assert.Contains("PUT", string.Join(",", preflight.Headers.GetValues("Access-Control-Allow-Methods")));
        }
        using (var other = await http.SendAsync(Preflight(f, bucket, "https://evil.example")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
            Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
        }
        Assert.Single((await owner.GetCORSConfigurationAsync(bucket)).Configuration.Rules);
        await owner.DeleteCORSConfigurationAsync(bucket);
        using (var gone = await http.SendAsync(Preflight(f, bucket, "https://app.example")))
            Assert.Equal(HttpStatusCode.Forbidden, gone.StatusCode);
        // The policy and a CORS rule put back, for the caller's look at the backend.
        await owner.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new CORSConfiguration { Rules = [new CORSRule { AllowedOrigins = ["https://app.example"], AllowedMethods = ["GET"] }] },
        });
        await owner.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = ReadPrefixPolicy(bucket, secondName) });
        return bucket;
    }

    private static HttpRequestMessage Preflight(CofferFixture f, string bucket, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, $"https://localhost:{f.HttpsUrl.Port}/{bucket}/shared/a.txt");
        request.Headers.TryAddWithoutValidation("Origin", origin);
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Method", "PUT");
        request.Headers.TryAddWithoutValidation("Access-Control-Request-Headers", "content-type");
        return request;
    }

    [PostgresFact]
    public async Task A_policy_changed_through_node_a_is_enforced_by_node_b_at_its_next_request()
    {
        await StartRemoteEnginesAsync();
        var rootKey = RandomNumberGenerator.GetBytes(32);
        var a = await StartAsync(remote: true, rootKey);   // first: migrates the schema and makes the root user
        var b = await StartAsync(remote: true, rootKey);
        using var ownerA = Clients.S3(a, https: true);
        var (secondB, _, secondName) = await NewUserAsync(b);
        using var _ = secondB;
        var bucket = CofferFixture.NewBucket("nodes");
        await ownerA.PutBucketAsync(bucket);
        await ownerA.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "shared/a.txt", ContentBody = "through b" });
        await RefusedAsync(() => secondB.GetObjectAsync(bucket, "shared/a.txt"));

        // Allowed through A: B lets the second user in at once, and parses and keeps that policy.
        await ownerA.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = ReadPrefixPolicy(bucket, secondName) });
        Assert.Equal("through b", await ReadAsync(secondB, bucket, "shared/a.txt"));
        Assert.Equal("through b", await ReadAsync(secondB, bucket, "shared/a.txt"));

        // An explicit deny added through A: B's next request is refused, although B has the old policy parsed.
        var deny = ReadPrefixPolicy(bucket, secondName).Replace("]}", """,{"Sid":"now-denied","Effect":"Deny","Principal":{"AWS":"SECOND"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::BUCKET/shared/*"}]}""")
            .Replace("SECOND", secondName).Replace("BUCKET", bucket);
        await ownerA.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = deny });
        await RefusedAsync(() => secondB.GetObjectAsync(bucket, "shared/a.txt"));

        // Back to the allowing policy, then deleted through A: allowed, then refused, each at B's next request.
        await ownerA.PutBucketPolicyAsync(new PutBucketPolicyRequest { BucketName = bucket, Policy = ReadPrefixPolicy(bucket, secondName) });
        Assert.Equal("through b", await ReadAsync(secondB, bucket, "shared/a.txt"));
        await ownerA.DeleteBucketPolicyAsync(bucket);
        await RefusedAsync(() => secondB.GetObjectAsync(bucket, "shared/a.txt"));
    }
}
