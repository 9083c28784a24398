using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>The typed SSE values, their headers in both families, and the raw guide-style values (no server).</summary>
public sealed class SseTests
{
    [Theory]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", "MDEyMzQ1Njc4OUFCQ0RFRjAxMjM0NTY3ODlBQkNERUY=", "U5L61r7jcwdNvT7frmUG8g==")]
    [InlineData("01234567890123456789012345678901", "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=", "KYvwGXoFFJ42a2u2GDWhwQ==")]
    public void Customer_keys_compute_their_base64_and_md5_like_the_reference_table(string raw, string base64, string md5)
    {
        var key = Sse.Customer(raw);
        Assert.Equal(base64, key.KeyBase64);
        Assert.Equal(md5, key.KeyMd5);
        Assert.Equal("AES256", key.Algorithm);
        Assert.Equal(md5, SseCustomer.FromBase64(base64).KeyMd5);
    }

    [Fact]
    public void A_customer_key_of_the_wrong_length_is_a_client_error()
    {
        var e = Assert.Throws<CosClientException>(() => Sse.Customer("too short"));
        Assert.Equal(CosClientErrorKind.InvalidArgument, e.Kind);
        Assert.Throws<CosClientException>(() => SseCustomer.FromBase64("AAAA"));
        Assert.Throws<CosClientException>(() => SseCustomer.FromBase64("not base64!"));
    }

    [Fact]
    public void Customer_keys_never_show_in_ToString()
    {
        var key = Sse.Customer("01234567890123456789012345678901");
        Assert.DoesNotContain(key.KeyBase64, key.ToString());
        Assert.DoesNotContain("0123456789", key.ToString());
    }

    [Fact]
    public void Kms_context_is_sent_as_base64_json()
    {
        var kms = Sse.Kms("key-1", new Dictionary<string, string> { ["test"] = "test" });
        Assert.Equal("key-1", kms.KeyId);
        Assert.Equal("{\"test\":\"test\"}", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(kms.ContextBase64!)));
        Assert.Equal(Convert.ToBase64String("{\"a\":\"b\"}"u8.ToArray()), Sse.Kms(null, "{\"a\":\"b\"}").ContextBase64);
    }

    private static async Task<HttpRequestMessage> PutAsync(PutObjectRequest request, SignatureVersion signature = SignatureVersion.CosV5)
    {
        var handler = new ScriptedHandler(_ => ScriptedHandler.Ok());
        using var client = new CosClient(new CosConfig { SecretId = "id", SecretKey = "k", SignatureVersion = signature }, handler);
        request.Bucket = "b-1250000000";
        request.Key = "k";
        await client.PutObjectAsync(request);
        return handler.Sent[0];
    }

    private static string? Header(HttpRequestMessage m, string name) => m.Headers.TryGetValues(name, out var v) ? v.Single() : null;

    [Fact]
    public async Task Typed_and_raw_kms_settings_send_the_same_cos_headers()
    {
        string context = Convert.ToBase64String("{\"test\":\"test\"}"u8.ToArray());
        var typed = await PutAsync(new PutObjectRequest { Sse = Sse.Kms("key-1", "{\"test\":\"test\"}") });
        var raw = await PutAsync(new PutObjectRequest { ServerSideEncryption = "cos/kms", SSEKMSKeyId = "key-1", SSEKMSContext = context });
        foreach (var sent in new[] { typed, raw })
        {
            Assert.Equal("cos/kms", Header(sent, "x-cos-server-side-encryption"));
            Assert.Equal("key-1", Header(sent, "x-cos-server-side-encryption-cos-kms-key-id"));
            Assert.Equal(context, Header(sent, "x-cos-server-side-encryption-context"));
        }
    }

    [Fact]
    public async Task Typed_and_raw_sm4_send_sm4_as_the_sse_cos_algorithm()
    {
        Assert.Equal(("SM4", "SSE-COS (SM4)"), (Sse.Sm4().Algorithm, Sse.Sm4().ToString()));
        Assert.Equal("AES256", Sse.Cos().Algorithm);
        var typed = await PutAsync(new PutObjectRequest { Sse = Sse.Sm4() });
        var raw = await PutAsync(new PutObjectRequest { ServerSideEncryption = "SM4" });
        foreach (var sent in new[] { typed, raw })
        {
            Assert.Equal("SM4", Header(sent, "x-cos-server-side-encryption"));
            Assert.Null(Header(sent, "x-cos-server-side-encryption-cos-kms-key-id"));
        }
    }

    [Fact]
    public async Task A_bucket_rule_with_kms_algorithm_sm4_is_sent_and_read_back()
    {
        const string answer = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>KMS</SSEAlgorithm>"
            + "<KMSMasterKeyID>k1</KMSMasterKeyID><KMSAlgorithm>SM4</KMSAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";
        var handler = new ScriptedHandler(_ => ScriptedHandler.Ok(), _ =>
        {
            var response = ScriptedHandler.Ok();
            response.Content = new StringContent(answer, System.Text.Encoding.UTF8, "application/xml");
            return response;
        });
        using var client = new CosClient(new CosConfig { SecretId = "id", SecretKey = "k" }, handler);

        await client.PutBucketEncryptionAsync("b-1250000000", new BucketEncryptionRule("KMS", "k1", "SM4"));
        var rules = (await client.GetBucketEncryptionAsync("b-1250000000")).Rules;

        Assert.Contains("<KMSAlgorithm>SM4</KMSAlgorithm>", handler.Bodies[0]);
        Assert.Equal(new BucketEncryptionRule("KMS", "k1", "SM4"), Assert.Single(rules));
    }

    [Fact]
    public async Task SigV4_sends_kms_as_aws_kms_in_the_amz_family()
    {
        var sent = await PutAsync(new PutObjectRequest { ServerSideEncryption = "cos/kms", SSEKMSKeyId = "key-1" }, SignatureVersion.SigV4);
        Assert.Equal("aws:kms", Header(sent, "x-amz-server-side-encryption"));
        Assert.Equal("key-1", Header(sent, "x-amz-server-side-encryption-aws-kms-key-id"));
        Assert.Null(Header(sent, "x-cos-server-side-encryption"));
    }

    [Fact]
    public async Task Raw_customer_values_are_sent_exactly_as_given()
    {
        var sent = await PutAsync(new PutObjectRequest
        {
            SSECustomerAlgorithm = "AES256",
            SSECustomerKey = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
            SSECustomerKeyMD5 = "KYvwGXoFFJ42a2u2GDWhwQ==",
        });
        Assert.Equal("AES256", Header(sent, "x-cos-server-side-encryption-customer-algorithm"));
        Assert.Equal("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=", Header(sent, "x-cos-server-side-encryption-customer-key"));
        Assert.Equal("KYvwGXoFFJ42a2u2GDWhwQ==", Header(sent, "x-cos-server-side-encryption-customer-key-MD5"));
    }

    [Fact]
    public async Task Conflicting_encryption_settings_are_refused_before_sending()
    {
        await Assert.ThrowsAsync<CosClientException>(() => PutAsync(new PutObjectRequest { Sse = Sse.Cos(), ServerSideEncryption = "AES256" }));
        await Assert.ThrowsAsync<CosClientException>(() => PutAsync(new PutObjectRequest { Sse = Sse.Cos(), CustomerKey = Sse.Customer("01234567890123456789012345678901") }));
        await Assert.ThrowsAsync<CosClientException>(() => PutAsync(new PutObjectRequest { SSEKMSKeyId = "k" }));
    }

    [Fact]
    public async Task Copy_requests_carry_source_and_destination_keys_separately()
    {
        var handler = new ScriptedHandler(_ =>
        {
            var ok = ScriptedHandler.Ok();
            ok.Content = new StringContent("<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>");
            return ok;
        });
        using var client = new CosClient(new CosConfig { SecretId = "id", SecretKey = "k" }, handler);
        var source = Sse.Customer("01234567890123456789012345678901");
        await client.CopyObjectAsync(new CopyObjectRequest
        {
            Bucket = "b-1250000000",
            Key = "dst",
            CopySource = new CopySource("b-1250000000", "src"),
            CopySourceCustomerKey = source,
            Sse = Sse.Kms("key-2"),
        });
        var sent = handler.Sent[0];
        Assert.Equal(source.KeyBase64, Header(sent, "x-cos-copy-source-server-side-encryption-customer-key"));
        Assert.Equal("cos/kms", Header(sent, "x-cos-server-side-encryption"));
        Assert.Null(Header(sent, "x-cos-server-side-encryption-customer-key"));
    }
}
