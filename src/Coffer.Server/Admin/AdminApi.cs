using System.Text.Json;
using System.Text.Json.Nodes;
using Coffer.Protocol;
using Coffer.Protocol.Auth;
using Coffer.Server.Hosting;
using Coffer.Server.Pipeline;
using Microsoft.AspNetCore.Http;

namespace Coffer.Server.Admin;

/// <summary>
/// The admin API (docs/admin-api.md): users and their keys, temporary credentials, rekey jobs and the KMS audit log,
/// under <c>/_coffer/admin/…</c> on the server's own listeners, in JSON. It is what <c>coffer admin</c> uses when it is
/// given an endpoint, so that a deployment of several nodes (no data folder to open) can be administered.
/// <para>
/// Requests are signed like any other (COS signature or SigV4, checked by <see cref="RequestDispatcher"/>); only the
/// administrator gets through: the root user's own key, signed in the Authorization header, over HTTPS. Anonymous
/// callers, other users, temporary credentials (even root's) and presigned URLs all get the same 403 AccessDenied,
/// and so does plain HTTP (the API hands out secrets, and lists who may sign).
/// </para>
/// This file authorizes and dispatches; the calls are in AdminApi.Users.cs, AdminApi.Rekey.cs and AdminApi.Audit.cs.
/// </summary>
public static partial class AdminApi
{
    /// <summary>The path every admin call starts with.</summary>
    public const string Prefix = "/_coffer/admin/";

    /// <summary>The HttpContext item that marks a request as an admin call (for the dispatcher's error writer).</summary>
    public const string ItemKey = "coffer.admin";

    private const int MaxBodyBytes = 64 * 1024;

    private const string DeniedMessage = "Access Denied: the admin API answers the administrator only (the root user's own access key, signed in the Authorization header).";

    /// <summary>Whether a raw request path (no query) addresses the admin API.</summary>
    public static bool IsAdminPath(string rawPath) =>
        rawPath.StartsWith(Prefix, StringComparison.Ordinal) || rawPath == Prefix.TrimEnd('/');

    /// <summary>Checks the caller is the administrator, then runs the call the path and method name.</summary>
    public static async Task HandleAsync(RequestContext ctx, string rawPath, CofferServices s)
    {
        Authorize(ctx);
        if (!ctx.IsHttps)
            throw new CofferException(ErrorCode.AccessDenied, "The admin API answers over HTTPS only (it returns secrets): use the server's https:// endpoint.");

        var segments = rawPath.Length > Prefix.Length
            ? rawPath[Prefix.Length..].Split('/').Select(Addressing.Decode).ToArray()
            : [];
        var method = ctx.Request.Method;
        var (status, body) = (segments, method) switch
        {
            (["users"], "GET") => await ListUsersAsync(s, ctx.Aborted),
            (["users"], "POST") => await AddUserAsync(s, await ReadJsonAsync(ctx), ctx.Aborted),
            (["users", var user], "DELETE") => await RemoveUserAsync(s, user, ctx.Aborted),
            (["users", var user, "temporary-credentials"], "POST") => await IssueTemporaryAsync(s, user, await ReadJsonAsync(ctx), ctx.Aborted),
            (["rekey-jobs"], "POST") => await StartRekeyAsync(s, await ReadJsonAsync(ctx), ctx.Aborted),
            (["rekey-jobs", var job], "GET") => await RekeyStatusAsync(s, job, ctx.Aborted),
            (["rekey-jobs", var job], "DELETE") => await StopRekeyAsync(s, job, ctx.Aborted),
            (["kms-audit"], "GET") => await ReadAuditAsync(s, ctx.Query, ctx.Aborted),
            _ when Known(segments) => throw new AdminApiException(405, "MethodNotAllowed", $"{method} is not allowed on {rawPath}; see docs/admin-api.md for the methods each path takes."),
            _ => throw new AdminApiException(404, "NoSuchAdminOperation", $"{rawPath} is not an admin API path; see docs/admin-api.md."),
        };
        await WriteJsonAsync(ctx.Http, status, body);
    }

    /// <summary>
    /// Refuses (403 AccessDenied) anyone but the administrator: the root user's own key (no temporary credentials),
    /// signed in the Authorization header (no presigned URL). The admin API and, by default, /_coffer/metrics use it.
    /// </summary>
    public static void Authorize(RequestContext ctx, string? deniedMessage = null)
    {
        var identity = ctx.Identity!;
        if (identity.Presigned
            || TemporaryCredentials.IsTemporary(identity.AccessKeyId)
            || !ctx.Caller.IsRoot)
            throw new CofferException(ErrorCode.AccessDenied, deniedMessage ?? DeniedMessage);
    }

    private static bool Known(string[] segments) => segments switch
    {
        ["users"] or ["users", _] or ["users", _, "temporary-credentials"] or ["rekey-jobs"] or ["rekey-jobs", _] or ["kms-audit"] => true,
        _ => false,
    };

    /// <summary>Writes an error of the admin API: <c>{"code": …, "message": …, "requestId": …}</c>.</summary>
    public static Task WriteErrorAsync(HttpContext http, int status, string code, string message, string requestId) =>
        WriteJsonAsync(http, status, new JsonObject { ["code"] = code, ["message"] = message, ["requestId"] = requestId });

    private static Task WriteJsonAsync(HttpContext http, int status, JsonObject? body)
    {
        http.Response.StatusCode = status;
        if (body is null || HttpMethods.IsHead(http.Request.Method))
            return Task.CompletedTask;
        http.Response.ContentType = "application/json";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body);
        http.Response.ContentLength = bytes.Length;
        return http.Response.Body.WriteAsync(bytes).AsTask();
    }

    /// <summary>The request body as a JSON object (an empty body is an empty object); anything else is a 400.</summary>
    private static async Task<JsonObject> ReadJsonAsync(RequestContext ctx)
    {
        var body = Objects.RequestBody.Open(ctx);
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int n;
        while ((n = await body.Stream.ReadAsync(chunk, ctx.Aborted)) > 0)
        {
            if (buffer.Length + n > MaxBodyBytes)
                throw new AdminApiException(400, "InvalidRequest", $"An admin API request body may be at most {MaxBodyBytes} bytes.");
            buffer.Write(chunk, 0, n);
        }
        if (buffer.Length == 0)
            return [];
        try
        {
            return JsonNode.Parse(buffer.ToArray()) as JsonObject
                ?? throw new AdminApiException(400, "MalformedJSON", "The request body must be a JSON object ({ … }).");
        }
        catch (JsonException e)
        {
            throw new AdminApiException(400, "MalformedJSON", $"The request body is not valid JSON: {e.Message}");
        }
    }

    private static string? OptionalString(JsonObject input, string field) => input[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var text) => text,
        _ => throw new AdminApiException(400, "InvalidRequest", $"The field '{field}' must be a string."),
    };

    private static string RequiredString(JsonObject input, string field) =>
        OptionalString(input, field) is { Length: > 0 } text ? text
            : throw new AdminApiException(400, "InvalidRequest", $"The field '{field}' is required (a non-empty string).");

    private static long? OptionalInteger(JsonObject input, string field) => input[field] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<long>(out var number) => number,
        JsonValue v when v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < 1e15 => (long)d,
        _ => throw new AdminApiException(400, "InvalidRequest", $"The field '{field}' must be a whole number."),
    };

    private static bool OptionalBool(JsonObject input, string field) => input[field] switch
    {
        null => false,
        JsonValue v when v.TryGetValue<bool>(out var flag) => flag,
        _ => throw new AdminApiException(400, "InvalidRequest", $"The field '{field}' must be true or false."),
    };
}

/// <summary>An admin API error: HTTP status, code and a message that says what to fix (docs/admin-api.md#errors).</summary>
public sealed class AdminApiException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}
