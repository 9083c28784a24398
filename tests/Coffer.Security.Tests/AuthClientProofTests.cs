using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>
/// The signing rules (every x-amz-* / x-cos-* header signed, every COS query parameter signed,
/// one mechanism, bounded windows) must not break a single official client. Each client runs
/// unmodified through the real server: AWSSDK.S3, awscli, boto3 and the COS Node.js SDK.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed class AuthClientProofTests(TenantsFixture t)
{
    // ---- AWSSDK.S3 ----

    [Fact]
    public async Task AWSSDK_header_auth_with_aws_chunked_and_SSE_C_still_works()
    {
        using var alice = t.S3(t.Alice);
        string bucket = CofferFixture.NewBucket("sdk");
        await alice.PutBucketAsync(bucket);
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await alice.PutObjectAsync(new()
        {
            BucketName = bucket,
            Key = "chunked",
            ContentBody = "aws-chunked body",
            StorageClass = S3StorageClass.StandardInfrequentAccess,
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key,
            Metadata = { ["note"] = "signed" },
        });
        using var get = await alice.GetObjectAsync(new()
        {
            BucketName = bucket,
            Key = "chunked",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key,
        });
        Assert.Equal("aws-chunked body", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        Assert.Equal("signed", get.Metadata["note"]);
        Assert.Equal(S3StorageClass.StandardInfrequentAccess, get.StorageClass);
    }

    [Fact]
    public async Task AWSSDK_presigned_PUT_with_signed_SSE_C_headers_works_from_HttpClient_and_fails_without_them()
    {
        using var alice = t.S3(t.Alice);
        string bucket = CofferFixture.NewBucket("sdkpre");
        await alice.PutBucketAsync(bucket);
        byte[] raw = RandomNumberGenerator.GetBytes(32);
        string key = Convert.ToBase64String(raw), md5 = Convert.ToBase64String(MD5.HashData(raw));
        string url = await PresignSseCAsync(alice, bucket, "sse-c", HttpVerb.PUT, key, md5, signKey: true);
        Assert.Contains("x-amz-server-side-encryption-customer-algorithm", Uri.UnescapeDataString(url));

        using var http = t.Http();
        HttpRequestMessage Put(bool withSse)
        {
            var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent("presigned SSE-C") };
            request.Content.Headers.ContentType = null;
            if (withSse)
                AddSseC(request, key, md5);

            return request;
        }

        using (var missing = await http.SendAsync(Put(withSse: false)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, missing.StatusCode);
            Assert.Equal("SignatureDoesNotMatch", await missing.ErrorCodeAsync());
        }

        using (var put = await http.SendAsync(Put(withSse: true)))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        Assert.Equal("presigned SSE-C", await ReadSseCAsync(alice, bucket, "sse-c", key));

        string getUrl = await PresignSseCAsync(alice, bucket, "sse-c", HttpVerb.GET, key, md5, signKey: true);
        using var getRequest = new HttpRequestMessage(HttpMethod.Get, getUrl);
        AddSseC(getRequest, key, md5);
        using var fetched = await http.SendAsync(getRequest);
        Assert.Equal(HttpStatusCode.OK, fetched.StatusCode);
        Assert.Equal("presigned SSE-C", await fetched.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AWSSDK_presigned_PUT_signing_only_the_SSE_C_algorithm_works_as_AWS_documents_it()
    {
        using var alice = t.S3(t.Alice);
        string bucket = CofferFixture.NewBucket("sdkalg");
        await alice.PutBucketAsync(bucket);
        byte[] raw = RandomNumberGenerator.GetBytes(32);
        string key = Convert.ToBase64String(raw), md5 = Convert.ToBase64String(MD5.HashData(raw));
        string url = await PresignSseCAsync(alice, bucket, "alg-only", HttpVerb.PUT, key, md5, signKey: false);
        string signedHeaders = Uri.UnescapeDataString(url.Split("X-Amz-SignedHeaders=")[1].Split('&')[0]);
        Assert.Contains("x-amz-server-side-encryption-customer-algorithm", signedHeaders);
        Assert.DoesNotContain("customer-key", signedHeaders);

        using var http = t.Http();
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = new StringContent("algorithm signed, key supplied") };
        request.Content.Headers.ContentType = null;
        AddSseC(request, key, md5);
        using var put = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        Assert.Equal("algorithm signed, key supplied", await ReadSseCAsync(alice, bucket, "alg-only", key));
    }

    // ---- awscli ----

    [Fact]
    public async Task Awscli_presign_gives_a_URL_that_HttpClient_can_fetch()
    {
        using var alice = t.S3(t.Alice);
        string bucket = CofferFixture.NewBucket("clipre");
        await alice.PutBucketAsync(bucket);
        await alice.PutObjectAsync(new() { BucketName = bucket, Key = "dir/shared.txt", ContentBody = "shared by aws s3 presign" });

        // awscli v1 (the machine's, and Debian's) presigns with Signature V2 unless the profile asks for
        // s3v4, and the server speaks only V4: docs/compatibility.md says to set it.
        string config = Path.GetTempFileName();
        await File.WriteAllTextAsync(config, "[default]\ns3 =\n    signature_version = s3v4\n");
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = t.Alice.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = t.Alice.SecretKey,
            ["AWS_DEFAULT_REGION"] = CofferFixture.Region,
            ["AWS_CONFIG_FILE"] = config,
            ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
            ["AWS_CA_BUNDLE"] = t.Server.Server.CertificatePath!,
        };
        (int Code, string Out, string Err) presigned;
        try
        {
            presigned = await ExternalClients.RunAsync("aws",
                ["--endpoint-url", $"https://localhost:{t.Server.HttpsUrl.Port}", "s3", "presign", $"s3://{bucket}/dir/shared.txt", "--expires-in", "600"], env);
        }
        finally
        {
            File.Delete(config);
        }

        Assert.True(presigned.Code == 0, presigned.Err);
        string url = presigned.Out.Trim();
        Assert.Contains("X-Amz-Signature=", url);

        using var http = t.Http();
        Assert.Equal("shared by aws s3 presign", await http.GetStringAsync(url));

        // The same URL with an unsigned protocol header is refused.
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("x-amz-server-side-encryption-customer-algorithm", "AES256");
        using var refused = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("AccessDenied", await refused.ErrorCodeAsync());
    }

    // ---- boto3 ----

    private async Task<JsonElement> Boto3Async(string scenario)
    {
        string bucket = CofferFixture.NewBucket("boto3");
        var env = new Dictionary<string, string>
        {
            ["S3_ENDPOINT"] = $"https://localhost:{t.Server.HttpsUrl.Port}",
            ["S3_CA"] = t.Server.Server.CertificatePath!,
            ["S3_BUCKET"] = bucket,
            ["AWS_ACCESS_KEY_ID"] = t.Alice.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = t.Alice.SecretKey,
            ["AWS_CONFIG_FILE"] = "/dev/null",
            ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
        };
        var (code, output, error) = await ExternalClients.RunAsync(ExternalClients.Python,
            [Path.Combine(ExternalClients.ProjectFolder, "boto3", "proof.py"), scenario], env);
        Assert.True(code == 0, $"boto3 {scenario} failed: {error}");
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [Fact]
    public async Task Boto3_presigned_PUT_and_GET_work_and_an_added_copy_source_is_refused()
    {
        var result = await Boto3Async("presign");
        Assert.Equal(200, result.GetProperty("putStatus").GetInt32());
        Assert.Equal(200, result.GetProperty("getStatus").GetInt32());
        Assert.Equal("uploaded through a boto3 presigned PUT", result.GetProperty("body").GetString());
        Assert.Equal(403, result.GetProperty("copyStatus").GetInt32());
        Assert.Contains("<HeadersNotSigned>x-amz-copy-source</HeadersNotSigned>", result.GetProperty("copyBody").GetString());
    }

    [Fact]
    public async Task Boto3_presigned_PUT_signs_SSE_C_headers_and_works_when_they_are_sent()
    {
        var result = await Boto3Async("presign-sse-c");
        Assert.Contains("x-amz-server-side-encryption-customer-algorithm", result.GetProperty("signedHeaders").GetString());
        Assert.Equal(200, result.GetProperty("putStatus").GetInt32());
        Assert.Equal("presigned with SSE-C", result.GetProperty("body").GetString());
    }

    [Fact]
    public async Task Boto3_client_put_and_get_with_SSE_C_work()
    {
        var result = await Boto3Async("sse-c");
        Assert.Equal("boto3 client with SSE-C", result.GetProperty("body").GetString());
        Assert.Equal("AES256", result.GetProperty("algorithm").GetString());
    }

    // ---- COS Node.js SDK ----

    private async Task<JsonElement> NodeAsync(string scenario, string bucket, Dictionary<string, string>? extra = null)
    {
        string folder = ExternalClients.NodeFolder;
        string scratch = Path.Combine(Path.GetTempPath(), "coffer-node-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(scratch);
        try
        {
            var env = new Dictionary<string, string>
            {
                ["COS_SECRET_ID"] = t.Alice.AccessKey,
                ["COS_SECRET_KEY"] = t.Alice.SecretKey,
                ["COS_BUCKET"] = bucket,
                ["COS_REGION"] = CosRawClient.Region,
                ["COS_DOMAIN"] = "{Bucket}." + CofferFixture.Domain,
                ["COS_IP"] = $"127.0.0.1:{t.Server.HttpsUrl.Port}",
                ["COS_PROTOCOL"] = "https:",
                ["COS_TMP"] = scratch,
                ["NODE_EXTRA_CA_CERTS"] = t.Server.Server.CertificatePath!,
            };
            foreach (var (name, value) in extra ?? [])
                env[name] = value;
            var (code, output, error) = await ExternalClients.RunAsync("node", [Path.Combine(folder, "proof.js"), scenario], env, folder);
            Assert.True(code == 0, $"COS Node SDK {scenario} failed: {error}");
            return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public async Task Cos_Node_SDK_put_head_get_and_list_with_SSE_COS_work()
    {
        var result = await NodeAsync("objects", CosRawClient.NewBucket());
        Assert.Equal(200, result.GetProperty("putStatus").GetInt32());
        Assert.Equal("AES256", result.GetProperty("headSse").GetString());
        Assert.Equal("node-sdk", result.GetProperty("headMeta").GetString());
        Assert.Equal("hello from the COS Node SDK", result.GetProperty("body").GetString());
        Assert.Equal("node/hello.txt", Assert.Single(result.GetProperty("keys").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Cos_Node_SDK_SSE_C_put_head_get_work()
    {
        var result = await NodeAsync("sse-c", CosRawClient.NewBucket());
        Assert.Equal("AES256", result.GetProperty("headAlgorithm").GetString());
        Assert.Equal("customer-keyed", result.GetProperty("body").GetString());
        Assert.Equal("refused", result.GetProperty("withoutKey").GetString());
    }

    [Fact]
    public async Task Cos_Node_SDK_sliceUploadFile_multipart_works()
    {
        var result = await NodeAsync("multipart", CosRawClient.NewBucket());
        Assert.Equal(2 * 1024 * 1024 + 12345, result.GetProperty("size").GetInt32());
        Assert.True(result.GetProperty("sameBytes").GetBoolean());
    }

    [Fact]
    public async Task Cos_Node_SDK_getObjectUrl_is_fetchable_and_refuses_an_added_parameter()
    {
        var result = await NodeAsync("presign", CosRawClient.NewBucket());
        string url = result.GetProperty("url").GetString()!;
        Assert.Contains("q-signature=", url);

        using var http = t.Http();
        Assert.Equal("shared by a presigned URL", await http.GetStringAsync(url));

        using var added = await http.GetAsync(url + "&response-content-type=text%2Fhtml");
        Assert.Equal(HttpStatusCode.Forbidden, added.StatusCode);
        Assert.Equal("AccessDenied", await added.ErrorCodeAsync());
    }

    [Fact]
    public async Task Cos_Node_SDK_puts_a_cos_policy_an_acl_and_cors_and_each_governs_the_second_user_and_the_preflight()
    {
        var result = await NodeAsync("access", CosRawClient.NewBucket(), new()
        {
            ["COS_SECOND_ID"] = t.Bob.AccessKey,
            ["COS_SECOND_KEY"] = t.Bob.SecretKey,
            ["COS_SECOND_NAME"] = t.Bob.Name,
            ["COS_SECOND_UIN"] = t.Bob.Id,
        });
        string Json(string name) => result.GetProperty(name).GetRawText();
        // Before any policy the bucket is the owner's alone.
        Assert.Contains("\"statusCode\":403", Json("beforePolicy"));
        // putBucketPolicy / getBucketPolicy in the COS dialect, read back as written.
        Assert.Equal(204, result.GetProperty("putPolicyStatus").GetInt32());
        var statements = result.GetProperty("policy").GetProperty("statement");
        Assert.Equal($"qcs::cam::uin/100000000001:uin/{t.Bob.Name}", statements[0].GetProperty("principal").GetProperty("qcs")[0].GetString());
        Assert.Equal("name/cos:GetObject", statements[0].GetProperty("action")[0].GetString());
        Assert.StartsWith("qcs::cos:", statements[0].GetProperty("resource")[0].GetString());
        // The second user's getObject: allowed under shared/, refused by the explicit deny and outside the resource.
        Assert.Equal("shared with the second user", result.GetProperty("allowed").GetString());
        Assert.Contains("\"statusCode\":403", Json("denied"));
        Assert.Contains("\"statusCode\":403", Json("outside"));
        Assert.Contains("\"statusCode\":403", Json("secondPutsPolicy"));
        Assert.Contains("\"statusCode\":403", Json("listBeforeAcl"));
        // putBucketAcl / getBucketAcl: the READ grant is read back and lets the second user list, nothing more.
        Assert.Equal(200, result.GetProperty("putAclStatus").GetInt32());
        Assert.Contains($"qcs::cam::uin/{t.Bob.Id}:uin/{t.Bob.Id}", result.GetProperty("grantRead").GetString());
        Assert.Contains("shared/a.txt", Json("listAfterAcl"));
        Assert.Contains("\"statusCode\":403", Json("secondPutsAcl"));
        // putBucketCors / getBucketCors, then a preflight answered from the rule, and refused for another origin.
        Assert.Equal(200, result.GetProperty("putCorsStatus").GetInt32());
        Assert.Contains("https://app.example", Json("cors"));
        var preflight = result.GetProperty("preflight");
        Assert.Equal(200, preflight.GetProperty("statusCode").GetInt32());
        Assert.Equal("https://app.example", preflight.GetProperty("allowOrigin").GetString());
        Assert.Contains("PUT", preflight.GetProperty("allowMethods").GetString());
        Assert.Equal("600", preflight.GetProperty("maxAge").GetString());
        var other = result.GetProperty("otherOrigin");
        Assert.True(other.GetProperty("forbidden").GetBoolean(), other.GetRawText());
    }

    /// <summary>An AWSSDK.S3 presigned URL for SSE-C: the algorithm signed, and the key and its MD5 too when <paramref name="signKey"/>.</summary>
    private static Task<string> PresignSseCAsync(AmazonS3Client s3, string bucket, string objectKey, HttpVerb verb, string key, string md5, bool signKey)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = bucket,
            Key = objectKey,
            Verb = verb,
            Expires = DateTime.UtcNow.AddMinutes(10),
            Protocol = Amazon.S3.Protocol.HTTPS,
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
        };
        if (signKey)
        {
            request.Headers["x-amz-server-side-encryption-customer-key"] = key;
            request.Headers["x-amz-server-side-encryption-customer-key-MD5"] = md5;
        }
        return s3.GetPreSignedURLAsync(request);
    }

    /// <summary>The three SSE-C headers, as a client of a presigned URL sends them.</summary>
    private static void AddSseC(HttpRequestMessage request, string key, string md5)
    {
        request.Headers.Add("x-amz-server-side-encryption-customer-algorithm", "AES256");
        request.Headers.Add("x-amz-server-side-encryption-customer-key", key);
        request.Headers.Add("x-amz-server-side-encryption-customer-key-MD5", md5);
    }

    /// <summary>Reads an SSE-C object back through AWSSDK.S3.</summary>
    private static async Task<string> ReadSseCAsync(AmazonS3Client s3, string bucket, string objectKey, string key)
    {
        using var get = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket,
            Key = objectKey,
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = key,
        });
        return await new StreamReader(get.ResponseStream).ReadToEndAsync();
    }
}
