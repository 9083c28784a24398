using System.Globalization;

namespace Coffer.Crypto.Kms;

/// <summary>Rotation: new key versions on demand and on schedule, and the rotation status.</summary>
public sealed partial class KeyManager
{
    /// <summary>Adds a new version of the key's material on demand; same as <see cref="RotateKeyOnDemandAsync"/>.</summary>
    /// <exception cref="KmsException">As <see cref="RotateKeyOnDemandAsync"/>.</exception>
    public Task<KmsKeyRecord> RotateKeyAsync(string keyId, CancellationToken ct = default) => RotateKeyOnDemandAsync(keyId, ct);

    /// <summary>
    /// Adds a new version of the key's material now (AWS RotateKeyOnDemand); new data keys use it, old versions keep
    /// decrypting. Does not move the automatic rotation schedule.
    /// </summary>
    /// <exception cref="KmsException">NotFound; Disabled / PendingDeletion when the key is not usable; Unsupported for
    /// service-managed keys (they rotate on their own); LimitExceeded after <see cref="MaxOnDemandRotations"/>.</exception>
    public Task<KmsKeyRecord> RotateKeyOnDemandAsync(string keyId, CancellationToken ct = default)
        => ChangeAsync(keyId, usable: true, key =>
        {
            if (key.Manager == KmsKeyManager.Service)
            {
                throw new KmsException(KmsErrorKind.Unsupported,
                    $"KMS key {key.KeyId} is managed by the service, which rotates it yearly; it cannot be rotated on demand.");
            }

            if (key.Versions.Count(v => v.RotationType == KmsRotationType.OnDemand) >= MaxOnDemandRotations)
            {
                throw new KmsException(KmsErrorKind.LimitExceeded,
                    $"KMS key {key.KeyId} has had {MaxOnDemandRotations} on-demand rotations, the most allowed; use automatic rotation (EnableKeyRotation).");
            }

            return AddVersion(key, KmsRotationType.OnDemand);
        }, k => new KmsKeyEvent(k.KeyId, KmsKeyEventKind.Rotated, k.Versions[^1].Version, KmsRotationType.OnDemand), ct);

    /// <summary>
    /// Turns on automatic rotation: every <paramref name="rotationPeriodDays"/> days (default 365; divided by
    /// <see cref="TimeScale"/>) <see cref="RotateDueKeysAsync"/> adds a version. The first rotation is one period from now;
    /// enabling again with the same period keeps the schedule, with another period restarts it from now.
    /// </summary>
    /// <exception cref="KmsException">InvalidArgument (period outside 90..2560); NotFound; Disabled / PendingDeletion;
    /// AccessDenied for service-managed keys (they always rotate yearly).</exception>
    public Task<KmsKeyRecord> EnableKeyRotationAsync(string keyId, int? rotationPeriodDays = null, CancellationToken ct = default)
    {
        int period = rotationPeriodDays ?? DefaultRotationPeriodDays;
        if (period is < MinRotationPeriodDays or > MaxRotationPeriodDays)
        {
            throw new KmsException(KmsErrorKind.InvalidArgument,
                $"The rotation period must be {MinRotationPeriodDays} to {MaxRotationPeriodDays} days; got {period.ToString(CultureInfo.InvariantCulture)}.");
        }

        return ChangeAsync(keyId, usable: true, key =>
        {
            ThrowIfServiceManaged(key, "configured for rotation (the service rotates it yearly)");
            if (key.RotationEnabled && (key.RotationPeriodDays ?? DefaultRotationPeriodDays) == period && key.NextRotationDate is not null)
            {
                return null;
            }

            return key with { RotationEnabled = true, RotationPeriodDays = period, NextRotationDate = Time.GetUtcNow() + Scaled(period) };
        }, null, ct);
    }

    /// <summary>Turns off automatic rotation; existing versions stay.</summary>
    /// <exception cref="KmsException">NotFound; Disabled / PendingDeletion; AccessDenied for service-managed keys.</exception>
    public Task<KmsKeyRecord> DisableKeyRotationAsync(string keyId, CancellationToken ct = default)
        => ChangeAsync(keyId, usable: true, key =>
        {
            ThrowIfServiceManaged(key, "configured for rotation (the service rotates it yearly)");
            return key.RotationEnabled || key.NextRotationDate is not null
                ? key with { RotationEnabled = false, RotationPeriodDays = null, NextRotationDate = null }
                : null;
        }, null, ct);

    /// <summary>
    /// Whether and when the key rotates automatically (AWS GetKeyRotationStatus). As in AWS, a key pending deletion
    /// reports false (it is not rotated; cancelling the deletion restores the status); a disabled key keeps its
    /// status but is not rotated until enabled again, when an overdue rotation happens at the next job run.
    /// </summary>
    /// <exception cref="KmsException">NotFound.</exception>
    public async Task<KmsRotationStatus> GetKeyRotationStatusAsync(string keyId, CancellationToken ct = default)
    {
        var key = await ResolveAsync(keyId, ct).ConfigureAwait(false);
        bool rotates = Rotates(key) && key.State != KmsKeyState.PendingDeletion;
        var lastOnDemand = key.Versions.Where(v => v.RotationType == KmsRotationType.OnDemand).Select(v => (DateTimeOffset?)v.Created).LastOrDefault();
        return new KmsRotationStatus(
            key.KeyId,
            rotates,
            rotates ? key.RotationPeriodDays ?? DefaultRotationPeriodDays : null,
            rotates ? NextRotation(key) : null,
            lastOnDemand);
    }

    /// <summary>
    /// Adds a version to every Enabled key whose automatic rotation is due (customer keys with rotation enabled,
    /// and service-managed keys yearly) and schedules the next rotation one period later. For a periodic job.
    /// </summary>
    /// <returns>The rotated keys, as stored after the rotation.</returns>
    public async Task<IReadOnlyList<KmsKeyRecord>> RotateDueKeysAsync(CancellationToken ct = default)
    {
        var rotated = new List<KmsKeyRecord>();
        foreach (var candidate in await _store.ListKeysAsync(null, ct).ConfigureAwait(false))
        {
            if (!IsRotationDue(candidate))
            {
                continue;
            }

            bool changed = false;
            var key = await ChangeAsync(candidate.KeyId, usable: false, key =>
            {
                // Re-checked on the record the change is based on (each attempt): a DisableKey made meanwhile wins.
                changed = IsRotationDue(key);
                if (!changed)
                {
                    return null;
                }

                return AddVersion(key, KmsRotationType.Automatic) with
                {
                    NextRotationDate = Time.GetUtcNow() + Scaled(key.RotationPeriodDays ?? DefaultRotationPeriodDays),
                };
            }, k => new KmsKeyEvent(k.KeyId, KmsKeyEventKind.Rotated, k.Versions[^1].Version, KmsRotationType.Automatic), ct).ConfigureAwait(false);
            if (changed)
            {
                rotated.Add(key);
            }
        }

        return rotated;
    }

    private KmsKeyRecord AddVersion(KmsKeyRecord key, KmsRotationType type)
    {
        int version = key.Versions.Count == 0
            ? throw new InvalidOperationException($"KMS key {key.KeyId} has no key material.")
            : key.Versions.Max(v => v.Version) + 1;
        return key with { Versions = [.. key.Versions, NewVersion(key.KeyId, version, type)] };
    }

    /// <summary>Customer keys rotate when rotation is enabled; service-managed keys always (yearly), as AWS managed keys.</summary>
    private static bool Rotates(KmsKeyRecord key) => key.Manager == KmsKeyManager.Service || key.RotationEnabled;

    /// <summary>The next automatic rotation, or null when the key does not rotate.</summary>
    private DateTimeOffset? NextRotation(KmsKeyRecord key)
    {
        if (!Rotates(key) || key.Versions.Count == 0)
        {
            return null;
        }

        return key.NextRotationDate ?? key.Versions.Max(v => v.Created) + Scaled(key.RotationPeriodDays ?? DefaultRotationPeriodDays);
    }

    private bool IsRotationDue(KmsKeyRecord key)
        => key.State == KmsKeyState.Enabled && NextRotation(key) is { } due && due <= Time.GetUtcNow();
}
