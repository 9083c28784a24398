using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Coffer.Sdk;

namespace SseGuide;

/// <summary>
/// The COS guide "使用服务端加密" (upload and download with server-side encryption), code block
/// by code block, as C#: every Python call has its twin here, and each step checks what the
/// guide's <c>print(...)</c> line shows. Creates the bucket and KMS key it needs.
/// </summary>
public sealed class Guide(GuideOptions options, TextWriter output)
{
    private readonly List<(string Bucket, string Key)> _created = [];
    private int _passed;
    private int _failed;
    private int _step;

    /// <summary>Runs every step; prints one line per step and "N passed, M failed" last.</summary>
    public async Task<(int Passed, int Failed)> RunAsync(CancellationToken cancellationToken = default)
    {
        var config = options.ToConfig();
        using var client = new CosClient(config);
        using var kms = new KmsClient(config);
        string bucket = options.Bucket ?? $"sse-guide-{Guid.NewGuid():N}"[..22] + "-1250000000";
        string work = Path.Combine(Path.GetTempPath(), "sse-guide-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(work);
        string? kmsKeyId = null;

        output.WriteLine($"SSE guide against {options.Endpoint} ({options.Signature}{(options.PathStyle ? ", path style" : "")}), bucket {bucket}");
        try
        {
            await Step("setup: create the bucket", async () =>
            {
                if (options.Bucket is not null)
                {
                    await client.HeadBucketAsync(bucket, cancellationToken);
                    return "exists";
                }

                await client.CreateBucketAsync(bucket, cancellationToken);
                return "created";
            });
            await Step("setup: create a KMS key (TrentService.CreateKey)", async () =>
            {
                var key = await kms.CreateKeyAsync("SSE guide sample", cancellationToken);
                kmsKeyId = key.KeyId;
                return $"key {key.KeyId}";
            });

            // ---- SSE-COS ------------------------------------------------------------------
            await Step("SSE-COS: put_object(ServerSideEncryption='AES256')", async () =>
            {
                var response = await client.PutObjectAsync(new PutObjectRequest
                {
                    Bucket = bucket,
                    Key = Track(bucket, "sdk-sse-cos"),
                    Body = "123",
                    ServerSideEncryption = "AES256",
                }, cancellationToken);
                return Expect(response["x-cos-server-side-encryption"], "AES256");
            });
            await Step("SSE-COS: get_object, decrypted by the server", async () =>
            {
                await using var response = await client.GetObjectAsync(new GetObjectRequest { Bucket = bucket, Key = "sdk-sse-cos" }, cancellationToken);
                string body = await response.ReadAsStringAsync(cancellationToken);
                Check(body == "123", $"body '{body}', expected '123'");
                return Expect(response["x-cos-server-side-encryption"], "AES256") + ", body '123'";
            });

            // ---- SSE-KMS ------------------------------------------------------------------
            string context = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"test\":\"test\"}"));
            await Step("SSE-KMS: put_object(ServerSideEncryption='cos/kms', SSEKMSKeyId, SSEKMSContext)", async () =>
            {
                var response = await client.PutObjectAsync(new PutObjectRequest
                {
                    Bucket = bucket,
                    Key = Track(bucket, "sdk-sse-kms"),
                    Body = "123",
                    ServerSideEncryption = "cos/kms",
                    SSEKMSKeyId = kmsKeyId,
                    SSEKMSContext = context,
                }, cancellationToken);
                string mode = Expect(response["x-cos-server-side-encryption"], "cos/kms", "aws:kms");
                Check(response.KmsKeyId is not null && response.KmsKeyId.EndsWith(kmsKeyId!, StringComparison.Ordinal), $"KMS key id '{response.KmsKeyId}', expected {kmsKeyId}");
                return $"{mode}, key {response.KmsKeyId}";
            });
            await Step("SSE-KMS: get_object, decrypted by the server", async () =>
            {
                await using var response = await client.GetObjectAsync(new GetObjectRequest { Bucket = bucket, Key = "sdk-sse-kms" }, cancellationToken);
                string body = await response.ReadAsStringAsync(cancellationToken);
                Check(body == "123", $"body '{body}', expected '123'");
                return Expect(response["x-cos-server-side-encryption"], "cos/kms", "aws:kms") + ", body '123'";
            });

            string kmsLocal = Path.Combine(work, "sdk-sse-kms.local");
            byte[] kmsData = RandomBytes(3 * 1024 * 1024 + 12345);
            await File.WriteAllBytesAsync(kmsLocal, kmsData, cancellationToken);
            await Step("SSE-KMS: upload_file(LocalFilePath, ServerSideEncryption='cos/kms') in parts", async () =>
            {
                var response = await client.UploadFileAsync(new UploadFileRequest
                {
                    Bucket = bucket,
                    Key = Track(bucket, "sdk-sse-kms-file"),
                    LocalFilePath = kmsLocal,
                    ServerSideEncryption = "cos/kms",
                    MultipartThreshold = 1024 * 1024,
                    PartSize = 1024 * 1024,
                    EnableCheckpoint = false,
                }, cancellationToken);
                Check(response.Multipart, "expected a multipart upload");
                return $"{Expect(response["x-cos-server-side-encryption"], "cos/kms", "aws:kms")}, {response.PartCount} parts, CRC-64 {response.Crc64} matches";
            });
            await Step("SSE-KMS: download_file(DestFilePath), decrypted by the server", async () =>
            {
                string dest = Path.Combine(work, "sdk-sse-kms.download");
                var response = await client.DownloadFileAsync(new DownloadFileRequest
                {
                    Bucket = bucket,
                    Key = "sdk-sse-kms-file",
                    DestFilePath = dest,
                    PartSize = 1024 * 1024,
                    EnableCheckpoint = false,
                }, cancellationToken);
                Check((await File.ReadAllBytesAsync(dest, cancellationToken)).AsSpan().SequenceEqual(kmsData), "downloaded bytes differ");
                return $"{response.ContentLength} bytes in {response.PartCount} ranges, identical";
            });

            // ---- SSE-C --------------------------------------------------------------------
            string ssecSecret = "00000000000000000000000000000001";
            string ssecKey = Convert.ToBase64String(Encoding.UTF8.GetBytes(ssecSecret));
            string ssecKeyMd5 = Convert.ToBase64String(MD5.HashData(Encoding.UTF8.GetBytes(ssecSecret)));
            const string fileName = "sdk-sse-c";
            await Step("SSE-C: put_object(SSECustomerAlgorithm, SSECustomerKey, SSECustomerKeyMD5)", async () =>
            {
                var response = await client.PutObjectAsync(new PutObjectRequest
                {
                    Bucket = bucket,
                    Key = Track(bucket, fileName),
                    Body = "00000",
                    SSECustomerAlgorithm = "AES256",
                    SSECustomerKey = ssecKey,
                    SSECustomerKeyMD5 = ssecKeyMd5,
                }, cancellationToken);
                return Expect(response["x-cos-server-side-encryption-customer-algorithm"], "AES256");
            });
            await Step("SSE-C: get_object with the key", async () =>
            {
                await using var response = await client.GetObjectAsync(new GetObjectRequest
                {
                    Bucket = bucket,
                    Key = fileName,
                    SSECustomerAlgorithm = "AES256",
                    SSECustomerKey = ssecKey,
                    SSECustomerKeyMD5 = ssecKeyMd5,
                }, cancellationToken);
                string body = await response.ReadAsStringAsync(cancellationToken);
                Check(body == "00000", $"body '{body}', expected '00000'");
                return Expect(response["x-cos-server-side-encryption-customer-algorithm"], "AES256") + ", body '00000'";
            });
            await Step("SSE-C: head_object with the key", async () =>
            {
                var response = await client.HeadObjectAsync(new HeadObjectRequest
                {
                    Bucket = bucket,
                    Key = fileName,
                    SSECustomerAlgorithm = "AES256",
                    SSECustomerKey = ssecKey,
                    SSECustomerKeyMD5 = ssecKeyMd5,
                }, cancellationToken);
                return Expect(response["x-cos-server-side-encryption-customer-algorithm"], "AES256");
            });
            await Step("SSE-C: get_object without the key is refused", async () =>
            {
                try
                {
                    await using var response = await client.GetObjectAsync(new GetObjectRequest { Bucket = bucket, Key = fileName }, cancellationToken);
                    throw new GuideCheckFailed("the object was returned without its key");
                }
                catch (CofferException e) when (e.StatusCode is 400 or 403 && e.Code is not (ErrorCodes.SignatureDoesNotMatch or ErrorCodes.InvalidAccessKeyId))
                {
                    return $"{e.StatusCode} {e.Code}";
                }
            });

            string cLocal = Path.Combine(work, "sdk-sse-c.local");
            byte[] cData = RandomBytes(2 * 1024 * 1024 + 777);
            await File.WriteAllBytesAsync(cLocal, cData, cancellationToken);
            await Step("SSE-C: upload_file(LocalFilePath, SSECustomer*) in parts", async () =>
            {
                var response = await client.UploadFileAsync(new UploadFileRequest
                {
                    Bucket = bucket,
                    Key = fileName,
                    LocalFilePath = cLocal,
                    SSECustomerAlgorithm = "AES256",
                    SSECustomerKey = ssecKey,
                    SSECustomerKeyMD5 = ssecKeyMd5,
                    MultipartThreshold = 1024 * 1024,
                    PartSize = 1024 * 1024,
                    EnableCheckpoint = false,
                }, cancellationToken);
                Check(response.Multipart, "expected a multipart upload");
                return $"{Expect(response["x-cos-server-side-encryption-customer-algorithm"], "AES256")}, {response.PartCount} parts";
            });
            await Step("SSE-C: download_file(DestFilePath, SSECustomer*)", async () =>
            {
                string dest = Path.Combine(work, "sdk-sse-c.download");
                var response = await client.DownloadFileAsync(new DownloadFileRequest
                {
                    Bucket = bucket,
                    Key = fileName,
                    DestFilePath = dest,
                    SSECustomerAlgorithm = "AES256",
                    SSECustomerKey = ssecKey,
                    SSECustomerKeyMD5 = ssecKeyMd5,
                    PartSize = 1024 * 1024,
                    EnableCheckpoint = false,
                }, cancellationToken);
                Check((await File.ReadAllBytesAsync(dest, cancellationToken)).AsSpan().SequenceEqual(cData), "downloaded bytes differ");
                return $"{response.ContentLength} bytes in {response.PartCount} ranges, identical";
            });

            string destSecret = "00000000000000000000000000000002";
            string destKey = Convert.ToBase64String(Encoding.UTF8.GetBytes(destSecret));
            string destKeyMd5 = Convert.ToBase64String(MD5.HashData(Encoding.UTF8.GetBytes(destSecret)));
            var copySource = new CopySource(bucket, fileName, options.Region);
            await Step("SSE-C: copy_object to a new key (CopySourceSSECustomer* → SSECustomer*)", async () =>
            {
                var response = await client.CopyObjectAsync(new CopyObjectRequest
                {
                    Bucket = bucket,
                    Key = Track(bucket, "sdk-sse-c-copy"),
                    CopySource = copySource,
                    SSECustomerAlgorithm = "AES256",
                    SSECustomerKey = destKey,
                    SSECustomerKeyMD5 = destKeyMd5,
                    CopySourceSSECustomerAlgorithm = "AES256",
                    CopySourceSSECustomerKey = ssecKey,
                    CopySourceSSECustomerKeyMD5 = ssecKeyMd5,
                }, cancellationToken);
                string shown = Expect(response["x-cos-server-side-encryption-customer-algorithm"], "AES256");
                await VerifyAsync(client, bucket, "sdk-sse-c-copy", SseCustomer.FromBase64(destKey), cData, cancellationToken);
                return shown + ", readable with the new key";
            });
            await Step("SSE-C: copy(MAXThread=2) in parts to a new key", async () =>
            {
                var response = await client.CopyAsync(new CopyRequest
                {
                    Bucket = bucket,
                    Key = "sdk-sse-c-copy",
                    CopySource = copySource,
                    MaxThreads = 2,
                    SSECustomerAlgorithm = "AES256",
                    SSECustomerKey = destKey,
                    SSECustomerKeyMD5 = destKeyMd5,
                    CopySourceSSECustomerAlgorithm = "AES256",
                    CopySourceSSECustomerKey = ssecKey,
                    CopySourceSSECustomerKeyMD5 = ssecKeyMd5,
                    CopyThreshold = 1024 * 1024,
                    PartSize = 1024 * 1024,
                }, cancellationToken);
                Check(response.Multipart, "expected a multipart copy");
                string shown = Expect(response["x-cos-server-side-encryption-customer-algorithm"], "AES256");
                await VerifyAsync(client, bucket, "sdk-sse-c-copy", SseCustomer.FromBase64(destKey), cData, cancellationToken);
                return $"{shown}, {response.PartCount} parts, readable with the new key";
            });
            await Step("SSE-C: restore_object(RestoreRequest={Days:1, Tier:Expedited}) of an archived copy", async () =>
            {
                const string archived = "sdk-sse-c-archive";
                await client.PutObjectAsync(new PutObjectRequest
                {
                    Bucket = bucket,
                    Key = Track(bucket, archived),
                    Body = "archived",
                    StorageClass = "ARCHIVE",
                    SSECustomerAlgorithm = "AES256",
                    SSECustomerKey = ssecKey,
                    SSECustomerKeyMD5 = ssecKeyMd5,
                }, cancellationToken);
                var response = await client.RestoreObjectAsync(new RestoreObjectRequest
                {
                    Bucket = bucket,
                    Key = archived,
                    Days = 1,
                    Tier = "Expedited",
                    SSECustomerAlgorithm = "AES256",
                    SSECustomerKey = ssecKey,
                    SSECustomerKeyMD5 = ssecKeyMd5,
                }, cancellationToken);
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < TimeSpan.FromSeconds(20))
                {
                    var head = await client.HeadObjectAsync(new HeadObjectRequest
                    {
                        Bucket = bucket,
                        Key = archived,
                        SSECustomerAlgorithm = "AES256",
                        SSECustomerKey = ssecKey,
                        SSECustomerKeyMD5 = ssecKeyMd5,
                    }, cancellationToken);
                    if (head.Restore is { OngoingRequest: false })
                    {
                        await using var get = await client.GetObjectAsync(new GetObjectRequest
                        {
                            Bucket = bucket,
                            Key = archived,
                            SSECustomerAlgorithm = "AES256",
                            SSECustomerKey = ssecKey,
                            SSECustomerKeyMD5 = ssecKeyMd5,
                        }, cancellationToken);
                        Check(await get.ReadAsStringAsync(cancellationToken) == "archived", "restored body differs");
                        return $"{response.StatusCode}, restored until {head.Restore.ExpiryDate:u}, readable";
                    }

                    await Task.Delay(200, cancellationToken);
                }

                return $"{response.StatusCode}, restore accepted and still in progress";
            });

            // ---- Bucket default encryption (the guide's overview) ----------------------------
            await Step("bucket default encryption: put_bucket_encryption(AES256) applies to plain PUTs", async () =>
            {
                await client.PutBucketEncryptionAsync(bucket, new BucketEncryptionRule("AES256"), cancellationToken);
                var rules = await client.GetBucketEncryptionAsync(bucket, cancellationToken);
                Check(rules.Rules.Count == 1 && rules.Rules[0].SSEAlgorithm == "AES256", "get_bucket_encryption did not return AES256");
                var put = await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = Track(bucket, "sdk-default"), Body = "d" }, cancellationToken);
                await client.DeleteBucketEncryptionAsync(bucket, cancellationToken);
                return Expect(put["x-cos-server-side-encryption"], "AES256") + " without SSE headers";
            });

            // ---- A bucket policy that admits SSE-KMS writes only (docs/protocol/policy.md) ---------
            if (options.Bucket is null)
            {
                await Step("bucket policy: put_bucket_policy(deny PutObject without SSE-KMS) refuses a plain PUT, admits cos/kms", async () =>
                {
                    // The condition sees the SSE header as sent: "cos/kms" under the COS signature, "aws:kms" under S3's.
                    string policy = """{"Version":"2012-10-17","Statement":[{"Sid":"SseKmsOnly","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::"""
                        + bucket + """/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":["aws:kms","cos/kms"]}}}]}""";
                    await client.PutBucketPolicyAsync(bucket, policy, cancellationToken);
                    Check((await client.GetBucketPolicyAsync(bucket, cancellationToken)).Policy == policy, "get_bucket_policy did not return the policy as put");
                    try
                    {
                        await client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "sdk-policy-plain", Body = "p" }, cancellationToken);
                        _created.Add((bucket, "sdk-policy-plain"));
                        throw new GuideCheckFailed("a plain PUT was accepted under the SSE-KMS-only policy");
                    }
                    catch (CofferException e) when (e.Code == ErrorCodes.AccessDenied)
                    {
                    }
                    var put = await client.PutObjectAsync(new PutObjectRequest
                    {
                        Bucket = bucket,
                        Key = Track(bucket, "sdk-policy-kms"),
                        Body = "k",
                        ServerSideEncryption = "cos/kms",
                        SSEKMSKeyId = kmsKeyId,
                    }, cancellationToken);
                    await client.DeleteBucketPolicyAsync(bucket, cancellationToken);
                    return "plain PUT AccessDenied, " + Expect(put["x-cos-server-side-encryption"], "cos/kms", "aws:kms") + " PUT admitted";
                });
            }
        }
        finally
        {
            if (!options.Keep)
            {
                await CleanUpAsync(client, bucket, kms, kmsKeyId);
            }

            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }

        output.WriteLine($"{_passed} passed, {_failed} failed");
        return (_passed, _failed);
    }

    private async Task Step(string title, Func<Task<string>> body)
    {
        _step++;
        try
        {
            string detail = await body();
            _passed++;
            output.WriteLine($"[PASS] {_step,2}. {title}: {detail}");
        }
        catch (Exception e) when (e is GuideCheckFailed or CofferException or CosClientException or IOException)
        {
            _failed++;
            output.WriteLine($"[FAIL] {_step,2}. {title}: {e.Message}");
        }
    }

    private string Track(string bucket, string key)
    {
        _created.Add((bucket, key));
        return key;
    }

    private static async Task VerifyAsync(CosClient client, string bucket, string key, SseCustomer customer, byte[] expected, CancellationToken cancellationToken)
    {
        await using var response = await client.GetObjectAsync(bucket, key, customer, cancellationToken);
        Check((await response.ReadAsBytesAsync(cancellationToken)).AsSpan().SequenceEqual(expected), $"'{key}' read back differently");
    }

    private async Task CleanUpAsync(CosClient client, string bucket, KmsClient kms, string? keyId)
    {
        try
        {
            foreach (var (b, k) in _created.Distinct())
            {
                await client.DeleteObjectAsync(b, k);
            }

            if (options.Bucket is null)
            {
                await client.DeleteBucketAsync(bucket);
            }

            if (keyId is not null)
            {
                await kms.ScheduleKeyDeletionAsync(keyId, 7);
            }
        }
        catch (Exception e) when (e is CofferException or CosClientException)
        {
            output.WriteLine($"note: clean-up incomplete ({e.Message})");
        }
    }

    private static string Expect(string actual, params string[] allowed)
    {
        Check(allowed.Contains(actual), $"got '{actual}', expected '{string.Join("' or '", allowed)}'");
        return $"'{actual}'";
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new GuideCheckFailed(message);
        }
    }

    private static byte[] RandomBytes(int length)
    {
        var data = new byte[length];
        RandomNumberGenerator.Fill(data);
        return data;
    }

    private sealed class GuideCheckFailed(string message) : Exception(message);
}
