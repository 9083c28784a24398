using System.Collections.Concurrent;
using Coffer.Crypto;
using Coffer.Storage;

namespace Coffer.Server.Pipeline;

/// <summary>
/// Access key → (user, secret) for signature checks. Secrets are stored sealed under the root
/// key; unsealed ones are kept in memory for a short time so that users added or removed by
/// `coffer admin user` while the server runs take effect within seconds.
/// <para>
/// Bound: an entry (a user, or the absence of one) is used for at most <see cref="Lifetime"/> (2 s) after it
/// was read, so a user added or removed on any node sharing the metadata backend takes effect on this one
/// within 2 s. At most <see cref="MaxEntries"/> entries: past that the cache starts over (unknown access keys
/// sent by anyone must not grow it without end). See docs/caches-and-jobs.md.
/// </para>
/// </summary>
public sealed class CredentialStore(IMetadataStore store, RootKey rootKey, TimeProvider time)
{
    public const string SecretPurpose = "coffer/user-secret";
    /// <summary>How long an entry is used after it was read from the store: the cross-node staleness bound.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(2);

    /// <summary>Most entries kept.</summary>
    public const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, (UserRecord? User, string? Secret, DateTimeOffset Loaded)> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// The secret of an access key, or null when no such user exists. A temporary access key's
    /// secret comes from the session token sent with the request (see <see cref="Hosting.TemporaryCredentials"/>),
    /// and only while its parent user exists.
    /// </summary>
    public string? SecretOf(string accessKeyId, string? sessionToken = null)
    {
        if (!Hosting.TemporaryCredentials.IsTemporary(accessKeyId))
            return Lookup(accessKeyId).Secret;
        var claims = Hosting.TemporaryCredentials.Open(rootKey, sessionToken);
        return claims is not null && claims.AccessKeyId == accessKeyId && Lookup(claims.ParentAccessKeyId).User is not null ? claims.SecretKey : null;
    }

    /// <summary>The user a request acts as: for temporary keys, the parent named in the session token.</summary>
    public UserRecord? UserOf(string accessKeyId, string? sessionToken = null)
    {
        if (!Hosting.TemporaryCredentials.IsTemporary(accessKeyId))
            return Lookup(accessKeyId).User;
        var claims = Hosting.TemporaryCredentials.Open(rootKey, sessionToken);
        return claims is not null && claims.AccessKeyId == accessKeyId ? Lookup(claims.ParentAccessKeyId).User : null;
    }

    private (UserRecord? User, string? Secret) Lookup(string accessKeyId)
    {
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(accessKeyId, out var entry) && now - entry.Loaded < Lifetime)
            return (entry.User, entry.Secret);

        // Microsoft.Data.Sqlite runs synchronously underneath its async API, so blocking here
        // does not tie up a thread-pool thread waiting on another one.
        var user = store.GetUserAsync(accessKeyId).GetAwaiter().GetResult();
        string? secret = null;
        if (user is not null)
        {
            var bytes = rootKey.Unseal(user.SealedSecret, SecretPurpose);
            secret = System.Text.Encoding.UTF8.GetString(bytes);
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes);
        }
        if (_entries.Count >= MaxEntries)
            _entries.Clear();
        _entries[accessKeyId] = (user, secret, now);
        return (user, secret);
    }
}
