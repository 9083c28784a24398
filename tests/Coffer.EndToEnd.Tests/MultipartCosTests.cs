using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Protocol.Auth;

namespace Coffer.EndToEnd.Tests;

/// <summary>Multipart uploads sent as the COS Python and Node SDKs send them: COS signature, x-cos-* headers, COS host names.</summary>
[Collection(CofferCollection.Name)]
public sealed class MultipartCosTests(CofferFixture f)
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public async Task Node_style_sse_cos_upload_repeats_the_header_on_every_part_and_completes_with_the_s3_etag_and_combined_crc()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        const string key = "node/sse-cos.bin";
        KeyValuePair<string, string>[] sse = [new("x-cos-server-side-encryption", "AES256")];
        var init = await cos.SendAsync(HttpMethod.Post, bucket, key, Query("uploads"),
            [.. sse, new("x-cos-meta-color", "blue"), new("Content-Type", "text/plain")]);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        Assert.Equal("AES256", init.Header("x-cos-server-side-encryption"));
        var result = await XmlAsync(init, "InitiateMultipartUploadResult");
        Assert.Equal((bucket, key), (Text(result, "Bucket"), Text(result, "Key")));
        var uploadId = Text(result, "UploadId");
        Assert.Matches("^[0-9]{10}[0-9a-f]{32}$", uploadId);

        var part1 = SeededData.Bytes(7, 0, MiB);
        var part2 = "[Object Part]"u8.ToArray();
        var put1 = await cos.SendAsync(HttpMethod.Put, bucket, key, PartQuery(1, uploadId), sse, part1);
        var put2 = await cos.SendAsync(HttpMethod.Put, bucket, key, PartQuery(2, uploadId), sse, part2);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (put1.StatusCode, put2.StatusCode));
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(part1)) + "\"", put1.Header("ETag"));
        // The COS documentation's example part (docs/protocol/objects.md#uploadpart, #crc-64).
        Assert.Equal("\"108f528eb63b65e734f27ae331f5ffaa\"", put2.Header("ETag"));
        Assert.Equal("4510578591875220731", put2.Header("x-cos-hash-crc64ecma"));
        Assert.Equal(SeededData.Crc64(part1).ToString(), put1.Header("x-cos-hash-crc64ecma"));
        Assert.Equal("AES256", put2.Header("x-cos-server-side-encryption"));

        // Node: no whitespace, Content-MD5, and the caller's x-cos-meta-* again (ignored).
        var body = Encoding.UTF8.GetBytes($"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{put1.Header("ETag")}</ETag></Part>"
            + $"<Part><PartNumber>2</PartNumber><ETag>{put2.Header("ETag")}</ETag></Part></CompleteMultipartUpload>");
        var complete = await cos.SendAsync(HttpMethod.Post, bucket, key, [new("uploadId", uploadId)],
            [new("Content-MD5", Convert.ToBase64String(MD5.HashData(body))), new("x-cos-meta-color", "red")], body);
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        var done = await XmlAsync(complete, "CompleteMultipartUploadResult");
        var whole = part1.Concat(part2).ToArray();
        Assert.Equal("\"" + SeededData.MultipartETag([MD5.HashData(part1), MD5.HashData(part2)]) + "\"", Text(done, "ETag"));
        Assert.Equal((bucket, key), (Text(done, "Bucket"), Text(done, "Key")));
        Assert.EndsWith("/node/sse-cos.bin", Text(done, "Location"));
        Assert.Equal(SeededData.Crc64(whole).ToString(), complete.Header("x-cos-hash-crc64ecma"));
        Assert.Equal("AES256", complete.Header("x-cos-server-side-encryption"));

        var head = await cos.SendAsync(HttpMethod.Head, bucket, key);
        Assert.Equal(("blue", "text/plain", Text(done, "ETag")), (head.Header("x-cos-meta-color"), head.Header("Content-Type"), head.Header("ETag")));
        Assert.Equal(complete.Header("x-cos-hash-crc64ecma"), head.Header("x-cos-hash-crc64ecma"));
        var get = await cos.SendAsync(HttpMethod.Get, bucket, key);
        Assert.Equal(whole, await get.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Python_style_sse_c_upload_sends_the_key_on_every_part_and_completes_without_it()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var init = await cos.SendAsync(HttpMethod.Post, bucket, "py/sse-c", Query("uploads"), SseKeys.CosCustomer());
        Assert.Equal("AES256", init.Header("x-cos-server-side-encryption-customer-algorithm"));
        Assert.Equal(SseKeys.KeyAMd5, init.Header("x-cos-server-side-encryption-customer-key-MD5"));
        var uploadId = Text(await XmlAsync(init, "InitiateMultipartUploadResult"), "UploadId");

        var (p1, p2) = (SeededData.Bytes(11, 0, MiB), SeededData.Bytes(12, 0, 5000));
        var put1 = await cos.SendAsync(HttpMethod.Put, bucket, "py/sse-c", PartQuery(1, uploadId), SseKeys.CosCustomer(), p1);
        var put2 = await cos.SendAsync(HttpMethod.Put, bucket, "py/sse-c", PartQuery(2, uploadId), SseKeys.CosCustomer(), p2);
        Assert.Equal("AES256", put1.Header("x-cos-server-side-encryption-customer-algorithm"));
        Assert.NotEqual("\"" + Convert.ToHexStringLower(MD5.HashData(p1)) + "\"", put1.Header("ETag"));
        Assert.Equal(SeededData.Crc64(p2).ToString(), put2.Header("x-cos-hash-crc64ecma"));

        var complete = await CompleteAsync(cos, bucket, "py/sse-c", uploadId, (1, put1.Header("ETag")!), (2, put2.Header("ETag")!));
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        Assert.Equal("AES256", complete.Header("x-cos-server-side-encryption-customer-algorithm"));
        Assert.Matches("^\"[0-9a-f]{32}-2\"$", Text(await XmlAsync(complete, "CompleteMultipartUploadResult"), "ETag"));

        // download_file: HEAD then ranged GETs, each with the key; the CRC header is the whole object's.
        var whole = p1.Concat(p2).ToArray();
        var ranged = await cos.SendAsync(HttpMethod.Get, bucket, "py/sse-c", headers: [.. SseKeys.CosCustomer(), new("Range", $"bytes={MiB - 10}-{MiB + 9}")]);
        Assert.Equal(HttpStatusCode.PartialContent, ranged.StatusCode);
        Assert.Equal(whole[(MiB - 10)..(MiB + 10)], await ranged.Content.ReadAsByteArrayAsync());
        Assert.Equal(SeededData.Crc64(whole).ToString(), ranged.Header("x-cos-hash-crc64ecma"));
        Assert.Equal(HttpStatusCode.BadRequest, (await cos.SendAsync(HttpMethod.Get, bucket, "py/sse-c")).StatusCode);
    }

    [Fact]
    public async Task Sse_kms_parts_accept_the_uploads_own_header_and_refuse_another()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var uploadId = await InitiateAsync(cos, bucket, "kms", [new("x-cos-server-side-encryption", "cos/kms")]);
        var same = await cos.SendAsync(HttpMethod.Put, bucket, "kms", PartQuery(1, uploadId), [new("x-cos-server-side-encryption", "cos/kms")], [1, 2, 3]);
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal("cos/kms", same.Header("x-cos-server-side-encryption"));
        Assert.False(string.IsNullOrEmpty(same.Header("x-cos-server-side-encryption-cos-kms-key-id")));

        var other = await cos.SendAsync(HttpMethod.Put, bucket, "kms", PartQuery(2, uploadId), [new("x-cos-server-side-encryption", "AES256")], [4]);
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.Equal("InvalidArgument", await other.ErrorCodeAsync());
        var plainId = await InitiateAsync(cos, bucket, "plain", []);
        var onPlain = await cos.SendAsync(HttpMethod.Put, bucket, "plain", PartQuery(1, plainId), [new("x-cos-server-side-encryption", "AES256")], [4]);
        Assert.Equal(HttpStatusCode.BadRequest, onPlain.StatusCode);
        Assert.Equal("InvalidArgument", await onPlain.ErrorCodeAsync());

        Assert.Equal(new[] { 1 }, PartNumbers(await ListPartsAsync(cos, bucket, "kms", uploadId)));
        Assert.Empty(PartNumbers(await ListPartsAsync(cos, bucket, "plain", plainId)));
    }

    [Fact]
    public async Task List_multipart_uploads_gives_a_keys_uploads_oldest_first_url_encoded_and_pages_with_lowercase_is_truncated()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        const string key = "dir/a b+c";
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add(await InitiateAsync(cos, bucket, key, []));
        var z = await InitiateAsync(cos, bucket, "dir/z", []);
        await InitiateAsync(cos, bucket, "other", []);

        var list = await XmlAsync(await cos.SendAsync(HttpMethod.Get, bucket, query: [new("uploads", ""), new("prefix", "dir/"), new("encoding-type", "url")]), "ListMultipartUploadsResult");
        Assert.Equal(("false", "url", "dir/"), (Text(list, "IsTruncated"), Text(list, "Encoding-Type"), Text(list, "Prefix")));
        var uploads = Elements(list, "Upload").Select(u => (Key: Text(u, "Key"), Id: Text(u, "UploadId"))).ToList();
        Assert.Equal([.. ids.Select(id => ("dir/a%20b%2Bc", id)), ("dir/z", z)], uploads);
        // The Python SDK resumes with the last upload listed for the key: the newest.
        Assert.Equal(ids[^1], uploads.Last(u => Uri.UnescapeDataString(u.Key) == key).Id);
        var first = Elements(list, "Upload").First();
        Assert.Equal("STANDARD", Text(first, "StorageClass"));
        Assert.NotEmpty(Text(first.Elements().Single(e => e.Name.LocalName == "Initiator"), "ID"));
        Assert.NotEmpty(Text(first, "Initiated"));

        var page = await XmlAsync(await cos.SendAsync(HttpMethod.Get, bucket, query: [new("uploads", ""), new("prefix", "dir/"), new("max-uploads", "2"), new("encoding-type", "url")]), "ListMultipartUploadsResult");
        Assert.Equal(("true", "dir/a%20b%2Bc", ids[1]), (Text(page, "IsTruncated"), Text(page, "NextKeyMarker"), Text(page, "NextUploadIdMarker")));
        var next = await XmlAsync(await cos.SendAsync(HttpMethod.Get, bucket, query: [new("uploads", ""), new("prefix", "dir/"), new("max-uploads", "2"),
            new("key-marker", key), new("upload-id-marker", ids[1])]), "ListMultipartUploadsResult");
        Assert.Equal([ids[2], z], Elements(next, "Upload").Select(u => Text(u, "UploadId")));
        Assert.Equal("false", Text(next, "IsTruncated"));

        var root = await XmlAsync(await cos.SendAsync(HttpMethod.Get, bucket, query: [new("uploads", ""), new("delimiter", "/")]), "ListMultipartUploadsResult");
        Assert.Equal(["dir/"], Elements(root, "CommonPrefixes").Select(p => Text(p, "Prefix")));
        Assert.Equal(["other"], Elements(root, "Upload").Select(u => Text(u, "Key")));
    }

    [Fact]
    public async Task List_parts_pages_with_lowercase_is_truncated_and_next_part_number_marker()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var uploadId = await InitiateAsync(cos, bucket, "k", []);
        var etags = new List<string>();
        foreach (var n in new[] { 1, 2, 10_000 })
            etags.Add((await cos.SendAsync(HttpMethod.Put, bucket, "k", PartQuery(n, uploadId), body: [(byte)n])).Header("ETag")!);

        var page = await XmlAsync(await cos.SendAsync(HttpMethod.Get, bucket, "k",
            [new("uploadId", uploadId), new("max-parts", "2"), new("encoding-type", "url")]), "ListPartsResult");
        Assert.Equal(("true", "2", "0", "2", "STANDARD"), (Text(page, "IsTruncated"), Text(page, "NextPartNumberMarker"), Text(page, "PartNumberMarker"), Text(page, "MaxParts"), Text(page, "StorageClass")));
        Assert.Equal((uploadId, "k", "url"), (Text(page, "UploadId"), Text(page, "Key"), Text(page, "Encoding-Type")));
        Assert.Equal(etags[..2], Elements(page, "Part").Select(p => Text(p, "ETag")));
        Assert.Equal(["1", "1"], Elements(page, "Part").Select(p => Text(p, "Size")));
        Assert.NotEmpty(Text(page.Elements().Single(e => e.Name.LocalName == "Owner"), "DisplayName"));

        var rest = await XmlAsync(await cos.SendAsync(HttpMethod.Get, bucket, "k", [new("uploadId", uploadId), new("part-number-marker", "2")]), "ListPartsResult");
        Assert.Equal(("false", "10000"), (Text(rest, "IsTruncated"), Text(rest, "NextPartNumberMarker")));
        Assert.Equal(["10000"], Elements(rest, "Part").Select(p => Text(p, "PartNumber")));
    }

    [Fact]
    public async Task Complete_accepts_namespaces_whitespace_and_quoted_or_unquoted_etags()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var uploadId = await InitiateAsync(cos, bucket, "k", []);
        var (p1, p2) = (SeededData.Bytes(21, 0, MiB), SeededData.Bytes(22, 0, 3));
        var e1 = (await cos.SendAsync(HttpMethod.Put, bucket, "k", PartQuery(1, uploadId), body: p1)).Header("ETag")!;
        var e2 = (await cos.SendAsync(HttpMethod.Put, bucket, "k", PartQuery(2, uploadId), body: p2)).Header("ETag")!;
        var body = $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Part>
                <PartNumber> 1 </PartNumber>
                <ETag>{e1.Replace("\"", "&quot;")}</ETag>
              </Part>
              <Part>
                <ETag>{e2.Trim('"').ToUpperInvariant()}</ETag>
                <PartNumber>2</PartNumber>
                <ChecksumCRC32>AAAAAA==</ChecksumCRC32>
              </Part>
            </CompleteMultipartUpload>
            """;
        var complete = await cos.SendAsync(HttpMethod.Post, bucket, "k", [new("uploadId", uploadId)], body: Encoding.UTF8.GetBytes(body));
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        var get = await cos.SendAsync(HttpMethod.Get, bucket, "k");
        Assert.Equal(p1.Concat(p2), await get.Content.ReadAsByteArrayAsync());
    }

    public static TheoryData<string, string, string> BadCompletions => new()
    {
        { "not xml", "this is not xml", "MalformedXML" },
        { "another root", "<Delete><Part><PartNumber>1</PartNumber><ETag>E1</ETag></Part></Delete>", "MalformedXML" },
        { "no parts", "<CompleteMultipartUpload/>", "MalformedXML" },
        { "part without etag", "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>", "MalformedXML" },
        { "part number not a number", "<CompleteMultipartUpload><Part><PartNumber>one</PartNumber><ETag>E1</ETag></Part></CompleteMultipartUpload>", "MalformedXML" },
        { "descending", "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>E2</ETag></Part><Part><PartNumber>1</PartNumber><ETag>E1</ETag></Part></CompleteMultipartUpload>", "InvalidPartOrder" },
        { "duplicate", "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>E1</ETag></Part><Part><PartNumber>1</PartNumber><ETag>E1</ETag></Part></CompleteMultipartUpload>", "InvalidPartOrder" },
        { "unknown part", "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>E1</ETag></Part><Part><PartNumber>3</PartNumber><ETag>E2</ETag></Part></CompleteMultipartUpload>", "InvalidPart" },
        { "wrong etag", "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"00000000000000000000000000000000\"</ETag></Part></CompleteMultipartUpload>", "InvalidPart" },
        { "small first part", "<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>E2</ETag></Part><Part><PartNumber>3</PartNumber><ETag>E3</ETag></Part></CompleteMultipartUpload>", "EntityTooSmall" },
    };

    [Theory]
    [MemberData(nameof(BadCompletions))]
    public async Task Complete_refuses_a_malformed_or_invalid_part_list_and_changes_nothing(string why, string xml, string code)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var uploadId = await InitiateAsync(cos, bucket, "k", []);
        var e1 = (await cos.SendAsync(HttpMethod.Put, bucket, "k", PartQuery(1, uploadId), body: SeededData.Bytes(1, 0, MiB))).Header("ETag")!;
        var e2 = (await cos.SendAsync(HttpMethod.Put, bucket, "k", PartQuery(2, uploadId), body: [2])).Header("ETag")!;
        var e3 = (await cos.SendAsync(HttpMethod.Put, bucket, "k", PartQuery(3, uploadId), body: [3])).Header("ETag")!;

        var body = Encoding.UTF8.GetBytes(xml.Replace("E1", e1).Replace("E2", e2).Replace("E3", e3));
        var complete = await cos.SendAsync(HttpMethod.Post, bucket, "k", [new("uploadId", uploadId)], body: body);
        Assert.True(HttpStatusCode.BadRequest == complete.StatusCode, why);
        Assert.Equal(code, await complete.ErrorCodeAsync());
        Assert.NotNull(complete.Header("x-cos-request-id"));
        Assert.Equal(HttpStatusCode.NotFound, (await cos.SendAsync(HttpMethod.Head, bucket, "k")).StatusCode);
        Assert.Equal(new[] { 1, 2, 3 }, PartNumbers(await ListPartsAsync(cos, bucket, "k", uploadId)));
    }

    [Fact]
    public async Task Complete_with_a_content_md5_that_does_not_match_the_xml_is_bad_digest()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var uploadId = await InitiateAsync(cos, bucket, "k", []);
        var etag = (await cos.SendAsync(HttpMethod.Put, bucket, "k", PartQuery(1, uploadId), body: [1])).Header("ETag")!;
        var body = Encoding.UTF8.GetBytes($"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>");
        var complete = await cos.SendAsync(HttpMethod.Post, bucket, "k", [new("uploadId", uploadId)], [new("Content-MD5", Convert.ToBase64String(MD5.HashData([1])))], body);
        Assert.Equal(HttpStatusCode.BadRequest, complete.StatusCode);
        Assert.Equal("BadDigest", await complete.ErrorCodeAsync());
        Assert.Equal(new[] { 1 }, PartNumbers(await ListPartsAsync(cos, bucket, "k", uploadId)));
    }

    [Fact]
    public async Task Upload_part_copy_with_cos_headers_answers_a_copy_part_result_and_checks_the_range()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var source = SeededData.Bytes(31, 0, 100);
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "src", body: source)).StatusCode);
        var uploadId = await InitiateAsync(cos, bucket, "dst", []);
        var copySource = $"{CosRawClient.Host(bucket)}/src";

        // Node spells the range header x-cos-copy-source-Range.
        var copy = await cos.SendAsync(HttpMethod.Put, bucket, "dst", PartQuery(1, uploadId),
            [new("x-cos-copy-source", copySource), new("x-cos-copy-source-Range", "bytes=10-19")]);
        Assert.Equal(HttpStatusCode.OK, copy.StatusCode);
        var result = await XmlAsync(copy, "CopyPartResult");
        Assert.Equal("\"" + Convert.ToHexStringLower(MD5.HashData(source[10..20])) + "\"", Text(result, "ETag"));
        Assert.NotEmpty(Text(result, "LastModified"));
        Assert.Equal(SeededData.Crc64(source[10..20]).ToString(), Text(result, "CRC64"));
        Assert.Equal(Text(result, "CRC64"), copy.Header("x-cos-hash-crc64ecma"));

        foreach (var (range, code) in new[] { ("bytes=10-", "InvalidArgument"), ("bytes=20-10", "InvalidArgument"), ("items=1-2", "InvalidArgument"), ("bytes=50-100", "InvalidRange") })
        {
            var bad = await cos.SendAsync(HttpMethod.Put, bucket, "dst", PartQuery(2, uploadId), [new("x-cos-copy-source", copySource), new("x-cos-copy-source-range", range)]);
            Assert.True(HttpStatusCode.BadRequest == bad.StatusCode, range);
            Assert.Equal(code, await bad.ErrorCodeAsync());
        }
        var missing = await cos.SendAsync(HttpMethod.Put, bucket, "dst", PartQuery(2, uploadId), [new("x-cos-copy-source", $"{CosRawClient.Host(bucket)}/nope")]);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("NoSuchCopySource", await missing.ErrorCodeAsync());
        Assert.Equal(new[] { 1 }, PartNumbers(await ListPartsAsync(cos, bucket, "dst", uploadId)));
    }

    [Fact]
    public async Task Abort_answers_204_and_an_unknown_upload_is_no_such_upload_with_a_request_id()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var uploadId = await InitiateAsync(cos, bucket, "k", []);
        await cos.SendAsync(HttpMethod.Put, bucket, "k", PartQuery(1, uploadId), body: [1]);
        Assert.Equal(HttpStatusCode.NoContent, (await cos.SendAsync(HttpMethod.Delete, bucket, "k", [new("uploadId", uploadId)])).StatusCode);

        foreach (var (method, query) in new[] { (HttpMethod.Delete, Query("uploadId", uploadId)), (HttpMethod.Get, Query("uploadId", uploadId)), (HttpMethod.Put, PartQuery(1, uploadId)) })
        {
            var response = await cos.SendAsync(method, bucket, "k", query, body: method == HttpMethod.Put ? [1] : null);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("NoSuchUpload", await response.ErrorCodeAsync());
            Assert.NotNull(response.Header("x-cos-request-id"));
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("10001")]
    [InlineData("one")]
    [InlineData("")]
    public async Task A_part_number_that_is_not_1_to_10000_is_invalid_argument(string partNumber)
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var uploadId = await InitiateAsync(cos, bucket, "k", []);
        var put = await cos.SendAsync(HttpMethod.Put, bucket, "k", [new("partNumber", partNumber), new("uploadId", uploadId)], body: [1]);
        Assert.Equal(HttpStatusCode.BadRequest, put.StatusCode);
        Assert.Equal("InvalidArgument", await put.ErrorCodeAsync());
        Assert.Empty(PartNumbers(await ListPartsAsync(cos, bucket, "k", uploadId)));
    }

    [Fact]
    public async Task A_part_declared_larger_than_5_gib_is_refused_before_its_body_is_read()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        var uploadId = await InitiateAsync(cos, bucket, "k", []);
        const long tooLarge = 5L * 1024 * 1024 * 1024 + 1;

        // HttpClient will not send a Content-Length it cannot back with a body, so this one is written by hand.
        var host = CosRawClient.Host(bucket);
        var query = new List<KeyValuePair<string, string>> { new("partNumber", "1"), new("uploadId", uploadId) };
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        var authorization = CosV5Signer.Sign(CofferFixture.AccessKey, CofferFixture.SecretKey, "PUT", "/k", query,
            [new("host", host), new("content-length", tooLarge.ToString())], start, start.AddHours(1));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, f.HttpUrl.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"PUT /k?partNumber=1&uploadId={uploadId} HTTP/1.1\r\nHost: {host}\r\n"
            + $"Content-Length: {tooLarge}\r\nAuthorization: {authorization}\r\n\r\n"));
        var reader = new StreamReader(stream, Encoding.ASCII);
        var status = await reader.ReadLineAsync();
        Assert.StartsWith("HTTP/1.1 400", status);
        var text = new StringBuilder();
        var buffer = new char[4096];
        int n;
        while (!text.ToString().Contains("</Error>") && (n = await reader.ReadAsync(buffer)) > 0)
            text.Append(buffer, 0, n);
        Assert.Contains("<Code>EntityTooLarge</Code>", text.ToString());
        Assert.Empty(PartNumbers(await ListPartsAsync(cos, bucket, "k", uploadId)));
    }

    // ------------------------------------------------------------------ helpers

    private async Task<(CosRawClient Cos, string Bucket)> NewBucketAsync()
    {
        var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        return (cos, bucket);
    }

    private static async Task<string> InitiateAsync(CosRawClient cos, string bucket, string key, KeyValuePair<string, string>[] headers)
    {
        var init = await cos.SendAsync(HttpMethod.Post, bucket, key, Query("uploads"), headers);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        return Text(await XmlAsync(init, "InitiateMultipartUploadResult"), "UploadId");
    }

    private static Task<HttpResponseMessage> CompleteAsync(CosRawClient cos, string bucket, string key, string uploadId, params (int Number, string ETag)[] parts)
    {
        var xml = "<CompleteMultipartUpload>" + string.Concat(parts.Select(p => $"<Part><PartNumber>{p.Number}</PartNumber><ETag>{p.ETag}</ETag></Part>")) + "</CompleteMultipartUpload>";
        return cos.SendAsync(HttpMethod.Post, bucket, key, [new("uploadId", uploadId)], body: Encoding.UTF8.GetBytes(xml));
    }

    private static async Task<XElement> ListPartsAsync(CosRawClient cos, string bucket, string key, string uploadId) =>
        await XmlAsync(await cos.SendAsync(HttpMethod.Get, bucket, key, [new("uploadId", uploadId)]), "ListPartsResult");

    private static int[] PartNumbers(XElement listParts) => Elements(listParts, "Part").Select(p => int.Parse(Text(p, "PartNumber"))).ToArray();

    private static KeyValuePair<string, string>[] Query(string name, string value = "") => [new(name, value)];

    private static KeyValuePair<string, string>[] PartQuery(int number, string uploadId) => [new("partNumber", number.ToString()), new("uploadId", uploadId)];

    private static async Task<XElement> XmlAsync(HttpResponseMessage response, string root)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var element = XDocument.Parse(text).Root!;
        Assert.Equal(root, element.Name.LocalName);
        return element;
    }

    private static IEnumerable<XElement> Elements(XElement parent, string name) => parent.Elements().Where(e => e.Name.LocalName == name);

    private static string Text(XElement parent, string name) => Elements(parent, name).Single().Value;
}
