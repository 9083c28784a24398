using Coffer.Protocol;
using Coffer.Server.Pipeline;

namespace Coffer.Server.Tests;

public sealed class AddressingTests
{
    private readonly Addressing _addressing = new("coffer.test");

    [Theory]
    [InlineData("examplebucket-1250000000.cos.ap-beijing.myqcloud.com", "/exampleobject(%E8%85%BE%E8%AE%AF%E4%BA%91)", "examplebucket-1250000000", "exampleobject(腾讯云)", "ap-beijing")]
    [InlineData("examplebucket-1250000000.cos.ap-beijing.myqcloud.com:9443", "/a/.%2Fb", "examplebucket-1250000000", "a/./b", "ap-beijing")]
    [InlineData("b-1.cos.ap-guangzhou.tencentcos.cn", "/", "b-1", null, "ap-guangzhou")]
    [InlineData("photos.coffer.test:9000", "/2024/a%2Fb", "photos", "2024/a/b", null)]
    [InlineData("127.0.0.1:9000", "/photos/a//b", "photos", "a//b", null)]
    [InlineData("localhost", "/photos/", "photos", null, null)]
    [InlineData("[::1]:9000", "/photos/k+v", "photos", "k+v", null)]
    [InlineData("127.0.0.1", "/", null, null, null)]
    public void Bucket_and_key_come_from_host_and_raw_path_byte_exact(string host, string rawPath, string? bucket, string? key, string? region)
    {
        var target = _addressing.Resolve(host, rawPath);
        Assert.Equal(bucket, target.Bucket);
        Assert.Equal(key, target.Key);
        Assert.Equal(region, target.HostRegion);
    }

    [Theory]
    [InlineData("/b/%zz")]
    [InlineData("/b/%4")]
    [InlineData("/b/%C3%28")]
    public void Malformed_escapes_are_invalid_uri(string rawPath)
    {
        var e = Assert.Throws<CofferException>(() => _addressing.Resolve("h", rawPath));
        Assert.Equal(ErrorCode.InvalidURI, e.Error);
    }

    [Theory]
    [InlineData("ok/key", true)]
    [InlineData("a/./b", true)]
    [InlineData("a//b", true)]
    [InlineData("a/../b", false)]
    [InlineData("..", false)]
    [InlineData("tab\there", false)]
    [InlineData("nul\0", false)]
    public void Object_keys_are_checked_for_dot_dot_and_control_characters(string key, bool valid)
    {
        if (valid)
            ObjectKeys.Validate(key, ProtocolFamily.S3);
        else
            Assert.Equal(ErrorCode.InvalidObjectName, Assert.Throws<CofferException>(() => ObjectKeys.Validate(key, ProtocolFamily.S3)).Error);
    }

    [Fact]
    public void Key_length_limits_follow_the_family()
    {
        ObjectKeys.Validate(new string('k', 1024), ProtocolFamily.S3);
        Assert.Equal(ErrorCode.KeyTooLong, Assert.Throws<CofferException>(() => ObjectKeys.Validate(new string('k', 1025), ProtocolFamily.S3)).Error);
        ObjectKeys.Validate(new string('k', 850), ProtocolFamily.Cos);
        Assert.Equal(ErrorCode.KeyTooLong, Assert.Throws<CofferException>(() => ObjectKeys.Validate(new string('k', 851), ProtocolFamily.Cos)).Error);
    }
}
