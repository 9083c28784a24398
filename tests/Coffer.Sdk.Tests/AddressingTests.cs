using Coffer.Sdk.Tests.Infrastructure;

namespace Coffer.Sdk.Tests;

/// <summary>How CosConfig's Endpoint, Domain, Ip and PathStyle turn into URLs, Host headers and copy sources (no server).</summary>
public sealed class AddressingTests
{
    private static async Task<HttpRequestMessage> SendHeadAsync(CosConfig config, string bucket = "examplebucket-1250000000", string key = "dir/a b.txt")
    {
        var handler = new ScriptedHandler(_ => ScriptedHandler.Ok());
        config.SecretId = "id";
        config.SecretKey = "key";
        using var client = new CosClient(config, handler);
        await client.HeadObjectAsync(bucket, key);
        return Assert.Single(handler.Sent);
    }

    [Fact]
    public async Task Default_addressing_is_the_cos_virtual_host_of_the_region()
    {
        var sent = await SendHeadAsync(new CosConfig { Region = "ap-beijing" });
        Assert.Equal("https://examplebucket-1250000000.cos.ap-beijing.myqcloud.com/dir/a%20b.txt", sent.RequestUri!.AbsoluteUri);
        Assert.Equal("examplebucket-1250000000.cos.ap-beijing.myqcloud.com", sent.Headers.Host);
    }

    [Fact]
    public async Task An_ip_endpoint_connects_there_and_sends_the_cos_host_like_the_python_ip_mode()
    {
        var sent = await SendHeadAsync(new CosConfig { Region = "ap-guangzhou", Endpoint = "127.0.0.1:9443" });
        Assert.Equal("https://127.0.0.1:9443/dir/a%20b.txt", sent.RequestUri!.AbsoluteUri);
        Assert.Equal("examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com", sent.Headers.Host);
    }

    [Fact]
    public async Task Path_style_puts_the_bucket_in_the_path_and_the_endpoint_in_the_host()
    {
        var sent = await SendHeadAsync(new CosConfig { Endpoint = "http://127.0.0.1:9000", PathStyle = true });
        Assert.Equal("http://127.0.0.1:9000/examplebucket-1250000000/dir/a%20b.txt", sent.RequestUri!.AbsoluteUri);
        Assert.Equal("127.0.0.1:9000", sent.Headers.Host);
    }

    [Fact]
    public async Task Ip_with_a_named_endpoint_sends_bucket_dot_endpoint_as_host()
    {
        var sent = await SendHeadAsync(new CosConfig { Endpoint = "coffer.test:9443", Ip = "127.0.0.1" });
        Assert.Equal("https://127.0.0.1:9443/dir/a%20b.txt", sent.RequestUri!.AbsoluteUri);
        Assert.Equal("examplebucket-1250000000.coffer.test:9443", sent.Headers.Host);
    }

    [Fact]
    public async Task A_domain_is_used_verbatim_without_the_bucket()
    {
        var sent = await SendHeadAsync(new CosConfig { Domain = "static.example.com" });
        Assert.Equal("https://static.example.com/dir/a%20b.txt", sent.RequestUri!.AbsoluteUri);
        Assert.Equal("static.example.com", sent.Headers.Host);
    }

    [Theory]
    [InlineData("a/./b", "/a/.%2Fb")]
    [InlineData("a/../b", "/a/..%2Fb")]
    [InlineData("腾讯云 +&=?#", "/%E8%85%BE%E8%AE%AF%E4%BA%91%20%2B%26%3D%3F%23")]
    [InlineData("~tilde_-.", "/~tilde_-.")]
    public async Task Keys_are_encoded_like_the_python_sdk_and_never_normalised(string key, string path)
    {
        var sent = await SendHeadAsync(new CosConfig { Endpoint = "127.0.0.1:9443" }, key: key);
        Assert.Equal(path, sent.RequestUri!.AbsolutePath);
    }

    [Theory]
    [InlineData(SignatureVersion.CosV5, null, "src-1250000000.cos.ap-guangzhou.myqcloud.com/dir/%E8%85%BE.txt")]
    [InlineData(SignatureVersion.CosV5, "ap-beijing", "src-1250000000.cos.ap-beijing.myqcloud.com/dir/%E8%85%BE.txt")]
    [InlineData(SignatureVersion.SigV4, null, "/src-1250000000/dir/%E8%85%BE.txt")]
    public async Task Copy_source_takes_the_cos_host_form_or_the_s3_path_form(SignatureVersion signature, string? region, string expected)
    {
        var handler = new ScriptedHandler(_ =>
        {
            var ok = ScriptedHandler.Ok();
            ok.Content = new StringContent("<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>");
            return ok;
        });
        using var client = new CosClient(new CosConfig { SecretId = "id", SecretKey = "k", Endpoint = "127.0.0.1:9443", SignatureVersion = signature }, handler);
        await client.CopyObjectAsync(new CopyObjectRequest { Bucket = "dst-1250000000", Key = "k", CopySource = new CopySource("src-1250000000", "dir/腾.txt", region) });
        string header = signature == SignatureVersion.CosV5 ? "x-cos-copy-source" : "x-amz-copy-source";
        Assert.Equal(expected, handler.Sent[0].Headers.GetValues(header).Single());
        Assert.Equal("Copy", handler.Sent[0].Headers.GetValues(header.Replace("copy-source", "metadata-directive")).Single());
    }
}
