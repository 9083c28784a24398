using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.KeyManagementService.Model;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server.Audit;
using Coffer.Server.Objects;
using Coffer.Server.Sse;
using Coffer.Storage;
using static Coffer.EndToEnd.Tests.KmsLifeTests;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// KMS key life on servers of their own (their own data folder and time scale): deletion after the scaled
/// window as crypto-shredding, proven by scanning every file of the data folder; automatic rotation by the
/// server's job; the audit log; and `coffer admin rekey` run as the real program beside the running server.
/// </summary>
public sealed class KmsLifeServerTests
{
    private static async Task<CofferFixture> StartAsync(double timeScale = 1.0)
    {
        var fixture = new CofferFixture { TimeScale = timeScale };
        await fixture.InitializeAsync();
        return fixture;
    }

    [Fact]
    public async Task A_deleted_key_is_destroyed_after_the_scaled_window_and_nothing_in_the_data_folder_recovers_its_objects()
    {
        // Seven days become three seconds.
        var life = await StartAsync(timeScale: 7 * 86_400 / 3.0);
        try
        {
            var services = life.Server.Services;
            using var kms = Kms(life);
            using var s3 = Clients.S3(life, https: true);
            using var cos = new CosRawClient(life);
            var bucket = CosRawClient.NewBucket();
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
            var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "to shred" })).KeyMetadata.KeyId;
            await kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = keyId }); // two versions to destroy
            var survivorKey = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;

            var marker = "COFFER-SHRED-PLAINTEXT-" + Guid.NewGuid().ToString("N");
            var plaintext = string.Concat(Enumerable.Repeat(marker + "|", 200_000 / (marker.Length + 1)));
            await s3.PutObjectAsync(KmsPut(bucket, "secret", plaintext, keyId, "{\"case\":\"shred\"}"));
            Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "cos-secret", body: Encoding.UTF8.GetBytes(plaintext), headers:
            [
                new("x-cos-server-side-encryption", "cos/kms"),
                new("x-cos-server-side-encryption-cos-kms-key-id", keyId),
            ])).StatusCode);
            await s3.PutObjectAsync(KmsPut(bucket, "survivor", "still here", survivorKey));

            // Everything that would recover the plaintext, captured through internal access while it exists.
            var needles = new List<(string What, byte[] Bytes)> { ("plaintext", Encoding.UTF8.GetBytes(marker)) };
            var record = (await services.Store.GetKeyAsync(keyId))!;
            Assert.Equal(2, record.Versions.Count);
            foreach (var version in record.Versions)
            {
                needles.Add(($"sealed CMK material v{version.Version}", version.SealedMaterial));
                needles.Add(($"CMK material v{version.Version}", services.RootKey.Unseal(version.SealedMaterial, $"kms-cmk/{keyId}/{version.Version}")));
            }
            foreach (var name in new[] { "secret", "cos-secret" })
            {
                var obj = (await services.Store.GetObjectAsync(bucket, name))!;
                var blobLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(obj.Encryption.SealedKey.AsSpan(1));
                var context = SseService.KmsContext(bucket, obj.Encryption.KmsContext is { } c ? SseRequest.ParseContext(c) : null);
                var bucketKey = await services.Kms.DecryptAsync(obj.Encryption.SealedKey.AsMemory(3, blobLength), context);
                needles.Add(($"bucket key of {name}", bucketKey.Plaintext));
                using var objectKey = await SseService.OpenAsync(services, obj, null, CancellationToken.None);
                needles.Add(($"object key of {name}", objectKey!.Bytes.ToArray()));
                // The captured key really is the one: it opens the stored data.
                using var opened = new MemoryStream();
                await ObjectReader.CopyRangeAsync(obj, objectKey, 0, obj.Size, opened, services.Blobs, CancellationToken.None);
                Assert.Equal(plaintext, Encoding.UTF8.GetString(opened.ToArray()));
            }

            var scheduled = await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = keyId, PendingWindowInDays = 7 });
            Assert.InRange(scheduled.DeletionDate!.Value, DateTime.UtcNow.AddSeconds(1), DateTime.UtcNow.AddSeconds(4));
            // Pending: refused at once, by both families.
            var pending = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "secret"));
            Assert.Equal((HttpStatusCode.BadRequest, "KMS.KMSInvalidStateException"), (pending.StatusCode, pending.ErrorCode));

            // The server's job destroys it; the raw store is polled so no request shreds it lazily.
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await services.Store.GetKeyAsync(keyId))!.State != Coffer.Crypto.Kms.KmsKeyState.Deleted)
            {
                Assert.True(DateTime.UtcNow < deadline, "the key was not destroyed within 60 s of its scaled deletion date");
                await Task.Delay(100);
            }
            Assert.Empty((await services.Store.GetKeyAsync(keyId))!.Versions);

            await Assert.ThrowsAsync<NotFoundException>(() => kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = keyId }));
            var gone = await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "secret"));
            Assert.Equal((HttpStatusCode.BadRequest, "KMS.NotFoundException"), (gone.StatusCode, gone.ErrorCode));
            var cosGone = await cos.SendAsync(HttpMethod.Get, bucket, "cos-secret");
            Assert.Equal((HttpStatusCode.BadRequest, "KmsKeyNotExist"), (cosGone.StatusCode, await cosGone.ErrorCodeAsync()));
            Assert.Equal("still here", await ReadAsync(s3, bucket, "survivor"));
            // HEAD needs no key (as on S3): the object is still listed, only its content is gone for good.
            Assert.Equal(plaintext.Length, (await s3.GetObjectMetadataAsync(bucket, "secret")).ContentLength);

            var audit = await AuditAsync(life);
            Assert.Contains(audit, e => e is { Operation: "DestroyKey", Source: "server", Outcome: "ok" } && e.KeyId == keyId);
            Assert.Contains(audit, e => e is { Operation: "SseUnwrap", Outcome: "error", Error: "NotFoundException" } && e.KeyId == keyId);

            var files = Directory.EnumerateFiles(life.DataDirectory, "*", SearchOption.AllDirectories).ToList();
            Assert.Contains(files, p => p.EndsWith("meta.db-wal", StringComparison.Ordinal) || p.EndsWith("meta.db", StringComparison.Ordinal));
            foreach (var path in files)
            {
                var bytes = ReadShared(path);
                foreach (var (what, needle) in needles)
                {
                    foreach (var form in Forms(needle))
                        Assert.False(bytes.AsSpan().IndexOf(form) >= 0, $"{Path.GetRelativePath(life.DataDirectory, path)} still holds the {what}");
                }
            }
        }
        finally
        {
            await life.DisposeAsync();
        }
    }

    [Fact]
    public async Task Automatic_rotation_runs_in_the_server_at_the_scaled_period_and_new_objects_use_the_new_version()
    {
        // Ninety days become two seconds.
        var life = await StartAsync(timeScale: 90 * 86_400 / 2.0);
        try
        {
            using var kms = Kms(life);
            using var s3 = Clients.S3(life, https: true);
            var bucket = CofferFixture.NewBucket("auto");
            await s3.PutBucketAsync(bucket);
            var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            await s3.PutObjectAsync(KmsPut(bucket, "first", "version one", keyId));
            await kms.EnableKeyRotationAsync(new EnableKeyRotationRequest { KeyId = keyId, RotationPeriodInDays = 90 });

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while ((await kms.ListKeyRotationsAsync(new ListKeyRotationsRequest { KeyId = keyId })).Rotations is not { Count: > 0 } rotations
                   || rotations[0].RotationType != Amazon.KeyManagementService.RotationType.AUTOMATIC)
            {
                Assert.True(DateTime.UtcNow < deadline, "no automatic rotation within 60 s of the scaled period");
                await Task.Delay(200);
            }

            await s3.PutObjectAsync(KmsPut(bucket, "second", "version two", keyId));
            var store = life.Server.Services.Store;
            Assert.Equal(1, BucketKeyOf((await store.GetObjectAsync(bucket, "first"))!).Version);
            Assert.True(BucketKeyOf((await store.GetObjectAsync(bucket, "second"))!).Version >= 2);
            Assert.Equal("version one", await ReadAsync(s3, bucket, "first"));
            Assert.Equal("version two", await ReadAsync(s3, bucket, "second"));
            var status = await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = keyId });
            Assert.True(status.KeyRotationEnabled);
            Assert.Equal(90, status.RotationPeriodInDays);

            Assert.Contains(await AuditAsync(life), e => e is { Operation: "RotateKey", Source: "server", RotationType: "AUTOMATIC" } && e.KeyId == keyId);
        }
        finally
        {
            await life.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_audit_log_records_every_key_use_and_no_secret()
    {
        var life = await StartAsync();
        try
        {
            var services = life.Server.Services;
            using var kms = Kms(life);
            using var s3 = Clients.S3(life, https: true);
            var bucket = CofferFixture.NewBucket("audit");
            await s3.PutBucketAsync(bucket);
            const string contextValue = "CONTEXT-VALUE-NOT-FOR-LOGS";
            var objectText = "OBJECT-PLAINTEXT-NOT-FOR-LOGS-" + Guid.NewGuid().ToString("N");

            var keyId = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "audited" })).KeyMetadata.KeyId;
            await s3.PutObjectAsync(KmsPut(bucket, "doc", objectText, keyId, $"{{\"dept\":\"{contextValue}\"}}"));
            Assert.Equal(objectText, await ReadAsync(s3, bucket, "doc"));   // bucket key cached by the PUT
            services.Envelope.Clear();
            Assert.Equal(objectText, await ReadAsync(s3, bucket, "doc"));   // one KMS Decrypt
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "cos-mode", ContentBody = objectText, ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256 });
            await s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = bucket,
                Key = "customer",
                ContentBody = objectText,
                ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
                ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
                ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
            });

            var context = new Dictionary<string, string> { ["dept"] = contextValue };
            var dataKey = await kms.GenerateDataKeyAsync(new GenerateDataKeyRequest { KeyId = keyId, KeySpec = Amazon.KeyManagementService.DataKeySpec.AES_256, EncryptionContext = context });
            var dataKeyPlain = dataKey.Plaintext.ToArray();
            await kms.DecryptAsync(new DecryptRequest { CiphertextBlob = dataKey.CiphertextBlob, EncryptionContext = context });
            await Assert.ThrowsAsync<InvalidCiphertextException>(() => kms.DecryptAsync(new DecryptRequest { CiphertextBlob = new MemoryStream(dataKey.CiphertextBlob.ToArray()) }));
            var encrypted = await kms.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes(objectText)), EncryptionContext = context });
            var other = (await kms.CreateKeyAsync(new CreateKeyRequest())).KeyMetadata.KeyId;
            await kms.ReEncryptAsync(new ReEncryptRequest { CiphertextBlob = encrypted.CiphertextBlob, SourceEncryptionContext = context, DestinationKeyId = other });
            await kms.DisableKeyAsync(new DisableKeyRequest { KeyId = other });
            await kms.EnableKeyAsync(new EnableKeyRequest { KeyId = other });
            await kms.RotateKeyOnDemandAsync(new RotateKeyOnDemandRequest { KeyId = other });
            await kms.ScheduleKeyDeletionAsync(new ScheduleKeyDeletionRequest { KeyId = other, PendingWindowInDays = 7 });
            await kms.CancelKeyDeletionAsync(new CancelKeyDeletionRequest { KeyId = other });
            var missing = Guid.NewGuid().ToString();
            await Assert.ThrowsAsync<NotFoundException>(() => kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = missing }));

            var audit = await AuditAsync(life);
            bool Has(Func<KmsAuditEntry, bool> match) => audit.Any(match);
            var accessKey = CofferFixture.AccessKey;
            Assert.True(Has(e => e is { Operation: "SseWrap", Source: "s3", Mode: "SSE-KMS", Bucket: var b, Object: "doc", Cached: false, Outcome: "ok", KeyVersion: 1 }
                && b == bucket && e.KeyId == keyId && e.AccessKeyId == accessKey && e.Principal == "root" && e.RequestId is not null
                && e.ContextKeys!.SequenceEqual(["coffer:bucket", "dept"])), "SSE wrap on PUT");
            Assert.True(Has(e => e is { Operation: "SseUnwrap", Object: "doc", Cached: true, Outcome: "ok" } && e.KeyId == keyId), "cached SSE unwrap on GET");
            Assert.True(Has(e => e is { Operation: "SseUnwrap", Object: "doc", Cached: false, Outcome: "ok" } && e.KeyId == keyId), "SSE unwrap with a KMS call");
            Assert.True(Has(e => e is { Operation: "SseWrap", Mode: "SSE-COS", Object: "cos-mode", Outcome: "ok" }), "SSE-COS wrap");
            Assert.False(Has(e => e.Object == "customer"), "SSE-C uses no KMS key and is not a KMS audit entry");
            foreach (var operation in new[] { "CreateKey", "GenerateDataKey", "Decrypt", "Encrypt" })
                Assert.True(Has(e => e.Operation == operation && e.KeyId == keyId && e is { Source: "kms", Outcome: "ok" } && e.AccessKeyId == accessKey), operation);
            Assert.True(Has(e => e is { Operation: "Decrypt", Outcome: "error", Error: "InvalidCiphertextException" } && e.KeyId == keyId), "failed Decrypt");
            Assert.True(Has(e => e is { Operation: "ReEncrypt", Outcome: "ok" } && e.KeyId == other && e.SourceKeyId == keyId), "ReEncrypt");
            foreach (var operation in new[] { "DisableKey", "EnableKey", "RotateKeyOnDemand", "ScheduleKeyDeletion", "CancelKeyDeletion" })
                Assert.True(Has(e => e.Operation == operation && e.KeyId == other && e.Outcome == "ok"), operation);
            Assert.True(Has(e => e is { Operation: "DescribeKey", Outcome: "error", Error: "NotFoundException" } && e.KeyId == missing), "refused DescribeKey names the reference given");

            // No secret in the file: data keys, CMK material, customer keys, plaintext, context values.
            var record = (await services.Store.GetKeyAsync(keyId))!;
            var secrets = new List<(string What, byte[] Bytes)>
            {
                ("data key", dataKeyPlain),
                ("CMK material", services.RootKey.Unseal(record.Versions[0].SealedMaterial, $"kms-cmk/{keyId}/1")),
                ("sealed CMK material", record.Versions[0].SealedMaterial),
                ("customer key", Convert.FromBase64String(SseKeys.KeyA)),
                ("customer key MD5", Convert.FromBase64String(SseKeys.KeyAMd5)),
                ("object plaintext", Encoding.UTF8.GetBytes(objectText)),
                ("context value", Encoding.UTF8.GetBytes(contextValue)),
            };
            var auditFiles = Directory.EnumerateFiles(KmsAuditLog.FolderOf(life.DataDirectory)).ToList();
            Assert.NotEmpty(auditFiles);
            foreach (var path in auditFiles)
            {
                var bytes = ReadShared(path);
                foreach (var (what, secret) in secrets)
                    foreach (var form in Forms(secret))
                        Assert.False(bytes.AsSpan().IndexOf(form) >= 0, $"the audit log holds the {what}");
            }

            // The command reads it back, filtered by key and time.
            var (code, output, _) = await RunCofferAsync("kms", "audit", "--data", life.DataDirectory, "--key", keyId, "--json");
            Assert.Equal(0, code);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<KmsAuditEntry>(l)!).ToList();
            Assert.Equal(audit.Count(e => e.KeyId == keyId || e.SourceKeyId == keyId), lines.Count);
            Assert.All(lines, e => Assert.True(e.KeyId == keyId || e.SourceKeyId == keyId));
            var (_, future, _) = await RunCofferAsync("kms", "audit", "--data", life.DataDirectory, "--since", DateTimeOffset.UtcNow.AddMinutes(5).ToString("O"));
            Assert.Equal("", future.Trim());
            var (_, text, _) = await RunCofferAsync("kms", "audit", "--data", life.DataDirectory, "--since", "1h");
            Assert.Contains("SseUnwrap", text, StringComparison.Ordinal);
            Assert.Contains("cached", text, StringComparison.Ordinal);
        }
        finally
        {
            await life.DisposeAsync();
        }
    }

    [Fact]
    public async Task Rekey_by_the_real_command_resumes_after_interruptions_and_never_clobbers_concurrent_writes()
    {
        var life = await StartAsync();
        try
        {
            var store = life.Server.Services.Store;
            using var kms = Kms(life);
            using var s3 = Clients.S3(life, https: true);
            var bucket = CofferFixture.NewBucket("rekey");
            await s3.PutBucketAsync(bucket);
            var from = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "old" })).KeyMetadata.KeyId;
            var to = (await kms.CreateKeyAsync(new CreateKeyRequest { Description = "new" })).KeyMetadata.KeyId;
            var alias = "alias/rekey-" + Guid.NewGuid().ToString("N")[..8];
            await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = alias, TargetKeyId = to });

            // Enough objects that the kill on the first progress line (after 100 looked at) lands with
            // hundreds of re-wraps, each a committed write, still to go: the race is lost by seconds, not milliseconds.
            const int count = 400;
            var expected = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
            await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 6 }, async (i, _) =>
            {
                var key = $"obj/{i:D4}";
                await s3.PutObjectAsync(KmsPut(bucket, key, $"original {i}", from, $"{{\"batch\":\"{i % 3}\"}}"));
                expected[key] = $"original {i}";
            });
            await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = "cos/0", ContentBody = "sse-s3", ServerSideEncryptionMethod = ServerSideEncryptionMethod.AES256 });
            await s3.PutObjectAsync(KmsPut(bucket, "other/0", "under the target already", to));
            var etagBefore = (await store.GetObjectAsync(bucket, "obj/0000"))!.ETag;

            string[] Args(params string[] extra) => ["admin", "rekey", "--bucket", bucket, "--from-key", from, "--to-key", alias, "--data", life.DataDirectory, .. extra];

            // 1. Stopped by --limit.
            var (code, output, error) = await RunCofferAsync(Args("--limit", "60"));
            Assert.True(code == 0, error);
            Assert.Contains("Stopped after --limit 60", output, StringComparison.Ordinal);
            Assert.Equal(60, await CountUnderAsync(store, bucket, to, "obj/"));

            // 2. Killed (SIGKILL) mid-run while a writer overwrites objects under the old key.
            using var stopWriter = new CancellationTokenSource();
            var overwritten = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
            var writer = Task.Run(async () =>
            {
                var random = new Random(7);
                for (var n = 0; !stopWriter.IsCancellationRequested; n++)
                {
                    var key = $"obj/{random.Next(count):D4}";
                    var body = $"rewritten {n}";
                    await s3.PutObjectAsync(KmsPut(bucket, key, body, from, "{\"batch\":\"w\"}"));
                    expected[key] = body;
                    overwritten[key] = true;
                    await Task.Delay(5);
                }
            });
            Assert.True(await RunAndKillOnFirstProgressAsync(Args()), "the command finished before it could be killed");

            // 3. Continued to the end, the writer still running.
            (code, output, error) = await RunCofferAsync(Args());
            Assert.True(code == 0, error);
            Assert.Contains("Done:", output, StringComparison.Ordinal);
            Assert.Contains("continued an interrupted run", output, StringComparison.Ordinal); // after the limit or the kill
            await stopWriter.CancelAsync();
            await writer;

            foreach (var (key, body) in expected)
            {
                Assert.Equal(body, await ReadAsync(s3, bucket, key)); // the last write of every object survived
                if (!overwritten.ContainsKey(key))
                    Assert.Equal(to, (await store.GetObjectAsync(bucket, key))!.Encryption.KmsKeyId);
            }
            if (!overwritten.ContainsKey("obj/0000"))
                Assert.Equal(etagBefore, (await store.GetObjectAsync(bucket, "obj/0000"))!.ETag); // data and ETag untouched
            Assert.Equal(SseMode.Cos, (await store.GetObjectAsync(bucket, "cos/0"))!.Encryption.Mode);
            Assert.Equal("sse-s3", await ReadAsync(s3, bucket, "cos/0"));

            // 4. The job finished, so running it again is a new pass: it takes what the writer put under the old key.
            (code, output, error) = await RunCofferAsync(Args("--json"));
            Assert.True(code == 0, error);
            using (var summary = JsonDocument.Parse(output))
                Assert.True(summary.RootElement.GetProperty("finished").GetBoolean());
            Assert.Equal(count, await CountUnderAsync(store, bucket, to, "obj/"));
            foreach (var (key, body) in expected)
                Assert.Equal(body, await ReadAsync(s3, bucket, key));

            var audit = await AuditAsync(life);
            Assert.True(audit.Count(e => e is { Operation: "Rekey", Source: "admin", Outcome: "ok" } && e.KeyId == to && e.SourceKeyId == from) >= count);
        }
        finally
        {
            await life.DisposeAsync();
        }
    }

    private static async Task<int> CountUnderAsync(IMetadataStore store, string bucket, string keyId, string prefix)
    {
        var listing = await store.ListObjectsAsync(bucket, prefix, null, null, 1000);
        return listing.Objects.Count(o => o.Encryption.KmsKeyId == keyId);
    }

    internal static async Task<List<KmsAuditEntry>> AuditAsync(CofferFixture life)
    {
        var entries = new List<KmsAuditEntry>();
        await foreach (var entry in KmsAuditLog.ReadAsync(KmsAuditLog.FolderOf(life.DataDirectory)))
            entries.Add(entry);
        return entries;
    }

    /// <summary>The raw bytes, base64 and hex (both cases) of a secret: the forms it could leak in.</summary>
    private static IEnumerable<byte[]> Forms(byte[] secret)
    {
        yield return secret;
        yield return Encoding.ASCII.GetBytes(Convert.ToBase64String(secret));
        yield return Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret));
        yield return Encoding.ASCII.GetBytes(Convert.ToHexString(secret));
    }

    private static byte[] ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static ProcessStartInfo CofferProcess(string[] args) => new("dotnet", [Path.Combine(AppContext.BaseDirectory, "coffer.dll"), .. args])
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
    };

    internal static async Task<(int Code, string Output, string Error)> RunCofferAsync(params string[] args)
    {
        using var process = Process.Start(CofferProcess(args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>Runs the command and SIGKILLs it at its first progress line; false when it finished first.</summary>
    private static async Task<bool> RunAndKillOnFirstProgressAsync(string[] args)
    {
        using var process = Process.Start(CofferProcess(args))!;
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("progress:", StringComparison.Ordinal))
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(timeout.Token);
                return true;
            }
        }
        await process.WaitForExitAsync(timeout.Token);
        return false;
    }
}
