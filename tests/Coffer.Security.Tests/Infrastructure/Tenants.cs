using System.Net.Http;
using Amazon.KeyManagementService;
using Amazon.Runtime;
using Amazon.S3;
using Coffer.EndToEnd.Tests.Infrastructure;
using Coffer.Server.Hosting;

namespace Coffer.Security.Tests.Infrastructure;

/// <summary>One user of the shared server: a name, an access key pair and the stable id that owns its things.</summary>
public sealed record Tenant(string Name, string AccessKey, string SecretKey, string Id = "");

/// <summary>
/// A real server with three users besides root: alice (the victim, who owns what the attacks
/// aim at), bob (a second user, the attacker) and carol (a third user). Each test makes its own
/// buckets and objects, so tests can run in any order on the one server.
/// </summary>
public sealed class TenantsFixture : IAsyncLifetime
{
    public CofferFixture Server { get; } = new();
    public Tenant Alice { get; private set; } = null!;
    public Tenant Bob { get; private set; } = null!;
    public Tenant Carol { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Server.InitializeAsync();
        Alice = await AddAsync("alice");
        Bob = await AddAsync("bob");
        Carol = await AddAsync("carol");
        await AddAsync(AttackScene.VictimUser);
    }

    /// <summary>The root user: the administrator, the owner of the admin API's rows.</summary>
    public Tenant Root { get; } = new("root", CofferFixture.AccessKey, CofferFixture.SecretKey);

    /// <summary>Who may send a row: the root user for an admin call, alice for the rest.</summary>
    public Tenant OwnerOf(OperationRow row) => row.AdminOnly ? Root : Alice;

    /// <summary>Undoes what the root user's admin rows changed: planted users removed, the victim back.</summary>
    public async Task RestoreUsersAsync()
    {
        var store = Server.Server.Services.Store;
        foreach (var user in await store.ListUsersAsync())
            if (user.Name.StartsWith(AttackScene.PlantedUserPrefix, StringComparison.Ordinal))
                await store.RemoveUserAsync(user.AccessKeyId);
        if (!(await store.ListUsersAsync()).Any(u => u.Name == AttackScene.VictimUser))
            await AddAsync(AttackScene.VictimUser);
    }

    public Task DisposeAsync() => Server.DisposeAsync();

    /// <summary>Adds a user with a fresh key pair (a unique name when <paramref name="name"/> is taken).</summary>
    public async Task<Tenant> AddAsync(string name)
    {
        var services = Server.Server.Services;
        var pair = await Credentials.AddUserAsync(services.Store, services.RootKey, name)
            ?? throw new InvalidOperationException($"the user name '{name}' is taken");
        var id = (await services.Store.ListUsersAsync()).Single(u => u.AccessKeyId == pair.AccessKeyId).Id;
        return new Tenant(name, pair.AccessKeyId, pair.SecretKey, id);
    }

    /// <summary>AWSSDK.S3 signed as <paramref name="t"/> (HTTPS unless asked otherwise).</summary>
    public AmazonS3Client S3(Tenant t, bool https = true) => Clients.S3(Server, https, accessKey: t.AccessKey, secretKey: t.SecretKey);

    /// <summary>AWSSDK.KeyManagementService signed as <paramref name="t"/>.</summary>
    public AmazonKeyManagementServiceClient Kms(Tenant t, bool https = true) => new(
        new BasicAWSCredentials(t.AccessKey, t.SecretKey),
        new AmazonKeyManagementServiceConfig
        {
            ServiceURL = (https ? Server.HttpsUrl : Server.HttpUrl).ToString(),
            AuthenticationRegion = CofferFixture.Region,
            HttpClientFactory = Clients.Factory(Server, (https ? Server.HttpsUrl : Server.HttpUrl).Port),
            MaxErrorRetry = 0,
        });

    /// <summary>COS-signed raw requests as <paramref name="t"/>, shaped as the COS SDKs send them.</summary>
    public CosRawClient Cos(Tenant t, bool https = true) => new(Server, https, t.AccessKey, t.SecretKey);

    /// <summary>An unsigned HTTP client for the server (anonymous callers, hand-built requests).</summary>
    public HttpClient Http(bool https = true) => Clients.Http(Server, (https ? Server.HttpsUrl : Server.HttpUrl).Port);
}

[CollectionDefinition(Name)]
public sealed class TenantsCollection : ICollectionFixture<TenantsFixture>
{
    public const string Name = "tenants";
}
