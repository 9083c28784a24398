using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.RegularExpressions;
using Amazon.S3.Model;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Protocol.Auth;
using Coffer.Security.Tests.Infrastructure;

namespace Coffer.Security.Tests;

/// <summary>
/// User metadata that is not ASCII (sent as raw UTF-8, which the PUT always accepted) made the
/// object unreadable: every GET and HEAD answered 500 because the header could not be written.
/// Now such a value is stored as text and returned RFC 2047-encoded (as S3 documents), in both
/// protocol families and after copy and multipart; what could never be returned is refused with 400.
/// </summary>
[Collection(TenantsCollection.Name)]
public sealed partial class MetadataUnicodeTests(TenantsFixture t)
{
    private const string Chinese = "腾讯云对象存储";
    private const string Emoji = "coffer 🔐☕ ok";
    private static readonly string Long = string.Concat(Enumerable.Repeat("中文🙂é", 20));

    [Fact]
    public async Task S3_put_with_utf8_metadata_is_read_back_by_get_and_head()
    {
        using var s3 = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("meta");
        await s3.PutBucketAsync(bucket);
        var put = new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "body" };
        put.Metadata["zh"] = Chinese;
        put.Metadata["emoji"] = Emoji;
        put.Metadata["long"] = Long;
        put.Metadata["ascii"] = "plain value";
        await s3.PutObjectAsync(put);

        using (var get = await s3.GetObjectAsync(bucket, "k"))
        {
            Assert.Equal(HttpStatusCode.OK, get.HttpStatusCode);
            Assert.Equal(Chinese, DecodeRfc2047(get.Metadata["x-amz-meta-zh"]));
            Assert.Equal(Emoji, DecodeRfc2047(get.Metadata["x-amz-meta-emoji"]));
            Assert.Equal(Long, DecodeRfc2047(get.Metadata["x-amz-meta-long"]));
            Assert.Equal("plain value", get.Metadata["x-amz-meta-ascii"]); // ASCII goes as is
            using var reader = new StreamReader(get.ResponseStream);
            Assert.Equal("body", await reader.ReadToEndAsync());
        }
        var head = await s3.GetObjectMetadataAsync(bucket, "k");
        Assert.Equal(Chinese, DecodeRfc2047(head.Metadata["x-amz-meta-zh"]));
        Assert.Equal(Emoji, DecodeRfc2047(head.Metadata["x-amz-meta-emoji"]));
        Assert.Equal(Long, DecodeRfc2047(head.Metadata["x-amz-meta-long"]));

        // Stored as the text itself, not as what went over the wire.
        var stored = await t.Server.Server.Services.Store.GetObjectAsync(bucket, "k");
        Assert.Equal(Chinese, stored!.UserMetadata["zh"]);
    }

    [Fact]
    public async Task Rfc2047_encoded_values_are_stored_decoded_so_heads_answer_sent_back_keeps_the_text()
    {
        using var s3 = t.S3(t.Alice);
        var bucket = CofferFixture.NewBucket("meta");
        await s3.PutBucketAsync(bucket);
        var put = new PutObjectRequest { BucketName = bucket, Key = "k", ContentBody = "x" };
        put.Metadata["b"] = "=?UTF-8?B?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(Chinese)) + "?=";
        put.Metadata["q"] = "=?utf-8?Q?caf=C3=A9_au_lait?=";
        put.Metadata["literal"] = "=?not an encoded word";
        await s3.PutObjectAsync(put);

        var stored = await t.Server.Server.Services.Store.GetObjectAsync(bucket, "k");
        Assert.Equal(Chinese, stored!.UserMetadata["b"]);
        Assert.Equal("café au lait", stored.UserMetadata["q"]);
        Assert.Equal("=?not an encoded word", stored.UserMetadata["literal"]);

        // What HEAD answers, sent back on a new PUT (as copy tools do), stores the same text.
        var head = await s3.GetObjectMetadataAsync(bucket, "k");
        var again = new PutObjectRequest { BucketName = bucket, Key = "k2", ContentBody = "x" };
        again.Metadata["b"] = head.Metadata["x-amz-meta-b"];
        again.Metadata["q"] = head.Metadata["x-amz-meta-q"];
        await s3.PutObjectAsync(again);
        var copied = await t.Server.Server.Services.Store.GetObjectAsync(bucket, "k2");
        Assert.Equal(Chinese, copied!.UserMetadata["b"]);
        Assert.Equal("café au lait", copied.UserMetadata["q"]);
    }

    [Fact]
    public async Task Cos_put_with_utf8_metadata_is_read_back_by_get_and_head()
    {
        using var cos = t.Cos(t.Alice);
        var bucket = await NewCosBucketAsync(cos);
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "k", headers: [new("x-cos-meta-zh", Chinese), new("x-cos-meta-emoji", Emoji)], body: "body"u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Head })
        {
            using var response = await cos.SendAsync(method, bucket, "k");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var zh = response.Header("x-cos-meta-zh")!;
            Assert.True(zh.All(char.IsAscii), zh);
            Assert.Equal(Chinese, DecodeRfc2047(zh));
            Assert.Equal(Emoji, DecodeRfc2047(response.Header("x-cos-meta-emoji")!));
            Assert.Null(response.Header("x-amz-meta-zh"));
        }
    }

    [Theory]
    [InlineData("Copy")]
    [InlineData("Replaced")]
    public async Task Copy_keeps_or_replaces_utf8_metadata_and_the_copy_reads_back(string directive)
    {
        using var cos = t.Cos(t.Alice);
        var bucket = await NewCosBucketAsync(cos);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "src", headers: [new("x-cos-meta-v", Chinese)], body: "x"u8.ToArray())).StatusCode);

        var copy = await cos.SendAsync(HttpMethod.Put, bucket, "dst", headers:
        [
            new("x-cos-copy-source", CosRawClient.Host(bucket) + "/src"),
            new("x-cos-metadata-directive", directive),
            new("x-cos-meta-v", Emoji),
        ]);
        Assert.Equal(HttpStatusCode.OK, copy.StatusCode);

        using var head = await cos.SendAsync(HttpMethod.Head, bucket, "dst");
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(directive == "Copy" ? Chinese : Emoji, DecodeRfc2047(head.Header("x-cos-meta-v")!));

        // Through S3 too.
        using var s3 = t.S3(t.Alice);
        var s3Head = await s3.GetObjectMetadataAsync(bucket, "dst");
        Assert.Equal(directive == "Copy" ? Chinese : Emoji, DecodeRfc2047(s3Head.Metadata["x-amz-meta-v"]));
    }

    [Fact]
    public async Task A_multipart_object_with_utf8_metadata_reads_back()
    {
        using var cos = t.Cos(t.Alice);
        var bucket = await NewCosBucketAsync(cos);
        var init = await cos.SendAsync(HttpMethod.Post, bucket, "mp", query: [new("uploads", "")], headers: [new("x-cos-meta-zh", Chinese)]);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        var uploadId = UploadIdPattern().Match(await init.Content.ReadAsStringAsync()).Groups[1].Value;
        var part = await cos.SendAsync(HttpMethod.Put, bucket, "mp", query: [new("partNumber", "1"), new("uploadId", uploadId)], body: "part"u8.ToArray());
        Assert.Equal(HttpStatusCode.OK, part.StatusCode);
        var etag = part.Headers.ETag!.Tag;
        var complete = await cos.SendAsync(HttpMethod.Post, bucket, "mp", query: [new("uploadId", uploadId)],
            body: Encoding.UTF8.GetBytes($"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>"));
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);

        using var get = await cos.SendAsync(HttpMethod.Get, bucket, "mp");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Chinese, DecodeRfc2047(get.Header("x-cos-meta-zh")!));
        Assert.Equal("part", await get.Content.ReadAsStringAsync());
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "a control character", "a\u0001b" },
        { "DEL", "a\u007Fb" },
        { "CR LF inside RFC 2047", "=?UTF-8?B?" + Convert.ToBase64String("a\r\nb"u8.ToArray()) + "?=" },
        { "NUL inside RFC 2047", "=?UTF-8?Q?a=00b?=" },
        { "invalid UTF-8 inside RFC 2047", "=?UTF-8?B?" + Convert.ToBase64String(new byte[] { 0x61, 0xFF, 0x62 }) + "?=" },
        { "a C1 control", "a\u0085b" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Values_that_could_not_be_returned_are_refused_with_400_in_both_families(string what, string value)
    {
        using var cos = t.Cos(t.Alice);
        var bucket = await NewCosBucketAsync(cos);

        using var wire = new Wire(t.Server);
        foreach (var (header, auth) in new[] { ("x-cos-meta-bad", Auth.CosHeader), ("x-amz-meta-bad", Auth.S3Header) })
        {
            var put = await wire.SendAsync(new Req("PUT", bucket, "k") { Body = "x"u8.ToArray() }.WithHeaders((header, value), ("x-{fam}-meta-good", "fine")), t.Alice, auth);
            Assert.True(put.StatusCode == HttpStatusCode.BadRequest, $"{what} in {header}: {put.StatusCode}");
            var text = await put.Content.ReadAsStringAsync();
            Assert.Contains("<Code>InvalidArgument</Code>", text, StringComparison.Ordinal);
            Assert.Contains(header, text, StringComparison.OrdinalIgnoreCase);
        }
        var init = await cos.SendAsync(HttpMethod.Post, bucket, "k", query: [new("uploads", "")], headers: [new("x-cos-meta-bad", value)]);
        Assert.Equal(HttpStatusCode.BadRequest, init.StatusCode);

        using var head = await cos.SendAsync(HttpMethod.Head, bucket, "k");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task Raw_bytes_that_are_not_utf8_are_refused_with_400_and_a_clear_message()
    {
        using var cos = t.Cos(t.Alice);
        var bucket = await NewCosBucketAsync(cos);

        // Byte 0xFF on the wire (Latin-1 of U+00FF); signed as the server reads it.
        using var handler = Clients.Handler(t.Server, t.Server.HttpsUrl.Port);
        handler.RequestHeaderEncodingSelector = (name, _) => name == "x-cos-meta-bad" ? Encoding.Latin1 : null;
        using var http = new HttpClient(handler);
        var host = CosRawClient.Host(bucket);
        var request = new HttpRequestMessage(HttpMethod.Put, $"https://{host}:{t.Server.HttpsUrl.Port}/k") { Content = new ByteArrayContent("x"u8.ToArray()) };
        request.Headers.TryAddWithoutValidation("x-cos-meta-bad", "a\u00FFb");
        var start = DateTimeOffset.UtcNow.AddSeconds(-60);
        request.Headers.TryAddWithoutValidation("Authorization", CosV5Signer.Sign(t.Alice.AccessKey, t.Alice.SecretKey, "PUT", "/k", [],
            [new("host", host), new("content-length", "1"), new("x-cos-meta-bad", "a\uFFFDb")], start, start.AddHours(1)));
        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("<Code>InvalidArgument</Code>", text, StringComparison.Ordinal);
        Assert.Contains("x-cos-meta-bad", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("UTF-8", text, StringComparison.Ordinal);
        using var head = await cos.SendAsync(HttpMethod.Head, bucket, "k");
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    private static async Task<string> NewCosBucketAsync(CosRawClient cos)
    {
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        return bucket;
    }

    /// <summary>
    /// The test's own RFC 2047 reader: the value must be nothing but "B" encoded words in UTF-8
    /// of at most 75 characters, separated by single spaces; their bytes joined are the text.
    /// </summary>
    private static string DecodeRfc2047(string value)
    {
        Assert.Matches(@"^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=( =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=)*$", value);
        var bytes = new List<byte>();
        foreach (var word in value.Split(' '))
        {
            Assert.True(word.Length <= 75, $"an encoded word of {word.Length} characters");
            bytes.AddRange(Convert.FromBase64String(word["=?UTF-8?B?".Length..^2]));
        }
        return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
    }

    [GeneratedRegex("<UploadId>([^<]+)</UploadId>")]
    private static partial Regex UploadIdPattern();
}
