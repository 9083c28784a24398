using System.Net;
using System.Net.Sockets;
using Coffer.Protocol;
using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>Every kind of failure: server errors as <see cref="CofferException"/>, local ones as <see cref="CosClientException"/>.</summary>
[Collection(ServerCollection.Name)]
public sealed class ErrorTests(ServerFixture fixture)
{
    [Fact]
    public async Task A_missing_key_is_NoSuchKey_with_status_request_id_and_resource()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        var e = await Assert.ThrowsAsync<CofferException>(() => client.GetObjectAsync(bucket, "missing"));
        Assert.Equal(ErrorCodes.NoSuchKey, e.Code);
        Assert.Equal(404, e.StatusCode);
        Assert.False(string.IsNullOrEmpty(e.RequestId));
        Assert.False(string.IsNullOrEmpty(e.Resource));
        Assert.False(string.IsNullOrEmpty(e.ErrorMessage));
        Assert.False(e.IsTransient);
        Assert.Contains("NoSuchKey", e.Message);
    }

    [Fact]
    public async Task Head_errors_have_no_body_so_the_code_comes_from_the_status()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        var e = await Assert.ThrowsAsync<CofferException>(() => client.HeadObjectAsync(bucket, "missing"));
        Assert.Equal(ErrorCodes.NoSuchResource, e.Code);
        Assert.Equal(404, e.StatusCode);
        Assert.NotNull(e.RequestId);
        Assert.Null(e.Resource);
    }

    [Theory]
    [InlineData(SignatureVersion.CosV5)]
    [InlineData(SignatureVersion.SigV4)]
    public async Task Bucket_errors_carry_the_reference_codes(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        var missing = await Assert.ThrowsAsync<CofferException>(() => client.PutObjectAsync(ServerFixture.NewBucket(), "k", "v"));
        Assert.Equal(ErrorCodes.NoSuchBucket, missing.Code);
        string bucket = await fixture.CreateBucketAsync(client);
        var exists = await Assert.ThrowsAsync<CofferException>(() => client.CreateBucketAsync(bucket));
        Assert.Equal(409, exists.StatusCode);
        Assert.Contains(exists.Code, new[] { ErrorCodes.BucketAlreadyOwnedByYou, ErrorCodes.BucketAlreadyExists });
        await client.PutObjectAsync(bucket, "k", "v");
        var notEmpty = await Assert.ThrowsAsync<CofferException>(() => client.DeleteBucketAsync(bucket));
        Assert.Equal(ErrorCodes.BucketNotEmpty, notEmpty.Code);
    }

    [Theory]
    [InlineData(SignatureVersion.CosV5)]
    [InlineData(SignatureVersion.SigV4)]
    public async Task Wrong_credentials_are_SignatureDoesNotMatch_or_InvalidAccessKeyId(SignatureVersion signature)
    {
        var config = fixture.Config(signature);
        config.SecretKey = "wrong-secret-key-0000000000000000000000";
        using (var client = new CosClient(config))
        {
            var e = await Assert.ThrowsAsync<CofferException>(() => client.CreateBucketAsync(ServerFixture.NewBucket()));
            Assert.Equal(ErrorCodes.SignatureDoesNotMatch, e.Code);
            Assert.Equal(403, e.StatusCode);
        }

        config.SecretId = "AKIDUNKNOWN00000000000000000000000000";
        using (var client = new CosClient(config))
        {
            var e = await Assert.ThrowsAsync<CofferException>(() => client.CreateBucketAsync(ServerFixture.NewBucket()));
            Assert.Equal(ErrorCodes.InvalidAccessKeyId, e.Code);
        }
    }

    [Fact]
    public async Task Sse_c_mistakes_are_refused_by_the_server()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        var right = Sse.Customer("01234567890123456789012345678901");
        var wrong = Sse.Customer("01234567890123456789012345678902");
        await client.PutObjectAsync(bucket, "c", "secret", right);

        var wrongKey = await Assert.ThrowsAsync<CofferException>(() => client.GetObjectAsync(bucket, "c", wrong));
        Assert.Equal(ErrorCodes.AccessDenied, wrongKey.Code);
        Assert.Equal(403, wrongKey.StatusCode);

        var noKey = await Assert.ThrowsAsync<CofferException>(() => client.GetObjectAsync(bucket, "c"));
        Assert.Equal(400, noKey.StatusCode);

        var badMd5 = await Assert.ThrowsAsync<CofferException>(() => client.PutObjectAsync(new PutObjectRequest
        {
            Bucket = bucket,
            Key = "d",
            Body = "x",
            SSECustomerAlgorithm = "AES256",
            SSECustomerKey = right.KeyBase64,
            SSECustomerKeyMD5 = wrong.KeyMd5,
        }));
        Assert.Equal(ErrorCodes.InvalidArgument, badMd5.Code);

        var badMode = await Assert.ThrowsAsync<CofferException>(() => client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "e", Body = "x", ServerSideEncryption = "bogus" }));
        Assert.Equal(ErrorCodes.InvalidArgument, badMode.Code);

        var noKms = await Assert.ThrowsAsync<CofferException>(() => client.PutObjectAsync(new PutObjectRequest { Bucket = bucket, Key = "f", Body = "x", Sse = Sse.Kms("no-such-key") }));
        Assert.Equal(ErrorCodes.AccessDenied, noKms.Code);
    }

    [Fact]
    public async Task Sse_c_over_plain_http_is_refused()
    {
        var config = fixture.Config(addressing: Addressing.Path);
        config.Endpoint = $"http://127.0.0.1:{fixture.HttpUrl.Port}";
        using var client = new CosClient(config);
        string bucket = await fixture.CreateBucketAsync(client);
        var e = await Assert.ThrowsAsync<CofferException>(() => client.PutObjectAsync(bucket, "c", "x", Sse.Customer("01234567890123456789012345678901")));
        Assert.Equal(400, e.StatusCode);
    }

    [Fact]
    public async Task Keys_and_contexts_appear_in_no_exception_text()
    {
        using var client = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(client);
        var key = Sse.Customer("S3cr3tS3cr3tS3cr3tS3cr3tS3cr3t!!");
        await client.PutObjectAsync(bucket, "c", "x", key);
        var e = await Assert.ThrowsAsync<CofferException>(() => client.GetObjectAsync(bucket, "c", Sse.Customer("01234567890123456789012345678902")));
        string text = e.ToString();
        Assert.DoesNotContain(key.KeyBase64, text);
        Assert.DoesNotContain("S3cr3t", text);
        Assert.DoesNotContain(ServerFixture.SecretKey, text);
    }

    [Fact]
    public async Task Local_failures_are_client_exceptions_of_the_right_kind()
    {
        using var client = fixture.Client();
        var noBucket = await Assert.ThrowsAsync<CosClientException>(() => client.PutObjectAsync(new PutObjectRequest { Key = "k", Body = "v" }));
        Assert.Equal(CosClientErrorKind.InvalidArgument, noBucket.Kind);
        var noFile = await Assert.ThrowsAsync<CosClientException>(() => client.UploadFileAsync(new UploadFileRequest { Bucket = "b-1250000000", Key = "k", LocalFilePath = "/no/such/file" }));
        Assert.Equal(CosClientErrorKind.Io, noFile.Kind);
        Assert.Throws<CosClientException>(() => CosBody.FromFile("/no/such/file"));
        Assert.Throws<CosClientException>(() => new CosClient(new CosConfig()));
    }

    [Fact]
    public async Task An_unreachable_server_is_a_network_client_exception_after_the_retries()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var config = fixture.Config(addressing: Addressing.Path);
        config.Endpoint = $"127.0.0.1:{port}";
        var recorder = new RecordingHandler { InnerHandler = CosClient.CreateDefaultHandler(config) };
        using var client = new CosClient(config, recorder);
        var e = await Assert.ThrowsAsync<CosClientException>(() => client.HeadBucketAsync("b-1250000000"));
        Assert.Equal(CosClientErrorKind.Network, e.Kind);
        Assert.Equal(1 + config.Retry.MaxRetries, recorder.Requests.Count);
    }

    [Fact]
    public async Task A_crc_mismatch_on_upload_is_a_checksum_client_exception()
    {
        var tamper = new CrcTamperingHandler();
        using var client = fixture.Client(handler: tamper);
        string bucket = await fixture.CreateBucketAsync(client);
        string path = fixture.NewPath();
        await File.WriteAllBytesAsync(path, new byte[1000]);
        var e = await Assert.ThrowsAsync<CosClientException>(() => client.UploadFileAsync(new UploadFileRequest { Bucket = bucket, Key = "k", LocalFilePath = path }));
        Assert.Equal(CosClientErrorKind.ChecksumMismatch, e.Kind);
    }

    [Fact]
    public async Task An_untrusted_certificate_is_refused_and_trusted_through_CaFile_or_insecure()
    {
        var config = fixture.Config();
        config.CaFile = null;
        using (var client = new CosClient(config))
        {
            var e = await Assert.ThrowsAsync<CosClientException>(() => client.CreateBucketAsync(ServerFixture.NewBucket()));
            Assert.Equal(CosClientErrorKind.Network, e.Kind);
        }

        config.VerifySsl = false;
        using (var client = new CosClient(config))
        {
            await client.CreateBucketAsync(ServerFixture.NewBucket());
        }

        config.VerifySsl = true;
        config.ServerCertificateValidation = (_, cert, _, _) => cert?.GetCertHashString() == fixture.Server.Certificate!.GetCertHashString();
        using (var client = new CosClient(config))
        {
            await client.CreateBucketAsync(ServerFixture.NewBucket());
        }
    }

    [Fact]
    public async Task An_object_overwritten_during_a_download_is_an_ObjectChanged_client_exception()
    {
        using var other = fixture.Client();
        string bucket = await fixture.CreateBucketAsync(other);
        await other.PutObjectAsync(bucket, "moving", TestData.Bytes(4 * TestData.MiB, 1));
        var overwrite = new AfterFirstRangeHandler(() => other.PutObjectAsync(bucket, "moving", TestData.Bytes(4 * TestData.MiB, 2)));
        using var client = fixture.Client(handler: overwrite);
        string dest = fixture.NewPath();
        string checkpoint = fixture.NewPath("cp") + ".json";
        var e = await Assert.ThrowsAsync<CosClientException>(() => client.DownloadFileAsync(new DownloadFileRequest
        {
            Bucket = bucket,
            Key = "moving",
            DestFilePath = dest,
            PartSize = TestData.MiB,
            MaxThreads = 1,
            CheckpointFile = checkpoint,
        }));
        Assert.Equal(CosClientErrorKind.ObjectChanged, e.Kind);
        Assert.False(File.Exists(dest));
        Assert.False(File.Exists(checkpoint));
        Assert.Empty(Directory.GetFiles(fixture.WorkDirectory, Path.GetFileName(dest) + ".*.cosdownload"));
    }

    [Fact]
    public async Task An_answer_that_cannot_be_parsed_is_an_InvalidResponse_client_exception()
    {
        var handler = new ScriptedHandler(_ =>
        {
            var ok = ScriptedHandler.Ok();
            ok.Content = new StringContent("<ListBucketResult><Contents>");
            return ok;
        });
        using var client = new CosClient(new CosConfig { SecretId = "id", SecretKey = "k" }, handler);
        var e = await Assert.ThrowsAsync<CosClientException>(() => client.ListObjectsAsync(new ListObjectsRequest { Bucket = "b-1250000000" }));
        Assert.Equal(CosClientErrorKind.InvalidResponse, e.Kind);
    }

    [Fact]
    public async Task A_listing_answered_with_no_body_is_an_InvalidResponse_that_names_the_listing()
    {
        var handler = new ScriptedHandler(_ => ScriptedHandler.Ok());
        using var client = new CosClient(new CosConfig { SecretId = "id", SecretKey = "k" }, handler);
        var listings = new (string What, Func<Task> Call)[]
        {
            ("listing", () => client.ListObjectsAsync(new ListObjectsRequest { Bucket = "b-1250000000" })),
            ("list parts", () => client.ListPartsAsync(new ListPartsRequest { Bucket = "b-1250000000", Key = "k", UploadId = "u" })),
            ("list uploads", () => client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { Bucket = "b-1250000000" })),
        };
        foreach (var (what, call) in listings)
        {
            var e = await Assert.ThrowsAsync<CosClientException>(call);
            Assert.Equal(CosClientErrorKind.InvalidResponse, e.Kind);
            Assert.Contains($"The {what} answer has no body", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_200_with_an_error_body_from_copy_is_a_coffer_exception()
    {
        var handler = new ScriptedHandler(_ =>
        {
            var ok = ScriptedHandler.Ok();
            ok.Content = new StringContent("<Error><Code>InternalError</Code><Message>copy failed part-way</Message><Resource>/r</Resource><RequestId>r1</RequestId></Error>");
            return ok;
        });
        using var client = new CosClient(new CosConfig { SecretId = "id", SecretKey = "k", Retry = new CosRetryOptions { MaxRetries = 0 } }, handler);
        var e = await Assert.ThrowsAsync<CofferException>(() => client.CopyObjectAsync(new CopyObjectRequest { Bucket = "b-1250000000", Key = "k", CopySource = new CopySource("b-1250000000", "s") }));
        Assert.Equal(ErrorCodes.InternalError, e.Code);
        Assert.Equal("r1", e.RequestId);
        Assert.True(e.IsTransient);
    }

    [Fact]
    public void Sdk_error_code_constants_match_the_server_s_codes()
    {
        var serverCodes = typeof(ErrorCode).GetFields().Where(f => f.FieldType == typeof(ErrorCode))
            .Select(f => (ErrorCode)f.GetValue(null)!).SelectMany(c => new[] { c.Code, c.S3Code }).Where(c => c is not null).ToHashSet();
        foreach (var field in typeof(ErrorCodes).GetFields().Where(f => f.IsLiteral))
        {
            string code = (string)field.GetRawConstantValue()!;
            if (code is ErrorCodes.NoSuchResource or ErrorCodes.SlowDown or ErrorCodes.KmsInternalException or ErrorCodes.KmsFreqControl or ErrorCodes.RequestTimeout)
            {
                continue; // client-side or not (yet) produced by Coffer
            }

            Assert.True(serverCodes.Contains(code), $"ErrorCodes.{field.Name} = {code} is not a server code");
        }
    }

    /// <summary>Runs an action once, right after the first ranged GET is answered.</summary>
    private sealed class AfterFirstRangeHandler(Func<Task> action) : DelegatingHandler
    {
        private int _done;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Headers.Range is not null && Interlocked.Exchange(ref _done, 1) == 0)
            {
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                await action();
            }

            return response;
        }
    }

    /// <summary>Changes the CRC-64 header of every successful PUT answer.</summary>
    private sealed class CrcTamperingHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method == HttpMethod.Put && response.Headers.Remove("x-cos-hash-crc64ecma"))
            {
                response.Headers.TryAddWithoutValidation("x-cos-hash-crc64ecma", "12345");
            }

            return response;
        }
    }
}
