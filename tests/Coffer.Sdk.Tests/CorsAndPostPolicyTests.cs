using System.Net;
using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>Bucket CORS through the SDK, and browser POST forms built by <see cref="CosClient.PresignPost"/> and posted as a browser would, with both signatures.</summary>
[Collection(ServerCollection.Name)]
public sealed class CorsAndPostPolicyTests(ServerFixture fixture)
{
    public static TheoryData<SignatureVersion> Signatures => new() { SignatureVersion.CosV5, SignatureVersion.SigV4 };

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task A_cors_configuration_round_trips_and_a_bucket_without_one_is_NoSuchCORSConfiguration(SignatureVersion signature)
    {
        using var client = fixture.Client(signature);
        string bucket = await fixture.CreateBucketAsync(client);
        var none = await Assert.ThrowsAsync<CofferException>(() => client.GetBucketCorsAsync(bucket));
        Assert.Equal((ErrorCodes.NoSuchCORSConfiguration, 404), (none.Code, none.StatusCode));

        var configuration = CosCorsConfiguration.Parse("""
            <CORSConfiguration>
              <CORSRule><ID>app</ID><AllowedOrigin>https://app.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>
                <AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>60</MaxAgeSeconds></CORSRule>
              <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
            </CORSConfiguration>
            """);
        await client.PutBucketCorsAsync(bucket, configuration);
        var read = (await client.GetBucketCorsAsync(bucket)).Configuration.Rules;
        Assert.Equal(2, read.Count);
        Assert.Equal(("app", "https://app.example.com", "PUT,POST", "*", "ETag", 60),
            (read[0].Id, read[0].AllowedOrigins.Single(), string.Join(",", read[0].AllowedMethods), read[0].AllowedHeaders.Single(), read[0].ExposeHeaders.Single(), read[0].MaxAgeSeconds));
        Assert.Equal((null, "*", null), (read[1].Id, read[1].AllowedOrigins.Single(), read[1].MaxAgeSeconds));

        var bad = await Assert.ThrowsAsync<CofferException>(() => client.PutBucketCorsAsync(bucket,
            new CosCorsConfiguration { Rules = [new CosCorsRule { AllowedOrigins = ["*"], AllowedMethods = ["PATCH"] }] }));
        Assert.Equal(("InvalidRequest", 400), (bad.Code, bad.StatusCode));

        await client.DeleteBucketCorsAsync(bucket);
        Assert.Equal(404, (await Assert.ThrowsAsync<CofferException>(() => client.GetBucketCorsAsync(bucket))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Signatures))]
    public async Task A_presigned_post_form_uploads_within_its_policy_and_nothing_else(SignatureVersion signature)
    {
        using var client = fixture.Client(signature, Addressing.Path);
        string bucket = await fixture.CreateBucketAsync(client);
        var form = client.PresignPost(new PostPolicyOptions
        {
            Bucket = bucket,
            Key = "inbox/",
            KeyIsPrefix = true,
            MaxSize = 100,
            ContentType = "text/plain",
            Metadata = { ["from"] = "form" },
            SuccessActionStatus = 201,
            Expires = TimeSpan.FromMinutes(5),
        });
        using var http = new HttpClient(CosClient.CreateDefaultHandler(fixture.Config()));

        using (var ok = await http.PostAsync(form.Url, Content(form, "note.txt", "posted by a browser")))
        {
            Assert.True(ok.StatusCode == HttpStatusCode.Created, await ok.Content.ReadAsStringAsync());
            Assert.Contains("<Key>inbox/note.txt</Key>", await ok.Content.ReadAsStringAsync());
        }
        var head = await client.HeadObjectAsync(bucket, "inbox/note.txt");
        Assert.Equal(("text/plain", 19L), (head.ContentType, head.ContentLength));
        Assert.Equal("form", head.Metadata["from"]);

        // Outside the policy: a key outside the prefix, a larger file.
        var elsewhere = form.Fields.Select(f => f.Key == "key" ? new KeyValuePair<string, string>("key", "other/x") : f).ToList();
        using (var refused = await http.PostAsync(form.Url, Content(new PostPolicyForm { Url = form.Url, Fields = elsewhere, Expiration = form.Expiration }, "x", "x")))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using (var large = await http.PostAsync(form.Url, Content(form, "big.txt", new string('x', 101))))
            Assert.Equal(HttpStatusCode.BadRequest, large.StatusCode);
    }

    [Fact]
    public async Task A_presigned_post_form_carries_sse_c_fields_and_the_object_needs_the_key()
    {
        using var client = fixture.Client(SignatureVersion.SigV4, Addressing.Path);
        string bucket = await fixture.CreateBucketAsync(client);
        var key = Sse.RandomCustomerKey();
        var form = client.PresignPost(new PostPolicyOptions { Bucket = bucket, Key = "secret.txt", Encryption = key });
        using var http = new HttpClient(CosClient.CreateDefaultHandler(fixture.Config()));
        using (var ok = await http.PostAsync(form.Url, Content(form, "s.txt", "sealed")))
            Assert.True(ok.StatusCode == HttpStatusCode.NoContent, await ok.Content.ReadAsStringAsync());
        await Assert.ThrowsAsync<CofferException>(() => client.HeadObjectAsync(bucket, "secret.txt"));
        Assert.Equal(6L, (await client.HeadObjectAsync(bucket, "secret.txt", key)).ContentLength);
    }

    private static MultipartFormDataContent Content(PostPolicyForm form, string fileName, string text)
    {
        var content = new MultipartFormDataContent();
        foreach (var (name, value) in form.Fields)
            content.Add(new StringContent(value), name);
        content.Add(new StringContent(text), "file", fileName);
        return content;
    }
}
