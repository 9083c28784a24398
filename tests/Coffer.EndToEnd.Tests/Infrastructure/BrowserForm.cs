using System.Globalization;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using Coffer.Protocol.Post;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Builds browser POST forms as an HTML page's &lt;form enctype="multipart/form-data"&gt; sends them: the fields in order,
/// then the file, last. Signed with the primitives of Coffer.Protocol so a test can tamper with any part.
/// </summary>
public sealed class BrowserForm
{
    public List<KeyValuePair<string, string>> Fields { get; } = [];

    public byte[] File { get; set; } = "hello from a form"u8.ToArray();

    public string FileName { get; set; } = "photo.jpg";

    public string? FileContentType { get; set; } = "application/octet-stream";

    public BrowserForm Add(string name, string value)
    {
        Fields.Add(new(name, value));
        return this;
    }

    public BrowserForm Set(string name, string value)
    {
        Fields.RemoveAll(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
        return Add(name, value);
    }

    public BrowserForm Remove(string name)
    {
        Fields.RemoveAll(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase));
        return this;
    }

    public MultipartFormDataContent Content()
    {
        var content = new MultipartFormDataContent("----CofferFormBoundary" + Guid.NewGuid().ToString("N"));
        foreach (var (name, value) in Fields)
            content.Add(new StringContent(value, Encoding.UTF8), name);
        var file = new ByteArrayContent(File);
        if (FileContentType is not null)
            file.Headers.ContentType = MediaTypeHeaderValue.Parse(FileContentType);
        content.Add(file, "file", FileName);
        return content;
    }

    /// <summary>Posts the form to <c>/bucket</c> path style, without any Authorization header, as a browser would.</summary>
    public async Task<HttpResponseMessage> PostAsync(CofferFixture f, string bucket, bool https = false, string? origin = null)
    {
        var url = https ? f.HttpsUrl : f.HttpUrl;
        using var http = Clients.Http(f, url.Port);
        var request = new HttpRequestMessage(HttpMethod.Post, $"{url}{bucket}") { Content = Content() };
        if (origin is not null)
            request.Headers.TryAddWithoutValidation("Origin", origin);
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    public static PostCondition Eq(string field, string value) => new(PostConditionKind.Equals, field, value, 0, 0, "");

    public static PostCondition StartsWith(string field, string value) => new(PostConditionKind.StartsWith, field, value, 0, 0, "");

    public static PostCondition Range(long min, long max) => new(PostConditionKind.ContentLengthRange, "", "", min, max, "");

    /// <summary>
    /// A SigV4 form for <paramref name="bucket"/>: the policy holds the given conditions plus the bucket and the three
    /// x-amz-* signing fields; <paramref name="fields"/> go into the form as they are.
    /// </summary>
    public static BrowserForm SigV4(string bucket, IEnumerable<PostCondition> conditions, IEnumerable<(string, string)> fields,
        string accessKey = CofferFixture.AccessKey, string secretKey = CofferFixture.SecretKey, DateTimeOffset? expiration = null,
        string? token = null)
    {
        var now = DateTimeOffset.UtcNow;
        var date = now.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var amzDate = now.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var credential = $"{accessKey}/{date}/{CofferFixture.Region}/s3/aws4_request";
        var all = new List<PostCondition>(conditions)
        {
            Eq("bucket", bucket), Eq("x-amz-algorithm", PostSignatures.SigV4Algorithm), Eq("x-amz-credential", credential), Eq("x-amz-date", amzDate),
        };
        if (token is not null)
            all.Add(Eq("x-amz-security-token", token));
        var policy = Convert.ToBase64String(Encoding.UTF8.GetBytes(PostPolicy.Write(expiration ?? now.AddMinutes(10), all)));
        var form = new BrowserForm();
        foreach (var (name, value) in fields)
            form.Add(name, value);
        form.Add("x-amz-algorithm", PostSignatures.SigV4Algorithm).Add("x-amz-credential", credential).Add("x-amz-date", amzDate);
        if (token is not null)
            form.Add("x-amz-security-token", token);
        form.Add("policy", policy).Add("x-amz-signature", PostSignatures.SigV4(secretKey, date, CofferFixture.Region, policy));
        return form;
    }

    /// <summary>A SigV2 form: AWSAccessKeyId, policy and its base64 HMAC-SHA1 signature.</summary>
    public static BrowserForm SigV2(string bucket, IEnumerable<PostCondition> conditions, IEnumerable<(string, string)> fields,
        string accessKey = CofferFixture.AccessKey, string secretKey = CofferFixture.SecretKey)
    {
        var all = new List<PostCondition>(conditions) { Eq("bucket", bucket) };
        var policy = Convert.ToBase64String(Encoding.UTF8.GetBytes(PostPolicy.Write(DateTimeOffset.UtcNow.AddMinutes(10), all)));
        var form = new BrowserForm();
        foreach (var (name, value) in fields)
            form.Add(name, value);
        return form.Add("AWSAccessKeyId", accessKey).Add("policy", policy).Add("signature", PostSignatures.SigV2(secretKey, policy));
    }

    /// <summary>A COS form (q-sign-algorithm, q-ak, q-key-time, q-signature over the policy JSON's SHA-1).</summary>
    public static BrowserForm Cos(string bucket, IEnumerable<PostCondition> conditions, IEnumerable<(string, string)> fields,
        string accessKey = CofferFixture.AccessKey, string secretKey = CofferFixture.SecretKey, TimeSpan? validity = null)
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds();
        var keyTime = $"{start};{start + (long)(validity ?? TimeSpan.FromMinutes(10)).TotalSeconds}";
        var all = new List<PostCondition>(conditions) { Eq("bucket", bucket), Eq("q-sign-algorithm", "sha1"), Eq("q-ak", accessKey), Eq("q-sign-time", keyTime) };
        var json = PostPolicy.Write(DateTimeOffset.UtcNow.AddMinutes(10), all);
        var form = new BrowserForm();
        foreach (var (name, value) in fields)
            form.Add(name, value);
        return form.Add("policy", Convert.ToBase64String(Encoding.UTF8.GetBytes(json))).Add("q-sign-algorithm", "sha1").Add("q-ak", accessKey)
            .Add("q-key-time", keyTime).Add("q-signature", PostSignatures.Cos(secretKey, keyTime, Encoding.UTF8.GetBytes(json)));
    }
}
