using System.CommandLine;
using System.Text.Json;
using Coffer.Server.Hosting;
using Coffer.Storage;

namespace Coffer.Cli;

/// <summary>
/// `coffer admin user add|list|remove`: manage users in a data folder, also while the server runs;
/// `coffer admin rekey`: re-wrap object keys under another KMS key (<see cref="RekeyCommand"/>);
/// `coffer admin scrub`: check stored data for damage (<see cref="ScrubCommand"/>).
/// </summary>
internal static partial class AdminCommand
{
    public static Command Create()
    {
        var user = new Command("user", """
            Manage users (access key pairs): over the server's admin API, or in a data folder (also while the server runs).

            Examples:
              coffer admin user add alice --endpoint https://coffer.example:8443
              coffer admin user add alice --data ./coffer-data
            """);
        user.Subcommands.Add(Add());
        user.Subcommands.Add(List());
        user.Subcommands.Add(Remove());
        user.Subcommands.Add(Token());
        return new Command("admin", """
            Administer a Coffer server: users, temporary credentials, rekeying and scrubbing.

            With --endpoint URL, or an endpoint in the profile (COFFER_ENDPOINT), the commands use the server's
            admin API (docs/admin-api.md) with the profile's key pair, which must be the root user's, over HTTPS.
            With --data DIR they open the data folder directly (on the server's machine; the embedded server may
            be running or stopped). With neither, the folder ./coffer-data is opened.

            Examples:
              coffer admin user list --endpoint https://coffer.example:8443
              coffer admin user list --data ./coffer-data
              coffer admin rekey --bucket photos --to-key alias/photos-2027 --data ./coffer-data
              coffer admin scrub --data ./coffer-data
            """) { user, RekeyCommand.Create(), ScrubCommand.Create() };
    }

    private static Option<string> DataOption() => new("--data") { Description = "Data folder of the server, opened directly (default coffer-data when no endpoint is configured).", DefaultValueFactory = _ => "coffer-data" };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON for scripts." };

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "The new user's name." };
        var data = DataOption();
        var json = JsonOption();
        var endpoint = AdminEndpoint.Option();
        var command = new Command("add", """
            Add a user and print its new access key pair (the secret is shown only now).

            Examples:
              coffer admin user add alice --data ./coffer-data
              coffer admin user add alice --endpoint https://coffer.example:8443
            """) { name, data, endpoint, json };
        command.SetAction(async (parse, ct) =>
        {
            if (AdminEndpoint.UseApi(parse, data, endpoint) is not { } remote)
                return ExitCodes.Usage;
            if (remote)
                return await AddRemoteAsync(parse, parse.GetValue(name)!, json, endpoint, ct);
            if (await OpenAsync(parse.GetValue(data)!, ct) is not (var store, var rootKey))
                return 1;
            await using var _ = store;
            using var __ = rootKey;
            var created = await Credentials.AddUserAsync(store, rootKey, parse.GetValue(name)!, ct: ct);
            if (created is null)
            {
                Console.Error.WriteLine($"coffer admin user add: a user named '{parse.GetValue(name)}' exists already; choose another name.");
                return 1;
            }
            PrintAdded(parse.GetValue(name)!, created.Value.AccessKeyId, created.Value.SecretKey, parse.GetValue(json));
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var data = DataOption();
        var json = JsonOption();
        var endpoint = AdminEndpoint.Option();
        var command = new Command("list", "List users and their access key ids (never secrets).\n\nExample:\n  coffer admin user list --json") { data, endpoint, json };
        command.SetAction(async (parse, ct) =>
        {
            if (AdminEndpoint.UseApi(parse, data, endpoint) is not { } remote)
                return ExitCodes.Usage;
            if (remote)
                return await ListRemoteAsync(parse, json, endpoint, ct);
            if (await OpenAsync(parse.GetValue(data)!, ct) is not (var store, var rootKey))
                return 1;
            await using var _ = store;
            using var __ = rootKey;
            var users = await store.ListUsersAsync(ct);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(users.Select(u => new { name = u.Name, id = u.Id, accessKeyId = u.AccessKeyId, root = u.IsRoot, created = u.Created })));
            else
                foreach (var u in users)
                    Console.WriteLine($"{u.Name,-20} {u.AccessKeyId}{(u.IsRoot ? "  (root)" : "")}");
            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = new Argument<string>("name") { Description = "Name or access key id of the user to remove." };
        var data = DataOption();
        var endpoint = AdminEndpoint.Option();
        var command = new Command("remove", "Remove a user; its key pair stops working within seconds. Its buckets and KMS keys stay, owned by its id: a user added later under the same name gets a new id and none of them. The admin API refuses to remove the root user.\n\nExample:\n  coffer admin user remove alice") { name, data, endpoint };
        command.SetAction(async (parse, ct) =>
        {
            if (AdminEndpoint.UseApi(parse, data, endpoint) is not { } remote)
                return ExitCodes.Usage;
            if (remote)
                return await RemoveRemoteAsync(parse, parse.GetValue(name)!, endpoint, ct);
            if (await OpenAsync(parse.GetValue(data)!, ct) is not (var store, var rootKey))
                return 1;
            await using var _ = store;
            using var __ = rootKey;
            if (!await store.RemoveUserAsync(parse.GetValue(name)!, ct))
            {
                Console.Error.WriteLine($"coffer admin user remove: no user '{parse.GetValue(name)}'.");
                return 3;
            }
            Console.WriteLine($"Removed {parse.GetValue(name)}.");
            return 0;
        });
        return command;
    }

    private static Command Token()
    {
        var name = new Argument<string>("name") { Description = "Name or access key id of the user the temporary credentials act as." };
        var duration = new Option<int>("--duration") { Description = "Lifetime in seconds (60 to 129600).", DefaultValueFactory = _ => 3600 };
        var data = DataOption();
        var endpoint = AdminEndpoint.Option();
        var json = JsonOption();
        var command = new Command("token", """
            Issue temporary credentials (key pair + session token) acting as a user, as COS's STS does.
            Send the token with every request: x-cos-security-token (COS) or x-amz-security-token (S3).

            Example:
              coffer admin user token alice --duration 900 --json
            """) { name, duration, data, endpoint, json };
        command.SetAction(async (parse, ct) =>
        {
            var seconds = parse.GetValue(duration);
            if (seconds is < 60 or > 129600)
            {
                Console.Error.WriteLine("coffer admin user token: --duration must be from 60 to 129600 seconds.");
                return 2;
            }
            if (AdminEndpoint.UseApi(parse, data, endpoint) is not { } remote)
                return ExitCodes.Usage;
            if (remote)
                return await TokenRemoteAsync(parse, parse.GetValue(name)!, seconds, json, endpoint, ct);
            if (await OpenAsync(parse.GetValue(data)!, ct) is not (var store, var rootKey))
                return 1;
            await using var _ = store;
            using var __ = rootKey;
            var wanted = parse.GetValue(name)!;
            var user = (await store.ListUsersAsync(ct)).FirstOrDefault(u => u.Name == wanted || u.AccessKeyId == wanted);
            if (user is null)
            {
                Console.Error.WriteLine($"coffer admin user token: no user '{wanted}'.");
                return 3;
            }
            var issued = TemporaryCredentials.Issue(rootKey, user.AccessKeyId, TimeSpan.FromSeconds(seconds), DateTimeOffset.UtcNow);
            PrintToken(issued.AccessKeyId, issued.SecretKey, issued.Token, issued.Expires, parse.GetValue(json));
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Opens the data folder as the server does: a root key is made only for a folder that holds
    /// no data yet, and the key must unseal the stored user secrets — users added under a wrong
    /// key could never sign a request. Null, with one line saying what to do, when it cannot.
    /// </summary>
    private static async Task<(IMetadataStore, Coffer.Crypto.RootKey)?> OpenAsync(string dataDirectory, CancellationToken ct)
    {
        var folder = new DataFolder(dataDirectory);
        Coffer.Crypto.RootKey? rootKey = null;
        IMetadataStore? store = null;
        try
        {
            rootKey = folder.LoadOrCreateRootKey();
            store = await Backends.OpenMetadataAsync(null, folder, ct);
            await Credentials.VerifyRootKeyAsync(store, rootKey, folder.RootKeySource, folder.DatabasePath, ct);
            return (store, rootKey);
        }
        catch (RootKeyException e)
        {
            if (store is not null)
                await store.DisposeAsync();
            rootKey?.Dispose();
            Console.Error.WriteLine($"coffer admin: {e.Message}");
            return null;
        }
    }
}
