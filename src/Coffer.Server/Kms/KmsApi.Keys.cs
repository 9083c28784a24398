using System.Globalization;
using System.Text.Json.Nodes;
using Coffer.Crypto.Kms;

namespace Coffer.Server.Kms;

/// <summary>The KMS API's key calls: creating, describing and listing keys, aliases, enabling, deletion and rotation.</summary>
public static partial class KmsApi
{
    private static async Task<JsonObject> CreateKeyAsync(Call c)
    {
        var spec = OptionalString(c.Input, "KeySpec") ?? OptionalString(c.Input, "CustomerMasterKeySpec");
        if (spec is not null && spec != Algorithm)
            throw new KmsApiException(KmsErrorType.UnsupportedOperation, $"Only SYMMETRIC_DEFAULT keys are supported; got KeySpec '{spec}'.");
        var usage = OptionalString(c.Input, "KeyUsage");
        if (usage is not null && usage != "ENCRYPT_DECRYPT")
            throw new KmsApiException(KmsErrorType.Validation, $"Only KeyUsage ENCRYPT_DECRYPT is supported; got '{usage}'.");
        var key = await c.S.Kms.CreateKeyAsync(c.Ctx.Caller.Id, OptionalString(c.Input, "Description") ?? "", c.Ctx.Aborted);
        c.KeyId = key.KeyId;
        return new JsonObject { ["KeyMetadata"] = Metadata(key, c.S) };
    }

    private static async Task<JsonObject> DescribeKeyAsync(Call c) =>
        new() { ["KeyMetadata"] = Metadata(await OwnedKeyAsync(c), c.S) };

    private static async Task<JsonObject> ListKeysAsync(Call c)
    {
        var keys = new JsonArray();
        foreach (var key in await VisibleKeysAsync(c))
            keys.Add(new JsonObject { ["KeyId"] = key.KeyId, ["KeyArn"] = Arn(c.S, key.KeyId) });
        return new JsonObject { ["Keys"] = keys, ["Truncated"] = false };
    }

    private static async Task<JsonObject> CreateAliasAsync(Call c)
    {
        var alias = Required(c.Input, "AliasName");
        if (KmsAliases.Problem(alias) is { } problem)
            throw new KmsApiException(KmsErrorType.InvalidAliasName, $"The alias '{alias}' is not valid: {problem}");
        var key = await OwnedKeyAsync(c, "TargetKeyId");
        try
        {
            await c.S.Kms.CreateAliasAsync(alias, key.KeyId, c.Ctx.Caller.Id, c.Ctx.Aborted);
        }
        catch (KmsException e) when (e.Kind == KmsErrorKind.InvalidArgument)
        {
            throw new KmsApiException(KmsErrorType.InvalidAliasName, e.Message);
        }
        return [];
    }

    /// <summary>The caller's aliases (aliases are per user, as AWS aliases are per account), optionally of one of its keys.</summary>
    private static async Task<JsonObject> ListAliasesAsync(Call c)
    {
        var filter = OptionalString(c.Input, "KeyId") is not null ? (await OwnedKeyAsync(c)).KeyId : null;
        var visible = (await VisibleKeysAsync(c)).Select(k => k.KeyId).ToHashSet(StringComparer.Ordinal);
        var aliases = new JsonArray();
        foreach (var (alias, keyId) in await c.S.Store.ListAliasesAsync(c.Ctx.Caller.Id, c.Ctx.Aborted))
        {
            if (!visible.Contains(keyId) || (filter is not null && filter != keyId))
                continue;
            aliases.Add(new JsonObject { ["AliasName"] = alias, ["AliasArn"] = AliasArn(c.S, alias), ["TargetKeyId"] = keyId });
        }
        return new JsonObject { ["Aliases"] = aliases, ["Truncated"] = false };
    }

    private static async Task<JsonObject> ChangeAsync(Call c, Func<KmsKeyRecord, CancellationToken, Task> change)
    {
        var key = await OwnedKeyAsync(c);
        await change(key, c.Ctx.Aborted);
        return [];
    }

    private static async Task<JsonObject> ScheduleDeletionAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var days = c.Input["PendingWindowInDays"]?.GetValue<int>() ?? 30;
        if (days is < 7 or > 30)
            throw new KmsApiException(KmsErrorType.Validation, $"PendingWindowInDays must be from 7 to 30; got {days}.");
        var date = await c.S.Kms.ScheduleKeyDeletionAsync(key.KeyId, days, c.Ctx.Aborted);
        return new JsonObject
        {
            ["KeyId"] = Arn(c.S, key.KeyId),
            ["DeletionDate"] = Epoch(date),
            ["KeyState"] = "PendingDeletion",
            ["PendingWindowInDays"] = days,
        };
    }

    private static async Task<JsonObject> CancelDeletionAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        await c.S.Kms.CancelKeyDeletionAsync(key.KeyId, c.Ctx.Aborted);
        return new JsonObject { ["KeyId"] = Arn(c.S, key.KeyId) };
    }

    private static async Task<JsonObject> EnableRotationAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var period = c.Input["RotationPeriodInDays"]?.GetValue<int>();
        if (period is < KeyManager.MinRotationPeriodDays or > KeyManager.MaxRotationPeriodDays)
            throw new KmsApiException(KmsErrorType.Validation,
                $"RotationPeriodInDays must be from {KeyManager.MinRotationPeriodDays} to {KeyManager.MaxRotationPeriodDays}; got {period}.");
        await c.S.Kms.EnableKeyRotationAsync(key.KeyId, period, c.Ctx.Aborted);
        return [];
    }

    private static async Task<JsonObject> RotationStatusAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var status = await c.S.Kms.GetKeyRotationStatusAsync(key.KeyId, c.Ctx.Aborted);
        var output = new JsonObject { ["KeyId"] = Arn(c.S, key.KeyId), ["KeyRotationEnabled"] = status.RotationEnabled };
        if (status.RotationPeriodDays is { } period)
            output["RotationPeriodInDays"] = period;
        if (status.NextRotationDate is { } next)
            output["NextRotationDate"] = Epoch(next);
        if (status.OnDemandRotationStartDate is { } onDemand)
            output["OnDemandRotationStartDate"] = Epoch(onDemand);
        return output;
    }

    private static async Task<JsonObject> RotateOnDemandAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var rotated = await c.S.Kms.RotateKeyOnDemandAsync(key.KeyId, c.Ctx.Aborted);
        c.KeyVersion = rotated.Versions[^1].Version;
        return new JsonObject { ["KeyId"] = key.KeyId };
    }

    /// <summary>Rotations newest last, as AWS lists them; Marker is the index of the next one.</summary>
    private static async Task<JsonObject> ListRotationsAsync(Call c)
    {
        var key = await OwnedKeyAsync(c);
        var limit = c.Input["Limit"]?.GetValue<int>() ?? 100;
        if (limit is < 1 or > 1000)
            throw new KmsApiException(KmsErrorType.Validation, $"Limit must be from 1 to 1000; got {limit}.");
        var start = 0;
        if (OptionalString(c.Input, "Marker") is { } marker && (!int.TryParse(marker, NumberStyles.None, CultureInfo.InvariantCulture, out start) || start < 0))
            throw new KmsApiException(KmsErrorType.InvalidMarker, "The Marker is not one this server returned; start again without it.");
        var rotations = key.Versions.Where(v => v.Version > 1).OrderBy(v => v.Version).ToList();
        var page = new JsonArray();
        foreach (var version in rotations.Skip(start).Take(limit))
        {
            page.Add(new JsonObject
            {
                ["KeyId"] = key.KeyId,
                ["RotationDate"] = Epoch(version.Created),
                ["RotationType"] = version.RotationType == KmsRotationType.OnDemand ? "ON_DEMAND" : "AUTOMATIC",
            });
        }
        var output = new JsonObject { ["Rotations"] = page, ["Truncated"] = start + limit < rotations.Count };
        if (start + limit < rotations.Count)
            output["NextMarker"] = (start + limit).ToString(CultureInfo.InvariantCulture);
        return output;
    }

    /// <summary>
    /// The caller's key a field names (key id, key ARN, or one of the caller's aliases). Another user's key, the SSE-COS
    /// key and a key that does not exist are all the same NotFoundException: an alias is looked up among the caller's
    /// only, as AWS aliases are per account, and nothing confirms that another user's key exists.
    /// </summary>
    private static async Task<KmsKeyRecord> OwnedKeyAsync(Call c, string field = "KeyId")
    {
        var reference = Required(c.Input, field);
        var key = await c.S.Kms.DescribeOwnKeyAsync(c.Ctx.Caller.Id, reference, c.Ctx.Aborted);
        c.KeyId = key.KeyId;
        return key;
    }

    private static async Task<IEnumerable<KmsKeyRecord>> VisibleKeysAsync(Call c) =>
        (await c.S.Kms.ListKeysAsync(c.Ctx.Caller.Id, c.Ctx.Aborted)).Where(k => KeyManager.CanUse(c.Ctx.Caller.Id, k));
}
