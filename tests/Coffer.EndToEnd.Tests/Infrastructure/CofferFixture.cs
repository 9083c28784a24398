using Coffer.Testing;

namespace Coffer.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The end-to-end tests' server (<see cref="TestServer"/>): the default region, virtual-hosted addressing on
/// coffer.test, real time unless a test that starts its own fixture sets <see cref="TestServer.TimeScale"/>, and
/// every log line captured.
/// </summary>
public sealed class CofferFixture : TestServer
{
    public new const string AccessKey = "AKIDCOFFERTESTROOT000000000000000000";
    public new const string SecretKey = "CofferTestRootSecretKey0123456789abcdefgh";
    public new const string Domain = "coffer.test";
    public new const string Region = "us-east-1";

    public CofferFixture()
    {
        base.AccessKey = AccessKey;
        base.SecretKey = SecretKey;
        base.Domain = Domain;
        base.Region = Region;
    }

    /// <summary>A bucket name unique to the calling test.</summary>
    public static string NewBucket(string hint = "b") => $"{hint}-{Guid.NewGuid():N}"[..Math.Min(40, hint.Length + 33)].ToLowerInvariant();
}

[CollectionDefinition(Name)]
public sealed class CofferCollection : ICollectionFixture<CofferFixture>
{
    public const string Name = "coffer";
}
