using Coffer.Protocol.Auth;

namespace Coffer.Protocol.Tests.Auth;

public sealed class UriEncodingTests
{
    [Theory]
    [InlineData("abcXYZ019-_.~", "abcXYZ019-_.~")]
    [InlineData("a b", "a%20b")]
    [InlineData("a+b/c=d&e", "a%2Bb%2Fc%3Dd%26e")]
    [InlineData("!'()*", "%21%27%28%29%2A")]
    [InlineData("腾讯云", "%E8%85%BE%E8%AE%AF%E4%BA%91")]
    [InlineData("😀", "%F0%9F%98%80")]
    [InlineData("", "")]
    public void Everything_but_unreserved_characters_is_encoded_with_upper_case_hex(string value, string encoded)
    {
        Assert.Equal(encoded, UriEncoding.Encode(value));
        Assert.Equal(value, UriEncoding.Decode(encoded));
    }

    [Fact]
    public void Slash_can_be_kept()
    {
        Assert.Equal("/a%20b/c", UriEncoding.Encode("/a b/c", keepSlash: true));
    }

    [Theory]
    [InlineData("%e8%85%be", "腾")]
    [InlineData("100%", "100%")]
    [InlineData("%zz%4", "%zz%4")]
    [InlineData("a+b", "a+b")]
    [InlineData("%2F%2f", "//")]
    public void Decoding_is_lenient_and_keeps_plus(string value, string decoded)
    {
        Assert.Equal(decoded, UriEncoding.Decode(value));
    }

    [Fact]
    public void Targets_split_into_raw_path_and_decoded_query_without_normalisation()
    {
        var target = RequestTarget.Parse("/bucket/a/./b%2Fc?uploads&partNumber=1&&x=%3b&empty=#frag");
        Assert.Equal("/bucket/a/./b%2Fc", target.RawPath);
        Assert.Equal("/bucket/a/./b/c", target.DecodedPath);
        Assert.Equal(["uploads", "partNumber", "x", "empty"], target.Query.Select(q => q.Name));
        Assert.Equal(["", "1", ";", ""], target.Query.Select(q => q.Value));
        Assert.False(target.Query[0].HasValue);
        Assert.True(target.Query[3].HasValue);
        Assert.Equal("/", RequestTarget.Parse("?acl").RawPath);
        Assert.Equal("/k", RequestTarget.Parse("https://h:9000/k?x").RawPath);
    }
}
