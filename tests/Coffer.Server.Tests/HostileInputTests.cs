using Coffer.Fuzz;
using Coffer.Protocol.Auth;

namespace Coffer.Server.Tests;

/// <summary>
/// The fuzz corpora as regression tests (docs/reliability.md#hostile-input): every committed input of every target
/// (seeds and the findings of past campaigns) runs through the target's harness, uninstrumented. A harness lets only
/// an undocumented exception escape, so a parser that regresses into crashing fails here, without a fuzzer.
/// </summary>
public sealed class HostileInputTests
{
    private static readonly string Corpus = Path.Combine(RepositoryRoot(), "fuzz", "corpus");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Coffer.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException("The repository root (Coffer.slnx) was not found above " + AppContext.BaseDirectory);
    }

    public static TheoryData<string, string> CorpusFiles()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in Targets.All.Keys)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(Corpus, target), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                data.Add(target, Path.GetRelativePath(Corpus, file));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void Every_corpus_input_parses_or_is_refused_with_the_documented_exception(string target, string file) =>
        Targets.All[target](File.ReadAllBytes(Path.Combine(Corpus, file)));

    [Fact]
    public void Every_target_has_a_seed_corpus()
    {
        foreach (var target in Targets.All.Keys)
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(Corpus, target)));
    }

    /// <summary>The auth seeds are valid signatures at the harness's clock, so a campaign starts past the signature checks.</summary>
    [Theory]
    [InlineData("sigv4-header", SignatureScheme.SigV4Header)]
    [InlineData("sigv4-query", SignatureScheme.SigV4Query)]
    [InlineData("cos-header", SignatureScheme.CosV5Header)]
    [InlineData("cos-query", SignatureScheme.CosV5Query)]
    [InlineData("sigv2-header", SignatureScheme.SigV2Header)]
    [InlineData("sigv2-vhost", SignatureScheme.SigV2Header)]
    [InlineData("sigv2-query", SignatureScheme.SigV2Query)]
    public void The_auth_seeds_authenticate(string seed, SignatureScheme scheme)
    {
        var request = Targets.ParseRequest(File.ReadAllBytes(Path.Combine(Corpus, "auth", seed)));
        var identity = RequestAuthenticator.Authenticate(request, id => id is Targets.AccessKey or Targets.CosSecretId ? Targets.SecretKey : null, Targets.Now);
        Assert.NotNull(identity);
        Assert.Equal(scheme, identity.Scheme);
    }

    /// <summary>The policy seeds are accepted policies, so a campaign starts past the parser's refusals and reaches the evaluator.</summary>
    [Theory]
    [InlineData("aws-public-read", true)]
    [InlineData("aws-conditions", false)]
    [InlineData("cos-dialect", false)]   // its ip_equal condition on a /24 makes it not public
    [InlineData("single-statement", false)]
    public void The_policy_seeds_parse(string seed, bool isPublic)
    {
        var policy = Coffer.Server.Access.PolicyParser.Parse(File.ReadAllText(Path.Combine(Corpus, "policy", seed)), "b");
        Assert.NotEmpty(policy.Statements);
        Assert.Equal(isPublic, Coffer.Server.Access.PolicyStatus.IsPublic(policy));
    }
}
