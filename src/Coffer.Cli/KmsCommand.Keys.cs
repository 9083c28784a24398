using System.CommandLine;
using System.Text.Json.Nodes;
using Coffer.Sdk;

namespace Coffer.Cli;

/// <summary>
/// The key commands: create-key, list-keys, describe-key, enable, disable, schedule-deletion, cancel-deletion, rotate,
/// create-alias, list-aliases. They use the SDK's <see cref="KmsClient"/>, and <see cref="CofferAdminClient.CallKmsAsync"/> for
/// the operations it has no method for.
/// </summary>
internal static partial class KmsCommand
{
    private static IEnumerable<Command> KeyCommands() =>
    [
        CreateKey(), ListKeys(), DescribeKey(), Enable(), Disable(), ScheduleDeletion(), CancelDeletion(), Rotate(), CreateAlias(), ListAliases(),
    ];

    private static Argument<string> KeyArgument() => new("key") { Description = "The key: its id, its ARN, or alias/NAME." };

    private static Command CreateKey()
    {
        var description = new Option<string?>("--description") { Description = "What the key is for." };
        var alias = new Option<string?>("--alias") { Description = "Also give the key this alias (alias/NAME).", HelpName = "alias/NAME" };
        var json = Output.JsonOption();
        var command = new Command("create-key", """
            Create a KMS key (symmetric, for SSE-KMS) and print its id.

            Example:
              coffer kms create-key --description "photo backups" --alias alias/photos
            """) { description, alias, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var aliasName = parse.GetValue(alias);
            if (aliasName is not null)
                CheckAlias(aliasName);
            var key = await run.Connection.Kms.CreateKeyAsync(parse.GetValue(description), ct);
            run.KmsKey = key.KeyId;
            if (aliasName is not null)
                await run.Connection.Kms.CreateAliasAsync(aliasName, key.KeyId, ct);
            if (run.Json)
                Output.WriteJson(KeyJson(key, aliasName is null ? [] : [aliasName]));
            else
                PrintKey(key, aliasName is null ? [] : [aliasName]);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command ListKeys()
    {
        var json = Output.JsonOption();
        var command = new Command("list-keys", """
            List the KMS keys you can use, with state, aliases and description.

            Your keys and the service-managed ones (SSE-COS, the default SSE-KMS key).

            Example:
              coffer kms list-keys --json
            """) { json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var ids = await run.Connection.Kms.ListKeysAsync(ct);
            var aliases = await AliasesAsync(run, null, ct);
            var keys = new List<KmsKey>();
            foreach (var id in ids)
                keys.Add(await run.Connection.Kms.DescribeKeyAsync(id, ct));
            if (run.Json)
            {
                Output.WriteJson(new { keys = keys.Select(k => KeyJson(k, AliasesOf(aliases, k.KeyId))) });
                return ExitCodes.Ok;
            }
            Output.Table(["KEY ID", "STATE", "ALIASES", "DESCRIPTION"],
                keys.Select(k => new[] { k.KeyId, k.KeyState ?? (k.Enabled ? "Enabled" : "Disabled"), string.Join(",", AliasesOf(aliases, k.KeyId)), k.Description ?? "" }));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command DescribeKey()
    {
        var key = KeyArgument();
        var json = Output.JsonOption();
        var command = new Command("describe-key", """
            Show one KMS key: id, ARN, state, description and aliases.

            Example:
              coffer kms describe-key alias/photos
            """) { key, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            run.KmsKey = parse.GetValue(key)!;
            var described = await run.Connection.Kms.DescribeKeyAsync(run.KmsKey, ct);
            var aliases = AliasesOf(await AliasesAsync(run, described.KeyId, ct), described.KeyId);
            if (run.Json)
                Output.WriteJson(KeyJson(described, aliases));
            else
                PrintKey(described, aliases);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Enable() => StateChange("enable", """
        Enable a disabled KMS key: objects encrypted under it can be read again.

        Example:
          coffer kms enable alias/photos
        """, (kms, id, ct) => kms.EnableKeyAsync(id, ct), "enabled");

    private static Command Disable() => StateChange("disable", """
        Disable a KMS key: its objects cannot be read until it is enabled again.

        Nor can new objects be written under it.

        Example:
          coffer kms disable alias/photos
        """, (kms, id, ct) => kms.DisableKeyAsync(id, ct), "disabled");

    private static Command StateChange(string name, string description, Func<KmsClient, string, CancellationToken, Task> change, string done)
    {
        var key = KeyArgument();
        var json = Output.JsonOption();
        var command = new Command(name, description) { key, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            run.KmsKey = parse.GetValue(key)!;
            await change(run.Connection.Kms, run.KmsKey, ct);
            var described = await run.Connection.Kms.DescribeKeyAsync(run.KmsKey, ct);
            if (run.Json)
                Output.WriteJson(KeyJson(described, null));
            else
                Console.WriteLine($"{done}: {described.KeyId} is {described.KeyState}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command ScheduleDeletion()
    {
        var key = KeyArgument();
        var days = new Option<int>("--days") { Description = "Waiting period before the key's material is destroyed: 7 to 30 days.", DefaultValueFactory = _ => 30 };
        var json = Output.JsonOption();
        var command = new Command("schedule-deletion", """
            Schedule a KMS key's deletion (crypto-shredding after a waiting period).

            The key stops working at once; after the waiting period its material is destroyed, and every
            object encrypted under it becomes unreadable for good. Until then, coffer kms cancel-deletion keeps it.

            Example:
              coffer kms schedule-deletion alias/old-photos --days 7
            """) { key, days, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var window = parse.GetValue(days);
            if (window is < 7 or > 30)
                throw new UsageException("--days must be from 7 to 30.");
            run.KmsKey = parse.GetValue(key)!;
            var output = await run.Connection.Admin.CallKmsAsync("ScheduleKeyDeletion", new JsonObject { ["KeyId"] = run.KmsKey, ["PendingWindowInDays"] = window }, ct);
            var date = output["DeletionDate"]?.GetValue<double>() is { } seconds ? DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000)) : (DateTimeOffset?)null;
            var keyId = KeyIdOf(output["KeyId"]?.GetValue<string>() ?? run.KmsKey);
            if (run.Json)
                Output.WriteJson(new { keyId, keyState = output["KeyState"]?.GetValue<string>(), deletionDate = date, pendingWindowInDays = window });
            else
                Console.WriteLine($"scheduled: {keyId} is pending deletion; its material is destroyed on {Output.Time(date)} (keep it with: coffer kms cancel-deletion {keyId})");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command CancelDeletion()
    {
        var key = KeyArgument();
        var json = Output.JsonOption();
        var command = new Command("cancel-deletion", """
            Cancel a KMS key's scheduled deletion.

            The key is then Disabled (as in AWS KMS): enable it to use it again.

            Example:
              coffer kms cancel-deletion alias/old-photos && coffer kms enable alias/old-photos
            """) { key, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            run.KmsKey = parse.GetValue(key)!;
            var output = await run.Connection.Admin.CallKmsAsync("CancelKeyDeletion", new JsonObject { ["KeyId"] = run.KmsKey }, ct);
            var keyId = KeyIdOf(output["KeyId"]?.GetValue<string>() ?? run.KmsKey);
            var described = await run.Connection.Kms.DescribeKeyAsync(keyId, ct);
            if (run.Json)
                Output.WriteJson(KeyJson(described, null));
            else
                Console.WriteLine($"cancelled: {keyId} is no longer pending deletion; it is {described.KeyState} (use it again after: coffer kms enable {keyId})");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Rotate()
    {
        var key = KeyArgument();
        var json = Output.JsonOption();
        var command = new Command("rotate", """
            Rotate a KMS key now (RotateKeyOnDemand).

            New data keys use new key material; objects written before keep decrypting with the old material.
            Nothing is re-encrypted (coffer admin rekey moves objects to another key).

            Example:
              coffer kms rotate alias/photos
            """) { key, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            run.KmsKey = parse.GetValue(key)!;
            var output = await run.Connection.Admin.CallKmsAsync("RotateKeyOnDemand", new JsonObject { ["KeyId"] = run.KmsKey }, ct);
            var keyId = KeyIdOf(output["KeyId"]?.GetValue<string>() ?? run.KmsKey);
            if (run.Json)
                Output.WriteJson(new { keyId, rotated = true });
            else
                Console.WriteLine($"rotated: {keyId} has new key material; older objects keep decrypting");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command CreateAlias()
    {
        var alias = new Argument<string>("alias") { Description = "The alias: alias/NAME." };
        var key = KeyArgument();
        var json = Output.JsonOption();
        var command = new Command("create-alias", """
            Give a KMS key an alias, usable wherever a key id is (--sse-kms-key-id alias/NAME).

            Example:
              coffer kms create-alias alias/photos 1234abcd-12ab-34cd-56ef-1234567890ab
            """) { alias, key, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            var name = parse.GetValue(alias)!;
            CheckAlias(name);
            run.KmsKey = parse.GetValue(key)!;
            await run.Connection.Kms.CreateAliasAsync(name, run.KmsKey, ct);
            if (run.Json)
                Output.WriteJson(new { aliasName = name, targetKeyId = run.KmsKey });
            else
                Console.WriteLine($"alias: {name} now names {run.KmsKey}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command ListAliases()
    {
        var key = new Option<string?>("--key") { Description = "Only the aliases of this key (its id).", HelpName = "KEY" };
        var json = Output.JsonOption();
        var command = new Command("list-aliases", """
            List KMS key aliases and the keys they name.

            Example:
              coffer kms list-aliases --json
            """) { key, json };
        command.SetAction((parse, ct) => Output.RunAsync(parse, json, async (run, ct) =>
        {
            run.KmsKey = parse.GetValue(key);
            var aliases = await AliasesAsync(run, run.KmsKey, ct);
            if (run.Json)
                Output.WriteJson(new { aliases = aliases.Select(a => new { aliasName = a.Alias, targetKeyId = a.KeyId }) });
            else
                Output.Table(["ALIAS", "KEY ID"], aliases.Select(a => new[] { a.Alias, a.KeyId }));
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static async Task<IReadOnlyList<(string Alias, string KeyId)>> AliasesAsync(Invocation run, string? keyId, CancellationToken ct)
    {
        var input = new JsonObject();
        if (keyId is not null)
            input["KeyId"] = keyId;
        var output = await run.Connection.Admin.CallKmsAsync("ListAliases", input, ct);
        return (output["Aliases"] as JsonArray ?? [])
            .Select(a => (a?["AliasName"]?.GetValue<string>() ?? "", a?["TargetKeyId"]?.GetValue<string>() ?? ""))
            .Where(a => a.Item1.Length > 0)
            .OrderBy(a => a.Item1, StringComparer.Ordinal)
            .ToList();
    }

    private static string[] AliasesOf(IReadOnlyList<(string Alias, string KeyId)> aliases, string keyId) =>
        aliases.Where(a => a.KeyId == keyId).Select(a => a.Alias).ToArray();

    private static void CheckAlias(string alias)
    {
        if (Coffer.Crypto.Kms.KmsAliases.Problem(alias) is { } problem)
            throw new UsageException($"'{alias}' is not an alias you can use; write alias/NAME. {problem}");
    }

    /// <summary>The key id of an id or key ARN ("arn:aws:kms:region:account:key/ID").</summary>
    private static string KeyIdOf(string reference) =>
        reference.StartsWith("arn:", StringComparison.Ordinal) && reference.LastIndexOf("key/", StringComparison.Ordinal) is var i and >= 0
            ? reference[(i + "key/".Length)..]
            : reference;

    private static object KeyJson(KmsKey key, string[]? aliases) => new
    {
        keyId = key.KeyId,
        arn = key.Arn,
        enabled = key.Enabled,
        keyState = key.KeyState,
        description = key.Description,
        aliases,
    };

    private static void PrintKey(KmsKey key, string[] aliases) => Output.Fields(
    [
        ("Key id", key.KeyId),
        ("ARN", key.Arn),
        ("State", key.KeyState ?? (key.Enabled ? "Enabled" : "Disabled")),
        ("Description", string.IsNullOrEmpty(key.Description) ? null : key.Description),
        ("Aliases", aliases.Length == 0 ? null : string.Join(", ", aliases)),
    ]);
}
