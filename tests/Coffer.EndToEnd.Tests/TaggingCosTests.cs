using System.Net;
using System.Text;
using System.Xml.Linq;
using Coffer.EndToEnd.Tests.Infrastructure;

namespace Coffer.EndToEnd.Tests;

/// <summary>Object and bucket tagging in the COS dialect: COS-signed raw requests as the COS SDKs send them, x-cos-* headers, COS error codes.</summary>
[Collection(CofferCollection.Name)]
public sealed class TaggingCosTests(CofferFixture f)
{
    private static readonly KeyValuePair<string, string>[] TaggingQuery = [new("tagging", "")];

    private async Task<(CosRawClient Cos, string Bucket)> NewBucketAsync()
    {
        var cos = new CosRawClient(f);
        var bucket = CosRawClient.NewBucket();
        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket)).StatusCode);
        return (cos, bucket);
    }

    private static byte[] TaggingXml(params (string Key, string Value)[] tags) => Encoding.UTF8.GetBytes(
        new XElement("Tagging", new XElement("TagSet", tags.Select(t => new XElement("Tag", new XElement("Key", t.Key), new XElement("Value", t.Value))))).ToString());

    private static async Task<List<(string, string)>> ReadTagsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Tagging", root.Name.LocalName);
        Assert.Equal("", root.Name.NamespaceName);   // COS documents carry no S3 namespace
        return root.Element("TagSet")!.Elements("Tag").Select(t => (t.Element("Key")!.Value, t.Element("Value")!.Value)).ToList();
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, await response.ErrorCodeAsync());
        Assert.NotNull(response.Header("x-cos-request-id"));
    }

    [Fact]
    public async Task Object_tagging_round_trips_and_get_and_head_carry_x_cos_tagging_count()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await cos.SendAsync(HttpMethod.Put, bucket, "exampleobject", headers: [new("x-cos-tagging", "project=blue&stage=raw%20data")], body: [1, 2, 3]);

        Assert.Equal([("project", "blue"), ("stage", "raw data")], await ReadTagsAsync(await cos.SendAsync(HttpMethod.Get, bucket, "exampleobject", TaggingQuery)));
        var head = await cos.SendAsync(HttpMethod.Head, bucket, "exampleobject");
        Assert.Equal("2", head.Header("x-cos-tagging-count"));
        Assert.Null(head.Header("x-amz-tagging-count"));
        Assert.Equal("2", (await cos.SendAsync(HttpMethod.Get, bucket, "exampleobject")).Header("x-cos-tagging-count"));

        var put = await cos.SendAsync(HttpMethod.Put, bucket, "exampleobject", TaggingQuery, body: TaggingXml(("key1", "value1")));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal([("key1", "value1")], await ReadTagsAsync(await cos.SendAsync(HttpMethod.Get, bucket, "exampleobject", TaggingQuery)));

        Assert.Equal(HttpStatusCode.NoContent, (await cos.SendAsync(HttpMethod.Delete, bucket, "exampleobject", TaggingQuery)).StatusCode);
        Assert.Empty(await ReadTagsAsync(await cos.SendAsync(HttpMethod.Get, bucket, "exampleobject", TaggingQuery)));
        Assert.Null((await cos.SendAsync(HttpMethod.Head, bucket, "exampleobject")).Header("x-cos-tagging-count"));
    }

    [Fact]
    public async Task Copy_uses_x_cos_tagging_directive_Copy_or_Replaced_and_multipart_initiate_takes_x_cos_tagging()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await cos.SendAsync(HttpMethod.Put, bucket, "src", headers: [new("x-cos-tagging", "a=1")], body: [1]);
        var source = $"{CosRawClient.Host(bucket)}/src";

        Assert.Equal(HttpStatusCode.OK, (await cos.SendAsync(HttpMethod.Put, bucket, "copied", headers: [new("x-cos-copy-source", source)])).StatusCode);
        Assert.Equal([("a", "1")], await ReadTagsAsync(await cos.SendAsync(HttpMethod.Get, bucket, "copied", TaggingQuery)));
        var replaced = await cos.SendAsync(HttpMethod.Put, bucket, "replaced",
            headers: [new("x-cos-copy-source", source), new("x-cos-tagging-directive", "Replaced"), new("x-cos-tagging", "b=2")]);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal([("b", "2")], await ReadTagsAsync(await cos.SendAsync(HttpMethod.Get, bucket, "replaced", TaggingQuery)));
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, "bad",
            headers: [new("x-cos-copy-source", source), new("x-cos-tagging-directive", "Merge")]), HttpStatusCode.BadRequest, "InvalidArgument");

        var init = await cos.SendAsync(HttpMethod.Post, bucket, "mp", [new("uploads", "")], headers: [new("x-cos-tagging", "mp=yes")]);
        Assert.Equal(HttpStatusCode.OK, init.StatusCode);
        var uploadId = XElement.Parse(await init.Content.ReadAsStringAsync()).Elements().Single(e => e.Name.LocalName == "UploadId").Value;
        var part = await cos.SendAsync(HttpMethod.Put, bucket, "mp", [new("partNumber", "1"), new("uploadId", uploadId)], body: [9, 9]);
        var complete = await cos.SendAsync(HttpMethod.Post, bucket, "mp", [new("uploadId", uploadId)],
            body: Encoding.UTF8.GetBytes($"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{part.Header("ETag")}</ETag></Part></CompleteMultipartUpload>"));
        Assert.Equal(HttpStatusCode.OK, complete.StatusCode);
        Assert.Equal([("mp", "yes")], await ReadTagsAsync(await cos.SendAsync(HttpMethod.Get, bucket, "mp", TaggingQuery)));
    }

    [Fact]
    public async Task Bucket_tagging_answers_204_on_put_and_delete_and_NoSuchTagSet_without_tags()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Get, bucket, query: TaggingQuery), HttpStatusCode.NotFound, "NoSuchTagSet");

        var put = await cos.SendAsync(HttpMethod.Put, bucket, query: TaggingQuery, body: TaggingXml(("age", "18"), ("name", "xiaoming")));
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        Assert.Equal([("age", "18"), ("name", "xiaoming")], await ReadTagsAsync(await cos.SendAsync(HttpMethod.Get, bucket, query: TaggingQuery)));

        Assert.Equal(HttpStatusCode.NoContent, (await cos.SendAsync(HttpMethod.Delete, bucket, query: TaggingQuery)).StatusCode);
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Get, bucket, query: TaggingQuery), HttpStatusCode.NotFound, "NoSuchTagSet");
    }

    [Fact]
    public async Task Cos_rejections_use_the_cos_codes_and_cos_does_not_allow_at_signs()
    {
        var (cos, bucket) = await NewBucketAsync();
        using var _ = cos;
        await cos.SendAsync(HttpMethod.Put, bucket, "k", body: [1]);

        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, "k", TaggingQuery, body: TaggingXml(("mail", "a@b"))), HttpStatusCode.BadRequest, "InvalidTag");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, "k", TaggingQuery, body: TaggingXml(("k", "a"), ("k", "b"))), HttpStatusCode.BadRequest, "InvalidTag");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, "k", TaggingQuery,
            body: TaggingXml(Enumerable.Range(0, 11).Select(i => ($"k{i}", "v")).ToArray())), HttpStatusCode.BadRequest, "BadRequest");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, "k", TaggingQuery, body: "<Tagging><TagSet><Tag><Key>a</Key>"u8.ToArray()),
            HttpStatusCode.BadRequest, "MalformedXML");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, "k", TaggingQuery, body: "<Tagging></Tagging>"u8.ToArray()),
            HttpStatusCode.BadRequest, "MalformedXML");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, "k", TaggingQuery, body: "<Tagging><TagSet><Tag><Key>a</Key></Tag></TagSet></Tagging>"u8.ToArray()),
            HttpStatusCode.BadRequest, "MalformedXML");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, "k", TaggingQuery, body: "<Other/>"u8.ToArray()), HttpStatusCode.BadRequest, "MalformedXML");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, query: TaggingQuery, body: "not xml"u8.ToArray()), HttpStatusCode.BadRequest, "MalformedXML");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, "new", headers: [new("x-cos-tagging", "a=%G0")], body: [1]),
            HttpStatusCode.BadRequest, "InvalidArgument");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Put, bucket, "new", headers: [new("x-cos-tagging", "a=b@c")], body: [1]), HttpStatusCode.BadRequest, "InvalidTag");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Get, bucket, "missing", TaggingQuery), HttpStatusCode.NotFound, "NoSuchKey");
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Post, bucket, "k", TaggingQuery), HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");

        // Nothing refused changed anything.
        Assert.Empty(await ReadTagsAsync(await cos.SendAsync(HttpMethod.Get, bucket, "k", TaggingQuery)));
        await AssertErrorAsync(await cos.SendAsync(HttpMethod.Get, bucket, "new"), HttpStatusCode.NotFound, "NoSuchKey");
    }
}
