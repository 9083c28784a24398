using System.Net;
using System.Net.Http;
using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Protocol.Post;
using Coffer.Server.Hosting;
using static Coffer.EndToEnd.Tests.Infrastructure.BrowserForm;

namespace Coffer.EndToEnd.Tests;

/// <summary>
/// POST Object end to end (docs/protocol/post-object.md): real multipart/form-data bodies as an HTML form sends them,
/// signed with SigV4, SigV2 and the COS form; every field a form may carry, every failing condition, and the forms an
/// attacker can make.
/// </summary>
[Collection(CofferCollection.Name)]
public sealed class PostObjectTests(CofferFixture f)
{
    private static readonly PostCondition[] Uploads = [StartsWith("key", "uploads/"), StartsWith("Content-Type", "image/"), Range(1, 1024)];
    private static readonly (string, string)[] UploadFields = [("key", "uploads/${filename}"), ("Content-Type", "image/jpeg")];

    [Fact]
    public async Task A_sigv4_form_stores_the_file_with_its_fields_and_answers_201_with_PostResponse()
    {
        var bucket = await NewBucketAsync();
        var form = SigV4(bucket,
            [.. Uploads, Eq("success_action_status", "201"), Eq("x-amz-meta-owner", "ann"), Eq("Cache-Control", "max-age=60"), StartsWith("x-amz-meta-note", "")],
            [.. UploadFields, ("success_action_status", "201"), ("x-amz-meta-owner", "ann"), ("Cache-Control", "max-age=60"), ("x-amz-meta-note", "ünï")]);
        var response = await form.PostAsync(f, bucket);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        Assert.Contains("<Key>uploads/photo.jpg</Key>", body);
        Assert.Contains($"<Bucket>{bucket}</Bucket>", body);
        Assert.Contains("<ETag>\"", body);
        Assert.EndsWith($"/{bucket}/uploads/photo.jpg", response.Headers.Location!.ToString());
        Assert.NotNull(response.Headers.ETag);

        using var s3 = Clients.S3(f);
        using var get = await s3.GetObjectAsync(bucket, "uploads/photo.jpg");
        Assert.Equal("hello from a form", await new StreamReader(get.ResponseStream).ReadToEndAsync());
        Assert.Equal(("image/jpeg", "max-age=60", "ann"), (get.Headers.ContentType, get.Headers.CacheControl, get.Metadata["x-amz-meta-owner"]));
        Assert.Equal(response.Headers.ETag!.Tag, get.ETag);
    }

    [Fact]
    public async Task A_sigv2_form_stores_the_file_and_answers_204_by_default()
    {
        var bucket = await NewBucketAsync();
        var response = await SigV2(bucket, Uploads, UploadFields).PostAsync(f, bucket);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("hello from a form", await ReadAsync(bucket, "uploads/photo.jpg"));
    }

    [Fact]
    public async Task A_cos_form_stores_the_file_with_cos_metadata()
    {
        using var cos = new CosRawClient(f, https: false);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        var form = Cos(bucket, [.. Uploads, Eq("x-cos-meta-team", "blue"), Eq("success_action_status", "200")],
            [.. UploadFields, ("x-cos-meta-team", "blue"), ("success_action_status", "200")]);
        var response = await form.PostAsync(f, bucket);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        Assert.NotNull(response.Headers.GetValues("x-cos-request-id").Single());
        var get = await cos.SendAsync(HttpMethod.Get, bucket, "uploads/photo.jpg");
        Assert.Equal(("hello from a form", "blue"), (await get.Content.ReadAsStringAsync(), get.Header("x-cos-meta-team")));
    }

    [Fact]
    public async Task A_cos_form_without_the_required_conditions_or_past_its_key_time_is_refused()
    {
        using var cos = new CosRawClient(f, https: false);
        var bucket = CosRawClient.NewBucket();
        await cos.SendAsync(HttpMethod.Put, bucket);
        var stale = Cos(bucket, Uploads, UploadFields, validity: TimeSpan.FromSeconds(1));
        stale.Set("q-key-time", "1000;2000");
        var refused = await stale.PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (refused.StatusCode, await refused.ErrorCodeAsync()));
        Assert.Contains("You post object request has been expired", await refused.Content.ReadAsStringAsync());

        var tampered = Cos(bucket, Uploads, UploadFields);
        tampered.Set("key", "elsewhere/x");
        Assert.Equal("AccessDenied", await (await tampered.PostAsync(f, bucket)).ErrorCodeAsync());
    }

    [Fact]
    public async Task Success_action_redirect_answers_303_with_bucket_key_and_etag()
    {
        var bucket = await NewBucketAsync();
        var form = SigV4(bucket, [.. Uploads, Eq("success_action_redirect", "https://app.example.com/done?x=1")],
            [.. UploadFields, ("success_action_redirect", "https://app.example.com/done?x=1")]);
        var response = await form.PostAsync(f, bucket);
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        Assert.StartsWith($"https://app.example.com/done?x=1&bucket={bucket}&key=uploads%2Fphoto.jpg&etag=%22", location);
        Assert.EndsWith("%22", location);
    }

    [Theory]
    [InlineData("key", "private/photo.jpg", "Policy Condition failed: [\"starts-with\",\"$key\",\"uploads/\"]")]
    [InlineData("Content-Type", "text/html", "Policy Condition failed: [\"starts-with\",\"$Content-Type\",\"image/\"]")]
    public async Task A_field_outside_its_condition_is_403_AccessDenied_and_stores_nothing(string field, string value, string message)
    {
        var bucket = await NewBucketAsync();
        var form = SigV4(bucket, Uploads, UploadFields).Set(field, value);
        var response = await form.PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (response.StatusCode, await response.ErrorCodeAsync()));
        Assert.Contains("Invalid according to Policy: " + message, await response.Content.ReadAsStringAsync());
        Assert.Empty(await ListAsync(bucket));
    }

    [Fact]
    public async Task A_field_no_condition_names_is_403_Extra_input_fields()
    {
        var bucket = await NewBucketAsync();
        var form = SigV4(bucket, Uploads, [.. UploadFields, ("x-amz-meta-extra", "1"), ("x-ignore-me", "allowed")]);
        var response = await form.PostAsync(f, bucket);
        Assert.Equal("AccessDenied", await response.ErrorCodeAsync());
        Assert.Contains("Invalid according to Policy: Extra input fields: x-amz-meta-extra", await response.Content.ReadAsStringAsync());
        Assert.Empty(await ListAsync(bucket));
    }

    [Fact]
    public async Task An_expired_policy_is_403_Policy_expired()
    {
        var bucket = await NewBucketAsync();
        var response = await SigV4(bucket, Uploads, UploadFields, expiration: DateTimeOffset.UtcNow.AddSeconds(-1)).PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (response.StatusCode, await response.ErrorCodeAsync()));
        Assert.Contains("Invalid according to Policy: Policy expired.", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_file_outside_the_content_length_range_is_refused_and_not_stored()
    {
        var bucket = await NewBucketAsync();
        var large = SigV4(bucket, Uploads, UploadFields);
        large.File = new byte[200_000];
        var tooLarge = await large.PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.BadRequest, "EntityTooLarge"), (tooLarge.StatusCode, await tooLarge.ErrorCodeAsync()));
        Assert.Contains("<MaxSizeAllowed>1024</MaxSizeAllowed>", await tooLarge.Content.ReadAsStringAsync());

        var empty = SigV4(bucket, Uploads, UploadFields);
        empty.File = [];
        var tooSmall = await empty.PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.BadRequest, "EntityTooSmall"), (tooSmall.StatusCode, await tooSmall.ErrorCodeAsync()));
        Assert.Contains("<MinSizeAllowed>1</MinSizeAllowed>", await tooSmall.Content.ReadAsStringAsync());
        Assert.Empty(await ListAsync(bucket));
    }

    [Fact]
    public async Task A_tampered_policy_or_signature_is_SignatureDoesNotMatch()
    {
        var bucket = await NewBucketAsync();
        var form = SigV4(bucket, Uploads, UploadFields);
        var policy = form.Fields.Single(x => x.Key == "policy").Value;
        var widened = Encoding.UTF8.GetString(Convert.FromBase64String(policy)).Replace("uploads/", "", StringComparison.Ordinal);
        form.Set("policy", Convert.ToBase64String(Encoding.UTF8.GetBytes(widened))).Set("key", "anywhere");
        var response = await form.PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.Forbidden, "SignatureDoesNotMatch"), (response.StatusCode, await response.ErrorCodeAsync()));

        var v2 = SigV2(bucket, Uploads, UploadFields).Set("signature", Convert.ToBase64String(new byte[20]));
        Assert.Equal("SignatureDoesNotMatch", await (await v2.PostAsync(f, bucket)).ErrorCodeAsync());
        Assert.Empty(await ListAsync(bucket));
    }

    [Fact]
    public async Task A_form_signed_by_another_user_for_this_bucket_is_403()
    {
        var bucket = await NewBucketAsync();
        var (bobKey, bobSecret) = (await Credentials.AddUserAsync(f.Server.Services.Store, f.Server.Services.RootKey, "post-bob-" + Guid.NewGuid().ToString("N")[..8]))!.Value;
        var response = await SigV4(bucket, Uploads, UploadFields, accessKey: bobKey, secretKey: bobSecret).PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (response.StatusCode, await response.ErrorCodeAsync()));
        var v2 = await SigV2(bucket, Uploads, UploadFields, accessKey: bobKey, secretKey: bobSecret).PostAsync(f, bucket);
        Assert.Equal("AccessDenied", await v2.ErrorCodeAsync());
        // Bob's own secret with the owner's key id is a forgery, not the owner.
        var forged = await SigV4(bucket, Uploads, UploadFields, secretKey: bobSecret).PostAsync(f, bucket);
        Assert.Equal("SignatureDoesNotMatch", await forged.ErrorCodeAsync());
        Assert.Empty(await ListAsync(bucket));
    }

    [Fact]
    public async Task An_anonymous_form_or_an_unknown_key_is_refused()
    {
        var bucket = await NewBucketAsync();
        var anonymous = new BrowserForm().Add("key", "uploads/anon.txt");
        var response = await anonymous.PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (response.StatusCode, await response.ErrorCodeAsync()));
        var unknown = await SigV4(bucket, Uploads, UploadFields, accessKey: "AKIDNOSUCHUSER000000000000000000000000").PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.Forbidden, "InvalidAccessKeyId"), (unknown.StatusCode, await unknown.ErrorCodeAsync()));
        Assert.Empty(await ListAsync(bucket));
    }

    [Fact]
    public async Task A_temporary_credential_signs_a_form_with_its_token()
    {
        var bucket = await NewBucketAsync();
        var (ak, sk, token, _) = TemporaryCredentials.Issue(f.Server.Services.RootKey, CofferFixture.AccessKey, TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow);
        var ok = await SigV4(bucket, Uploads, UploadFields, accessKey: ak, secretKey: sk, token: token).PostAsync(f, bucket);
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        var withoutToken = SigV4(bucket, Uploads, UploadFields, accessKey: ak, secretKey: sk);
        Assert.Equal("InvalidAccessKeyId", await (await withoutToken.PostAsync(f, bucket)).ErrorCodeAsync());
    }

    [Theory]
    [InlineData("x-amz-date", "InvalidArgument", "Bucket POST must contain a field named 'x-amz-date'.  If it is specified, please check the order of the fields.")]
    [InlineData("key", "InvalidArgument", "Bucket POST must contain a field named 'key'.")]
    public async Task A_form_missing_a_field_is_400(string field, string code, string message)
    {
        var bucket = await NewBucketAsync();
        var response = await SigV4(bucket, Uploads, UploadFields).Remove(field).PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.BadRequest, code), (response.StatusCode, await response.ErrorCodeAsync()));
        Assert.Contains(message, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Malformed_bodies_and_policies_are_400_with_the_reference_codes()
    {
        var bucket = await NewBucketAsync();
        using var http = Clients.Http(f, f.HttpUrl.Port);
        var garbage = new ByteArrayContent("not a form"u8.ToArray());
        garbage.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=zzz");
        var malformed = await http.PostAsync($"{f.HttpUrl}{bucket}", garbage);
        Assert.Equal((HttpStatusCode.BadRequest, "MalformedPOSTRequest"), (malformed.StatusCode, await malformed.ErrorCodeAsync()));

        var noFile = new MultipartFormDataContent { { new StringContent("k"), "key" } };
        var none = await http.PostAsync($"{f.HttpUrl}{bucket}", noFile);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidArgument"), (none.StatusCode, await none.ErrorCodeAsync()));
        Assert.Contains("POST requires exactly one file upload per request.", await none.Content.ReadAsStringAsync());

        var badPolicy = SigV4(bucket, Uploads, UploadFields).Set("policy", "!!not base64!!");
        var invalid = await badPolicy.PostAsync(f, bucket);
        Assert.Equal((HttpStatusCode.BadRequest, "InvalidPolicyDocument"), (invalid.StatusCode, await invalid.ErrorCodeAsync()));
        var noExpiration = SigV4(bucket, Uploads, UploadFields).Set("policy", Convert.ToBase64String("{\"conditions\":[]}"u8.ToArray()));
        Assert.Contains("Invalid Policy: Missing expiration.", await (await noExpiration.PostAsync(f, bucket)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_form_for_another_bucket_fails_its_bucket_condition()
    {
        var bucket = await NewBucketAsync();
        var other = await NewBucketAsync();
        var response = await SigV4(bucket, Uploads, UploadFields).PostAsync(f, other);
        Assert.Equal("AccessDenied", await response.ErrorCodeAsync());
        Assert.Contains("Policy Condition failed: {\"bucket\":", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Sse_kms_fields_encrypt_the_object_with_the_named_key_over_https()
    {
        var bucket = await NewBucketAsync();
        var form = SigV4(bucket, [.. Uploads, Eq("x-amz-server-side-encryption", "aws:kms")], [.. UploadFields, ("x-amz-server-side-encryption", "aws:kms")]);
        var response = await form.PostAsync(f, bucket, https: true);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        Assert.Equal("aws:kms", response.Headers.GetValues("x-amz-server-side-encryption").Single());
        using var s3 = Clients.S3(f, https: true);
        var head = await s3.GetObjectMetadataAsync(bucket, "uploads/photo.jpg");
        Assert.Equal(ServerSideEncryptionMethod.AWSKMS, head.ServerSideEncryptionMethod);
        Assert.NotNull(head.ServerSideEncryptionKeyManagementServiceKeyId);

        // Over plain HTTP the same form is refused, as a PUT would be.
        Assert.Equal(HttpStatusCode.BadRequest, (await form.PostAsync(f, bucket)).StatusCode);
    }

    [Fact]
    public async Task Sse_c_fields_encrypt_the_object_with_the_customer_key_over_https_only()
    {
        var bucket = await NewBucketAsync();
        (string, string)[] sse =
        [
            ("x-amz-server-side-encryption-customer-algorithm", "AES256"), ("x-amz-server-side-encryption-customer-key", SseKeys.KeyA),
            ("x-amz-server-side-encryption-customer-key-MD5", SseKeys.KeyAMd5),
        ];
        var form = SigV4(bucket, [.. Uploads, .. sse.Select(x => Eq(x.Item1, x.Item2))], [.. UploadFields, .. sse]);
        var response = await form.PostAsync(f, bucket, https: true);
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());

        using var s3 = Clients.S3(f, https: true);
        var withoutKey = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.GetObjectAsync(bucket, "uploads/photo.jpg"));
        Assert.Equal(HttpStatusCode.BadRequest, withoutKey.StatusCode);
        using var get = await s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket,
            Key = "uploads/photo.jpg",
            ServerSideEncryptionCustomerMethod = ServerSideEncryptionCustomerMethod.AES256,
            ServerSideEncryptionCustomerProvidedKey = SseKeys.KeyA,
            ServerSideEncryptionCustomerProvidedKeyMD5 = SseKeys.KeyAMd5,
        });
        Assert.Equal("hello from a form", await new StreamReader(get.ResponseStream).ReadToEndAsync());

        var plain = await form.PostAsync(f, bucket);
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
    }

    [Fact]
    public async Task A_form_from_an_allowed_origin_gets_the_cors_headers_on_success_and_on_refusal()
    {
        var bucket = await NewBucketAsync();
        using var s3 = Clients.S3(f);
        await s3.PutCORSConfigurationAsync(new PutCORSConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new CORSConfiguration { Rules = [new CORSRule { AllowedOrigins = ["https://app.example.com"], AllowedMethods = ["POST"], ExposeHeaders = ["ETag"] }] },
        });
        var ok = await SigV4(bucket, Uploads, UploadFields).PostAsync(f, bucket, origin: "https://app.example.com");
        Assert.Equal((HttpStatusCode.NoContent, "https://app.example.com"), (ok.StatusCode, ok.Headers.GetValues("Access-Control-Allow-Origin").Single()));
        var refused = await SigV4(bucket, Uploads, UploadFields, expiration: DateTimeOffset.UtcNow.AddSeconds(-5)).PostAsync(f, bucket, origin: "https://app.example.com");
        Assert.Equal((HttpStatusCode.Forbidden, "https://app.example.com"), (refused.StatusCode, refused.Headers.GetValues("Access-Control-Allow-Origin").Single()));
    }

    private async Task<string> NewBucketAsync()
    {
        using var s3 = Clients.S3(f);
        var bucket = CofferFixture.NewBucket("post");
        await s3.PutBucketAsync(bucket);
        return bucket;
    }

    private async Task<List<string>> ListAsync(string bucket)
    {
        using var s3 = Clients.S3(f);
        return await Clients.ListAllKeysAsync(s3, bucket);
    }

    private async Task<string> ReadAsync(string bucket, string key)
    {
        using var s3 = Clients.S3(f);
        using var get = await s3.GetObjectAsync(bucket, key);
        return await new StreamReader(get.ResponseStream).ReadToEndAsync();
    }
}
