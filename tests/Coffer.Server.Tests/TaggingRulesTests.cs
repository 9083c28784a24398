using Coffer.Protocol;
using Coffer.Server.Objects;
using Coffer.Server.Xml;
using Coffer.Storage;

namespace Coffer.Server.Tests;

/// <summary>The reference limits of tag sets (docs/protocol/tagging.md#limits-and-errors), family by family.</summary>
public sealed class TaggingRulesTests
{
    [Theory]
    [InlineData("k", "")]
    [InlineData("Ünïcode 腾讯云", "٣ digits Ⅻ")]
    [InlineData("a+b-c=d.e_f:g/h", "a+b-c=d.e_f:g/h")]
    [InlineData("non breaking\u00a0space", "ideographic\u3000space")]
    public void Valid_tags_pass_in_both_families(string key, string value)
    {
        Tagging.Validate([new Tag(key, value)], Tagging.MaxObjectTags, ProtocolFamily.S3);
        Tagging.Validate([new Tag(key, value)], Tagging.MaxObjectTags, ProtocolFamily.Cos);
    }

    [Fact]
    public void Lengths_count_code_points_not_utf16_units()
    {
        var wide = string.Concat(Enumerable.Repeat("𝒜", 128));   // 256 UTF-16 units
        Tagging.Validate([new Tag(wide, string.Concat(Enumerable.Repeat("𝒜", 256)))], Tagging.MaxObjectTags, ProtocolFamily.S3);
        var e = Assert.Throws<CofferException>(() => Tagging.Validate([new Tag(wide + "𝒜", "")], Tagging.MaxObjectTags, ProtocolFamily.S3));
        Assert.Equal(ErrorCode.InvalidTag, e.Error);
        Assert.Contains("129 characters", e.Message);
    }

    [Theory]
    [InlineData("", "v", "TagKey")]
    [InlineData("k", "tab\there", "TagValue")]
    [InlineData("line\nbreak", "v", "TagKey")]
    [InlineData("star*", "v", "TagKey")]
    [InlineData("k", "semi;colon", "TagValue")]
    [InlineData("aws:x", "v", "aws:")]
    [InlineData("Aws:x", "v", "aws:")]
    public void Invalid_tags_are_InvalidTag_naming_the_part(string key, string value, string named)
    {
        var e = Assert.Throws<CofferException>(() => Tagging.Validate([new Tag(key, value)], Tagging.MaxObjectTags, ProtocolFamily.S3));
        Assert.Equal(ErrorCode.InvalidTag, e.Error);
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void At_signs_are_allowed_for_S3_and_refused_for_COS()
    {
        Tagging.Validate([new Tag("mail", "a@b")], Tagging.MaxObjectTags, ProtocolFamily.S3);
        var e = Assert.Throws<CofferException>(() => Tagging.Validate([new Tag("mail", "a@b")], Tagging.MaxObjectTags, ProtocolFamily.Cos));
        Assert.Equal(ErrorCode.InvalidTag, e.Error);
        Assert.Contains("'@'", e.Message);
    }

    [Fact]
    public void Counts_over_the_limit_are_BadRequest_and_keys_twice_InvalidTag()
    {
        var eleven = Enumerable.Range(0, 11).Select(i => new Tag($"k{i}", "")).ToList();
        Tagging.Validate(eleven, Tagging.MaxBucketTags, ProtocolFamily.S3);
        var e = Assert.Throws<CofferException>(() => Tagging.Validate(eleven, Tagging.MaxObjectTags, ProtocolFamily.S3));
        Assert.Equal(("BadRequest", 400), (e.Error.CodeFor(ProtocolFamily.S3), e.Error.StatusFor(ProtocolFamily.S3)));
        var fiftyOne = Enumerable.Range(0, 51).Select(i => new Tag($"k{i}", "")).ToList();
        Assert.Contains("50", Assert.Throws<CofferException>(() => Tagging.Validate(fiftyOne, Tagging.MaxBucketTags, ProtocolFamily.Cos)).Message);

        var twice = Assert.Throws<CofferException>(() => Tagging.Validate([new Tag("a", "1"), new Tag("A", "2"), new Tag("a", "3")], Tagging.MaxObjectTags, ProtocolFamily.S3));
        Assert.Equal(ErrorCode.InvalidTag, twice.Error);
    }

    [Theory]
    [InlineData("<Tagging/>")]
    [InlineData("<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>")]
    [InlineData("<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>")]
    [InlineData("<Tagging><TagSet><Other/></TagSet></Tagging>")]
    public void Documents_without_the_required_elements_are_MalformedXML(string xml)
    {
        var root = XmlInput.Parse(System.Text.Encoding.UTF8.GetBytes(xml), "Tagging");
        var e = Assert.Throws<CofferException>(() => Tagging.ParseXml(root, Tagging.MaxObjectTags, ProtocolFamily.S3));
        Assert.Equal(ErrorCode.MalformedXML, e.Error);
    }

    [Fact]
    public void A_document_in_the_S3_namespace_parses_in_order_with_empty_values()
    {
        var xml = """<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>b</Key><Value></Value></Tag><Tag><Key>a</Key><Value> x </Value></Tag></TagSet></Tagging>""";
        var tags = Tagging.ParseXml(XmlInput.Parse(System.Text.Encoding.UTF8.GetBytes(xml), "Tagging"), Tagging.MaxObjectTags, ProtocolFamily.S3);
        Assert.Equal([new Tag("b", ""), new Tag("a", " x ")], tags);
    }
}
