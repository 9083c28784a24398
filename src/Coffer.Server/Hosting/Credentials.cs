using System.Security.Cryptography;
using System.Text;
using Coffer.Crypto;
using Coffer.Server.Pipeline;
using Coffer.Storage;

namespace Coffer.Server.Hosting;

/// <summary>Access key pairs: generation, and the users table that holds them sealed under the root key.</summary>
public static class Credentials
{
    public const string RootUser = "root";
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string NewAccessKeyId() => "AKID" + Random(32, Alphabet[..36]);

    public static string NewSecretKey() => Random(40, Alphabet);

    /// <summary>Adds a user with a fresh key pair and a fresh id (<see cref="UserIds"/>); returns the pair, or null when the name is taken.</summary>
    public static Task<(string AccessKeyId, string SecretKey)?> AddUserAsync(IMetadataStore store, RootKey rootKey, string name, bool isRoot = false,
        string? accessKeyId = null, string? secretKey = null, CancellationToken ct = default)
        => AddUserAsync(store, rootKey, name, UserIds.New(), isRoot, accessKeyId, secretKey, ct);

    private static async Task<(string AccessKeyId, string SecretKey)?> AddUserAsync(IMetadataStore store, RootKey rootKey, string name, string id, bool isRoot,
        string? accessKeyId, string? secretKey, CancellationToken ct)
    {
        accessKeyId ??= NewAccessKeyId();
        secretKey ??= NewSecretKey();
        var secretBytes = Encoding.UTF8.GetBytes(secretKey);
        try
        {
            var record = new UserRecord(name, accessKeyId, rootKey.Seal(secretBytes, CredentialStore.SecretPurpose), isRoot, DateTimeOffset.UtcNow, id);
            return await store.AddUserAsync(record, ct) ? (accessKeyId, secretKey) : null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secretBytes);
        }
    }

    /// <summary>
    /// Makes sure the root user exists. Given keys (COFFER_ACCESS_KEY / COFFER_SECRET_KEY)
    /// replace the stored ones; otherwise a pair is generated on first start. Returns the access
    /// key id and, only when it was just generated, the secret (to print once). Replacing root's keys keeps its id,
    /// so root keeps its buckets and KMS keys.
    /// </summary>
    public static async Task<(string AccessKeyId, string? NewSecret)> EnsureRootAsync(IMetadataStore store, RootKey rootKey, string? accessKeyId, string? secretKey, CancellationToken ct)
    {
        var users = await store.ListUsersAsync(ct);
        var root = users.FirstOrDefault(u => u.IsRoot);
        if (accessKeyId is not null && secretKey is not null)
        {
            if (root is not null)
            {
                if (root.AccessKeyId == accessKeyId && SecretMatches(root, rootKey, secretKey))
                    return (accessKeyId, null);
                await store.RemoveUserAsync(root.AccessKeyId, ct);
            }
            if (await AddUserAsync(store, rootKey, RootUser, root?.Id ?? UserIds.New(), isRoot: true, accessKeyId, secretKey, ct) is null)
                throw new InvalidOperationException($"The access key '{accessKeyId}' already belongs to another user; choose another COFFER_ACCESS_KEY.");
            return (accessKeyId, null);
        }
        if (root is not null)
            return (root.AccessKeyId, null);
        var created = await AddUserAsync(store, rootKey, RootUser, isRoot: true, ct: ct)
            ?? throw new InvalidOperationException("A user named 'root' exists but is not the root user; remove it with `coffer admin user remove root`.");
        return (created.AccessKeyId, created.SecretKey);
    }

    /// <summary>
    /// Checks, before anything else uses it, that the root key is the one this metadata was sealed
    /// under: the root user's sealed secret (or, without a root user, any user's) must unseal. A
    /// wrong key would otherwise start a server whose every signed request fails with a 500.
    /// Nothing to check when no user exists yet (a new data folder).
    /// </summary>
    /// <exception cref="RootKeyException">The key does not open the stored secrets.</exception>
    public static async Task VerifyRootKeyAsync(IMetadataStore store, RootKey rootKey, string keySource, string databasePath, CancellationToken ct)
    {
        var users = await store.ListUsersAsync(ct);
        var probe = users.FirstOrDefault(u => u.IsRoot) ?? users.FirstOrDefault();
        if (probe is null)
            return;
        try
        {
            CryptographicOperations.ZeroMemory(rootKey.Unseal(probe.SealedSecret, CredentialStore.SecretPurpose));
        }
        catch (CryptographicException)
        {
            throw new RootKeyException(
                $"The root key from {keySource} is not the key the data in {databasePath} was sealed under "
                + $"(the stored secret of user '{probe.Name}' does not unseal with it). "
                + "Restore the original root.key from your backup, or set COFFER_ROOT_KEY to the base64 of the original key.");
        }
    }

    private static bool SecretMatches(UserRecord user, RootKey rootKey, string secret)
    {
        var stored = rootKey.Unseal(user.SealedSecret, CredentialStore.SecretPurpose);
        try { return CryptographicOperations.FixedTimeEquals(stored, Encoding.UTF8.GetBytes(secret)); }
        finally { CryptographicOperations.ZeroMemory(stored); }
    }

    private static string Random(int length, string alphabet) =>
        RandomNumberGenerator.GetString(alphabet, length);
}
