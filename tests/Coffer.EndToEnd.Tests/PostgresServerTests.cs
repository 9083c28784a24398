using System.Net;
using System.Security.Cryptography;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Testing;
using Npgsql;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// Coffer servers whose metadata is a PostgreSQL database (<c>--metadata postgresql://…</c> or an Npgsql
/// connection string): one node serves the S3 API in full, and two nodes on one database and one blobs
/// directory (<c>--blobs file:DIR</c>) with one root key are one store. Each test gets a fresh database.
/// </summary>
public sealed class PostgresServerTests : IAsyncLifetime
{
    private const int MiB = 1024 * 1024;

    private readonly PostgresTestDatabase _database = new("coffer_e2e");
    private readonly string _blobs = Path.Combine(Path.GetTempPath(), "coffer-pg-blobs-" + Guid.NewGuid().ToString("N"));
    private readonly List<CofferFixture> _nodes = [];

    public Task InitializeAsync() => Task.CompletedTask;   // lazily, so a skipped test needs no server

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes)
            await node.DisposeAsync();
        try { Directory.Delete(_blobs, recursive: true); }
        catch (DirectoryNotFoundException) { }
        await _database.DisposeAsync();
    }

    /// <summary>The test database as a <c>postgresql://</c> URI.</summary>
    private string DatabaseUri => _database.Uri;

    /// <summary>The test database as an Npgsql connection string.</summary>
    private string DatabaseConnectionString => _database.ConnectionString;

    private Task<long> CountAsync(string table) => ScalarAsync<long>($"SELECT count(*) FROM {table};");

    private Task<T> ScalarAsync<T>(string sql) => _database.ScalarAsync<T>(sql);

    /// <summary>
    /// Starts a node on the test database and the shared blobs directory. Every node after the first gets
    /// its own data folder holding a copy of the first one's root key, as an operator would install it.
    /// </summary>
    private async Task<CofferFixture> StartNodeAsync(string metadata, double timeScale = 1.0)
    {
        await _database.CreateAsync();
        var node = new CofferFixture
        {
            DataDirectory = _nodes.Count > 0
                ? CofferFixture.DataFolderWithRootKey(_nodes[0].RootKeyFile())
                : Path.Combine(Path.GetTempPath(), "coffer-pg-node-" + Guid.NewGuid().ToString("N")),
            TimeScale = timeScale,
            Configure = o =>
            {
                o.Metadata = metadata;
                o.Blobs = "file:" + _blobs;
            },
        };
        _nodes.Add(node);
        await node.InitializeAsync();
        return node;
    }

    private static async Task<string> CreateBucketAsync(AmazonS3Client s3)
    {
        var bucket = CofferFixture.NewBucket("pg");
        await s3.PutBucketAsync(bucket);
        return bucket;
    }

    private static async Task<byte[]> ReadBytesAsync(AmazonS3Client s3, string bucket, string key)
    {
        using var get = await s3.GetObjectAsync(bucket, key);
        using var buffer = new MemoryStream();
        await get.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// A two-part object (5 MiB, then <paramref name="part2Size"/> bytes) begun and completed through
    /// <paramref name="first"/>, its second part sent through <paramref name="second"/>, reads back byte for byte
    /// through <paramref name="reader"/>.
    /// </summary>
    private static async Task AssertMultipartReadsBackAsync(AmazonS3Client first, AmazonS3Client second, AmazonS3Client reader, string bucket, string key, int part2Size)
    {
        var part1 = RandomNumberGenerator.GetBytes(5 * MiB);
        var part2 = RandomNumberGenerator.GetBytes(part2Size);
        await CompleteMultipartAsync(first, second, bucket, key, part1, part2);
        Assert.Equal(part1.Concat(part2).ToArray(), await ReadBytesAsync(reader, bucket, key));
    }

    private static async Task<string> CompleteMultipartAsync(AmazonS3Client first, AmazonS3Client second, string bucket, string key, byte[] part1, byte[] part2)
    {
        var uploadId = (await first.InitiateMultipartUploadAsync(bucket, key)).UploadId;
        var etags = new List<PartETag>();
        foreach (var (number, data, client) in new[] { (1, part1, first), (2, part2, second) })
        {
            var part = await client.UploadPartAsync(new UploadPartRequest
            {
                BucketName = bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = number,
                InputStream = new MemoryStream(data),
            });
            etags.Add(new PartETag(number, part.ETag));
        }
        var done = await first.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartETags = etags });
        return done.ETag;
    }

    [PostgresFact]
    public async Task A_server_on_PostgreSQL_serves_objects_multipart_and_sse_kms()
    {
        var node = await StartNodeAsync(DatabaseUri);
        using var s3 = Clients.S3(node, https: true);
        using var kms = KmsLifeTests.Kms(node);
        var bucket = await CreateBucketAsync(s3);

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "a/hello.txt", ContentBody = "hello, postgres" });
        Assert.Equal("hello, postgres", await KmsLifeTests.ReadAsync(s3, bucket, "a/hello.txt"));

        await AssertMultipartReadsBackAsync(s3, s3, s3, bucket, "big", part2Size: 1000);

        var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "pg" })).KeyMetadata.KeyId;
        await s3.PutObjectAsync(KmsLifeTests.KmsPut(bucket, "secret", "under a kms key", keyId));
        using (var get = await s3.GetObjectAsync(bucket, "secret"))
        {
            Assert.Equal(ServerSideEncryptionMethod.AWSKMS, get.ServerSideEncryptionMethod);
            Assert.Contains(keyId, get.ServerSideEncryptionKeyManagementServiceKeyId);
            Assert.Equal("under a kms key", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        }

        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["a/hello.txt", "big", "secret"], listed.S3Objects.Select(o => o.Key));

        await s3.DeleteObjectAsync(bucket, "a/hello.txt");
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "a/hello.txt"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        // It is all in PostgreSQL: the rows are there, and the data folder has no SQLite database.
        Assert.Equal(2, await CountAsync("objects"));
        Assert.Equal(1, await CountAsync("kms_keys WHERE description = 'pg'"));
        Assert.False(File.Exists(Path.Combine(node.DataDirectory, "meta.db")));
        Assert.Equal(0, await CountAsync("blob_pending"));
    }

    [PostgresFact]
    public async Task Object_and_bucket_tags_live_in_PostgreSQL_and_follow_puts_copies_multipart_and_deletes()
    {
        var node = await StartNodeAsync(DatabaseUri);
        using var s3 = Clients.S3(node);
        var bucket = await CreateBucketAsync(s3);
        static List<Amazon.S3.Model.Tag> Tags(string key, string value) => [new Amazon.S3.Model.Tag { Key = key, Value = value }];
        async Task<List<(string, string)>> TagsOf(string key) =>
            ((await s3.GetObjectTaggingAsync(new GetObjectTaggingRequest { BucketName = bucket, Key = key })).Tagging ?? []).Select(t => (t.Key, t.Value ?? "")).ToList();

        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x", TagSet = Tags("on", "put") });
        Assert.Equal([("on", "put")], await TagsOf("k"));
        await s3.PutObjectTaggingAsync(new PutObjectTaggingRequest { BucketName = bucket, Key = "k", Tagging = new Tagging { TagSet = Tags("ü", "tagged") } });
        Assert.Equal([("ü", "tagged")], await TagsOf("k"));
        Assert.Equal(1, await CountAsync("objects WHERE tags IS NOT NULL"));
        await s3.CopyObjectAsync(new CopyObjectRequest { SourceBucket = bucket, SourceKey = "k", DestinationBucket = bucket, DestinationKey = "copy" });
        Assert.Equal([("ü", "tagged")], await TagsOf("copy"));

        var init = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "mp", TagSet = Tags("mp", "1") });
        Assert.Equal(1, await CountAsync("multipart_uploads WHERE tags IS NOT NULL"));
        var part = await s3.UploadPartAsync(new UploadPartRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartNumber = 1, InputStream = new MemoryStream([1, 2]) });
        await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = "mp", UploadId = init.UploadId, PartETags = [new PartETag(1, part.ETag)] });
        Assert.Equal([("mp", "1")], await TagsOf("mp"));

        await s3.DeleteObjectAsync(bucket, "k");
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "again" });
        Assert.Empty(await TagsOf("k"));

        await s3.PutBucketTaggingAsync(new PutBucketTaggingRequest { BucketName = bucket, TagSet = Tags("team", "pg") });
        Assert.Equal("team", (await s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket })).TagSet.Single().Key);
        Assert.Equal(1, await CountAsync("buckets WHERE tags IS NOT NULL"));
        await s3.DeleteBucketTaggingAsync(new DeleteBucketTaggingRequest { BucketName = bucket });
        var none = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetBucketTaggingAsync(new GetBucketTaggingRequest { BucketName = bucket }));
        Assert.Equal("NoSuchTagSet", none.ErrorCode);
    }

    [PostgresFact]
    public async Task Two_nodes_on_one_database_see_each_others_objects_users_and_kms_keys()
    {
        var a = await StartNodeAsync(DatabaseUri);
        var b = await StartNodeAsync(DatabaseConnectionString);
        Assert.Equal(await a.RootIdAsync(), await b.RootIdAsync());
        Assert.Single(await b.Server.Services.Store.ListUsersAsync());

        using var s3A = Clients.S3(a, https: true);
        using var s3B = Clients.S3(b, https: true);
        using var kmsA = KmsLifeTests.Kms(a);
        using var kmsB = KmsLifeTests.Kms(b);

        // A KMS key made on A is B's too, and an object A sealed under it B opens.
        var keyId = (await kmsA.CreateKeyAsync(new CreateKeyRequest { Description = "shared" })).KeyMetadata.KeyId;
        var described = await kmsB.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId });
        Assert.Equal("shared", described.KeyMetadata.Description);
        Assert.True(described.KeyMetadata.Enabled);

        var bucket = await CreateBucketAsync(s3A);
        await s3A.PutObjectAsync(KmsLifeTests.KmsPut(bucket, "from-a", "sealed on a", keyId));
        Assert.Equal("sealed on a", await KmsLifeTests.ReadAsync(s3B, bucket, "from-a"));
        await s3B.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "from-b", ContentBody = "written on b" });
        Assert.Equal("written on b", await KmsLifeTests.ReadAsync(s3A, bucket, "from-b"));

        // One multipart upload, begun and completed on A with a part sent to B, read on B.
        await AssertMultipartReadsBackAsync(s3A, s3B, s3B, bucket, "both", part2Size: 10);

        var listedOnA = await s3A.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket });
        Assert.Equal(["both", "from-a", "from-b"], listedOnA.S3Objects.Select(o => o.Key));
        Assert.Contains((await s3B.ListBucketsAsync()).Buckets, x => x.BucketName == bucket);

        await s3B.DeleteObjectAsync(bucket, "from-a");
        var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3A.GetObjectAsync(bucket, "from-a"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [PostgresFact]
    public async Task The_servers_kms_job_destroys_a_deleted_key_and_rewrites_the_key_table()
    {
        // Seven days become three seconds.
        var node = await StartNodeAsync(DatabaseUri, timeScale: 7 * 86_400 / 3.0);
        using var kms = KmsLifeTests.Kms(node);
        var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "doomed" })).KeyMetadata.KeyId;
        Assert.Equal(1, await CountAsync($"kms_key_versions WHERE key_id = '{keyId}'"));
        var fileBefore = await ScalarAsync<uint>("SELECT pg_relation_filenode('kms_key_versions')");

        await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyId, PendingWindowInDays = 7 });

        // The job destroys the key, then rewrites the table so no dead row version keeps the material
        // (IKeyMaterialScrubber; retried by the job while another snapshot holds it up).
        var store = node.Server.Services.Store;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await store.GetKeyAsync(keyId))!.State != Coffer.Crypto.Kms.KmsKeyState.Deleted || await store.MayHoldDestroyedKeyMaterialAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, "the key was not destroyed and scrubbed within 60 s of its scaled deletion date");
            await Task.Delay(100);
        }
        Assert.Equal(0, await CountAsync($"kms_key_versions WHERE key_id = '{keyId}'"));
        Assert.NotEqual(fileBefore, await ScalarAsync<uint>("SELECT pg_relation_filenode('kms_key_versions')"));
    }

    [PostgresFact]
    public async Task A_key_table_rewrite_still_owed_when_the_node_stopped_is_done_by_its_next_start()
    {
        var node = await StartNodeAsync(DatabaseUri, timeScale: 7 * 86_400 / 3.0);
        string keyId;
        using (var kms = KmsLifeTests.Kms(node))
            keyId = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "doomed" })).KeyMetadata.KeyId;
        var fileBefore = await ScalarAsync<uint>("SELECT pg_relation_filenode('kms_key_versions')");

        // Another session's long read: a snapshot that may still see the material keeps the rewrite from running.
        await using var reader = new NpgsqlConnection(DatabaseConnectionString);
        await reader.OpenAsync();
        await using var snapshot = await reader.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using (var read = new NpgsqlCommand("SELECT count(*) FROM kms_keys;", reader, snapshot))
            await read.ExecuteScalarAsync();
        using (var kms = KmsLifeTests.Kms(node))
            await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyId, PendingWindowInDays = 7 });

        var store = node.Server.Services.Store;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await store.GetKeyAsync(keyId))!.State != Coffer.Crypto.Kms.KmsKeyState.Deleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the key was not destroyed within 60 s of its scaled deletion date");
            await Task.Delay(100);
        }
        // Destroyed, but the rewrite is owed: the version's row is a tombstone, the table's file the old one.
        Assert.Equal(1, await CountAsync($"kms_key_versions WHERE key_id = '{keyId}' AND version < 0"));
        Assert.Equal(fileBefore, await ScalarAsync<uint>("SELECT pg_relation_filenode('kms_key_versions')"));

        // The node stops before it could rewrite the table; what its next start knows of the debt is in the database.
        await node.RestartAsync();
        await snapshot.RollbackAsync();

        deadline = DateTime.UtcNow.AddSeconds(60);
        while (await CountAsync($"kms_key_versions WHERE key_id = '{keyId}'") != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the restarted node's KMS job did not rewrite the key table within 60 s");
            await Task.Delay(100);
        }
        Assert.NotEqual(fileBefore, await ScalarAsync<uint>("SELECT pg_relation_filenode('kms_key_versions')"));
        Assert.False(await node.Server.Services.Store.MayHoldDestroyedKeyMaterialAsync());
    }

    [PostgresFact]
    public async Task Two_nodes_on_one_database_run_the_kms_job_on_exactly_one_node_and_hand_it_over_on_stop()
    {
        var a = await StartNodeAsync(DatabaseUri, timeScale: 3600);   // KMS job every 1 s
        var b = await StartNodeAsync(DatabaseUri, timeScale: 3600);
        var jobs = new[] { a.Server.KmsMaintenance.Job, b.Server.KmsMaintenance.Job };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (jobs.Sum(j => j.PassesRun) < 3 && DateTime.UtcNow < deadline)
            await Task.Delay(50);

        var holder = Assert.Single(jobs, j => j.HoldsLease);
        Assert.Single(jobs, j => j.PassesRun > 0);
        Assert.Equal(holder.Holder, await ScalarAsync<string>("SELECT holder FROM job_leases WHERE name = 'kms-maintenance'"));

        var (stopping, other) = holder == jobs[0] ? (a, b) : (b, a);
        var generation = await ScalarAsync<long>("SELECT generation FROM job_leases WHERE name = 'kms-maintenance'");
        await stopping.DisposeAsync();
        _nodes.Remove(stopping);
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!other.Server.KmsMaintenance.Job.HoldsLease && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        Assert.True(other.Server.KmsMaintenance.Job.HoldsLease);
        Assert.Equal(other.Server.NodeId, await ScalarAsync<string>("SELECT holder FROM job_leases WHERE name = 'kms-maintenance'"));
        Assert.True(await ScalarAsync<long>("SELECT generation FROM job_leases WHERE name = 'kms-maintenance'") > generation);
    }

    [PostgresFact]
    public async Task A_removed_user_and_a_disabled_kms_key_take_effect_on_the_other_node_within_the_bound()
    {
        var a = await StartNodeAsync(DatabaseUri);
        var b = await StartNodeAsync(DatabaseUri);
        var (accessKey, secretKey) = (await Coffer.Server.Hosting.Credentials.AddUserAsync(a.Server.Services.Store, a.Server.Services.RootKey, "pg-nodes"))!.Value;
        using var asUserOnB = Clients.S3(b, accessKey: accessKey, secretKey: secretKey);
        await asUserOnB.ListBucketsAsync();
        Assert.True(await a.Server.Services.Store.RemoveUserAsync(accessKey));
        await Task.Delay(Coffer.Server.Pipeline.CredentialStore.Lifetime + TimeSpan.FromMilliseconds(300));
        Assert.Equal("InvalidAccessKeyId", (await Assert.ThrowsAsync<AmazonS3Exception>(() => asUserOnB.ListBucketsAsync())).ErrorCode);

        using var kmsA = KmsLifeTests.Kms(a);
        using var s3B = Clients.S3(b, https: true);
        var keyId = (await kmsA.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
        var bucket = await CreateBucketAsync(s3B);
        await s3B.PutObjectAsync(KmsLifeTests.KmsPut(bucket, "k", "sealed on b", keyId));
        Assert.Equal("sealed on b", await KmsLifeTests.ReadAsync(s3B, bucket, "k"));   // B served it, with the key's state cached
        await kmsA.DisableKeyAsync(new DisableKeyRequest { KeyId = keyId });
        var disabled = DateTime.UtcNow;
        var get = await CrossNodeCacheTests.RefusedWithinAsync(() => KmsLifeTests.ReadAsync(s3B, bucket, "k"), disabled, CrossNodeCacheTests.KeyStateBound);
        Assert.Equal("KMS.DisabledException", get.ErrorCode);
        Assert.Equal("KMS.DisabledException", (await Assert.ThrowsAsync<AmazonS3Exception>(() => s3B.PutObjectAsync(KmsLifeTests.KmsPut(bucket, "k2", "x", keyId)))).ErrorCode);
    }

    [PostgresFact]
    public async Task A_bucket_default_encryption_changed_on_one_node_applies_to_puts_through_the_other_at_once()
    {
        var a = await StartNodeAsync(DatabaseUri);
        var b = await StartNodeAsync(DatabaseUri);
        await CrossNodeCacheTests.BucketDefaultEncryptionChangedOnAAppliesOnBAsync(a, b);
    }

    [PostgresFact]
    public async Task The_kms_audit_log_is_in_the_database_and_the_admin_api_of_one_node_reads_every_nodes_entries()
    {
        var a = await StartNodeAsync(DatabaseUri);
        var b = await StartNodeAsync(DatabaseUri);
        using var kmsA = KmsLifeTests.Kms(a);
        using var kmsB = KmsLifeTests.Kms(b);
        var start = DateTimeOffset.UtcNow.AddSeconds(-1);

        var keyId = (await kmsA.CreateKeyAsync(new CreateKeyRequest { Description = "audited" })).KeyMetadata.KeyId;
        await kmsA.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream("on a"u8.ToArray()), EncryptionContext = new() { ["via-node-a"] = "1" } });
        await kmsB.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream("on b"u8.ToArray()), EncryptionContext = new() { ["via-node-b"] = "1" } });
        await b.Server.Services.Audit.FlushAsync(); // B's entries leave its queue off the request path

        using var admin = new Coffer.Sdk.CofferAdminClient(new Coffer.Sdk.CosConfig
        {
            Region = CofferFixture.Region,
            SecretId = CofferFixture.AccessKey,
            SecretKey = CofferFixture.SecretKey,
            Endpoint = $"127.0.0.1:{a.HttpsUrl.Port}",
            CaFile = a.Server.CertificatePath,
        });
        var audit = await admin.ReadKmsAuditAsync(since: start, key: keyId);
        var encrypts = audit.Entries.Where(e => e.Operation == "Encrypt").ToList();
        // Each call's context names tell its node; the entries come oldest first.
        Assert.Equal(["via-node-a", "via-node-b"], encrypts.Select(e => Assert.Single(e.ContextKeys!)));
        Assert.All(encrypts, e => Assert.Equal(("kms", "ok", keyId), (e.Source, e.Outcome, e.KeyId)));
        Assert.Contains(audit.Entries, e => e.Operation == "CreateKey");
        Assert.False(audit.Truncated);

        // The log is the database's, not the nodes' data folders'.
        Assert.True(await CountAsync("kms_audit") >= 3);
        Assert.False(Directory.Exists(Path.Combine(a.DataDirectory, "audit")));
        Assert.False(Directory.Exists(Path.Combine(b.DataDirectory, "audit")));
    }
    private static async Task<string> ReadVersionAsync(AmazonS3Client s3, string bucket, string key, string versionId)
    {
        using var get = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, VersionId = versionId });
        return await new StreamReader(get.ResponseStream).ReadToEndAsync();
    }

    [PostgresFact]
    public async Task Versions_and_delete_markers_live_in_PostgreSQL_and_two_nodes_agree_on_them()
    {
        var a = await StartNodeAsync(DatabaseUri);
        var b = await StartNodeAsync(DatabaseUri);
        using var s3a = Clients.S3(a);
        using var s3b = Clients.S3(b);
        var bucket = await CreateBucketAsync(s3a);
        await s3a.PutBucketVersioningAsync(new PutBucketVersioningRequest { BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled } });

        var v1 = (await s3a.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "one" })).VersionId;
        var v2 = (await s3b.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "two" })).VersionId;
        Assert.Equal("one", await ReadVersionAsync(s3b, bucket, "k", v1));
        var marker = (await s3b.DeleteObjectAsync(bucket, "k")).VersionId;
        Assert.Equal(0, await CountAsync("objects"));
        Assert.Equal(3, await CountAsync("object_versions"));
        var listed = await s3a.ListVersionsAsync(new ListVersionsRequest { BucketName = bucket });
        Assert.Equal([(marker, true), (v2, false), (v1, false)], listed.Versions.Select(v => (v.VersionId, v.IsDeleteMarker == true)));

        await s3a.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = marker });
        Assert.Equal("two", await KmsLifeTests.ReadAsync(s3b, bucket, "k"));
        await s3b.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "k", VersionId = v2 });
        Assert.Equal("one", await KmsLifeTests.ReadAsync(s3a, bucket, "k"));
        Assert.Equal(1, await CountAsync("objects"));
        Assert.Equal(0, await CountAsync("object_versions"));
    }
}
