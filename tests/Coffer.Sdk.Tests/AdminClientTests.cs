using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Coffer.Protocol.Auth;
using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>The admin API (docs/admin-api.md) through <see cref="CofferAdminClient"/>, and every refusal it owes.</summary>
[Collection(ServerCollection.Name)]
public sealed class AdminClientTests(ServerFixture fixture)
{
    private static string NewName(string hint) => hint + Guid.NewGuid().ToString("N")[..8];

    private CosConfig As(string accessKey, string secretKey, string? token = null, SignatureVersion signature = SignatureVersion.CosV5)
    {
        var config = fixture.Config(signature, Addressing.Path);
        config.SecretId = accessKey;
        config.SecretKey = secretKey;
        config.Token = token;
        return config;
    }

    [Theory]
    [InlineData(SignatureVersion.CosV5)]
    [InlineData(SignatureVersion.SigV4)]
    public async Task Users_are_added_listed_and_removed_and_the_new_key_works_until_then(SignatureVersion signature)
    {
        using var admin = new CofferAdminClient(fixture.Config(signature));
        var name = NewName("ann");
        var created = await admin.AddUserAsync(name);
        Assert.Equal(name, created.User.Name);
        Assert.StartsWith("AKID", created.User.AccessKeyId);
        Assert.Equal(64, created.User.Id.Length);
        Assert.Equal(40, created.SecretKey.Length);

        var users = await admin.ListUsersAsync();
        var listed = Assert.Single(users, u => u.Name == name);
        Assert.Equal(created.User.AccessKeyId, listed.AccessKeyId);
        Assert.False(listed.IsRoot);
        Assert.Contains(users, u => u.IsRoot && u.AccessKeyId == ServerFixture.AccessKey);

        // The returned secret signs requests of the new user.
        using (var client = new CosClient(As(created.User.AccessKeyId, created.SecretKey)))
            await client.CreateBucketAsync(ServerFixture.NewBucket("ann"));

        var taken = await Assert.ThrowsAsync<CofferException>(() => admin.AddUserAsync(name));
        Assert.Equal(("UserAlreadyExists", 409), (taken.Code, taken.StatusCode));

        await admin.RemoveUserAsync(name);
        Assert.DoesNotContain(await admin.ListUsersAsync(), u => u.Name == name);
        using var gone = new CosClient(As(created.User.AccessKeyId, created.SecretKey));
        await WaitUntilRefusedAsync(() => gone.CreateBucketAsync(ServerFixture.NewBucket("ann")));

        var missing = await Assert.ThrowsAsync<CofferException>(() => admin.RemoveUserAsync(name));
        Assert.Equal(("NoSuchUser", 404), (missing.Code, missing.StatusCode));
    }

    [Fact]
    public async Task The_root_user_cannot_be_removed_and_bad_names_are_refused()
    {
        using var admin = new CofferAdminClient(fixture.Config());
        var root = await Assert.ThrowsAsync<CofferException>(() => admin.RemoveUserAsync("root"));
        Assert.Equal(("CannotRemoveRootUser", 409), (root.Code, root.StatusCode));
        Assert.Contains(await admin.ListUsersAsync(), u => u.IsRoot);

        foreach (var bad in new[] { "has space", "slash/name", new string('a', 65), "ctl\u0001" })
        {
            var e = await Assert.ThrowsAsync<CofferException>(() => admin.AddUserAsync(bad));
            Assert.Equal(("InvalidRequest", 400), (e.Code, e.StatusCode));
        }
    }

    [Fact]
    public async Task Temporary_credentials_act_as_their_user_and_their_duration_is_checked()
    {
        using var admin = new CofferAdminClient(fixture.Config());
        var user = await admin.AddUserAsync(NewName("tmp"));
        var issued = await admin.IssueTemporaryCredentialsAsync(user.User.Name, TimeSpan.FromMinutes(15));
        Assert.Equal(user.User.Name, issued.User);
        Assert.StartsWith("AKTMP", issued.AccessKeyId);
        Assert.InRange(issued.Expiration, DateTimeOffset.UtcNow.AddMinutes(14), DateTimeOffset.UtcNow.AddMinutes(16));

        var bucket = ServerFixture.NewBucket("tmp");
        using (var temporary = new CosClient(As(issued.AccessKeyId, issued.SecretKey, issued.SessionToken)))
            await temporary.CreateBucketAsync(bucket);
        using (var own = new CosClient(As(user.User.AccessKeyId, user.SecretKey)))
            Assert.True(await own.BucketExistsAsync(bucket)); // created as the user, so it is the user's

        foreach (var seconds in new[] { 59, 129601 })
        {
            var e = await Assert.ThrowsAsync<CofferException>(() => admin.IssueTemporaryCredentialsAsync(user.User.Name, TimeSpan.FromSeconds(seconds)));
            Assert.Equal(("InvalidRequest", 400), (e.Code, e.StatusCode));
        }
        var missing = await Assert.ThrowsAsync<CofferException>(() => admin.IssueTemporaryCredentialsAsync("nobody-" + Guid.NewGuid().ToString("N")));
        Assert.Equal(("NoSuchUser", 404), (missing.Code, missing.StatusCode));
    }

    [Fact]
    public async Task Only_the_root_users_own_key_over_https_gets_through()
    {
        using var admin = new CofferAdminClient(fixture.Config());
        var user = await admin.AddUserAsync(NewName("nonadmin"));
        var rootToken = await admin.IssueTemporaryCredentialsAsync("root");

        var http = fixture.Config();
        http.Endpoint = $"http://127.0.0.1:{fixture.HttpUrl.Port}";
        var callers = new (string Who, CosConfig Config)[]
        {
            ("another user", As(user.User.AccessKeyId, user.SecretKey)),
            ("another user, SigV4", As(user.User.AccessKeyId, user.SecretKey, signature: SignatureVersion.SigV4)),
            ("root's temporary credentials", As(rootToken.AccessKeyId, rootToken.SecretKey, rootToken.SessionToken)),
            ("root over plain HTTP", http),
        };
        foreach (var (who, config) in callers)
        {
            using var client = new CofferAdminClient(config);
            var e = await Assert.ThrowsAsync<CofferException>(() => client.ListUsersAsync());
            Assert.True(e is { Code: "AccessDenied", StatusCode: 403 }, $"{who}: {e.Code} {e.StatusCode}");
            var add = await Assert.ThrowsAsync<CofferException>(() => client.AddUserAsync(NewName("planted")));
            Assert.Equal("AccessDenied", add.Code);
        }
        Assert.DoesNotContain(await admin.ListUsersAsync(), u => u.Name.StartsWith("planted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Anonymous_and_presigned_requests_get_access_denied_in_json()
    {
        using var http = new HttpClient(CosClient.CreateDefaultHandler(fixture.Config()));
        var url = new Uri(fixture.HttpsUrl, "/_coffer/admin/users");
        using (var anonymous = await http.GetAsync(url))
            await AssertJsonErrorAsync(anonymous, HttpStatusCode.Forbidden, "AccessDenied");

        var host = $"127.0.0.1:{fixture.HttpsUrl.Port}";
        var query = SigV4Signer.Presign(ServerFixture.AccessKey, ServerFixture.SecretKey, ServerFixture.Region, "s3", "GET", "/_coffer/admin/users",
            [new("host", host)], DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5));
        using (var presigned = await http.GetAsync(new Uri(fixture.HttpsUrl, "/_coffer/admin/users?" + query)))
        {
            var body = await AssertJsonErrorAsync(presigned, HttpStatusCode.Forbidden, "AccessDenied");
            Assert.DoesNotContain(ServerFixture.AccessKey, body);
        }
    }

    [Fact]
    public async Task Bad_json_unknown_paths_and_wrong_methods_are_4xx_json_errors()
    {
        using (var bad = await SignedAsync("POST", "/_coffer/admin/users", "{\"name\": "))
            Assert.Contains("not valid JSON", await AssertJsonErrorAsync(bad, HttpStatusCode.BadRequest, "MalformedJSON"));
        using (var array = await SignedAsync("POST", "/_coffer/admin/users", "[1, 2]"))
            await AssertJsonErrorAsync(array, HttpStatusCode.BadRequest, "MalformedJSON");
        using (var wrongType = await SignedAsync("POST", "/_coffer/admin/users", "{\"name\": 5}"))
            await AssertJsonErrorAsync(wrongType, HttpStatusCode.BadRequest, "InvalidRequest");
        using (var noName = await SignedAsync("POST", "/_coffer/admin/users", ""))
            await AssertJsonErrorAsync(noName, HttpStatusCode.BadRequest, "InvalidRequest");
        using (var unknown = await SignedAsync("GET", "/_coffer/admin/nothing-here", null))
            await AssertJsonErrorAsync(unknown, HttpStatusCode.NotFound, "NoSuchAdminOperation");
        using (var method = await SignedAsync("PUT", "/_coffer/admin/users", null))
            await AssertJsonErrorAsync(method, HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");
        using (var head = await SignedAsync("HEAD", "/_coffer/admin/users", null))
        {
            Assert.Equal(HttpStatusCode.MethodNotAllowed, head.StatusCode);
            Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        }
        using (var forged = await SignedAsync("GET", "/_coffer/admin/users", null, secret: "wrong" + ServerFixture.SecretKey[5..]))
            await AssertJsonErrorAsync(forged, HttpStatusCode.Forbidden, "SignatureDoesNotMatch");

        using var admin = new CofferAdminClient(fixture.Config());
        var limit = await Assert.ThrowsAsync<CofferException>(() => admin.ReadKmsAuditAsync(limit: 0));
        Assert.Equal(("InvalidRequest", 400), (limit.Code, limit.StatusCode));
    }

    [Fact]
    public async Task A_rekey_job_moves_objects_to_another_key_and_the_audit_log_shows_it()
    {
        var start = DateTimeOffset.UtcNow.AddSeconds(-1);
        using var admin = new CofferAdminClient(fixture.Config());
        using var kms = new KmsClient(fixture.Config());
        using var client = fixture.Client();
        var from = await kms.CreateKeyAsync("rekey from");
        var to = await kms.CreateKeyAsync("rekey to");
        var bucket = await fixture.CreateBucketAsync(client);
        foreach (var key in new[] { "a", "b", "c" })
            await client.PutObjectAsync(bucket, key, "content of " + key, Sse.Kms(from.KeyId));

        var started = await admin.StartRekeyJobAsync(new RekeyJobRequest(bucket, to.KeyId));
        Assert.Equal(32, started.JobId.Length);
        Assert.Equal((bucket, to.KeyId), (started.Bucket, started.ToKeyId));
        var status = started;
        for (var i = 0; status.Running && i < 200; i++)
        {
            await Task.Delay(50);
            status = await admin.GetRekeyJobAsync(started.JobId);
        }
        Assert.False(status.Running);
        Assert.True(status.Finished, $"not finished: {status}");
        Assert.Equal(3, status.Rekeyed);
        Assert.Null(status.Error);
        Assert.NotNull(status.Completed);
        foreach (var key in new[] { "a", "b", "c" })
        {
            Assert.Equal(to.KeyId, (await client.HeadObjectAsync(bucket, key)).KmsKeyId);
            Assert.Equal("content of " + key, Encoding.UTF8.GetString(await TestData.ReadAsync(client, bucket, key)));
        }
        Assert.False((await admin.StopRekeyJobAsync(started.JobId)).Running);

        var audit = await admin.ReadKmsAuditAsync(since: start, key: to.KeyId);
        var rekeys = audit.Entries.Where(e => e.Operation == "Rekey").ToList();
        Assert.Equal(["a", "b", "c"], rekeys.Select(e => e.Object).Order(StringComparer.Ordinal));
        Assert.All(rekeys, e => Assert.Equal((from.KeyId, "ok", bucket), (e.SourceKeyId, e.Outcome, e.Bucket)));
        Assert.All(audit.Entries, e => Assert.True(e.Time >= start));
        Assert.False(audit.Truncated);

        var one = await admin.ReadKmsAuditAsync(since: start, limit: 1, key: to.KeyId);
        Assert.Single(one.Entries);
        Assert.True(one.Truncated);
        Assert.Empty((await admin.ReadKmsAuditAsync(since: DateTimeOffset.UtcNow.AddDays(1))).Entries);
    }

    [Fact]
    public async Task Rekey_requests_that_cannot_run_are_refused_before_anything_starts()
    {
        using var admin = new CofferAdminClient(fixture.Config());
        using var kms = new KmsClient(fixture.Config());
        var key = await kms.CreateKeyAsync("rekey refusals");
        var bucket = await fixture.CreateBucketAsync();

        var noBucket = await Assert.ThrowsAsync<CofferException>(() => admin.StartRekeyJobAsync(new RekeyJobRequest("nobucket-1250000000", key.KeyId)));
        Assert.Equal(("NoSuchBucket", 404), (noBucket.Code, noBucket.StatusCode));
        var noKey = await Assert.ThrowsAsync<CofferException>(() => admin.StartRekeyJobAsync(new RekeyJobRequest(bucket, "alias/does-not-exist")));
        Assert.Equal(("InvalidRequest", 400), (noKey.Code, noKey.StatusCode));
        Assert.Contains("toKey", noKey.ErrorMessage);
        var same = await Assert.ThrowsAsync<CofferException>(() => admin.StartRekeyJobAsync(new RekeyJobRequest(bucket, key.KeyId, FromKey: key.KeyId)));
        Assert.Equal("InvalidRequest", same.Code);
        var limit = await Assert.ThrowsAsync<CofferException>(() => admin.StartRekeyJobAsync(new RekeyJobRequest(bucket, key.KeyId, Limit: 0)));
        Assert.Equal("InvalidRequest", limit.Code);
        var job = await Assert.ThrowsAsync<CofferException>(() => admin.GetRekeyJobAsync("0123456789abcdef0123456789abcdef"));
        Assert.Equal(("NoSuchRekeyJob", 404), (job.Code, job.StatusCode));
    }

    private static async Task WaitUntilRefusedAsync(Func<Task> call)
    {
        // Removed users stop working within the credential cache's lifetime (2 s).
        for (var i = 0; i < 50; i++)
        {
            try
            {
                await call();
            }
            catch (CofferException e) when (e.Code == "InvalidAccessKeyId")
            {
                return;
            }
            await Task.Delay(100);
        }
        Assert.Fail("the removed user's key still works");
    }

    private static async Task<string> AssertJsonErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var json = JsonNode.Parse(body)!;
        Assert.Equal(code, json["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(json["message"]!.GetValue<string>()));
        return body;
    }

    /// <summary>A root-signed SigV4 request with any body, for what the client cannot send.</summary>
    private async Task<HttpResponseMessage> SignedAsync(string method, string target, string? body, string secret = ServerFixture.SecretKey)
    {
        var bytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var host = $"127.0.0.1:{fixture.HttpsUrl.Port}";
        var headers = new List<KeyValuePair<string, string>>
        {
            new("host", host),
            new("x-amz-content-sha256", hash),
            new("x-amz-date", SigV4Signer.FormatAmzDate(DateTimeOffset.UtcNow)),
        };
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(fixture.HttpsUrl, target));
        if (body is not null)
            request.Content = new ByteArrayContent(bytes);
        foreach (var (name, value) in headers.Skip(1))
            request.Headers.TryAddWithoutValidation(name, value);
        request.Headers.TryAddWithoutValidation("Authorization",
            SigV4Signer.Sign(ServerFixture.AccessKey, secret, ServerFixture.Region, "s3", method, target, headers, hash));
        using var http = new HttpClient(CosClient.CreateDefaultHandler(fixture.Config()));
        return await http.SendAsync(request);
    }
}
