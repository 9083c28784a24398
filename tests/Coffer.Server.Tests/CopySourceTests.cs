using Coffer.Protocol;
using Coffer.Server.Objects;

namespace Coffer.Server.Tests;

/// <summary>Every form of x-cos-copy-source / x-amz-copy-source (docs/protocol/objects.md#copy-source), and the malformed ones.</summary>
public sealed class CopySourceTests
{
    [Theory]
    [InlineData("sourcebucket-1250000001.cos.ap-shanghai.myqcloud.com/example-%E8%85%BE%E8%AE%AF%E4%BA%91.jpg", "sourcebucket-1250000001", "example-腾讯云.jpg")]
    [InlineData("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/dir/a%20b%2Bc.txt", "examplebucket-1250000000", "dir/a b+c.txt")]
    [InlineData("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com:8443/k", "examplebucket-1250000000", "k")]
    [InlineData("examplebucket-1250000000.cos.ap-guangzhou.tencentcos.cn/k", "examplebucket-1250000000", "k")]
    [InlineData("examplebucket-1250000000.cos-internal.ap-guangzhou.myqcloud.com/k", "examplebucket-1250000000", "k")]
    [InlineData("/bucket/key", "bucket", "key")]
    [InlineData("bucket/key", "bucket", "key")]
    [InlineData("bucket/dir/sub/key.txt", "bucket", "dir/sub/key.txt")]
    [InlineData("/bucket/a%2Fb", "bucket", "a/b")]
    [InlineData("bucket/a+b", "bucket", "a+b")]
    [InlineData("bucket/%E6%97%A5%E6%9C%AC%E8%AA%9E", "bucket", "日本語")]
    [InlineData("bucket/日本語 raw", "bucket", "日本語 raw")]
    [InlineData("bucket/../x", "bucket", "../x")]
    [InlineData("bucket/key/", "bucket", "key/")]
    [InlineData("my.dotted.bucket/key", "my.dotted.bucket", "key")]
    [InlineData("/my.dotted.bucket/key", "my.dotted.bucket", "key")]
    [InlineData("  /bucket/key  ", "bucket", "key")]
    [InlineData("bucket%2Fdir%2Fsrc", "bucket", "dir/src")]
    [InlineData("bucket%2Fa%2520b%3F", "bucket", "a%20b?")]
    public void Every_form_names_its_bucket_and_decoded_key(string header, string bucket, string key)
    {
        var source = CopySource.Parse(header);

        Assert.Equal(bucket, source.Bucket);
        Assert.Equal(key, source.Key);
        Assert.Null(source.VersionId);
    }

    [Theory]
    [InlineData("mybucket.coffer.test/key", "mybucket")]
    [InlineData("my.bucket.coffer.test:9443/key", "my.bucket")]
    [InlineData("MYBUCKET.COFFER.TEST/key", "MYBUCKET")]
    public void The_servers_own_virtual_hosted_form_names_the_bucket(string header, string bucket)
    {
        Assert.Equal(bucket, CopySource.Parse(header, "coffer.test").Bucket);
        Assert.Equal("key", CopySource.Parse(header, "coffer.test").Key);
    }

    [Theory]
    [InlineData("bucket/key?versionId=null")]
    [InlineData("/bucket/key?versionId=null")]
    [InlineData("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/key?versionId=null")]
    [InlineData("bucket/key?other=1&versionId=null")]
    public void The_null_version_is_accepted(string header)
    {
        var source = CopySource.Parse(header);

        Assert.Equal("key", source.Key);
        Assert.Equal("null", source.VersionId);
    }

    [Fact]
    public void A_query_without_a_version_is_ignored() => Assert.Null(CopySource.Parse("bucket/key?foo=bar").VersionId);

    [Fact]
    public void A_version_id_is_kept_for_the_source_to_be_read_at_that_version() =>
        Assert.Equal("MTg0NDUxNjQ1NjYxNjQ", CopySource.Parse("bucket/key?versionId=MTg0NDUxNjQ1NjYxNjQ").VersionId);

    [Theory]
    [InlineData("bucket/key?versionId=")]
    [InlineData("bucket/key?versionId=a%2Fb")]
    [InlineData("bucket/key?versionId=%E2%9C%93")]
    public void A_malformed_version_id_is_an_invalid_argument(string header)
    {
        var e = Assert.Throws<CofferException>(() => CopySource.Parse(header));
        Assert.Equal(ErrorCode.InvalidArgument, e.Error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("/")]
    [InlineData("//")]
    [InlineData("bucket")]
    [InlineData("/bucket")]
    [InlineData("bucket/")]
    [InlineData("/bucket/")]
    [InlineData("/bucket/?versionId=null")]
    [InlineData("?versionId=null")]
    [InlineData("bucket/%zz")]
    [InlineData("bucket/%E8%85")]
    [InlineData("%zz/key")]
    [InlineData("bucket/%")]
    public void Malformed_values_are_InvalidCopySource(string header)
    {
        var e = Assert.Throws<CofferException>(() => CopySource.Parse(header));
        Assert.Equal(ErrorCode.InvalidCopySource, e.Error);
        Assert.Equal(400, e.Error.Status);
    }
}
