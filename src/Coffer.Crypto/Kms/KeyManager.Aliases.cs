namespace Coffer.Crypto.Kms;

/// <summary>Aliases: per-owner names of keys (the rules are in <see cref="KmsAliases"/>).</summary>
public sealed partial class KeyManager
{
    /// <summary>Creates an alias ("alias/name": letters, digits, '/', '_', '-') for a customer-managed key of <paramref name="owner"/>.</summary>
    /// <exception cref="KmsException">InvalidArgument (name or reserved prefix alias/aws/, alias/cos/, alias/coffer/),
    /// NotFound (no such key, or another owner's), AccessDenied (a service-managed key), InvalidState (pending deletion),
    /// AlreadyExists (the owner has that alias already; other owners' aliases do not count).</exception>
    public async Task CreateAliasAsync(string alias, string keyId, string owner, CancellationToken ct = default)
    {
        KmsAliases.Validate(alias);
        var (isAlias, _) = KmsEncoding.ParseReference(keyId);
        if (isAlias)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument, "An alias must point at a key id, not at another alias.");
        }

        var key = await DescribeOwnKeyAsync(owner, keyId, ct).ConfigureAwait(false);
        if (key.Manager == KmsKeyManager.Service)
        {
            throw new KmsException(KmsErrorKind.AccessDenied, $"An alias can only name a customer-managed key; {key.KeyId} is managed by the service.");
        }

        if (key.State == KmsKeyState.PendingDeletion)
        {
            throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is pending deletion.");
        }

        if (!await _store.CreateAliasAsync(alias, key.KeyId, owner, ct).ConfigureAwait(false))
        {
            throw new KmsException(KmsErrorKind.AlreadyExists, $"The alias {alias} already exists; delete it first or choose another name.");
        }
    }

    /// <summary>Deletes a user alias of <paramref name="owner"/>; false if the owner has no such alias (another owner's is not touched).</summary>
    /// <exception cref="KmsException">InvalidArgument for reserved aliases.</exception>
    public Task<bool> DeleteAliasAsync(string alias, string owner, CancellationToken ct = default)
    {
        KmsAliases.Validate(alias);
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return _store.DeleteAliasAsync(owner, alias, ct);
    }

    private async Task<KmsKeyRecord?> TryResolveAliasAsync(string owner, string alias, CancellationToken ct)
    {
        string? keyId = await _store.ResolveAliasAsync(owner, alias, ct).ConfigureAwait(false);
        var key = keyId is null ? null : await _store.GetKeyAsync(keyId, ct).ConfigureAwait(false);
        return key is null || key.State == KmsKeyState.Deleted ? null : key;
    }
}
