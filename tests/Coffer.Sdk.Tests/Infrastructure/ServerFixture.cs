using Coffer.Testing;
using Microsoft.Extensions.Logging;

namespace Coffer.Sdk.Tests.Infrastructure;

/// <summary>
/// The SDK tests' server (<see cref="TestServer"/>): a COS region, virtual-hosted addressing on coffer.test, and
/// restore and KMS waiting periods running 3600 times faster; plus a work folder for local files.
/// </summary>
public sealed class ServerFixture : TestServer
{
    public new const string AccessKey = "AKIDSDKTESTROOT0000000000000000000000";
    public new const string SecretKey = "SdkTestRootSecretKey0123456789abcdefghij";
    public new const string Domain = "coffer.test";
    public new const string Region = "ap-guangzhou";

    public ServerFixture()
    {
        base.AccessKey = AccessKey;
        base.SecretKey = SecretKey;
        base.Domain = Domain;
        base.Region = Region;
        TimeScale = 3600;
        LogLevel = LogLevel.Warning;
        DataDirectory = Path.Combine(Path.GetTempPath(), "coffer-sdk-tests-" + Guid.NewGuid().ToString("N"));
        OwnedDirectories.Add(WorkDirectory);
    }

    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "coffer-sdk-work-" + Guid.NewGuid().ToString("N"));

    /// <summary>A bucket name unique to the calling test, in COS form (name-APPID) so that every addressing mode can reach it.</summary>
    public static string NewBucket(string hint = "sdk") => $"{hint}{Guid.NewGuid().ToString("N")[..12]}-1250000000";

    /// <summary>A fresh file path in the work directory.</summary>
    public string NewPath(string name = "file") => Path.Combine(WorkDirectory, name + "-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Settings for this server over HTTPS, trusting its certificate through CaFile.</summary>
    public CosConfig Config(SignatureVersion signature = SignatureVersion.CosV5, Addressing addressing = Addressing.CosHost) => addressing switch
    {
        Addressing.Path => Base(signature, c => { c.Endpoint = $"127.0.0.1:{HttpsUrl.Port}"; c.PathStyle = true; }),
        Addressing.CosHost => Base(signature, c => c.Endpoint = $"127.0.0.1:{HttpsUrl.Port}"),
        Addressing.OwnDomain => Base(signature, c => { c.Endpoint = $"{Domain}:{HttpsUrl.Port}"; c.Ip = "127.0.0.1"; }),
        _ => throw new ArgumentOutOfRangeException(nameof(addressing)),
    };

    private CosConfig Base(SignatureVersion signature, Action<CosConfig> address)
    {
        var config = new CosConfig
        {
            Region = Region,
            SecretId = AccessKey,
            SecretKey = SecretKey,
            SignatureVersion = signature,
            CaFile = Server.CertificatePath,
            Retry = new CosRetryOptions { MaxRetries = 2, BaseDelay = TimeSpan.FromMilliseconds(20) },
        };
        address(config);
        return config;
    }

    /// <summary>A client for this server; <paramref name="handler"/> wraps the default handler when given.</summary>
    public CosClient Client(SignatureVersion signature = SignatureVersion.CosV5, Addressing addressing = Addressing.CosHost, DelegatingHandler? handler = null)
    {
        var config = Config(signature, addressing);
        if (handler is not null)
        {
            handler.InnerHandler = CosClient.CreateDefaultHandler(config);
        }

        return new CosClient(config, handler);
    }

    /// <summary>A new bucket on this server, created through the SDK.</summary>
    public async Task<string> CreateBucketAsync(CosClient? client = null)
    {
        var bucket = NewBucket();
        using var own = client is null ? Client() : null;
        await (client ?? own!).CreateBucketAsync(bucket);
        return bucket;
    }
}

/// <summary>How a test client addresses buckets.</summary>
public enum Addressing
{
    /// <summary>https://127.0.0.1:PORT/bucket/key.</summary>
    Path,

    /// <summary>https://127.0.0.1:PORT/key with Host bucket.cos.REGION.myqcloud.com (the Python SDK's IP mode).</summary>
    CosHost,

    /// <summary>Host bucket.coffer.test:PORT (virtual-hosted on the server's own domain), connected to 127.0.0.1.</summary>
    OwnDomain,
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
