using System.CommandLine;
using System.Text.Json;

namespace Coffer.Cli;

/// <summary>`coffer admin user …` over the server's admin API (<see cref="AdminEndpoint"/>): the same output as the data-folder form.</summary>
internal static partial class AdminCommand
{
    private static Task<int> AddRemoteAsync(ParseResult parse, string name, Option<bool> json, Option<string?> endpoint, CancellationToken ct) =>
        Output.RunAsync(parse, json, async (run, ct) =>
        {
            run.EndpointOverride = parse.GetValue(endpoint);
            var created = await run.Connection.Admin.AddUserAsync(name, ct);
            PrintAdded(name, created.User.AccessKeyId, created.SecretKey, run.Json);
            return 0;
        }, ct);

    private static Task<int> ListRemoteAsync(ParseResult parse, Option<bool> json, Option<string?> endpoint, CancellationToken ct) =>
        Output.RunAsync(parse, json, async (run, ct) =>
        {
            run.EndpointOverride = parse.GetValue(endpoint);
            var users = await run.Connection.Admin.ListUsersAsync(ct);
            if (run.Json)
                Console.WriteLine(JsonSerializer.Serialize(users.Select(u => new { name = u.Name, id = u.Id, accessKeyId = u.AccessKeyId, root = u.IsRoot, created = u.Created })));
            else
                foreach (var u in users)
                    Console.WriteLine($"{u.Name,-20} {u.AccessKeyId}{(u.IsRoot ? "  (root)" : "")}");
            return 0;
        }, ct);

    private static Task<int> RemoveRemoteAsync(ParseResult parse, string name, Option<string?> endpoint, CancellationToken ct) =>
        Output.RunAsync(parse, null, async (run, ct) =>
        {
            run.EndpointOverride = parse.GetValue(endpoint);
            await run.Connection.Admin.RemoveUserAsync(name, ct);
            Console.WriteLine($"Removed {name}.");
            return 0;
        }, ct);

    private static Task<int> TokenRemoteAsync(ParseResult parse, string name, int seconds, Option<bool> json, Option<string?> endpoint, CancellationToken ct) =>
        Output.RunAsync(parse, json, async (run, ct) =>
        {
            run.EndpointOverride = parse.GetValue(endpoint);
            var issued = await run.Connection.Admin.IssueTemporaryCredentialsAsync(name, TimeSpan.FromSeconds(seconds), ct);
            PrintToken(issued.AccessKeyId, issued.SecretKey, issued.SessionToken, issued.Expiration, run.Json);
            return 0;
        }, ct);

    private static void PrintAdded(string name, string accessKeyId, string secretKey, bool json)
    {
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(new { name, accessKeyId, secretKey }));
        else
        {
            Console.WriteLine($"User        {name}");
            Console.WriteLine($"Access key  {accessKeyId}");
            Console.WriteLine($"Secret key  {secretKey}");
            Console.WriteLine("(the secret is shown only now: keep it)");
        }
    }

    private static void PrintToken(string accessKeyId, string secretKey, string token, DateTimeOffset expires, bool json)
    {
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(new { tmpSecretId = accessKeyId, tmpSecretKey = secretKey, sessionToken = token, expiration = expires }));
        else
        {
            Console.WriteLine($"TmpSecretId   {accessKeyId}");
            Console.WriteLine($"TmpSecretKey  {secretKey}");
            Console.WriteLine($"SessionToken  {token}");
            Console.WriteLine($"Expiration    {expires:u}");
        }
    }
}
