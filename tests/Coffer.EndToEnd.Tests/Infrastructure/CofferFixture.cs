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

    /// <summary>
    /// Makes a node's data folder (<paramref name="path"/>, or a fresh temporary one) holding <paramref name="rootKey"/>
    /// as its root key file, owner-only, as an operator installs the one root key on every node of a cluster.
    /// </summary>
    /// <returns>The folder.</returns>
    public static string DataFolderWithRootKey(byte[] rootKey, string? path = null)
    {
        path ??= Path.Combine(Path.GetTempPath(), "coffer-node-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        var keyFile = Path.Combine(path, "root.key");
        File.WriteAllBytes(keyFile, rootKey);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>The root key this fixture's server uses (its data folder's root key file).</summary>
    public byte[] RootKeyFile() => File.ReadAllBytes(Path.Combine(DataDirectory, "root.key"));

    /// <summary>A bucket name unique to the calling test.</summary>
    public static string NewBucket(string hint = "b") => $"{hint}-{Guid.NewGuid():N}"[..Math.Min(40, hint.Length + 33)].ToLowerInvariant();
}

[CollectionDefinition(Name)]
public sealed class CofferCollection : ICollectionFixture<CofferFixture>
{
    public const string Name = "coffer";
}
