using Coffer.Protocol;
using Coffer.Server.Sse;

namespace Coffer.Server.Tests;

public sealed class CustomerKeyTests
{
    private const string Key = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=";
    private const string Md5 = "KYvwGXoFFJ42a2u2GDWhwQ==";
    private const string Prefix = "server-side-encryption-customer-";

    private static Func<string, string?> Headers(string? algorithm, string? key, string? md5) => suffix => suffix switch
    {
        Prefix + "algorithm" => algorithm,
        Prefix + "key" => key,
        Prefix + "key-MD5" => md5,
        _ => null,
    };

    [Fact]
    public void A_valid_key_parses_and_is_redacted_in_to_string()
    {
        using var key = CustomerKey.Parse(Headers("AES256", Key, Md5), Prefix, isHttps: true)!;
        Assert.Equal(Md5, key.KeyMd5);
        Assert.Equal(32, key.Bytes.Length);
        Assert.DoesNotContain(Key, key.ToString());
    }

    [Fact]
    public void No_headers_means_no_key() => Assert.Null(CustomerKey.Parse(Headers(null, null, null), Prefix, isHttps: false));

    [Theory]
    [InlineData("AES256", Key, Md5, false, "InvalidRequest")]
    [InlineData(null, Key, Md5, true, "InvalidArgument")]
    [InlineData("AES128", Key, Md5, true, "InvalidArgument")]
    [InlineData("AES256", null, Md5, true, "InvalidArgument")]
    [InlineData("AES256", "not base64", Md5, true, "InvalidArgument")]
    [InlineData("AES256", "MDEyMzQ1Njc4OTAxMjM0NQ==", Md5, true, "InvalidArgument")]
    [InlineData("AES256", Key, null, true, "InvalidArgument")]
    [InlineData("AES256", Key, "X3vJMxGrgveOkmGAxCpzEA==", true, "InvalidArgument")]
    [InlineData("AES256", Key, "short", true, "InvalidArgument")]
    public void Each_bad_header_is_refused_with_its_own_error(string? algorithm, string? key, string? md5, bool https, string code)
    {
        var e = Assert.Throws<CofferException>(() => CustomerKey.Parse(Headers(algorithm, key, md5), Prefix, https));
        Assert.Equal(code, e.Error.Code);
        Assert.DoesNotContain(Key, e.Message);
    }
}
