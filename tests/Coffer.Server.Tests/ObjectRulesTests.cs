using System.Security.Cryptography;
using Coffer.Protocol;
using Coffer.Server.Objects;
using Coffer.Server.Sse;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Tests;

public sealed class ObjectRulesTests
{
    [Theory]
    [InlineData("bytes=0-0", 10, 0, 1)]
    [InlineData("bytes=8-14", 16, 8, 7)]
    [InlineData("bytes=5-", 10, 5, 5)]
    [InlineData("bytes=-3", 10, 7, 3)]
    [InlineData("bytes=-30", 10, 0, 10)]
    [InlineData("bytes=2-100", 10, 2, 8)]
    public void Ranges_are_resolved_against_the_size(string header, long size, long offset, long length) =>
        Assert.Equal(new ByteRange(offset, length), ByteRange.Parse(header, size));

    [Theory]
    [InlineData(null)]
    [InlineData("bytes=1-2,4-5")]
    [InlineData("items=1-2")]
    [InlineData("bytes=5-2")]
    [InlineData("bytes=x-")]
    public void Unusable_ranges_mean_the_whole_object(string? header) => Assert.Null(ByteRange.Parse(header, 10));

    [Theory]
    [InlineData("bytes=10-", 10)]
    [InlineData("bytes=-0", 10)]
    [InlineData("bytes=0-", 0)]
    public void Unsatisfiable_ranges_are_416_with_the_size(string header, long size)
    {
        var e = Assert.Throws<CofferException>(() => ByteRange.Parse(header, size));
        Assert.Equal(ErrorCode.InvalidRange, e.Error);
        Assert.Equal($"bytes */{size}", e.Headers["Content-Range"]);
    }

    private static ObjectRecord Object(string etag = "abc", DateTimeOffset? modified = null) => new()
    {
        Bucket = "b",
        Key = "k",
        Size = 1,
        ETag = etag,
        Crc64 = 0,
        Streams = [],
        LastModified = modified ?? new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero),
    };

    [Theory]
    [InlineData("If-Match", "\"abc\"", Preconditions.Result.Proceed)]
    [InlineData("If-Match", "*", Preconditions.Result.Proceed)]
    [InlineData("If-None-Match", "\"abc\"", Preconditions.Result.NotModified)]
    [InlineData("If-None-Match", "\"xyz\"", Preconditions.Result.Proceed)]
    [InlineData("If-Modified-Since", "Thu, 01 Jan 2026 12:00:00 GMT", Preconditions.Result.NotModified)]
    [InlineData("If-Modified-Since", "Thu, 01 Jan 2026 11:59:59 GMT", Preconditions.Result.Proceed)]
    [InlineData("If-Unmodified-Since", "Thu, 01 Jan 2026 12:00:00 GMT", Preconditions.Result.Proceed)]
    public void Conditions_are_evaluated_like_s3(string header, string value, Preconditions.Result expected) =>
        Assert.Equal(expected, Preconditions.Evaluate(n => n == header ? value : null, Object()));

    [Theory]
    [InlineData("If-Match", "\"xyz\"")]
    [InlineData("If-Unmodified-Since", "Thu, 01 Jan 2026 11:00:00 GMT")]
    public void Failed_conditions_are_412(string header, string value) =>
        Assert.Equal(ErrorCode.PreconditionFailed, Assert.Throws<CofferException>(() => Preconditions.Evaluate(n => n == header ? value : null, Object())).Error);

    [Fact]
    public void If_match_wins_over_if_unmodified_since() =>
        Assert.Equal(Preconditions.Result.Proceed, Preconditions.Evaluate(n => n switch
        {
            "If-Match" => "\"abc\"",
            "If-Unmodified-Since" => "Thu, 01 Jan 2020 00:00:00 GMT",
            _ => null,
        }, Object()));

    [Theory]
    [InlineData("STANDARD", "STANDARD")]
    [InlineData("archive", "ARCHIVE")]
    [InlineData("GLACIER", "ARCHIVE")]
    [InlineData("DEEP_ARCHIVE", "DEEP_ARCHIVE")]
    [InlineData(null, "STANDARD")]
    public void Storage_classes_are_stored_in_cos_spelling(string? given, string stored) => Assert.Equal(stored, StorageClasses.Parse(given));

    [Fact]
    public void Unknown_storage_classes_are_refused() =>
        Assert.Equal(ErrorCode.NotSupportedStorageClass, Assert.Throws<CofferException>(() => StorageClasses.Parse("COLD")).Error);

    [Theory]
    [InlineData("Tencent Cloud.jpg", "Tencent%20Cloud.jpg")]
    [InlineData("a+b/c~d", "a%2Bb/c~d")]
    [InlineData("ü", "%C3%BC")]
    public void Url_encoding_for_listings_uses_percent_twenty_and_never_plus(string key, string encoded) =>
        Assert.Equal(encoded, XmlText.UrlEncode(key));

    [Fact]
    public void Xml_text_replaces_characters_xml_cannot_carry() => Assert.Equal("a\uFFFDb", XmlText.Clean("a\u0001b"));

    [Fact]
    public void Encryption_context_must_be_base64_json_of_strings()
    {
        Assert.Equal("b", SseRequest.ParseContext(Convert.ToBase64String("{\"a\":\"b\"}"u8))["a"]);
        foreach (var bad in new[] { "%%%", Convert.ToBase64String("[]"u8), Convert.ToBase64String("{\"a\":1}"u8), Convert.ToBase64String("{\"coffer:bucket\":\"x\"}"u8), Convert.ToBase64String("{"u8) })
            Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<CofferException>(() => SseRequest.ParseContext(bad)).Error);
    }

    [Fact]
    public void Etags_are_the_md5_for_plain_and_sse_cos_and_opaque_otherwise()
    {
        var md5 = MD5.HashData("123"u8);
        using var key = Coffer.Crypto.ObjectKey.Generate();
        Assert.Equal("202cb962ac59075b964b07152d234b70", SseService.ETag(SseMode.None, null, md5));
        Assert.Equal("202cb962ac59075b964b07152d234b70", SseService.ETag(SseMode.Cos, key, md5));
        var opaque = SseService.ETag(SseMode.Kms, key, md5);
        Assert.Equal(32, opaque.Length);
        Assert.NotEqual("202cb962ac59075b964b07152d234b70", opaque);
        Assert.Equal(opaque, SseService.ETag(SseMode.Customer, key, md5));
    }
}
