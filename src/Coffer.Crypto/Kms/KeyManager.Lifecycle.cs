using System.Globalization;

namespace Coffer.Crypto.Kms;

/// <summary>Key life cycle: creation, the managed (service and default) keys, enabling, disabling, deletion windows and crypto-shredding.</summary>
public sealed partial class KeyManager
{
    /// <summary>Creates an enabled, customer-managed key with fresh 256-bit material (version 1).</summary>
    public Task<KmsKeyRecord> CreateKeyAsync(string owner, string description = "", CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(owner))
        {
            throw new KmsException(KmsErrorKind.InvalidArgument, "A key owner is required.");
        }

        if (description is null || description.Length > 8192)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument, "The key description must be at most 8192 characters.");
        }

        return CreateKeyCoreAsync(owner, description, KmsKeyManager.Customer, ct);
    }

    /// <summary>
    /// The key named by a key id, "alias/name", or an ARN ("arn:…:key/&lt;id&gt;" / "arn:…:alias/name"),
    /// in any state except Deleted.
    /// </summary>
    /// <exception cref="KmsException"><see cref="KmsErrorKind.NotFound"/> when unknown or deleted.</exception>
    /// <remarks>Server-side resolution: an alias is looked up among the service's aliases only
    /// (<see cref="ServiceKeyAlias"/>); a user's reference goes through <see cref="DescribeOwnKeyAsync"/>.</remarks>
    public Task<KmsKeyRecord> DescribeKeyAsync(string keyIdOrAlias, CancellationToken ct = default)
        => ResolveAsync(keyIdOrAlias, ct);

    /// <summary>
    /// The key a reference names as the user <paramref name="owner"/> sees it: an alias is one of the owner's
    /// aliases; a key id or ARN must name one of the owner's keys (<see cref="CanUse"/>). Any state but Deleted.
    /// </summary>
    /// <exception cref="KmsException"><see cref="KmsErrorKind.NotFound"/>, with the same message whether the key does
    /// not exist, was deleted or belongs to someone else: nothing about other users' keys is confirmed.</exception>
    public async Task<KmsKeyRecord> DescribeOwnKeyAsync(string owner, string keyIdOrAlias, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var key = await ResolveAsync(keyIdOrAlias, owner, ct).ConfigureAwait(false);
        return CanUse(owner, key) ? key : throw NotFound(keyIdOrAlias);
    }

    /// <summary>
    /// As <see cref="DescribeOwnKeyAsync"/>, for a request about to use the key (sealing checks its state anyway): a key id
    /// (or key ARN) whose state the key-state cache holds is answered from it, since a key's owner never changes.
    /// </summary>
    /// <exception cref="KmsException">As <see cref="DescribeOwnKeyAsync"/>.</exception>
    public async Task<KmsKeyRecord> DescribeOwnKeyForUseAsync(string owner, string keyIdOrAlias, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        var (isAlias, value) = KmsEncoding.ParseReference(keyIdOrAlias);
        if (!isAlias && _keyStates.TryGet(value, out var cached) && CanUse(owner, cached))
        {
            return cached;
        }

        return await DescribeOwnKeyAsync(owner, keyIdOrAlias, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The SSE-COS key: service-managed (<see cref="KmsKeyManager.Service"/>), alias
    /// <see cref="ServiceKeyAlias"/>, created on first use. Users cannot disable or delete it
    /// (<see cref="KmsErrorKind.AccessDenied"/>) nor point an alias at it.
    /// </summary>
    public Task<KmsKeyRecord> GetOrCreateServiceKeyAsync(CancellationToken ct = default)
        => GetOrCreateManagedKeyAsync(ServiceKeyAlias, ServiceOwner, "Coffer SSE-COS service key", ct);

    /// <summary>
    /// The owner's default SSE-KMS key (used when a request asks for SSE-KMS without a key id), created on
    /// first use under <see cref="DefaultKeyAlias"/>(<paramref name="displayName"/>, else the owner) in the owner's
    /// alias namespace. Like AWS's aws/s3 key it is service-managed: the owner can use and describe it but not
    /// disable or delete it; nobody else can use it.
    /// </summary>
    /// <param name="owner">The owner's stable id (the key's owner).</param>
    /// <param name="displayName">The owner's name, for the alias; the id when null.</param>
    /// <param name="ct">Cancels the lookup or creation.</param>
    public Task<KmsKeyRecord> GetOrCreateDefaultKeyAsync(string owner, string? displayName = null, CancellationToken ct = default)
        => GetOrCreateManagedKeyAsync(DefaultKeyAlias(displayName ?? owner), owner, "Default SSE-KMS key", ct);

    /// <summary>Enables a Disabled key. Enabling an Enabled key does nothing.</summary>
    /// <exception cref="KmsException">NotFound; InvalidState when pending deletion (cancel it first).</exception>
    public Task EnableKeyAsync(string keyId, CancellationToken ct = default)
        => ChangeAsync(keyId, usable: false, key =>
        {
            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw new KmsException(KmsErrorKind.InvalidState,
                    $"KMS key {key.KeyId} is pending deletion; cancel the deletion (CancelKeyDeletion) before enabling it.");
            }

            return key.State == KmsKeyState.Enabled ? null : key with { State = KmsKeyState.Enabled };
        }, null, ct);

    /// <summary>Disables a key: data keys under it can neither be generated nor decrypted until it is enabled.</summary>
    /// <exception cref="KmsException">NotFound; AccessDenied for a service-managed key; InvalidState when pending deletion.</exception>
    public Task DisableKeyAsync(string keyId, CancellationToken ct = default)
        => ChangeAsync(keyId, usable: false, key =>
        {
            ThrowIfServiceManaged(key, "disabled");
            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is pending deletion; it is already unusable.");
            }

            return key.State == KmsKeyState.Disabled ? null : key with { State = KmsKeyState.Disabled };
        }, k => new KmsKeyEvent(k.KeyId, KmsKeyEventKind.Disabled), ct);

    /// <summary>
    /// Schedules deletion after <paramref name="pendingWindowDays"/> (7..30) days, divided by <see cref="TimeScale"/>;
    /// the key is unusable meanwhile.
    /// </summary>
    /// <returns>The deletion date.</returns>
    /// <exception cref="KmsException">InvalidArgument (window), NotFound, AccessDenied (service-managed), InvalidState (already pending).</exception>
    public async Task<DateTimeOffset> ScheduleKeyDeletionAsync(string keyId, int pendingWindowDays, CancellationToken ct = default)
    {
        if (pendingWindowDays is < 7 or > 30)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument,
                $"The pending window must be 7 to 30 days; got {pendingWindowDays.ToString(CultureInfo.InvariantCulture)}.");
        }

        var key = await ChangeAsync(keyId, usable: false, key =>
        {
            ThrowIfServiceManaged(key, "deleted");
            if (key.State == KmsKeyState.PendingDeletion)
            {
                throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is already pending deletion (on {key.DeletionDate:O}).");
            }

            return key with { State = KmsKeyState.PendingDeletion, DeletionDate = Time.GetUtcNow() + Scaled(pendingWindowDays) };
        }, k => new KmsKeyEvent(k.KeyId, KmsKeyEventKind.DeletionScheduled), ct).ConfigureAwait(false);
        return key.DeletionDate!.Value;
    }

    /// <summary>Cancels a scheduled deletion; the key becomes Disabled, as in AWS KMS (enable it to use it).</summary>
    /// <exception cref="KmsException">NotFound; InvalidState when the key is not pending deletion.</exception>
    public Task CancelKeyDeletionAsync(string keyId, CancellationToken ct = default)
        => ChangeAsync(keyId, usable: false, key => key.State != KmsKeyState.PendingDeletion
            ? throw new KmsException(KmsErrorKind.InvalidState, $"KMS key {key.KeyId} is not pending deletion.")
            : key with { State = KmsKeyState.Disabled, DeletionDate = null }, null, ct);

    /// <summary>Keys of an owner (all owners when null), without deleted ones.</summary>
    public async Task<IReadOnlyList<KmsKeyRecord>> ListKeysAsync(string? owner, CancellationToken ct = default)
    {
        var keys = await _store.ListKeysAsync(owner, ct).ConfigureAwait(false);
        return keys.Where(k => k.State != KmsKeyState.Deleted).ToList();
    }

    /// <summary>
    /// Shreds every key whose deletion date has passed: removes the sealed material of every version (the store
    /// leaves no copy behind) and marks it Deleted. For a periodic job; keys are also shredded lazily when next
    /// accessed. Each shred raises <see cref="KeyChanged"/> with <see cref="KmsKeyEventKind.Destroyed"/>.
    /// </summary>
    /// <returns>How many keys this call shredded.</returns>
    public async Task<int> DeleteExpiredKeysAsync(CancellationToken ct = default)
    {
        int shredded = 0;
        foreach (var key in await _store.ListKeysAsync(null, ct).ConfigureAwait(false))
        {
            if (IsExpired(key) && await ShredAsync(key, IsExpired, ct).ConfigureAwait(false))
            {
                shredded++;
            }
        }

        return shredded;
    }

    private async Task<KmsKeyRecord> GetOrCreateManagedKeyAsync(string alias, string owner, string description, CancellationToken ct)
    {
        // A managed key's alias never moves and the key is never disabled nor deleted: once known, it is used through the
        // key-state cache, without reading the alias.
        if (_managedAliases.TryGetValue((owner, alias), out string? known))
        {
            return await ResolveUsableAsync(known, ct).ConfigureAwait(false);
        }

        if (await TryResolveAliasAsync(owner, alias, ct).ConfigureAwait(false) is { } existing)
        {
            return RememberManaged(owner, alias, existing);
        }

        await _managedKeyLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (await TryResolveAliasAsync(owner, alias, ct).ConfigureAwait(false) is { } raced)
            {
                return RememberManaged(owner, alias, raced);
            }

            var key = await CreateKeyCoreAsync(owner, description, KmsKeyManager.Service, ct).ConfigureAwait(false);
            if (await _store.CreateAliasAsync(alias, key.KeyId, owner, ct).ConfigureAwait(false))
            {
                return RememberManaged(owner, alias, key);
            }

            // Another node created the alias first: ours was never used, shred it and use theirs.
            await ShredAsync(key, static _ => true, ct).ConfigureAwait(false);
            var theirs = await TryResolveAliasAsync(owner, alias, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"The alias {alias} exists but names no usable key.");
            return RememberManaged(owner, alias, theirs);
        }
        finally
        {
            _managedKeyLock.Release();
        }
    }

    /// <summary>Records which key a managed alias names (at most <see cref="KeyStateCapacity"/> aliases; then it starts over).</summary>
    private KmsKeyRecord RememberManaged(string owner, string alias, KmsKeyRecord key)
    {
        if (key.Manager == KmsKeyManager.Service)
        {
            if (_managedAliases.Count >= KeyStateCapacity)
            {
                _managedAliases.Clear();
            }

            _managedAliases[(owner, alias)] = key.KeyId;
        }

        return key;
    }

    private async Task<KmsKeyRecord> CreateKeyCoreAsync(string owner, string description, KmsKeyManager manager, CancellationToken ct)
    {
        string keyId = Guid.NewGuid().ToString("D");
        var key = new KmsKeyRecord
        {
            KeyId = keyId,
            Owner = owner,
            Created = Time.GetUtcNow(),
            Description = description,
            State = KmsKeyState.Enabled,
            Manager = manager,
            Versions = [NewVersion(keyId, 1)],
        };
        await _store.CreateKeyAsync(key, ct).ConfigureAwait(false);
        return key;
    }

    private bool IsExpired(KmsKeyRecord key)
        => key.State == KmsKeyState.PendingDeletion && key.DeletionDate is { } date && date <= Time.GetUtcNow();

    /// <summary>
    /// Destroys the key's material if <paramref name="due"/> still holds for the stored record (retried on conflicts).
    /// </summary>
    /// <returns>true when this call destroyed it; false when it was gone already or no longer due.</returns>
    private async Task<bool> ShredAsync(KmsKeyRecord key, Func<KmsKeyRecord, bool> due, CancellationToken ct)
    {
        for (int attempt = 0; attempt < MaxUpdateAttempts; attempt++)
        {
            if (await TryUpdateKeyAsync(key, key with { State = KmsKeyState.Deleted, Versions = [] }, ct).ConfigureAwait(false))
            {
                Raise(new KmsKeyEvent(key.KeyId, KmsKeyEventKind.Destroyed));
                return true;
            }

            var current = await _store.GetKeyAsync(key.KeyId, ct).ConfigureAwait(false);
            if (current is null || current.State == KmsKeyState.Deleted || !due(current))
            {
                return false;
            }

            key = current;
        }

        throw Contended(key.KeyId);
    }

    private static void ThrowIfServiceManaged(KmsKeyRecord key, string action)
    {
        if (key.Manager == KmsKeyManager.Service)
        {
            throw new KmsException(KmsErrorKind.AccessDenied,
                $"KMS key {key.KeyId} is managed by the service (SSE-COS or a default key) and cannot be {action}.");
        }
    }
}
