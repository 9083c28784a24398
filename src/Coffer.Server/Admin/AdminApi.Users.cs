using System.Text.Json.Nodes;
using Coffer.Server.Hosting;
using Coffer.Storage;

namespace Coffer.Server.Admin;

/// <summary>Users and their keys; temporary credentials.</summary>
public static partial class AdminApi
{
    /// <summary>Longest user name accepted.</summary>
    public const int MaxUserNameLength = 64;

    /// <summary>Shortest and longest lifetime of temporary credentials, in seconds (as `coffer admin user token`).</summary>
    public const int MinTokenSeconds = 60, MaxTokenSeconds = 129600;

    private static async Task<(int, JsonObject?)> ListUsersAsync(CofferServices s, CancellationToken ct)
    {
        var users = await s.Store.ListUsersAsync(ct);
        return (200, new JsonObject { ["users"] = new JsonArray([.. users.Select(u => (JsonNode)UserJson(u))]) });
    }

    private static async Task<(int, JsonObject?)> AddUserAsync(CofferServices s, JsonObject input, CancellationToken ct)
    {
        var name = RequiredString(input, "name");
        if (name.Length > MaxUserNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || "._-@+=,".Contains(c)))
            throw new AdminApiException(400, "InvalidRequest", $"The user name '{Printable(name)}' is not allowed: use 1 to {MaxUserNameLength} letters, digits and . _ - @ + = , only.");
        var created = await Credentials.AddUserAsync(s.Store, s.RootKey, name, ct: ct)
            ?? throw new AdminApiException(409, "UserAlreadyExists", $"A user named '{name}' exists already; choose another name.");
        var user = await s.Store.GetUserAsync(created.AccessKeyId, ct);
        var body = user is null ? new JsonObject { ["name"] = name, ["accessKeyId"] = created.AccessKeyId } : UserJson(user);
        body["secretKey"] = created.SecretKey;
        return (201, body);
    }

    private static async Task<(int, JsonObject?)> RemoveUserAsync(CofferServices s, string nameOrKey, CancellationToken ct)
    {
        var user = await FindUserAsync(s, nameOrKey, ct);
        if (user.IsRoot)
            throw new AdminApiException(409, "CannotRemoveRootUser", "The root user cannot be removed: it is the administrator. Replace its keys with COFFER_ACCESS_KEY / COFFER_SECRET_KEY at the next start instead.");
        if (!await s.Store.RemoveUserAsync(user.AccessKeyId, ct))
            throw NoSuchUser(nameOrKey);
        return (204, null);
    }

    private static async Task<(int, JsonObject?)> IssueTemporaryAsync(CofferServices s, string nameOrKey, JsonObject input, CancellationToken ct)
    {
        var seconds = OptionalInteger(input, "durationSeconds") ?? 3600;
        if (seconds is < MinTokenSeconds or > MaxTokenSeconds)
            throw new AdminApiException(400, "InvalidRequest", $"durationSeconds must be from {MinTokenSeconds} to {MaxTokenSeconds}; got {seconds}.");
        var user = await FindUserAsync(s, nameOrKey, ct);
        var issued = TemporaryCredentials.Issue(s.RootKey, user.AccessKeyId, TimeSpan.FromSeconds(seconds), s.Time.GetUtcNow());
        return (200, new JsonObject
        {
            ["user"] = user.Name,
            ["accessKeyId"] = issued.AccessKeyId,
            ["secretKey"] = issued.SecretKey,
            ["sessionToken"] = issued.Token,
            ["expiration"] = issued.Expires,
        });
    }

    private static async Task<UserRecord> FindUserAsync(CofferServices s, string nameOrKey, CancellationToken ct) =>
        (await s.Store.ListUsersAsync(ct)).FirstOrDefault(u => u.Name == nameOrKey || u.AccessKeyId == nameOrKey)
            ?? throw NoSuchUser(nameOrKey);

    private static AdminApiException NoSuchUser(string nameOrKey) =>
        new(404, "NoSuchUser", $"There is no user named '{Printable(nameOrKey)}' and no user with that access key id.");

    private static JsonObject UserJson(UserRecord u) => new()
    {
        ["name"] = u.Name,
        ["id"] = u.Id,
        ["accessKeyId"] = u.AccessKeyId,
        ["root"] = u.IsRoot,
        ["created"] = u.Created,
    };

    /// <summary>Text from the request, for a message: control characters shown as '?', at most 80 characters.</summary>
    private static string Printable(string text)
    {
        var shown = new string([.. text.Take(80).Select(c => char.IsControl(c) ? '?' : c)]);
        return text.Length > 80 ? shown + "…" : shown;
    }
}
