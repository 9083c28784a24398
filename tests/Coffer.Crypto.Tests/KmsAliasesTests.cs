using Coffer.Crypto.Kms;

namespace Coffer.Crypto.Tests;

public sealed class KmsAliasesTests
{
    [Theory]
    [InlineData("alias/app")]
    [InlineData("alias/team/app-1_b")]
    public void A_valid_alias_has_no_problem(string alias)
    {
        Assert.Null(KmsAliases.Problem(alias));
        KmsAliases.Validate(alias);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("alias/")]
    [InlineData("app")]
    [InlineData("alias/a.b")]
    [InlineData("alias/é")]
    [InlineData("alias/aws/s3")]
    [InlineData("alias/cos/default/x")]
    [InlineData("alias/coffer/sse-cos")]
    public void An_invalid_or_reserved_alias_is_refused_as_an_invalid_argument(string? alias)
    {
        Assert.NotNull(KmsAliases.Problem(alias));
        Assert.Equal(KmsErrorKind.InvalidArgument, Assert.Throws<KmsException>(() => KmsAliases.Validate(alias)).Kind);
    }

    [Fact]
    public void The_longest_alias_is_256_characters()
    {
        Assert.Null(KmsAliases.Problem("alias/" + new string('a', 250)));
        Assert.NotNull(KmsAliases.Problem("alias/" + new string('a', 251)));
    }

    [Fact]
    public void The_service_aliases_are_reserved()
    {
        Assert.NotNull(KmsAliases.Problem(KeyManager.ServiceKeyAlias));
        Assert.NotNull(KmsAliases.Problem(KeyManager.DefaultKeyAlias("alice")));
    }
}
